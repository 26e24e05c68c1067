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
import { shuffleRows, shuffleSeeds } from './sgd-shuffle.js';

const CLASSIFIER_LOSSES = ['hinge', 'log_loss', 'modified_huber', 'squared_hinge', 'perceptron'] as const;
const REGRESSOR_LOSSES = ['squared_error', 'huber', 'epsilon_insensitive', 'squared_epsilon_insensitive'] as const;
const RATES = ['optimal', 'constant', 'invscaling'] as const;
const PENALTIES = ['l2', 'l1', 'elasticnet', 'none'] as const;
const MAX_DLOSS = 1e12;

type LossName = (typeof CLASSIFIER_LOSSES)[number] | (typeof REGRESSOR_LOSSES)[number];

/*
 * sklearn's loss functions (_sgd_fast.pyx), p the prediction and y the target. One switch rather
 * than an object of closures per loss: a call site that has seen several closures (an engine thread
 * fits many losses, and warm-up.ts fits them all) is megamorphic and never inlined, while this
 * stays one small function the optimizing compiler inlines into the row loop.
 */
function lossValue(loss: LossName, epsilon: number, p: number, y: number): number {
  switch (loss) {
    case 'hinge':
      return Math.max(0, 1 - p * y);
    case 'perceptron':
      return Math.max(0, -p * y);
    case 'squared_hinge':
      return Math.max(0, 1 - p * y) ** 2;
    case 'log_loss': {
      const z = p * y;
      return z > 18 ? Math.exp(-z) : z < -18 ? -z : Math.log1p(Math.exp(-z));
    }
    case 'modified_huber': {
      const z = p * y;
      return z >= 1 ? 0 : z >= -1 ? (1 - z) ** 2 : -4 * z;
    }
    case 'squared_error':
      return 0.5 * (p - y) ** 2;
    case 'huber': {
      const r = Math.abs(p - y);
      return r <= epsilon ? 0.5 * r * r : epsilon * r - 0.5 * epsilon * epsilon;
    }
    case 'epsilon_insensitive':
      return Math.max(0, Math.abs(y - p) - epsilon);
    case 'squared_epsilon_insensitive':
      return Math.max(0, Math.abs(y - p) - epsilon) ** 2;
  }
}

/** The loss's derivative with respect to p, as sklearn's dloss. */
function lossDerivative(loss: LossName, epsilon: number, p: number, y: number): number {
  switch (loss) {
    case 'hinge':
      return p * y < 1 ? -y : 0;
    case 'perceptron':
      return p * y <= 0 ? -y : 0;
    case 'squared_hinge':
      return 1 - p * y > 0 ? -2 * y * (1 - p * y) : 0;
    case 'log_loss': {
      const z = p * y;
      return z > 18 ? -y * Math.exp(-z) : z < -18 ? -y : -y / (Math.exp(z) + 1);
    }
    case 'modified_huber': {
      const z = p * y;
      return z >= 1 ? 0 : z >= -1 ? -2 * (1 - z) * y : -4 * y;
    }
    case 'squared_error':
      return p - y;
    case 'huber':
      return Math.max(-epsilon, Math.min(epsilon, p - y));
    case 'epsilon_insensitive':
      return y - p > epsilon ? -1 : p - y > epsilon ? 1 : 0;
    case 'squared_epsilon_insensitive':
      return y - p > epsilon ? -2 * (y - p - epsilon) : p - y > epsilon ? 2 * (p - y - epsilon) : 0;
  }
}

interface Settings {
  loss: LossName;
  /** huber's and the epsilon-insensitive losses' epsilon. */
  epsilon: number;
  /** 'pa1' is the passive-aggressive step min(C, loss / |x|²). */
  rate: (typeof RATES)[number] | 'pa1';
  alpha: number;
  l1Ratio: number;
  penalty: (typeof PENALTIES)[number];
  eta0: number;
  powerT: number;
  C: number;
  /** Multiplies the PA step's sign for hinge (by y) or for regression (by sign of y - p). */
  hinge: boolean;
  fitIntercept: boolean;
  maxIter: number;
  tol: number;
  patience: number;
  shuffle: boolean;
}

/**
 * One binary (y in ±1) or regression problem: weights then intercept. The per-row loop is the whole
 * cost of a fit, so settings are read into locals once and every pass over a row is a plain loop. Only
 * work whose result is never read is skipped: every operation that reaches the weights or the stopping
 * rule is done in the same order, so the model is scikit-learn's (the exact-equality tests in
 * sgd.test.ts guard this).
 */
