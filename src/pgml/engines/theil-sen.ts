/**
 * `theil_sen`: scikit-learn's TheilSenRegressor. Solves least squares exactly on many small subsets of
 * n_subsamples rows (default n_features + 1 with an intercept): all of them when there are at most
 * max_subpopulation (10⁴) subsets, otherwise that many drawn at random; the model is the spatial median
 * of those solutions (intercept included), found by the modified Weiszfeld iteration (max_iter, tol).
 */
import { LuDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import { PgError, SqlState } from '../../errors/index.js';
import { boolParam, intParam, rangeParam, seedParam, seededRandom } from './engine-support.js';
import { linearRegressorFactory, type RegressionRows } from './linear-regressor.js';
import type { LinearCoefficients } from './linear-solvers.js';

const ALGORITHM = 'theil_sen';
const EPSILON = 2.220446049250313e-16;

/** One Weiszfeld step with Vardi and Zhang's modification for a current point that is a data point. */
function weiszfeldStep(points: Float64Array[], current: Float64Array): Float64Array {
  const dim = current.length;
  const numerator = new Float64Array(dim);
  const direction = new Float64Array(dim);
  let weightSum = 0;
  let coincident = 0;
  for (const point of points) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += (point[d]! - current[d]!) ** 2;
    norm = Math.sqrt(norm);
    if (norm < EPSILON) {
      coincident = 1;
      continue;
    }
    for (let d = 0; d < dim; d++) {
      numerator[d]! += point[d]! / norm;
      direction[d]! += (point[d]! - current[d]!) / norm;
    }
    weightSum += 1 / norm;
  }
  let quotientNorm = Math.sqrt(direction.reduce((s, v) => s + v * v, 0));
  let next: Float64Array;
  if (quotientNorm > EPSILON) {
    next = numerator.map((v) => v / weightSum);
  } else {
    next = new Float64Array(dim).fill(1);
    quotientNorm = 1;
  }
  const keep = Math.max(0, 1 - coincident / quotientNorm);
  const stay = Math.min(1, coincident / quotientNorm);
  return next.map((v, d) => keep * v + stay * current[d]!);
}

export function spatialMedian(points: Float64Array[], maxIter: number, tol: number): Float64Array {
  const dim = points[0]!.length;
  if (dim === 1) {
    const sorted = Float64Array.from(points, (p) => p[0]!).sort();
    const mid = sorted.length >> 1;
    return Float64Array.of(sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2);
  }
  let current: Float64Array = new Float64Array(dim);
  for (const p of points) for (let d = 0; d < dim; d++) current[d]! += p[d]! / points.length;
  for (let iteration = 0; iteration < maxIter; iteration++) {
    const next = weiszfeldStep(points, current);
    let moved = 0;
    for (let d = 0; d < dim; d++) moved += (next[d]! - current[d]!) ** 2;
    current = next;
    if (moved < tol * tol) break;
  }
  return current;
}

function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return Math.round(result);
}

/** Every k-subset of 0..n-1 in lexicographic order (only called when there are few). */
function* combinations(n: number, k: number): Generator<number[]> {
  const index = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield index.slice();
    let i = k - 1;
    while (i >= 0 && index[i] === n - k + i) i--;
    if (i < 0) return;
    index[i]!++;
    for (let j = i + 1; j < k; j++) index[j] = index[j - 1]! + 1;
  }
}

/** lstsq as sklearn calls it: LU for a square system, the minimum-norm SVD answer when it is singular. */
function leastSquaresSolve(a: Matrix, b: Matrix, square: boolean): number[] {
  if (square) {
    const lu = new LuDecomposition(a);
    if (!lu.isSingular()) return lu.solve(b).getColumn(0);
  }
  return new SingularValueDecomposition(a, { autoTranspose: true }).solve(b).getColumn(0);
}

function fit(data: RegressionRows, hp: Record<string, unknown>): LinearCoefficients {
  const { rows, cols } = data;
  const fitIntercept = boolParam(ALGORITHM, hp, 'fit_intercept', true);
  const params = cols + (fitIntercept ? 1 : 0);
  const subsamples = intParam(ALGORITHM, hp, 'n_subsamples', params);
  if (subsamples < params || subsamples > rows) {
    throw new PgError(SqlState.InvalidParameterValue, `${ALGORITHM}: n_subsamples must be between ${params} and the number of training rows (${rows}), got ${subsamples}`);
  }
  const maxSubpopulation = intParam(ALGORITHM, hp, 'max_subpopulation', 10_000);
  const maxIter = intParam(ALGORITHM, hp, 'max_iter', 300);
  const tol = rangeParam(ALGORITHM, hp, 'tol', 1e-3, { min: 0 });
  const random = seededRandom(seedParam(ALGORITHM, hp));
  const total = binomial(rows, subsamples);
  const subsets: Iterable<number[]> = total <= maxSubpopulation
    ? combinations(rows, subsamples)
    : Array.from({ length: maxSubpopulation }, () => {
        const pool = Array.from({ length: rows }, (_, i) => i);
        for (let i = 0; i < subsamples; i++) {
          const j = i + Math.floor(random() * (rows - i));
          [pool[i], pool[j]] = [pool[j]!, pool[i]!];
        }
        return pool.slice(0, subsamples);
      });
  const solutions: Float64Array[] = [];
  for (const subset of subsets) {
    const a = new Matrix(subsamples, params);
    const b = new Matrix(subsamples, 1);
    subset.forEach((row, i) => {
      if (fitIntercept) a.set(i, 0, 1);
      for (let c = 0; c < cols; c++) a.set(i, c + (fitIntercept ? 1 : 0), data.x[row * cols + c]!);
      b.set(i, 0, data.y[row]!);
    });
    const w = leastSquaresSolve(a, b, subsamples === params);
    if (w.every(Number.isFinite)) solutions.push(Float64Array.from(w));
  }
  if (solutions.length === 0) {
    throw new PgError(SqlState.InvalidParameterValue, `${ALGORITHM}: every subset of ${subsamples} rows was degenerate (collinear features?)`);
  }
  const median = spatialMedian(solutions, maxIter, tol);
  return fitIntercept
    ? { coef: [Array.from(median.subarray(1))], intercept: [median[0]!] }
    : { coef: [Array.from(median)], intercept: [0] };
}

export const theilSenFactory = linearRegressorFactory({
  algorithm: ALGORITHM,
  hyperparams: ['fit_intercept', 'max_subpopulation', 'n_subsamples', 'max_iter', 'tol', 'random_state'],
  multiOutput: false,
  fit,
});
