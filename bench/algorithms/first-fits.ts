// First fits after the JIT warm-up, in-process, in a given order: what a user's first fit of each cell costs
// in an engine thread that has been idle long enough to warm up (warm-up.ts), without the proxy around it.
// `node --import tsx bench/algorithms/first-fits.ts algorithm:dataset ...` (classification on breast_cancer,
// digits, iris, wine; regression on diabetes; the training rows as bench/algorithms: the first 75%), one JSON
// line. Run it with the cells in different orders to see whether a cell depends on what ran before it.
// BENCH_WARM_STEPS=n runs only the warm-up's first n steps, as a thread that a training reached mid-warm-up
// (the warm-up pauses while requests come: bench/algorithms/run.ts's trainings found 33 steps done under load).
// A dataset may be a .csv path (regression), as fit-cpu.ts.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { getLocalEngineFactory } from '../../src/pgml/engines/registry.js';
import { engineWarmUpSteps } from '../../src/pgml/engines/warm-up.js';
import { loadTrainingRows } from './training-rows.js';

const SEEDED = new Set(['stochastic_gradient_descent', 'perceptron', 'passive_aggressive']);
const cells = process.argv.slice(2);

const start = performance.now();
const warmSteps = Number(process.env.BENCH_WARM_STEPS ?? Infinity);
for (const step of engineWarmUpSteps().slice(0, warmSteps)) await step.run();
const warmUpMs = performance.now() - start;
// The thread idles after its warm-up: TurboFan finishes the compiles the warm-up queued.
await new Promise((resolve) => setTimeout(resolve, 3000));
const fits: Record<string, number> = {};
// CPU ms of the process during each fit (all its threads: V8's compiler threads too), steadier than wall
// time on a loaded machine.
const cpu: Record<string, number> = {};
for (const [index, cell] of cells.entries()) {
  const [algorithm = '', dataset = ''] = cell.split(':');
  // A cell named again (a later, warmer fit of it) is reported as cell#2, cell#3...
  const key = cells.slice(0, index).includes(cell) ? `${cell}#${cells.slice(0, index + 1).filter((c) => c === cell).length}` : cell;
  const data = loadTrainingRows(dataset);
  const task = dataset === 'diabetes' || dataset.endsWith('.csv') ? 'regression' : 'classification';
  const engine = getLocalEngineFactory(algorithm).create();
  const begin = performance.now();
  const cpuBegin = process.cpuUsage();
  await engine.fit(
    { x: data.x, rows: data.rows, cols: data.cols, y: data.y, yCols: 1 },
    { task, hyperparams: SEEDED.has(algorithm) ? { random_state: 0 } : {}, ...(task === 'classification' ? { numClasses: data.numClasses } : {}) },
  );
  fits[key] = +(performance.now() - begin).toFixed(2);
  const used = process.cpuUsage(cpuBegin);
  cpu[key] = +((used.user + used.system) / 1000).toFixed(1);
}
console.log(JSON.stringify({ bench: 'first-fits', ...(Number.isFinite(warmSteps) ? { warm_steps: warmSteps } : {}), load_average: loadavg().map((v) => +v.toFixed(2)), warm_up_ms: +warmUpMs.toFixed(0), fit_ms: fits, cpu_ms: cpu }));