function plainSgd(x: Float32Array, rows: number, cols: number, y: Float64Array, s: Settings, seed: number): Float64Array {
  const { loss, epsilon, alpha, eta0, powerT, C, hinge, fitIntercept, maxIter, tol, patience, shuffle } = s;
  const optimal = s.rate === 'optimal';
  const invscaling = s.rate === 'invscaling';
  const passiveAggressive = s.rate === 'pa1';
  const w = new Float64Array(cols);
  let intercept = 0;
  let scale = 1;
  let t = 1;
  let optimalInit = 0;
  if (optimal) {
    const typw = Math.sqrt(1 / Math.sqrt(alpha));
    const eta0 = typw / Math.max(1, lossDerivative(loss, epsilon, -typw, 1));
    optimalInit = 1 / (eta0 * alpha);
  }
  // Cumulative L1 penalty (Tsuruoka et al.'s truncated gradient), as sklearn's u and q.
  let u = 0;
  const q = s.penalty === 'l1' || s.penalty === 'elasticnet' ? new Float64Array(cols) : undefined;
  const l1Ratio = s.penalty === 'l2' ? 0 : s.penalty === 'l1' ? 1 : s.l1Ratio;
  const shrinks = s.penalty === 'l2' || s.penalty === 'elasticnet';
  // sklearn's stopping rule watches the objective, loss plus penalty (PA: the loss alone). Its
  // WeightVector keeps ‖w‖² and ‖w‖₁ up to date on add and scale only (not after the L1 truncation):
  // so do these, so that the same epoch stops. Unpenalized, neither is read; with l1_ratio 0 the L1
  // norm only ever adds 0 · ‖w‖₁ = 0 (or a NaN where ‖w‖² is already infinite), so it is not kept.
  const penalized = s.penalty !== 'none' && !passiveAggressive;
  const keepsL1 = penalized && l1Ratio !== 0;
  let sqNorm = 0;
  let l1Norm = 0;
  // PA's step divides by |x|², the same for a row every epoch: computed once, in sklearn's order.
  const rowSqNorms = passiveAggressive ? new Float64Array(rows) : undefined;
  if (rowSqNorms) {
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      let norm = 0;
      for (let c = 0; c < cols; c++) norm += x[off + c]! ** 2;
      rowSqNorms[r] = norm;
    }
  }
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  let best = Infinity;
  let stale = 0;
  for (let epoch = 0; epoch < maxIter; epoch++) {
    if (shuffle) shuffleRows(order, seed);
    let sumObjective = 0;
    for (let i = 0; i < rows; i++) {
      const r = order[i]!;
      const off = r * cols;
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += w[c]! * x[off + c]!;
      const p = dot * scale + intercept;
      const target = y[r]!;
      const eta = optimal ? 1 / (alpha * (optimalInit + t - 1)) : invscaling ? eta0 / t ** powerT : eta0;
      sumObjective += lossValue(loss, epsilon, p, target);
      if (penalized) sumObjective += alpha * ((1 - l1Ratio) * 0.5 * Math.sqrt(sqNorm) ** 2 + l1Ratio * l1Norm);
      let update: number;
      if (rowSqNorms) {
        const norm = rowSqNorms[r]!;
        if (norm === 0) continue;
        update = Math.min(C, lossValue(loss, epsilon, p, target) / norm);
        update *= hinge ? target : target - p < 0 ? -1 : 1;
      } else {
        update = -eta * Math.max(-MAX_DLOSS, Math.min(MAX_DLOSS, lossDerivative(loss, epsilon, p, target)));
      }
      if (shrinks) {
        const factor = Math.max(0, 1 - (1 - l1Ratio) * eta * alpha);
        scale *= factor;
        sqNorm *= factor * factor;
        l1Norm *= factor;
      }
      if (scale < 1e-9) {
        for (let c = 0; c < cols; c++) w[c]! *= scale;
        scale = 1;
      }
      if (update !== 0) {
        const step = update / scale;
        if (keepsL1) {
          let sq = 0;
          let abs = 0;
          for (let c = 0; c < cols; c++) {
            const v = (w[c]! += x[off + c]! * step);
            sq += v * v;
            abs += Math.abs(v);
          }
          sqNorm = sq * (scale * scale);
          l1Norm = abs * scale;
        } else if (penalized) {
          let sq = 0;
          for (let c = 0; c < cols; c++) {
            const v = (w[c]! += x[off + c]! * step);
            sq += v * v;
          }
          sqNorm = sq * (scale * scale);
        } else {
          for (let c = 0; c < cols; c++) w[c]! += x[off + c]! * step;
        }
        if (fitIntercept) intercept += update;
      }
      if (q) {
        u += l1Ratio * eta * alpha;
        for (let c = 0; c < cols; c++) {
          const z = w[c]!;
          if (scale * z > 0) w[c] = Math.max(0, z - (u + q[c]!) / scale);
          else if (scale * z < 0) w[c] = Math.min(0, z + (u - q[c]!) / scale);
          q[c]! += scale * (w[c]! - z);
        }
      }
      t++;
    }
    if (!Number.isFinite(sumObjective) || !Number.isFinite(intercept)) {
      throw new PgError(SqlState.NumericValueOutOfRange, 'stochastic gradient descent diverged (floating-point overflow)', {
        hint: 'scale the features (preprocess => \'{"column": {"scale": "standard"}}\') or lower eta0/alpha',
      });
    }
    const objective = sumObjective / rows;
    if (objective > best - tol) stale++;
    else stale = 0;
    if (objective < best) best = objective;
    if (stale >= patience) break;
  }
  const out = new Float64Array(cols + 1);
  for (let c = 0; c < cols; c++) out[c] = w[c]! * scale;
  out[cols] = intercept;
  return out;
}

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
    const coef: number[][] = [];
    for (let k = 0; k < problems; k++) {
      const positive = numClasses > 2 ? k : 1;
      const target = task === 'regression' ? Float64Array.from(y) : Float64Array.from(y, (v) => (v === positive ? 1 : -1));
      coef.push(Array.from(plainSgd(x, rows, cols, target, settings, seeds[k]!)));
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
