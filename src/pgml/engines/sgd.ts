/**
 * scikit-learn's plain SGD family (linear_model/_sgd_fast.pyx _plain_sgd), one linear model per
 * class one-vs-all for classification, as sklearn:
 * - `stochastic_gradient_descent`: SGDClassifier (hinge, 'optimal' rate) / SGDRegressor
 *   (squared_error, 'invscaling' rate, eta0=0.01, power_t=0.25); penalty l2, alpha=1e-4;
 * - `perceptron`: Perceptron = SGD with the perceptron loss, no penalty, constant rate 1;
 * - `passive_aggressive`: PassiveAggressiveClassifier (hinge) / Regressor (epsilon_insensitive), PA-I with C=1.
 * Each epoch visits the rows in scikit-learn's shuffle (its xorshift, seeded from numpy's RandomState
 * as sklearn seeds it, so a random_state gives sklearn's row order and model); training stops after
 * n_iter_no_change epochs whose mean objective (loss plus penalty) does not beat the best by tol
 * (max_iter=1000, tol=1e-3, n_iter_no_change=5).
 */
import { checkHyperparamNames, numberParam, type Dataset, type Engine, type EngineFactory, type FitOptions, type Task } from './engine.js';
import {
  boolParam, checkPredictShape, choiceParam, decodeModel, encodeModel, intParam, notFitted, rangeParam, requireFinite,
  requireLabels, requireNumClasses, requireTask, seedParam,
} from './engine-support.js';
import { PgError, SqlState } from '../../errors/index.js';
import { rawToClasses } from './raw-scores.js';
import { PENALTIES, RATES, kernelRowsFor, plainSgd, type Settings } from './sgd-epochs.js';
import { CLASSIFIER_LOSSES, REGRESSOR_LOSSES } from './sgd-losses.js';
import { sparseRows } from './sgd-rows.js';
import { shuffleSeeds } from './sgd-shuffle.js';

interface LinearState {
  task: 'regression' | 'classification';
  cols: number;
  numClasses: number;
  loss: string;
  /** One (cols + 1) row per binary problem: 1 for regression and binary, K for K > 2 classes. */
  coef: number[][];
}

interface Variant {
  algorithm: string;
  tasks: readonly Task[];
  hyperparams: readonly string[];
  settings(hp: Record<string, unknown>, task: Task): Settings;
}

class SgdEngine implements Engine {
  readonly runtime = 'js' as const;

  constructor(private readonly variant: Variant, private state?: LinearState) {}

  get algorithm(): string {
    return this.variant.algorithm;
  }

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    const { algorithm } = this.variant;
    checkHyperparamNames(algorithm, options.hyperparams, this.variant.hyperparams);
    const task = requireTask(algorithm, options, this.variant.tasks) as LinearState['task'];
    requireFinite(algorithm, data.x);
    const y = requireLabels(algorithm, data);
    const settings = this.variant.settings(options.hyperparams, task);
    const { x, rows, cols } = data;
    const numClasses = task === 'classification' ? requireNumClasses(algorithm, options) : 0;
    const problems = numClasses > 2 ? numClasses : 1;
    const seeds = shuffleSeeds(seedParam(algorithm, options.hyperparams), task, numClasses);
    // Once for every problem of a one-vs-all fit.
    const sparse = sparseRows(x, rows, cols);
    // The rows copied into the WebAssembly kernel once, for every problem (or undefined: the JavaScript loops).
    const kernel = kernelRowsFor(x, rows, cols, settings, sparse) ?? false;
    const coef: number[][] = [];
    for (let k = 0; k < problems; k++) {
      const positive = numClasses > 2 ? k : 1;
      const target = task === 'regression' ? Float64Array.from(y) : binaryTargets(y, positive);
      coef.push(Array.from(plainSgd(x, rows, cols, target, settings, seeds[k]!, sparse, kernel)));
    }
    this.state = { task, cols, numClasses, loss: settings.loss, coef };
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted(x, rows);
    const scores = decision(state, x, rows);
    return state.task === 'regression' ? Float32Array.from(scores) : rawToClasses(scores, rows, state.coef.length);
  }

  /** Only log_loss has a probability model (sklearn's predict_proba): sigmoid per class, normalised over classes. */
  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted(x, rows);
    if (state.task !== 'classification' || state.loss !== 'log_loss') {
      throw new PgError(SqlState.FeatureNotSupported, `${this.algorithm} gives probabilities only for classification with loss 'log_loss'`, {
        hint: 'train it with hyperparams => \'{"loss": "log_loss"}\'',
      });
    }
    const scores = decision(state, x, rows);
    const k = state.coef.length;
    const out = new Float32Array(rows * state.numClasses);
    for (let r = 0; r < rows; r++) {
      if (k === 1) {
        const p = 1 / (1 + Math.exp(-scores[r]!));
        out[2 * r] = 1 - p;
        out[2 * r + 1] = p;
        continue;
      }
      let sum = 0;
      for (let c = 0; c < k; c++) sum += 1 / (1 + Math.exp(-scores[r * k + c]!));
      for (let c = 0; c < k; c++) out[r * k + c] = sum > 0 ? 1 / (1 + Math.exp(-scores[r * k + c]!)) / sum : 1 / k;
    }
    return out;
  }

  async serialize(): Promise<Uint8Array> {
    if (!this.state) throw notFitted(this.algorithm);
    return encodeModel(`pgml-proxy/${this.algorithm}`, this.state);
  }

  private fitted(x: Float32Array, rows: number): LinearState {
    if (!this.state) throw notFitted(this.algorithm);
    checkPredictShape(this.algorithm, x, rows, this.state.cols);
    return this.state;
  }
}

