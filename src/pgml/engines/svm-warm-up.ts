/**
 * Warms the svm family's fit code (the libsvm port's solvers, kernels and probability estimates, and
 * linear_svm's Newton and coordinate descent solvers) in an engine thread before a user's first fit
 * needs it, as sgd-warm-up.ts does for the SGD family and for the same reason: a first fit on a fresh
 * thread ran interpreted code (BENCHMARKS.md, "svm, nu_svm and linear_svm: where the fit time goes").
 * Each step fits one variant on sgd-warm-up's small synthetic set through the same factories as a
 * user's fit and throws the model away: nothing but compiled code is shared (svm-warm-up.test.ts).
 */
import type { EngineFactory, Task } from './engine.js';
import { linearSvmFactory } from './linear-svm.js';
import { WARM_UP_COLS, WARM_UP_ROWS, warmUpSet } from './sgd-warm-up.js';
import { nuSvmFactory, svmFactory } from './svm.js';

/** Fits per variant: enough calls and loop iterations for TurboFan to pick the loops up. */
const ROUNDS = 2;

const VARIANTS: { factory: EngineFactory; task: Task; hyperparams: Record<string, unknown> }[] = [
  { factory: svmFactory, task: 'classification', hyperparams: {} },
  { factory: svmFactory, task: 'classification', hyperparams: { probability: true, random_state: 0 } },
  { factory: svmFactory, task: 'regression', hyperparams: {} },
  { factory: nuSvmFactory, task: 'classification', hyperparams: {} },
  { factory: nuSvmFactory, task: 'regression', hyperparams: {} },
  { factory: linearSvmFactory, task: 'classification', hyperparams: {} },
  { factory: linearSvmFactory, task: 'classification', hyperparams: { loss: 'hinge', random_state: 0 } },
  { factory: linearSvmFactory, task: 'regression', hyperparams: { random_state: 0 } },
  { factory: linearSvmFactory, task: 'regression', hyperparams: { loss: 'squared_epsilon_insensitive' } },
];

/** The warm-up as steps, one fit each, for idleWarmUp (sgd-warm-up.ts) to run while the thread is idle. */
export function svmWarmUpSteps(): (() => Promise<void>)[] {
  const steps: (() => Promise<void>)[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const { factory, task, hyperparams } of VARIANTS) {
      steps.push(async () => {
        const { x, y } = warmUpSet(task);
        const engine = factory.create();
        await engine.fit({ x, rows: WARM_UP_ROWS, cols: WARM_UP_COLS, y, yCols: 1 }, { task, hyperparams, ...(task === 'classification' ? { numClasses: 3 } : {}) });
        await engine.predict(x, WARM_UP_ROWS);
      });
    }
  }
  return steps;
}
