/**
 * Test-set metrics under PostgresML's keys (`orm/model.rs` Model::test). Values follow
 * scikit-learn's definitions, which PostgresML validates against (`metrics.rs`), with two notes:
 * - binary classification scores the positive class (index 1) for f1/precision/recall, multiclass
 *   takes the macro average over the classes present in the labels or the predictions, as
 *   scikit-learn; a 0/0 ratio counts as 0 (scikit-learn's default).
 *   PostgresML's multiclass `precision` and `recall` are swapped (its confusion matrix rows are the
 *   true classes but it sums them as predictions); we report them the right way round.
 * - roc_auc and log_loss (binary only) use the positive-class probability when the engine gives
 *   one, and the hard prediction otherwise (what PostgresML feeds them).
 * fit_time and score_time are added by the caller.
 */
import { PgError, SqlState } from '../../errors/index.js';

export interface RegressionMetrics {
  r2: number;
  mean_absolute_error: number;
  mean_squared_error: number;
}

export interface ClassificationMetrics {
  f1: number;
  precision: number;
  recall: number;
  accuracy: number;
  mcc: number;
  roc_auc?: number;
  log_loss?: number;
}

export function regressionMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): RegressionMetrics {
  checkLengths(yTrue, yPred);
  const n = yTrue.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i] as number;
  mean /= n;
  let absolute = 0;
  let squared = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const error = (yTrue[i] as number) - (yPred[i] as number);
    absolute += Math.abs(error);
    squared += error * error;
    total += ((yTrue[i] as number) - mean) ** 2;
  }
  // scikit-learn's force_finite: a constant target scores 1 when predicted exactly, else 0.
  const r2 = total === 0 ? (squared === 0 ? 1 : 0) : 1 - squared / total;
  return { r2, mean_absolute_error: absolute / n, mean_squared_error: squared / n };
}

/** numClasses × numClasses counts; rows are true classes, columns predicted classes. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  checkLengths(yTrue, yPred);
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = classOf(yTrue[i] as number, numClasses);
    const p = classOf(yPred[i] as number, numClasses);
    (matrix[t] as number[])[p] = ((matrix[t] as number[])[p] as number) + 1;
  }
  return matrix;
}

/**
 * yTrue/yPred are class indexes 0..numClasses-1. `positiveScores` (binary only) are the
 * probabilities of class 1, used for roc_auc and log_loss.
 */
export function classificationMetrics(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
  positiveScores?: ArrayLike<number>,
): ClassificationMetrics {
  const matrix = confusionMatrix(yTrue, yPred, numClasses);
  const n = yTrue.length;
  const tp = matrix.map((row, k) => row[k] as number);
  const trueCounts = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const predCounts = matrix.map((_, k) => matrix.reduce((sum, row) => sum + (row[k] as number), 0));

  const precisionOf = (k: number): number => ratio(tp[k] as number, predCounts[k] as number);
  const recallOf = (k: number): number => ratio(tp[k] as number, trueCounts[k] as number);
  const f1Of = (k: number): number => ratio(2 * (tp[k] as number), (predCounts[k] as number) + (trueCounts[k] as number));
  // scikit-learn's average='macro' runs over the labels present in y_true or y_pred, not every class.
  const present = Array.from({ length: numClasses }, (_, k) => k).filter((k) => (trueCounts[k] as number) + (predCounts[k] as number) > 0);
  const scored = numClasses === 2 ? [1] : present;
  const average = (f: (k: number) => number): number => scored.reduce((sum, k) => sum + f(k), 0) / scored.length;

  const correct = tp.reduce((a, b) => a + b, 0);
  const metrics: ClassificationMetrics = {
    f1: average(f1Of),
    precision: average(precisionOf),
    recall: average(recallOf),
    accuracy: correct / n,
    mcc: mcc(correct, n, trueCounts, predCounts),
  };
  if (numClasses === 2) {
    const scores = positiveScores ?? yPred;
    checkLengths(yTrue, scores);
    metrics.roc_auc = rocAuc(yTrue, scores);
    metrics.log_loss = logLoss(yTrue, scores);
  }
  return metrics;
}

/** Gorodkin's multiclass MCC, which is what scikit-learn computes; 0 when undefined. */
function mcc(correct: number, n: number, trueCounts: number[], predCounts: number[]): number {
  let pt = 0;
  let pp = 0;
  let tt = 0;
  trueCounts.forEach((t, k) => {
    const p = predCounts[k] as number;
    pt += p * t;
    pp += p * p;
    tt += t * t;
  });
  const denominator = Math.sqrt((n * n - pp) * (n * n - tt));
  return denominator === 0 ? 0 : (correct * n - pt) / denominator;
}

/**
 * Area under the ROC curve: the Mann–Whitney statistic, ties counting one half. NaN with one class.
 * Each positive counts the negatives scored below it (and half those scored equal) by binary
 * search in the sorted negative scores: typed arrays sort natively, so a million scores take
 * milliseconds, not the seconds of an index sort with a comparator.
 */
