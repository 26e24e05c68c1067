/**
 * `ada_boost`: scikit-learn's AdaBoostClassifier (SAMME, the only algorithm since 1.6, over
 * depth-1 trees) and AdaBoostRegressor (AdaBoost.R2 over depth-3 trees, bootstrap samples drawn
 * with the sample weights, weighted-median prediction), with sklearn's defaults n_estimators=50,
 * learning_rate=1.0, loss='linear', and its stopping rules: a perfect estimator ends the fit, one
 * worse than chance is dropped and ends it.
 */
import { checkHyperparamNames, type Dataset, type Engine, type EngineFactory, type FitOptions, type Task } from './engine.js';
import {
  argmaxRows, checkPredictShape, choiceParam, decodeModel, encodeModel, intParam, notFitted, rangeParam, requireFinite,
  requireLabels, requireNumClasses, requireTask, seedParam, seededRandom,
} from './engine-support.js';
import { PgError, SqlState } from '../../errors/index.js';
import { columnMajor, fitTree, leafOf, presortFeatures, type Tree } from './tree.js';

const ALGORITHM = 'ada_boost';
const FORMAT = 'pgml-proxy/ada_boost';
const TASKS: readonly Task[] = ['regression', 'classification'];
const HYPERPARAMS = ['n_estimators', 'learning_rate', 'loss', 'random_state'] as const;
const LOSSES = ['linear', 'square', 'exponential'] as const;

interface AdaState {
  task: 'regression' | 'classification';
  cols: number;
  numClasses: number;
  trees: Tree[];
  weights: number[];
}

class AdaBoostEngine implements Engine {
  readonly algorithm = ALGORITHM;
  readonly runtime = 'js' as const;

  constructor(private state?: AdaState) {}

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    checkHyperparamNames(ALGORITHM, options.hyperparams, HYPERPARAMS);
    const task = requireTask(ALGORITHM, options, TASKS) as AdaState['task'];
    requireFinite(ALGORITHM, data.x);
    const y = requireLabels(ALGORITHM, data);
    const hp = options.hyperparams;
    const rounds = intParam(ALGORITHM, hp, 'n_estimators', 50);
    const rate = rangeParam(ALGORITHM, hp, 'learning_rate', 1.0, { min: 0, exclusiveMin: true });
    const random = seededRandom(seedParam(ALGORITHM, hp));
    // Both computed once for all the rounds' stumps.
    const sorted: Sorted = { presorted: presortFeatures(data.x, data.rows, data.cols), columns: columnMajor(data.x, data.rows, data.cols) };
    if (task === 'classification') {
      if (hp.loss !== undefined) throw new PgError(SqlState.InvalidParameterValue, `hyperparameter loss for ${ALGORITHM} applies to regression only`);
      const k = requireNumClasses(ALGORITHM, options);
      this.state = { task, cols: data.cols, numClasses: k, ...samme(data, y, k, rounds, rate, sorted, random) };
    } else {
      const loss = choiceParam(ALGORITHM, hp, 'loss', 'linear', LOSSES);
      this.state = { task, cols: data.cols, numClasses: 0, ...adaBoostR2(data, y, rounds, rate, loss, sorted, random) };
    }
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted(x, rows);
    if (state.task === 'regression') return weightedMedian(state, x, rows);
    return argmaxRows(decision(state, x, rows), rows, state.numClasses);
  }

  /** sklearn's _compute_proba_from_decision: softmax of the decision, halved (binary) or over K-1. */
  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted(x, rows);
    if (state.task !== 'classification') {
      throw new PgError(SqlState.FeatureNotSupported, `${ALGORITHM} regression does not produce probabilities`);
    }
    const k = state.numClasses;
    const d = decision(state, x, rows);
    const out = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, d[r * k + c]! / (k - 1));
      let sum = 0;
      const e = new Float64Array(k);
      for (let c = 0; c < k; c++) sum += e[c] = Math.exp(d[r * k + c]! / (k - 1) - max);
      for (let c = 0; c < k; c++) out[r * k + c] = e[c]! / sum;
    }
    return out;
  }

  async serialize(): Promise<Uint8Array> {
    if (!this.state) throw notFitted(ALGORITHM);
    return encodeModel(FORMAT, this.state);
  }

  private fitted(x: Float32Array, rows: number): AdaState {
    if (!this.state) throw notFitted(ALGORITHM);
    checkPredictShape(ALGORITHM, x, rows, this.state.cols);
    return this.state;
  }
}

/** Class a classification tree predicts for row offset: the argmax of its leaf's class shares. */
function treeClass(tree: Tree, x: Float32Array, offset: number): number {
  const k = tree.outputs;
  const leaf = leafOf(tree, x, offset);
  let best = 0;
  for (let c = 1; c < k; c++) if (tree.value[leaf * k + c]! > tree.value[leaf * k + best]!) best = c;
  return best;
}

type Sorted = { presorted: Int32Array; columns: Float32Array };

