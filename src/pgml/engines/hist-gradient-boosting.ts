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
import { decodeModel, intParam, rangeParam, requireNumClasses, seedParam, seededRandom, shuffleInPlace } from './engine-support.js';
import { PgError, SqlState } from '../../errors/index.js';
import { boostingInputs, priorRawScores, RawScoreEngine, rawToProbabilities, type RawScoreState } from './raw-scores.js';
import { binData, binThresholds, growTree, predictHistTree, type HistTree } from './histogram-tree.js';

const ALGORITHM = 'hist_gradient_boosting';
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
    const random = seededRandom(seedParam(ALGORITHM, hp));
    const numClasses = task === 'classification' ? requireNumClasses(ALGORITHM, options) : 0;
    const outputs = numClasses > 2 ? numClasses : 1;
    const { rows, cols } = data;

    const { train, validation } = splitRows(y, rows, task, early?.fraction ?? 0, random);
    const thresholds = binThresholds(subset(data.x, cols, train), train.length, cols, maxBins, random);
    const binned = binData(data.x, rows, cols, thresholds);
    const baseline = priorRawScores(task, y, train, numClasses);
    const raw = new Float64Array(rows * outputs);
    for (let r = 0; r < rows; r++) raw.set(baseline, r * outputs);
    const gradients = new Float64Array(rows);
    const hessians = new Float64Array(rows);
    const prob = new Float64Array(rows * outputs);
    const trees: HistTree[] = [];
    const scores: number[] = early ? [-loss(task, y, raw, validation, outputs)] : [];

    for (let iteration = 0; iteration < maxIter; iteration++) {
      if (task === 'classification') rawToProbabilities(raw, rows, outputs, prob);
      for (let k = 0; k < outputs; k++) {
        for (const r of train) {
          if (task === 'regression') {
            gradients[r] = raw[r]! - y[r]!;
            hessians[r] = 1;
          } else {
            const p = prob[r * outputs + k]!;
            const target = outputs === 1 ? y[r]! : y[r] === k ? 1 : 0;
            gradients[r] = p - target;
            hessians[r] = p * (1 - p);
          }
        }
        const tree = growTree(binned, train, gradients, hessians, grow);
        for (let r = 0; r < rows; r++) raw[r * outputs + k]! += predictHistTree(tree, data.x, r * cols);
        trees.push(tree);
      }
      if (early) {
        scores.push(-loss(task, y, raw, validation, outputs));
        if (shouldStop(scores, early.patience, early.tol)) break;
      }
    }
    this.state = { task, cols, outputs, baseline: Array.from(baseline), trees };
  }

  protected rawScores(state: HistState, x: Float32Array, rows: number): Float64Array {
    return rawScores(state, x, rows);
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

/** Held-out rows for early stopping (stratified by class for classifiers, as train_test_split). */
function splitRows(y: Float32Array, rows: number, task: HistState['task'], fraction: number, random: () => number): { train: Int32Array; validation: Int32Array } {
  const all = Int32Array.from({ length: rows }, (_, i) => i);
  if (fraction === 0) return { train: all, validation: new Int32Array(0) };
  const groups = new Map<number, number[]>();
  for (let r = 0; r < rows; r++) {
    const key = task === 'classification' ? y[r]! : 0;
    const group = groups.get(key) ?? [];
    group.push(r);
    groups.set(key, group);
  }
  const train: number[] = [];
  const validation: number[] = [];
  for (const group of groups.values()) {
    shuffleInPlace(group, random);
    const held = Math.max(1, Math.round(group.length * fraction));
    validation.push(...group.slice(0, held));
    train.push(...group.slice(held));
  }
  return { train: Int32Array.from(train.sort((a, b) => a - b)), validation: Int32Array.from(validation) };
}

function subset(x: Float32Array, cols: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => out.set(x.subarray(r * cols, (r + 1) * cols), i * cols));
  return out;
}


/** Mean loss on the given rows: half squared error, or log loss. */
function loss(task: HistState['task'], y: Float32Array, raw: Float64Array, rows: Int32Array, outputs: number): number {
  let total = 0;
  for (const r of rows) {
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
  return total / Math.max(rows.length, 1);
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