/**
 * One binary problem's targets: 1 for the positive class, -1 for the rest. A plain loop: Float64Array.from with a
 * callback took 130 ns a row in a user's first fit through the proxy (0.18 ms a digits problem, 1.9 ms a fit of
 * 10; BENCHMARKS.md, sgd6).
 */
function binaryTargets(y: Float32Array, positive: number): Float64Array {
  const target = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) target[i] = y[i] === positive ? 1 : -1;
  return target;
}

/** rows × problems scores w·x + b. */
function decision(state: LinearState, x: Float32Array, rows: number): Float64Array {
  const { cols, coef } = state;
  const k = coef.length;
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) {
      const w = coef[j]!;
      let s = w[cols]!;
      for (let c = 0; c < cols; c++) s += w[c]! * x[r * cols + c]!;
      out[r * k + j] = s;
    }
  }
  return out;
}

/** max_iter, tol, n_iter_no_change, shuffle, fit_intercept: shared by every SGD-family estimator. */
function common(algorithm: string, hp: Record<string, unknown>): Pick<Settings, 'maxIter' | 'tol' | 'patience' | 'shuffle' | 'fitIntercept'> {
  const tol = hp.tol === null ? -Infinity : rangeParam(algorithm, hp, 'tol', 1e-3, { min: 0 });
  return {
    maxIter: intParam(algorithm, hp, 'max_iter', 1000),
    tol,
    patience: intParam(algorithm, hp, 'n_iter_no_change', 5),
    shuffle: boolParam(algorithm, hp, 'shuffle', true),
    fitIntercept: boolParam(algorithm, hp, 'fit_intercept', true),
  };
}

const COMMON = ['max_iter', 'tol', 'n_iter_no_change', 'shuffle', 'fit_intercept', 'random_state'];

function factory(variant: Variant): EngineFactory {
  return {
    algorithm: variant.algorithm,
    tasks: variant.tasks,
    hyperparams: variant.hyperparams,
    create: () => new SgdEngine(variant),
    async deserialize(bytes: Uint8Array): Promise<Engine> {
      return new SgdEngine(variant, decodeModel<LinearState>(`pgml-proxy/${variant.algorithm}`, bytes));
    },
  };
}

export const sgdFactory = factory({
  algorithm: 'stochastic_gradient_descent',
  tasks: ['regression', 'classification'],
  hyperparams: [...COMMON, 'loss', 'penalty', 'alpha', 'l1_ratio', 'epsilon', 'learning_rate', 'eta0', 'power_t'],
  settings(hp, task) {
    const a = 'stochastic_gradient_descent';
    const classification = task === 'classification';
    const loss = classification ? choiceParam(a, hp, 'loss', 'hinge', CLASSIFIER_LOSSES) : choiceParam(a, hp, 'loss', 'squared_error', REGRESSOR_LOSSES);
    const rate = choiceParam(a, hp, 'learning_rate', classification ? 'optimal' : 'invscaling', RATES);
    const eta0 = rangeParam(a, hp, 'eta0', classification ? 0 : 0.01, { min: 0 });
    if (rate !== 'optimal' && !(eta0 > 0)) {
      throw new PgError(SqlState.InvalidParameterValue, `hyperparameter eta0 for ${a} must be > 0 with learning_rate '${rate}'`);
    }
    return {
      ...common(a, hp),
      loss,
      epsilon: rangeParam(a, hp, 'epsilon', 0.1, { min: 0 }),
      rate,
      alpha: rangeParam(a, hp, 'alpha', 1e-4, { min: 0, exclusiveMin: rate === 'optimal' }),
      l1Ratio: rangeParam(a, hp, 'l1_ratio', 0.15, { min: 0, max: 1 }),
      penalty: choiceParam(a, hp, 'penalty', 'l2', PENALTIES),
      eta0,
      powerT: numberParam(a, hp, 'power_t', classification ? 0.5 : 0.25),
      C: 1,
      hinge: false,
    };
  },
});

export const perceptronFactory = factory({
  algorithm: 'perceptron',
  tasks: ['classification'],
  hyperparams: [...COMMON, 'penalty', 'alpha', 'l1_ratio', 'eta0'],
  settings(hp) {
    const a = 'perceptron';
    return {
      ...common(a, hp),
      loss: 'perceptron',
      epsilon: 0,
      rate: 'constant',
      alpha: rangeParam(a, hp, 'alpha', 1e-4, { min: 0 }),
      l1Ratio: rangeParam(a, hp, 'l1_ratio', 0.15, { min: 0, max: 1 }),
      penalty: choiceParam(a, hp, 'penalty', 'none', PENALTIES),
      eta0: rangeParam(a, hp, 'eta0', 1, { min: 0, exclusiveMin: true }),
      powerT: 0.5,
      C: 1,
      hinge: false,
    };
  },
});

export const passiveAggressiveFactory = factory({
  algorithm: 'passive_aggressive',
  tasks: ['regression', 'classification'],
  hyperparams: [...COMMON, 'C', 'epsilon'],
  settings(hp, task) {
    const a = 'passive_aggressive';
    const classification = task === 'classification';
    const loss = classification ? 'hinge' : 'epsilon_insensitive';
    return {
      ...common(a, hp),
      loss,
      epsilon: rangeParam(a, hp, 'epsilon', 0.1, { min: 0 }),
      rate: 'pa1',
      alpha: 1,
      l1Ratio: 0,
      penalty: 'none',
      eta0: 1,
      powerT: 0.5,
      C: rangeParam(a, hp, 'C', 1, { min: 0, exclusiveMin: true }),
      hinge: classification,
    };
  },
});
