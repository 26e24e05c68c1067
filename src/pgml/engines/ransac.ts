/**
 * `ransac`: scikit-learn's RANSACRegressor around its default estimator, LinearRegression. Each trial
 * fits min_samples random rows (default n_features + 1), counts the rows whose loss is within
 * residual_threshold (default: the median absolute deviation of y), and keeps the consensus set with
 * the most inliers (ties: the better r2 on them); the number of trials shrinks as sklearn's
 * _dynamic_max_trials allows for stop_probability. The model is the least-squares fit on the best
 * inliers. Joint targets as sklearn (the loss sums over the outputs). The subsets are numpy's for the
 * same random_state (numpy-random.ts), so a seeded fit picks scikit-learn's consensus set.
 */
import { PgError, SqlState } from '../../errors/index.js';
import { choiceParam, intParam, rangeParam, seedParam } from './engine-support.js';
import { linearRegressorFactory, type RegressionRows } from './linear-regressor.js';
import { weightsTimesRowsFloat32 } from './blas.js';
import { leastSquares, type LinearCoefficients } from './linear-solvers.js';
import { NumpyRandomState, sampleWithoutReplacement } from './numpy-random.js';

const ALGORITHM = 'ransac';
const EPSILON = 2.220446049250313e-16;

/**
 * np.median: the middle value, or the mean of the two middle ones for an even count, by selection on a
 * copy (a sort of 75,000 values took 6 ms, twice for the default threshold). With a NaN the sorted
 * copy's middle, as before.
 */
function median(values: Float64Array): number {
  const a = Float64Array.from(values);
  const n = a.length;
  const mid = n >> 1;
  if (a.some(Number.isNaN)) {
    a.sort();
    return n % 2 ? a[mid]! : (a[mid - 1]! + a[mid]!) / 2;
  }
  const upper = select(a, mid);
  if (n % 2) return upper;
  // After the selection every value left of `mid` is at most a[mid]: the lower middle is their largest.
  let lower = a[0]!;
  for (let i = 1; i < mid; i++) if (a[i]! > lower) lower = a[i]!;
  return (lower + upper) / 2;
}

/**
 * The k-th smallest of `a` (no NaN), moved to a[k] with nothing larger left of it: Hoare's selection
 * on a median-of-three pivot, and a sort after 64 rounds (an unlucky order) so it is never quadratic.
 */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  for (let round = 0; hi > lo; round++) {
    if (round === 64) {
      a.subarray(lo, hi + 1).sort();
      return a[k]!;
    }
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) swap(a, i++, j--);
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** np.median(np.abs(y - np.median(y))) over every output at once, as sklearn's default threshold. */
function medianAbsoluteDeviation(y: Float64Array): number {
  const centre = median(y);
  // A loop rather than Float64Array.from's callback: 5 ms of a 100k fit.
  const deviations = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) deviations[i] = Math.abs(y[i]! - centre);
  return median(deviations);
}

/** sklearn's _dynamic_max_trials: trials needed to draw one all-inlier sample with `probability`. */
export function dynamicMaxTrials(inliers: number, samples: number, minSamples: number, probability: number): number {
  const nom = Math.max(EPSILON, 1 - probability);
  const denom = Math.max(EPSILON, 1 - (inliers / samples) ** minSamples);
  if (nom === 1) return 0;
  if (denom === 1) return Infinity;
  return Math.abs(Math.ceil(Math.log(nom) / Math.log(denom)));
}

function subset(data: RegressionRows, index: ArrayLike<number>): { x: Float32Array; y: Float64Array } {
  const { cols, outputs } = data;
  const x = new Float32Array(index.length * cols);
  const y = new Float64Array(index.length * outputs);
  for (let i = 0; i < index.length; i++) {
    x.set(data.x.subarray(index[i]! * cols, (index[i]! + 1) * cols), i * cols);
    for (let o = 0; o < outputs; o++) y[i * outputs + o] = data.y[index[i]! * outputs + o]!;
  }
  return { x, y };
}

/**
 * r2 on the inlier rows, averaged over the outputs, as LinearRegression.score on the inlier subset:
 * a row's prediction does not depend on the other rows, so the full table's predictions are reused.
 * `products` holds each output's X·w (its `rows` values together), `intercept` each output's b.
 */
