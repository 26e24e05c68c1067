/**
 * `hist_gradient_boosting`: scikit-learn's HistGradientBoostingRegressor / Classifier on the
 * histogram core (histogram-tree.ts), with sklearn's defaults: max_iter=100, learning_rate=0.1,
 * max_leaf_nodes=31, max_depth=None, min_samples_leaf=20, l2_regularization=0, max_bins=255, and
 * early_stopping='auto' (on above 10,000 rows: 10% held out, stratified for classifiers, stop when
 * the validation loss has not improved by tol in n_iter_no_change iterations). Losses: squared error
 * (gradient F-y, hessian 1), binary log loss, and multinomial log loss with one tree per class and
 * iteration. The raw score starts at the loss's intercept-only optimum (mean, log-odds, log shares).
 */
import type { Dataset, Engine, EngineFactory, FitOptions, Task } from './engine.js';
import { decodeModel, intParam, rangeParam, requireNumClasses, seedParam } from './engine-support.js';
import { PgError, SqlState } from '../../errors/index.js';
import { boostingInputs, priorRawScores, RawScoreEngine, rawToProbabilities, type RawScoreState } from './raw-scores.js';
import { BIN_SAMPLE, binData, binThresholds, trainingColumns } from './histogram-bins.js';
import { HeldOutRows } from './histogram-held-out.js';
import { HistTreeGrower, predictHistTree, type HistTree } from './histogram-tree.js';
import { NumpyRandomState, trainTestSplit } from './numpy-random.js';
import { enginePoolSize } from './pool.js';

const ALGORITHM = 'hist_gradient_boosting';
/**
 * Training rows × features × trees an iteration (one, or one per class) from which the histograms take
 * a second thread: starting it costs tens of milliseconds (a fresh thread loads its module), a fit this
 * size about a second (digits, 1,347 × 64 × 10 classes: the grower's thread's CPU −37% with the helper;
 * breast_cancer's 426 × 30, a tenth of a second, is left alone: the helper's start would be most of it).
 */
const THREADED_MIN_WORK = 300_000;
const FORMAT = 'pgml-proxy/hist_gradient_boosting';
const TASKS: readonly Task[] = ['regression', 'classification'];
const HYPERPARAMS = [
  'loss', 'learning_rate', 'max_iter', 'max_leaf_nodes', 'max_depth', 'min_samples_leaf', 'l2_regularization', 'max_bins',
  'early_stopping', 'validation_fraction', 'n_iter_no_change', 'tol', 'random_state',
] as const;

interface HistState extends RawScoreState {
  baseline: number[];
  /** iterations × outputs trees, iteration-major; leaf values already carry the learning rate. */
  trees: HistTree[];
}

class HistGradientBoostingEngine extends RawScoreEngine<HistState> {
  constructor(state?: HistState) {
    super(ALGORITHM, FORMAT, state);
  }

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    const { task, y } = boostingInputs(ALGORITHM, data, options, HYPERPARAMS, TASKS);
    const hp = options.hyperparams;
    const maxDepth = hp.max_depth === undefined || hp.max_depth === null ? Infinity : intParam(ALGORITHM, hp, 'max_depth', 1);
    const grow = {
      maxLeafNodes: intParam(ALGORITHM, hp, 'max_leaf_nodes', 31, 2),
      maxDepth,
      minSamplesLeaf: intParam(ALGORITHM, hp, 'min_samples_leaf', 20),
      l2: rangeParam(ALGORITHM, hp, 'l2_regularization', 0, { min: 0 }),
      shrinkage: rangeParam(ALGORITHM, hp, 'learning_rate', 0.1, { min: 0, exclusiveMin: true }),
    };
    const maxIter = intParam(ALGORITHM, hp, 'max_iter', 100);
    const maxBins = intParam(ALGORITHM, hp, 'max_bins', 255, 2);
    if (maxBins > 255) throw new PgError(SqlState.InvalidParameterValue, `hyperparameter max_bins for ${ALGORITHM} must be at most 255`);
    const early = earlyStopping(hp, data.rows);
    // fit's first draw from RandomState(random_state), randint(2^32 - 1, dtype='u8'), seeds the validation
    // split and the binning subsample.
    const randomSeed = new NumpyRandomState(seedParam(ALGORITHM, hp)).bounded(0xfffffffe);
    const numClasses = task === 'classification' ? requireNumClasses(ALGORITHM, options) : 0;
    const outputs = numClasses > 2 ? numClasses : 1;
    const { rows, cols } = data;

