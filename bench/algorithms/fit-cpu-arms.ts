// fit-cpu.ts's A/B for the native engines, whose two builds cannot share a process (koffi refuses a second
// LGBMHandle type): arms by hyperparameters instead, alternating each round in one process, e.g. this build's
// default against `{"num_threads":0}` (main's call before trees9). One JSON line per arm: CPU per fit
// (process.cpuUsage, every thread), wall, and sha1 of serialize() (of the text before `parameters:` for a
// LightGBM model, whose parameter block names the thread count).
// `[TASK=classification] node --import tsx bench/algorithms/fit-cpu-arms.ts <algorithm> <dataset or .csv> <fits> <rounds> '<json>' '<json>' ...`
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { loadTrainingRows } from './training-rows.js';
import { getLocalEngineFactory } from '../../src/pgml/engines/registry.js';
const [algorithm, dataset, fits, rounds, ...arms] = process.argv.slice(2);
const d = loadTrainingRows(dataset!);
const task = process.env.TASK ?? 'regression';
if (arms.length === 0) throw new Error('give at least one arm: a JSON object of hyperparameters');
const res: Record<string, { cpu: number[]; wall: number[]; sha: string }> = {};
for (let r = 0; r < Number(rounds); r++) {
  for (const arm of r % 2 ? [...arms].reverse() : arms) {
    const hp = JSON.parse(arm);
    res[arm] ??= { cpu: [], wall: [], sha: '' };
    for (let i = 0; i < Number(fits); i++) {
      const e = getLocalEngineFactory(algorithm!).create();
      const c = process.cpuUsage(); const w = performance.now();
      await e.fit({ x: d.x, rows: d.rows, cols: d.cols, y: d.y }, { task: task as 'regression' | 'classification', hyperparams: hp, ...(task === 'classification' ? { numClasses: d.numClasses } : {}) });
      const u = process.cpuUsage(c); res[arm].wall.push(performance.now() - w); res[arm].cpu.push((u.user + u.system) / 1000);
      const text = Buffer.from(await e.serialize()).toString('latin1'); const cut = text.indexOf('parameters:');
      res[arm].sha = createHash('sha1').update(cut >= 0 ? text.slice(0, cut) : text).digest('hex').slice(0, 12);
    }
  }
}
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
for (const [arm, t] of Object.entries(res)) console.log(JSON.stringify({ algorithm, dataset, arm, fits: t.cpu.length, cpu_min_ms: +Math.min(...t.cpu).toFixed(1), cpu_median_ms: +med(t.cpu).toFixed(1), wall_median_ms: +med(t.wall).toFixed(1), sha: t.sha, load: loadavg().map((v) => +v.toFixed(1)) }));
