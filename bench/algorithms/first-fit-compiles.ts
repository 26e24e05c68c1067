// One cell's first fit in a fresh process after the engine thread's whole warm-up (warm-up.ts) and 3 s idle,
// as a proxy that has been up a while: the process CPU of that fit, and, run under
// `node --import tsx --trace-opt --trace-deopt`, what V8 compiles or deoptimizes during it (the lines between
// `=== BEGIN` and `=== END`). `node --import tsx bench/algorithms/first-fit-compiles.ts <algorithm>:<dataset>`;
// BENCH_BASE=<checkout> fits with that checkout's sources instead (alternate the two, one process each);
// EXTRA=<fits>:<rows> adds that many fits of the algorithm on a synthetic set of 6 features after the warm-up
// (what a longer warm-up would run). Datasets as training-rows.ts; diabetes and .csv paths are regression.
import { loadavg } from 'node:os';
import { loadTrainingRows } from './training-rows.js';

const root = process.env.BENCH_BASE ?? new URL('../..', import.meta.url).pathname;
const { getLocalEngineFactory } = (await import(`${root}/src/pgml/engines/registry.ts`)) as typeof import('../../src/pgml/engines/registry.js');
const { engineWarmUpSteps } = (await import(`${root}/src/pgml/engines/warm-up.ts`)) as typeof import('../../src/pgml/engines/warm-up.js');
const cell = process.argv[2] ?? 'lasso:diabetes';
const [algorithm = 'lasso', dataset = 'diabetes'] = cell.split(':');
const task = algorithm === 'affinity_propagation' ? 'clustering' : dataset === 'diabetes' || dataset.endsWith('.csv') ? 'regression' : 'classification';
for (const step of engineWarmUpSteps()) await step.run();
if (process.env.EXTRA) {
  const [fits = 0, rows = 60] = process.env.EXTRA.split(':').map(Number);
  const cols = 6;
  for (let f = 0; f < fits; f++) {
    const x = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.7 + f));
    const y = Float32Array.from({ length: rows }, (_, r) => (task === 'classification' ? r % 3 : Math.cos(r * 1.3)));
    const options = { task, hyperparams: {}, ...(task === 'classification' ? { numClasses: 3 } : {}) } as const;
    await getLocalEngineFactory(algorithm).create().fit({ x, rows, cols, y, yCols: 1 }, options);
  }
}
// The thread idles: V8 finishes the compiles the warm-up queued.
await new Promise((resolve) => setTimeout(resolve, 3000));
const data = loadTrainingRows(dataset);
const engine = getLocalEngineFactory(algorithm).create();
const hyperparams = task === 'clustering' ? { random_state: 0 } : {};
console.log('=== BEGIN');
const cpu = process.cpuUsage();
await engine.fit(
  { x: data.x, rows: data.rows, cols: data.cols, y: data.y, yCols: 1 },
  { task, hyperparams, ...(task === 'classification' ? { numClasses: data.numClasses } : {}) },
);
const used = process.cpuUsage(cpu);
console.log(`=== END ${JSON.stringify({
  bench: 'first-fit-compiles', cell, build: process.env.BENCH_BASE ? 'base' : 'new', extra: process.env.EXTRA ?? null,
  first_fit_cpu_ms: +((used.user + used.system) / 1000).toFixed(3), load_average: loadavg().map((v) => +v.toFixed(1)),
})}`);