export function rocAuc(yTrue: ArrayLike<number>, scores: ArrayLike<number>): number {
  let positives = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === 1) positives++;
  const negatives = yTrue.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  const negative = new Float64Array(negatives);
  for (let i = 0, k = 0; i < yTrue.length; i++) if (yTrue[i] !== 1) negative[k++] = scores[i] as number;
  negative.sort();
  let wins = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] !== 1) continue;
    const score = scores[i] as number;
    const below = firstAtLeast(negative, score);
    wins += below + (firstAbove(negative, score, below) - below) / 2;
  }
  return wins / (positives * negatives);
}

function firstAtLeast(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function firstAbove(sorted: Float64Array, value: number, from: number): number {
  let lo = from;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Binary cross-entropy with probabilities clipped to [eps, 1-eps] (float64 eps, as scikit-learn). */
export function logLoss(yTrue: ArrayLike<number>, scores: ArrayLike<number>): number {
  const eps = Number.EPSILON;
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const p = Math.min(Math.max(scores[i] as number, eps), 1 - eps);
    sum -= yTrue[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / yTrue.length;
}

/**
 * Mean silhouette coefficient with euclidean distances (scikit-learn's silhouette_score);
 * a point alone in its cluster scores 0. x is rows × cols, row-major.
 */
export function silhouetteScore(x: ArrayLike<number>, rows: number, cols: number, labels: ArrayLike<number>): number {
  const clusters = new Map<number, number>();
  for (let i = 0; i < rows; i++) clusters.set(labels[i] as number, (clusters.get(labels[i] as number) ?? 0) + 1);
  if (clusters.size < 2 || clusters.size > rows - 1) {
    throw new PgError(
      SqlState.InvalidParameterValue,
      `the silhouette score needs 2 to ${rows - 1} clusters in the test data, found ${clusters.size}`,
      { hint: 'change n_clusters or test_size' },
    );
  }
  const ids = [...clusters.keys()];
  const slot = new Map(ids.map((id, k) => [id, k]));
  let total = 0;
  const sums = new Float64Array(ids.length);
  for (let i = 0; i < rows; i++) {
    sums.fill(0);
    for (let j = 0; j < rows; j++) {
      if (i === j) continue;
      let d = 0;
      for (let c = 0; c < cols; c++) {
        const diff = (x[i * cols + c] as number) - (x[j * cols + c] as number);
        d += diff * diff;
      }
      const k = slot.get(labels[j] as number) as number;
      sums[k] = (sums[k] as number) + Math.sqrt(d);
    }
    const own = slot.get(labels[i] as number) as number;
    const ownSize = clusters.get(labels[i] as number) as number;
    if (ownSize === 1) continue;
    const a = (sums[own] as number) / (ownSize - 1);
    let b = Infinity;
    ids.forEach((id, k) => {
      if (k !== own) b = Math.min(b, (sums[k] as number) / (clusters.get(id) as number));
    });
    total += (b - a) / Math.max(a, b);
  }
  return total / rows;
}

/**
 * Share of the variance of x (rows × cols) that each of the given directions (components, each
 * `cols` long, row-major) explains: the variance of the projections over the total variance. For a
 * PCA fitted on x this equals scikit-learn's `explained_variance_ratio_`.
 */
export function explainedVarianceRatio(
  x: ArrayLike<number>,
  rows: number,
  cols: number,
  components: ArrayLike<number>,
  numComponents: number,
): number[] {
  const means = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) means[c] = (means[c] as number) + (x[i * cols + c] as number) / rows;
  let totalVariance = 0;
  const projected = new Float64Array(numComponents);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) totalVariance += ((x[i * cols + c] as number) - (means[c] as number)) ** 2;
    for (let k = 0; k < numComponents; k++) {
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += ((x[i * cols + c] as number) - (means[c] as number)) * (components[k * cols + c] as number);
      projected[k] = (projected[k] as number) + dot * dot;
    }
  }
  return Array.from(projected, (p) => (totalVariance === 0 ? 0 : p / totalVariance));
}

/** PostgresML's decomposition score: the sum of the explained variance ratios. */
export function cumulativeExplainedVariance(ratios: readonly number[]): number {
  return ratios.reduce((a, b) => a + b, 0);
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function classOf(value: number, numClasses: number): number {
  const k = Math.round(value);
  if (!(k >= 0 && k < numClasses)) {
    throw new PgError(SqlState.InvalidParameterValue, `class index ${value} is outside 0..${numClasses - 1}`);
  }
  return k;
}

function checkLengths(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new PgError(SqlState.InvalidParameterValue, `metrics need as many predictions as labels (${b.length} vs ${a.length})`);
  }
  if (a.length === 0) {
    throw new PgError(SqlState.InvalidParameterValue, 'metrics need at least one test row');
  }
}