    const { train, validation } = splitRows(y, rows, task, early?.fraction ?? 0, randomSeed);
    const columns = trainingColumns(data.x, cols, train);
    const thresholds = binThresholds(columns, train.length, cols, maxBins, binSample(train.length, randomSeed));
    // A second thread takes features of each step (histogram, sibling, split finding), as sklearn's OpenMP threads do.
    const threaded = enginePoolSize() > 1 && train.length * cols * outputs >= THREADED_MIN_WORK;
    const grower = new HistTreeGrower(binData(columns, train.length, cols, thresholds), threaded);
    const heldOut = new HeldOutRows(data.x, cols, validation, thresholds);
    const baseline = priorRawScores(task, y, train, numClasses);
    // Raw scores and labels of the training rows by position (as the grower's bins and gradients) and of
    // the held-out rows apart, as sklearn's raw_predictions and raw_predictions_val: the gradient pass reads
    // both front to back, and a leaf's rows add their value without a lookup of their row.
    const trainY = gather(y, train);
    const validationY = gather(y, validation);
    const trainRaw = baselineScores(baseline, train.length);
    const validationRaw = baselineScores(baseline, validation.length);
    // float32, as sklearn's G_H_DTYPE: sums of equal gradients are then exact, so a pure node's splits
    // gain nothing (rounding noise in float64 gradients let such nodes split).
    const gradients = new Float32Array(train.length);
    const hessians = new Float32Array(train.length);
    const prob = new Float64Array(train.length * outputs);
    const trees: HistTree[] = [];
    const scores: number[] = early ? [-loss(task, validationY, validationRaw, outputs)] : [];

    if (threaded) await grower.startHelper();
    try {
      for (let iteration = 0; iteration < maxIter; iteration++) {
        if (outputs > 1) rawToProbabilities(trainRaw, train.length, outputs, prob);
        for (let k = 0; k < outputs; k++) {
          if (task === 'regression') squaredErrorGradients(trainY, trainRaw, gradients);
          else if (outputs === 1) for (let i = 0; i < train.length; i++) binomialGradient(trainY[i]!, trainRaw[i]!, gradients, hessians, i);
          else multinomialGradients(trainY, prob, outputs, k, gradients, hessians);
          const tree = grower.grow(gradients, task === 'regression' ? undefined : hessians, grow);
          // The training rows' scores from the leaves they ended in; the held-out rows walk the tree on their bins.
          grower.addLeafValues(trainRaw, outputs, k);
          heldOut.addTree(tree, grower.splitBins, validationRaw, outputs, k);
          trees.push(tree);
        }
        if (early) {
          scores.push(-loss(task, validationY, validationRaw, outputs));
          if (shouldStop(scores, early.patience, early.tol)) break;
        }
      }
    } finally {
      await grower.close();
    }
    this.state = { task, cols, outputs, baseline: Array.from(baseline), trees };
  }

  protected rawScores(state: HistState, x: Float32Array, rows: number): Float64Array {
    return rawScores(state, x, rows);
  }
}

/** The squared error's gradients F - y (its hessians are all 1, never written). */
function squaredErrorGradients(y: Float32Array, raw: Float64Array, gradients: Float32Array): void {
  for (let i = 0; i < gradients.length; i++) gradients[i] = raw[i]! - y[i]!;
}

/** Class k's gradients p - [y = k] and hessians p(1 - p), from the rows × outputs probabilities. */
function multinomialGradients(y: Float32Array, prob: Float64Array, outputs: number, k: number, gradients: Float32Array, hessians: Float32Array): void {
  for (let i = 0; i < gradients.length; i++) {
    const p = prob[i * outputs + k]!;
    gradients[i] = p - (y[i] === k ? 1 : 0);
    hessians[i] = p * (1 - p);
  }
}

function gather(values: Float32Array, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]!]!;
  return out;
}

/** rows × outputs raw scores, each row the baseline. */
function baselineScores(baseline: Float64Array, rows: number): Float64Array {
  const raw = new Float64Array(rows * baseline.length);
  for (let r = 0; r < rows; r++) raw.set(baseline, r * baseline.length);
  return raw;
}