function inlierR2(
  y: Float64Array, products: Float64Array, intercept: number[], rows: number, inliers: Int32Array, count: number, outputs: number,
): number {
  let total = 0;
  for (let o = 0; o < outputs; o++) {
    const b = intercept[o]!;
    let mean = 0;
    for (let i = 0; i < count; i++) mean += y[inliers[i]! * outputs + o]!;
    mean /= count;
    let ssRes = 0;
    let ssTot = 0;
    for (let i = 0; i < count; i++) {
      const row = inliers[i]!;
      const at = row * outputs + o;
      ssRes += (y[at]! - (products[o * rows + row]! + b)) ** 2;
      ssTot += (y[at]! - mean) ** 2;
    }
    total += ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
  }
  return total / outputs;
}

/**
 * Whether row r's loss (summed over the outputs) is within the threshold; the prediction is X·w + b
 * (`products` as inlierR2's). For countInliers and collectInliers, which must agree row for row.
 */
function isInlier(
  y: Float64Array, products: Float64Array, intercept: number[], rows: number, outputs: number, squared: boolean, threshold: number, r: number,
): boolean {
  let residual = 0;
  for (let o = 0; o < outputs; o++) {
    const d = y[r * outputs + o]! - (products[o * rows + r]! + intercept[o]!);
    residual += squared ? d * d : Math.abs(d);
  }
  return residual <= threshold;
}

/**
 * How many rows are inliers. Most trials find fewer than the best so far and need nothing else, so the
 * count comes first, without writing the rows. One output, the usual case, has a loop of its own per
 * loss, adding the comparison rather than branching on it (about half the rows of a trial are inliers:
 * an unpredictable branch): 0.12 ms on 75,000 rows where the loop that wrote the rows took 0.65.
 */
function countInliers(
  y: Float64Array, products: Float64Array, intercept: number[], rows: number, outputs: number, squared: boolean, threshold: number,
): number {
  let count = 0;
  if (outputs === 1) {
    const b = intercept[0]!;
    if (squared) {
      for (let r = 0; r < rows; r++) {
        const d = y[r]! - (products[r]! + b);
        count += +(d * d <= threshold);
      }
    } else {
      for (let r = 0; r < rows; r++) count += +(Math.abs(y[r]! - (products[r]! + b)) <= threshold);
    }
    return count;
  }
  for (let r = 0; r < rows; r++) count += +isInlier(y, products, intercept, rows, outputs, squared, threshold, r);
  return count;
}

/** The inlier rows, in order, into `out`; returns their count (countInliers' test, row for row). */
function collectInliers(
  y: Float64Array, products: Float64Array, intercept: number[], rows: number, outputs: number, squared: boolean, threshold: number,
  out: Int32Array,
): number {
  let count = 0;
  for (let r = 0; r < rows; r++) {
    out[count] = r;
    count += +isInlier(y, products, intercept, rows, outputs, squared, threshold, r);
  }
  return count;
}

/**
 * The trials are fitted, then predicted a batch at a time: one pass over X gives a batch's predictions
 * (weightsTimesRowsFloat32: a dgemm per block of rows), where a pass of dot products per trial took
 * two thirds of a 100k fit. A trial's subset is drawn whatever the trials before it gave, so drawing a
 * batch ahead draws sklearn's subsets in sklearn's order; the trials are then judged one after another
 * as sklearn's loop does, and those after a stop are dropped. Batches grow from 4 to 16 (a fit whose
 * trial count drops early fits a few trials it did not need), and stay within 16 MB of predictions.
 */
const FIRST_BATCH = 4;
const MAX_BATCH = 16;
const BATCH_BYTES = 16 * 1024 * 1024;

