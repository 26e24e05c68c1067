// First fits after the JIT warm-up, in-process, in a given order: what a user's first fit of each cell costs
// in an engine thread that has been idle long enough to warm up (warm-up.ts), without the proxy around it.
// `node --import tsx bench/algorithms/first-fits.ts algorithm:dataset ...` (classification on breast_cancer,
// digits, iris, wine; regression on diabetes; the training rows as bench/algorithms: the first 75%), one JSON
// line. Run it with the cells in different orders to see whether a cell depends on what ran before it.
// BENCH_WARM_STEPS=n runs only the warm-up's first n steps, as a thread that a training reached mid-warm-up
// (the warm-up paused while requests came: bench/algorithms/run.ts's trainings found 33 steps done under load).
// BENCH_WARM=before|idle2s plays an engine thread started ahead of use (pool.ts) instead: its warm-up starts
// at once with quantile's steps after the others (worker.ts), the first fit comes BENCH_FIRST_MS (1500) later
// and each next one BENCH_GAP_MS (30) after the last, as trainings that follow each other. `before` is this
// build's thread (the idle warm-up resumes after WARM_UP_IDLE_MS, and a fit first runs its algorithm's queued
// steps, timed apart as warm_cpu_ms); `idle2s` the earlier one (2 s idle, no steps before a fit). The line
// then also says how many steps ran, their CPU, and when the warm-up ended (ms after start; null if it had not
// BENCH_TAIL_MS, 10000, after the last fit).
// A dataset may be a .csv path (regression), as fit-cpu.ts.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { getLocalEngineFactory } from '../../src/pgml/engines/registry.js';
import { engineWarmUpSteps, idleWarmUp, linearProgramWarmUpSteps, WARM_UP_IDLE_MS, type WarmUpStep } from '../../src/pgml/engines/warm-up.js';
import { loadTrainingRows } from './training-rows.js';

const SEEDED = new Set(['stochastic_gradient_descent', 'perceptron', 'passive_aggressive']);
const cells = process.argv.slice(2);
const mode = process.env.BENCH_WARM;

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const start = performance.now();
let warmUpMs: number | undefined;
/** The thread's warm-up in the before/idle2s modes, with its steps' CPU counted. */
let thread: { warmUp: ReturnType<typeof idleWarmUp>; busy: boolean; steps: number; stepCpu: number; doneAt: number | null } | undefined;
if (mode === 'before' || mode === 'idle2s') {
  const counted = (step: WarmUpStep): WarmUpStep => ({
    algorithm: step.algorithm,
    task: step.task,
    run: async () => {
      const begin = process.cpuUsage();
      await step.run();
      thread!.steps++;
      thread!.stepCpu += cpuMs(begin);
    },
  });
  thread = { warmUp: undefined!, busy: false, steps: 0, stepCpu: 0, doneAt: null };
  thread.warmUp = idleWarmUp(engineWarmUpSteps().map(counted), () => thread!.busy, mode === 'idle2s' ? 2000 : Number(process.env.BENCH_IDLE_MS ?? WARM_UP_IDLE_MS));
  void thread.warmUp.done.then(() => (thread!.doneAt = Math.round(performance.now() - start)));
  thread.warmUp.start(linearProgramWarmUpSteps().map(counted));
  await sleep(Number(process.env.BENCH_FIRST_MS ?? 1500));
} else {
  const warmSteps = Number(process.env.BENCH_WARM_STEPS ?? Infinity);
  for (const step of engineWarmUpSteps().slice(0, warmSteps)) await step.run();
  warmUpMs = performance.now() - start;
  // The thread idles after its warm-up: TurboFan finishes the compiles the warm-up queued.
  await sleep(3000);
}
const fits: Record<string, number> = {};
// CPU ms of the process during each fit (all its threads: V8's compiler threads too), steadier than wall
// time on a loaded machine.
const cpu: Record<string, number> = {};
/** CPU of the steps run for a cell's algorithm before its fit (mode before). */
const warmCpu: Record<string, number> = {};
for (const [index, cell] of cells.entries()) {
  const [algorithm = '', dataset = ''] = cell.split(':');
  // A cell named again (a later, warmer fit of it) is reported as cell#2, cell#3...
  const key = cells.slice(0, index).includes(cell) ? `${cell}#${cells.slice(0, index + 1).filter((c) => c === cell).length}` : cell;
  const data = loadTrainingRows(dataset);
  const task = dataset === 'diabetes' || dataset.endsWith('.csv') ? 'regression' : 'classification';
  if (thread) {
    if (index > 0) await sleep(Number(process.env.BENCH_GAP_MS ?? 30));
    thread.busy = true;
    const begin = process.cpuUsage();
    if (mode === 'before' && (await thread.warmUp.before(algorithm)) > 0) warmCpu[key] = +cpuMs(begin).toFixed(1);
  }
  const engine = getLocalEngineFactory(algorithm).create();
  const begin = performance.now();
  const cpuBegin = process.cpuUsage();
  await engine.fit(
    { x: data.x, rows: data.rows, cols: data.cols, y: data.y, yCols: 1 },
    { task, hyperparams: SEEDED.has(algorithm) ? { random_state: 0 } : {}, ...(task === 'classification' ? { numClasses: data.numClasses } : {}) },
  );
  fits[key] = +(performance.now() - begin).toFixed(2);
  cpu[key] = +cpuMs(cpuBegin).toFixed(1);
  if (thread) {
    thread.busy = false;
    thread.warmUp.resume();
  }
}
// The warm-up's end, if it comes within BENCH_TAIL_MS (10000) of the last fit.
if (thread) await Promise.race([thread.warmUp.done, sleep(Number(process.env.BENCH_TAIL_MS ?? 10_000))]);
const warmUp = thread
  ? { warm_up: { steps_run: thread.steps, steps_cpu_ms: Math.round(thread.stepCpu), ended_at_ms: thread.doneAt }, warm_cpu_ms: warmCpu }
  : { warm_up_ms: +warmUpMs!.toFixed(0) };
console.log(
  JSON.stringify({
    bench: 'first-fits',
    ...(mode ? { warm: mode } : Number.isFinite(Number(process.env.BENCH_WARM_STEPS ?? Infinity)) ? { warm_steps: Number(process.env.BENCH_WARM_STEPS) } : {}),
    load_average: loadavg().map((v) => +v.toFixed(2)),
    ...warmUp,
    fit_ms: fits,
    cpu_ms: cpu,
  }),
);
process.exit(0);
