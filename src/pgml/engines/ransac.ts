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
import { leastSquares, linearPredict, type LinearCoefficients } from './linear-solvers.js';
import { NumpyRandomState, sampleWithoutReplacement } from './numpy-random.js';

const ALGORITHM = 'ransac';
const EPSILON = 2.220446049250313e-16;

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** np.median(np.abs(y - np.median(y))) over every output at once, as sklearn's default threshold. */
function medianAbsoluteDeviation(y: Float64Array): number {
  const centre = median(y);
  return median(Float64Array.from(y, (v) => Math.abs(v - centre)));
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
 */
function inlierR2(y: Float64Array, predicted: Float64Array, inliers: Int32Array, count: number, outputs: number): number {
  let total = 0;
  for (let o = 0; o < outputs; o++) {
    let mean = 0;
    for (let i = 0; i < count; i++) mean += y[inliers[i]! * outputs + o]!;
    mean /= count;
    let ssRes = 0;
    let ssTot = 0;
    for (let i = 0; i < count; i++) {
      const at = inliers[i]! * outputs + o;
      ssRes += (y[at]! - predicted[at]!) ** 2;
      ssTot += (y[at]! - mean) ** 2;
    }
    total += ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
  }
  return total / outputs;
}

/** The rows whose loss (summed over the outputs) is within the threshold, into `out`; returns their count. */
function collectInliers(
  y: Float64Array, predicted: Float64Array, outputs: number, squared: boolean, threshold: number, out: Int32Array,
): number {
  let count = 0;
  for (let r = 0; r < out.length; r++) {
    let residual = 0;
    for (let o = 0; o < outputs; o++) {
      const d = y[r * outputs + o]! - predicted[r * outputs + o]!;
      residual += squared ? d * d : Math.abs(d);
    }
    if (residual <= threshold) out[count++] = r;
  }
  return count;
}

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
  const loss = choiceParam(ALGORITHM, hp, 'loss', 'absolute_error', ['absolute_error', 'squared_error']);
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
  for (let trial = 0; trial < maxTrials; trial++) {
    if (skips > maxSkips) break;
    const sample = subset(data, sampleWithoutReplacement(random, rows, minSamples));
    const model = leastSquares(sample.x, minSamples, cols, sample.y, outputs, true);
    const predicted = linearPredict(model, data.x, rows, cols);
    const count = collectInliers(data.y, predicted, outputs, loss === 'squared_error', threshold, inliers);
    if (count < bestInliers) {
      skips++;
      continue;
    }
    const score = inlierR2(data.y, predicted, inliers, count, outputs);
    if (count === bestInliers && score < bestScore) continue;
    bestInliers = count;
    bestScore = score;
    best = inliers.slice(0, count);
    maxTrials = Math.min(maxTrials, dynamicMaxTrials(bestInliers, rows, minSamples, stopProbability));
    if (bestInliers >= stopInliers || bestScore >= stopScore) break;
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
