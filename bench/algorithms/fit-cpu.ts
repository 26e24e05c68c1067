// In-process fits of one cell, CPU time (process.cpuUsage: the scheduler of a loaded machine inflates it
// far less than wall time) and wall time per fit, for this checkout alone or alternated with another
// checkout's sources (BENCH_BASE=/path/to/checkout: its src/, with node_modules beside it) each round.
// `node --import tsx bench/algorithms/fit-cpu.ts <algorithm> <dataset or .csv path> [fits per round] [rounds]`,
// one JSON line per build; HP='{"alpha":0.1}' for hyperparameters, TASK=classification for classifiers
// (labels last in the CSV as class indices; regression by default). cpu_first_ms is each build's first fit: a cold JIT, as a fresh thread's. Datasets as solver-times.ts.
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { loadTrainingRows } from './training-rows.js';

const [algorithm = 'lasso', dataset = 'diabetes', fitsArg = '10', roundsArg = '4'] = process.argv.slice(2);
const { x, y, rows, cols, numClasses } = loadTrainingRows(dataset);
const task = process.env.TASK ?? (algorithm === 'affinity_propagation' ? 'clustering' : 'regression');
const hyperparams = JSON.parse(process.env.HP ?? '{}') as Record<string, unknown>;
const roots: Record<string, string> = { new: new URL('../..', import.meta.url).pathname };
if (process.env.BENCH_BASE) roots.base = process.env.BENCH_BASE;
const factories: Record<string, { create(): { fit(...args: unknown[]): Promise<void> } }> = {};
for (const [build, root] of Object.entries(roots)) {
  const registry = (await import(`${root}/src/pgml/engines/registry.ts`)) as { getLocalEngineFactory(name: string): (typeof factories)[string] };
  factories[build] = registry.getLocalEngineFactory(algorithm);
}
const times: Record<string, { cpu: number[]; wall: number[] }> = {};
for (let round = 0; round < Number(roundsArg); round++) {
  const builds = Object.keys(roots);
  for (const build of round % 2 ? builds.reverse() : builds) {
    times[build] ??= { cpu: [], wall: [] };
    for (let i = 0; i < Number(fitsArg); i++) {
      const engine = factories[build]!.create();
      const cpu = process.cpuUsage();
      const start = performance.now();
      await engine.fit({ x, rows, cols, y }, { task, hyperparams, ...(task === 'classification' ? { numClasses } : {}) });
      const used = process.cpuUsage(cpu);
      times[build]!.wall.push(performance.now() - start);
      times[build]!.cpu.push((used.user + used.system) / 1000);
    }
  }
}
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;
const ms = (v: number): number => +v.toFixed(3);
for (const [build, t] of Object.entries(times)) {
  console.log(JSON.stringify({
    bench: 'fit-cpu', algorithm, dataset, task, build, ...(process.env.PGML_LINEAR_SVM_RUNTIME ? { runtime: process.env.PGML_LINEAR_SVM_RUNTIME } : {}), fits: t.cpu.length, cpu_first_ms: ms(t.cpu[0]!), cpu_min_ms: ms(Math.min(...t.cpu)), cpu_median_ms: ms(median(t.cpu)),
    wall_min_ms: ms(Math.min(...t.wall)), wall_median_ms: ms(median(t.wall)), load_average: loadavg().map((v) => +v.toFixed(1)),
  }));
}
