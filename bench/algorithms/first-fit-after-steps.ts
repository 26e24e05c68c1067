// A user's first fit of a cell on an engine thread that meets its algorithm in a run of back-to-back trainings
// (bench/algorithms/run.ts's, say), where the idle warm-up never ran: the algorithm's own warm-up steps for the
// task (warm-up.ts's before(), as worker.ts runs them), then FITS fits of the cell; the main thread's CPU of
// the steps and of each fit (thread-cpu.ts: V8's compiler threads left out, as fit_time leaves them out).
// `node --import tsx bench/algorithms/first-fit-after-steps.ts <algorithm>:<dataset> [fits]`, one JSON line,
// a fresh process each (V8 shares no compiled code between threads); BENCH_BASE=<checkout> fits with that
// checkout's sources. Datasets as training-rows.ts; clustering and pca fit the features of iris or wine.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { threadCpuMs } from './thread-cpu.js';
import { loadTrainingRows } from './training-rows.js';

const root = process.env.BENCH_BASE ?? new URL('../..', import.meta.url).pathname;
const { getLocalEngineFactory } = (await import(`${root}/src/pgml/engines/registry.ts`)) as typeof import('../../src/pgml/engines/registry.js');
const { engineWarmUpSteps, idleWarmUp } = (await import(`${root}/src/pgml/engines/warm-up.ts`)) as typeof import('../../src/pgml/engines/warm-up.js');
const [cell = 'lasso:diabetes', fitsArg = '3'] = process.argv.slice(2);
const [algorithm = 'lasso', dataset = 'diabetes'] = cell.split(':');
const UNSUPERVISED: Record<string, ['clustering' | 'decomposition', Record<string, unknown>]> = {
  affinity_propagation: ['clustering', { random_state: 0 }],
  kmeans: ['clustering', { n_clusters: 3, random_state: 0 }],
  mini_batch_kmeans: ['clustering', { n_clusters: 3, random_state: 0 }],
  pca: ['decomposition', { n_components: 2 }],
};
const [task, hyperparams] = UNSUPERVISED[algorithm] ?? [dataset === 'diabetes' || dataset.endsWith('.csv') ? 'regression' : 'classification', {}];
const data = loadTrainingRows(dataset);
// The clocks' own first calls (performance.now's took 1.2–1.8 ms) before anything is timed.
performance.now();
threadCpuMs();
// Busy for good: only before() runs steps, as on a thread that trainings keep busy.
const warmUp = idleWarmUp(engineWarmUpSteps(), () => true, 2 ** 31 - 1);
let started = threadCpuMs();
const steps = await warmUp.before(algorithm, task);
const stepsMs = threadCpuMs() - started;
const fits: number[] = [];
for (let i = 0; i < Number(fitsArg); i++) {
  const engine = getLocalEngineFactory(algorithm).create();
  const supervised = task === 'regression' || task === 'classification';
  started = threadCpuMs();
  await engine.fit(
    { x: data.x, rows: data.rows, cols: data.cols, ...(supervised ? { y: data.y, yCols: 1 } : {}) },
    { task, hyperparams, ...(task === 'classification' ? { numClasses: data.numClasses } : {}) },
  );
  fits.push(+(threadCpuMs() - started).toFixed(3));
}
console.log(JSON.stringify({
  bench: 'first-fit-after-steps', cell, build: process.env.BENCH_BASE ? 'base' : 'new', steps, steps_thread_cpu_ms: +stepsMs.toFixed(1),
  fit_thread_cpu_ms: fits, load_average: loadavg().map((v) => +v.toFixed(1)),
}));
process.exit(0);
