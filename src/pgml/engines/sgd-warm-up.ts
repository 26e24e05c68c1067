/**
 * Warms the SGD family's fit loop in an engine thread before a user's first fit needs it. Its fits
 * are short enough to end before V8's optimizing compiler has compiled the loop (20 ms for the
 * function, more for on-stack replacement, on a loaded two-core machine), so a first fit on a fresh
 * thread ran interpreted: iris SGD took 36–100 ms instead of 1–2 ms (BENCHMARKS.md). Each step fits
 * one variant (every loss and penalty the factories offer, at their default rates) on a small set,
 * through the same factories as a user's fit, and throws the model away: nothing is shared between
 * fits but the compiled code, so no model changes (sgd-warm-up.test.ts).
 */
import type { Task } from './engine.js';
import { passiveAggressiveFactory, perceptronFactory, sgdFactory } from './sgd.js';

const ROWS = 60;
const COLS = 6;
/** Fits per variant: enough calls and loop iterations for TurboFan to pick the loop up. */
const ROUNDS = 2;

interface Variant {
  factory: typeof sgdFactory;
  task: Task;
  hyperparams: Record<string, unknown>;
}

const VARIANTS: Variant[] = [
  ...['hinge', 'log_loss', 'modified_huber', 'squared_hinge', 'perceptron'].map((loss) => ({ factory: sgdFactory, task: 'classification' as const, hyperparams: { loss } })),
  ...['squared_error', 'huber', 'epsilon_insensitive', 'squared_epsilon_insensitive'].map((loss) => ({ factory: sgdFactory, task: 'regression' as const, hyperparams: { loss } })),
  ...['l1', 'elasticnet', 'none'].map((penalty) => ({ factory: sgdFactory, task: 'classification' as const, hyperparams: { penalty } })),
  { factory: perceptronFactory, task: 'classification', hyperparams: {} },
  { factory: passiveAggressiveFactory, task: 'classification', hyperparams: {} },
  { factory: passiveAggressiveFactory, task: 'regression', hyperparams: {} },
];

/** A deterministic, learnable set: three classes (or a linear target) from smooth features. */
function syntheticSet(task: Task): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(ROWS * COLS);
  const y = new Float32Array(ROWS);
  for (let r = 0; r < ROWS; r++) {
    let sum = 0;
    for (let c = 0; c < COLS; c++) {
      const v = Math.sin(r * 0.7 + c * 1.3);
      x[r * COLS + c] = v;
      sum += v * (c + 1);
    }
    y[r] = task === 'classification' ? (sum > 1 ? 2 : sum > -1 ? 1 : 0) : sum;
  }
  return { x, y };
}

/** The warm-up as steps, one fit each, so that the caller can run them between real requests. */
export function sgdWarmUpSteps(): (() => Promise<void>)[] {
  const steps: (() => Promise<void>)[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const { factory, task, hyperparams } of VARIANTS) {
      steps.push(async () => {
        const { x, y } = syntheticSet(task);
        const engine = factory.create();
        await engine.fit({ x, rows: ROWS, cols: COLS, y, yCols: 1 }, { task, hyperparams, ...(task === 'classification' ? { numClasses: 3 } : {}) });
        await engine.predict(x, ROWS);
      });
    }
  }
  return steps;
}

/**
 * How long a thread must have been idle before a warm-up step runs: a training's requests to its
 * thread come one after another with gaps of milliseconds, so a training that starts at once (or
 * while the proxy starts) never shares the machine with the warm-up.
 */
export const WARM_UP_IDLE_MS = 2000;

/**
 * Runs warm-up steps one at a time once the thread has been idle (`busy()` false) for `idleMs`:
 * `resume()` (called when a request is done) starts the wait again, and a request that arrives
 * during a step waits for that step only (a few milliseconds). Every engine thread does it, at the
 * thread's nice value. A failing step ends the warm-up and nothing else: the first real fits are then
 * slower. Settles `done` when the steps are over (run or dropped).
 */
export function idleWarmUp(steps: (() => Promise<void>)[], busy: () => boolean, idleMs = WARM_UP_IDLE_MS): { resume(): void; done: Promise<void> } {
  const queue = [...steps];
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const next = (): void => {
    if (running || busy()) return;
    const step = queue.shift();
    if (!step) return finish();
    running = true;
    step().then(
      () => {
        running = false;
        setImmediate(next);
      },
      () => {
        queue.length = 0;
        running = false;
        finish();
      },
    );
  };
  const wait = (): void => {
    clearTimeout(timer);
    if (queue.length > 0) timer = setTimeout(next, idleMs);
  };
  wait();
  return { resume: wait, done };
}