function fit(data: RegressionRows, hp: Record<string, unknown>): LinearCoefficients {
  const { rows, cols, outputs } = data;
  const requested = hp.min_samples === undefined || hp.min_samples === null ? undefined : rangeParam(ALGORITHM, hp, 'min_samples', 1, { min: 0, exclusiveMin: true });
  const minSamples = requested === undefined ? cols + 1 : requested < 1 ? Math.ceil(requested * rows) : Math.floor(requested);
  if (minSamples > rows) {
    throw new PgError(SqlState.InvalidParameterValue, `${ALGORITHM}: min_samples (${minSamples}) may not be larger than the number of training rows (${rows})`);
  }
  const threshold = hp.residual_threshold === undefined || hp.residual_threshold === null
    ? medianAbsoluteDeviation(data.y)
    : rangeParam(ALGORITHM, hp, 'residual_threshold', 0, { min: 0 });
  const squared = choiceParam(ALGORITHM, hp, 'loss', 'absolute_error', ['absolute_error', 'squared_error']) === 'squared_error';
  let maxTrials = intParam(ALGORITHM, hp, 'max_trials', 100, 0);
  const maxSkips = rangeParam(ALGORITHM, hp, 'max_skips', Infinity, { min: 0 });
  const stopInliers = rangeParam(ALGORITHM, hp, 'stop_n_inliers', Infinity, { min: 0 });
  const stopScore = rangeParam(ALGORITHM, hp, 'stop_score', Infinity, {});
  const stopProbability = rangeParam(ALGORITHM, hp, 'stop_probability', 0.99, { min: 0, max: 1 });
  const random = new NumpyRandomState(seedParam(ALGORITHM, hp));

  let bestInliers = 1;
  let bestScore = -Infinity;
  let best: Int32Array | undefined;
  let skips = 0;
  const inliers = new Int32Array(rows);
  const capacity = Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_BYTES / (8 * Math.max(1, rows * outputs)))));
  const weights = new Float64Array(capacity * outputs * cols);
  let products: Float64Array | undefined;
  let batch = Math.min(FIRST_BATCH, capacity);
  trials: for (let trial = 0; trial < maxTrials; batch = Math.min(2 * batch, capacity)) {
    const models: LinearCoefficients[] = [];
    for (let i = 0; i < Math.min(batch, maxTrials - trial); i++) {
      const sample = subset(data, sampleWithoutReplacement(random, rows, minSamples));
      const model = leastSquares(sample.x, minSamples, cols, sample.y, outputs, true);
      for (let o = 0; o < outputs; o++) weights.set(model.coef[o]!, (i * outputs + o) * cols);
      models.push(model);
    }
    products ??= new Float64Array(capacity * outputs * rows);
    weightsTimesRowsFloat32(weights, models.length * outputs, data.x, rows, cols, products);
    for (let i = 0; i < models.length && trial < maxTrials; i++, trial++) {
      if (skips > maxSkips) break trials;
      const predicted = products.subarray(i * outputs * rows, (i + 1) * outputs * rows);
      const { intercept } = models[i]!;
      const count = countInliers(data.y, predicted, intercept, rows, outputs, squared, threshold);
      if (count < bestInliers) {
        skips++;
        continue;
      }
      collectInliers(data.y, predicted, intercept, rows, outputs, squared, threshold, inliers);
      const score = inlierR2(data.y, predicted, intercept, rows, inliers, count, outputs);
      if (count === bestInliers && score < bestScore) continue;
      bestInliers = count;
      bestScore = score;
      best = inliers.slice(0, count);
      maxTrials = Math.min(maxTrials, dynamicMaxTrials(bestInliers, rows, minSamples, stopProbability));
      if (bestInliers >= stopInliers || bestScore >= stopScore) break trials;
    }
  }
  if (!best) {
    throw new PgError(SqlState.InvalidParameterValue, `${ALGORITHM} could not find a valid consensus set: no trial had an inlier within residual_threshold (${threshold})`, {
      hint: 'raise residual_threshold or max_trials',
    });
  }
  const inlierRows = subset(data, best);
  return leastSquares(inlierRows.x, best.length, cols, inlierRows.y, outputs, true);
}

export const ransacFactory = linearRegressorFactory({
  algorithm: ALGORITHM,
  hyperparams: ['min_samples', 'residual_threshold', 'max_trials', 'max_skips', 'stop_n_inliers', 'stop_score', 'stop_probability', 'loss', 'random_state'],
  multiOutput: true,
  fit,
});