function samme(data: Dataset, y: Float32Array, k: number, rounds: number, rate: number, sorted: Sorted, random: () => number): { trees: Tree[]; weights: number[] } {
  const { x, rows, cols } = data;
  const targets = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) targets[r * k + y[r]!] = 1;
  const sampleWeight = new Float64Array(rows).fill(1 / rows);
  const trees: Tree[] = [];
  const weights: number[] = [];
  for (let m = 0; m < rounds; m++) {
    const tree = fitTree({ x, rows, cols, targets, outputs: k, weights: sampleWeight, ...sorted }, stump(cols, 1, random));
    const wrong = new Uint8Array(rows);
    let error = 0;
    for (let r = 0; r < rows; r++) {
      wrong[r] = treeClass(tree, x, r * cols) === y[r] ? 0 : 1;
      error += sampleWeight[r]! * wrong[r]!;
    }
    if (error <= 0) {
      trees.push(tree);
      weights.push(1);
      break;
    }
    if (error >= 1 - 1 / k) {
      if (trees.length === 0) {
        throw new PgError(SqlState.InvalidParameterValue, 'ada_boost: the first estimator is worse than random; the ensemble cannot be fit');
      }
      break;
    }
    const alpha = rate * (Math.log((1 - error) / error) + Math.log(k - 1));
    trees.push(tree);
    weights.push(alpha);
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += sampleWeight[r] = sampleWeight[r]! * Math.exp(alpha * wrong[r]!);
    if (!(sum > 0)) break;
    for (let r = 0; r < rows; r++) sampleWeight[r]! /= sum;
  }
  return { trees, weights };
}

/** Σ_m α_m · (1 for the predicted class, -1/(K-1) otherwise) / Σ α, rows × K. */
function decision(state: AdaState, x: Float32Array, rows: number): Float64Array {
  const k = state.numClasses;
  const total = state.weights.reduce((a, b) => a + b, 0);
  const out = new Float64Array(rows * k);
  state.trees.forEach((tree, m) => {
    const w = state.weights[m]! / total;
    for (let r = 0; r < rows; r++) {
      const predicted = treeClass(tree, x, r * state.cols);
      for (let c = 0; c < k; c++) out[r * k + c]! += c === predicted ? w : -w / (k - 1);
    }
  });
  return out;
}

function adaBoostR2(
  data: Dataset, y: Float32Array, rounds: number, rate: number, loss: (typeof LOSSES)[number], sorted: Sorted, random: () => number,
): { trees: Tree[]; weights: number[] } {
  const { x, rows, cols } = data;
  const targets = Float64Array.from(y);
  const sampleWeight = new Float64Array(rows).fill(1 / rows);
  const counts = new Float64Array(rows);
  const trees: Tree[] = [];
  const weights: number[] = [];
  for (let m = 0; m < rounds; m++) {
    drawWithWeights(sampleWeight, counts, random);
    const tree = fitTree({ x, rows, cols, targets, outputs: 1, weights: counts, ...sorted }, stump(cols, 3, random));
    const errors = Float64Array.from({ length: rows }, (_, r) => Math.abs(tree.value[leafOf(tree, x, r * cols)]! - y[r]!));
    const maxError = errors.reduce((a, b) => Math.max(a, b), 0);
    let error = 0;
    for (let r = 0; r < rows; r++) {
      const e = maxError > 0 ? errors[r]! / maxError : 0;
      errors[r] = loss === 'linear' ? e : loss === 'square' ? e * e : 1 - Math.exp(-e);
      error += sampleWeight[r]! * errors[r]!;
    }
    if (error <= 0) {
      trees.push(tree);
      weights.push(1);
      break;
    }
    // Worse than chance: sklearn drops the estimator (keeping the first one) and stops.
    if (error >= 0.5) {
      if (trees.length === 0) {
        trees.push(tree);
        weights.push(1);
      }
      break;
    }
    const beta = error / (1 - error);
    trees.push(tree);
    weights.push(rate * Math.log(1 / beta));
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += sampleWeight[r] = sampleWeight[r]! * beta ** ((1 - errors[r]!) * rate);
    if (!(sum > 0)) break;
    for (let r = 0; r < rows; r++) sampleWeight[r]! /= sum;
  }
  return { trees, weights };
}

/** rows draws with replacement, P(row) = its weight (numpy's choice(p=...)), as counts per row. */
function drawWithWeights(p: Float64Array, counts: Float64Array, random: () => number): void {
  const cdf = new Float64Array(p.length);
  let acc = 0;
  for (let i = 0; i < p.length; i++) cdf[i] = acc += p[i]!;
  counts.fill(0);
  for (let d = 0; d < p.length; d++) {
    const u = random() * acc;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]! += 1;
  }
}

/** The prediction whose estimator weights reach half the total, trees ordered by prediction. */
function weightedMedian(state: AdaState, x: Float32Array, rows: number): Float32Array {
  const out = new Float32Array(rows);
  const m = state.trees.length;
  const total = state.weights.reduce((a, b) => a + b, 0);
  const predictions = new Float64Array(m);
  const order = Array.from({ length: m }, (_, i) => i);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < m; t++) predictions[t] = state.trees[t]!.value[leafOf(state.trees[t]!, x, r * state.cols)]!;
    order.sort((a, b) => predictions[a]! - predictions[b]! || a - b);
    let cdf = 0;
    let chosen = order[m - 1]!;
    for (const t of order) {
      cdf += state.weights[t]!;
      if (cdf >= 0.5 * total) {
        chosen = t;
        break;
      }
    }
    out[r] = predictions[chosen]!;
  }
  return out;
}

/** sklearn's default base estimators: DecisionTreeClassifier(max_depth=1), DecisionTreeRegressor(max_depth=3). */
function stump(cols: number, maxDepth: number, random: () => number) {
  return { maxDepth, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: cols, random };
}

export const adaBoostFactory: EngineFactory = {
  algorithm: ALGORITHM,
  tasks: TASKS,
  hyperparams: HYPERPARAMS,
  create: () => new AdaBoostEngine(),
  async deserialize(bytes: Uint8Array): Promise<Engine> {
    return new AdaBoostEngine(decodeModel<AdaState>(FORMAT, bytes));
  },
};