/** sklearn's cgrad_hess_half_binomial: the log loss's gradient and hessian at a raw score, in its steps. */
function binomialGradient(target: number, raw: number, gradients: Float32Array, hessians: Float32Array, at: number): void {
  if (raw > -37) {
    const e = Math.exp(-raw);
    gradients[at] = (1 - target - target * e) / (1 + e);
    hessians[at] = e / (1 + e) ** 2;
  } else {
    const e = Math.exp(raw);
    gradients[at] = e - target;
    hessians[at] = e;
  }
}

/** early_stopping: 'auto' (on above 10,000 rows), true or false; sklearn's scoring='loss'. */
function earlyStopping(hp: Record<string, unknown>, rows: number): { fraction: number; patience: number; tol: number } | undefined {
  const value = hp.early_stopping ?? 'auto';
  if (value !== 'auto' && value !== true && value !== false && value !== 'true' && value !== 'false') {
    throw new PgError(SqlState.InvalidParameterValue, `hyperparameter early_stopping for ${ALGORITHM} must be 'auto', true or false, got ${JSON.stringify(value)}`);
  }
  const on = value === 'auto' ? rows > 10_000 : value === true || value === 'true';
  if (!on) return undefined;
  return {
    fraction: rangeParam(ALGORITHM, hp, 'validation_fraction', 0.1, { min: 0, max: 1, exclusiveMin: true }),
    patience: intParam(ALGORITHM, hp, 'n_iter_no_change', 10),
    tol: rangeParam(ALGORITHM, hp, 'tol', 1e-7, { min: 0 }),
  };
}

/** sklearn's _should_stop: no score of the last `patience` beats the one before them by more than tol. */
function shouldStop(scores: number[], patience: number, tol: number): boolean {
  if (scores.length <= patience) return false;
  const reference = scores[scores.length - patience - 1]! + tol;
  return !scores.slice(-patience).some((score) => score > reference);
}

/** Held-out rows for early stopping: sklearn's train_test_split for the same seed (stratified for classifiers). */
function splitRows(y: Float32Array, rows: number, task: HistState['task'], fraction: number, seed: number): { train: Int32Array; validation: Int32Array } {
  if (fraction === 0) return { train: Int32Array.from({ length: rows }, (_, i) => i), validation: new Int32Array(0) };
  const { train, test } = trainTestSplit(rows, fraction, seed, task === 'classification' ? y : undefined);
  return { train, validation: test };
}

/** _BinMapper's subsample above BIN_SAMPLE training rows: RandomState(seed).choice(rows, BIN_SAMPLE), with replacement. */
function binSample(rows: number, seed: number): Int32Array | null {
  if (rows <= BIN_SAMPLE) return null;
  const random = new NumpyRandomState(seed);
  return Int32Array.from({ length: BIN_SAMPLE }, () => random.bounded(rows - 1));
}

/** Mean loss of rows × outputs raw scores against their labels: half squared error, or log loss. */
function loss(task: HistState['task'], y: Float32Array, raw: Float64Array, outputs: number): number {
  const rows = y.length;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    if (task === 'regression') {
      total += 0.5 * (raw[r]! - y[r]!) ** 2;
    } else if (outputs === 1) {
      const p = 1 / (1 + Math.exp(-raw[r]!));
      total -= Math.log(Math.max(y[r] === 1 ? p : 1 - p, 1e-300));
    } else {
      let max = -Infinity;
      for (let k = 0; k < outputs; k++) max = Math.max(max, raw[r * outputs + k]!);
      let sum = 0;
      for (let k = 0; k < outputs; k++) sum += Math.exp(raw[r * outputs + k]! - max);
      total -= raw[r * outputs + y[r]!]! - max - Math.log(sum);
    }
  }
  return total / Math.max(rows, 1);
}

function rawScores(state: HistState, x: Float32Array, rows: number): Float64Array {
  const { outputs, cols, baseline, trees } = state;
  const raw = new Float64Array(rows * outputs);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < outputs; k++) raw[r * outputs + k] = baseline[k]!;
    for (let t = 0; t < trees.length; t++) raw[r * outputs + (t % outputs)]! += predictHistTree(trees[t]!, x, r * cols);
  }
  return raw;
}

export const histGradientBoostingFactory: EngineFactory = {
  algorithm: ALGORITHM,
  tasks: TASKS,
  hyperparams: HYPERPARAMS,
  create: () => new HistGradientBoostingEngine(),
  async deserialize(bytes: Uint8Array): Promise<Engine> {
    return new HistGradientBoostingEngine(decodeModel<HistState>(FORMAT, bytes));
  },
};
