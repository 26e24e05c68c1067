/**
 * `theil_sen`: scikit-learn's TheilSenRegressor. Solves least squares exactly on many small subsets of
 * n_subsamples rows (default n_features + 1 with an intercept): all of them when there are at most
 * max_subpopulation (10⁴) subsets, otherwise that many drawn as sklearn draws them (numpy's
 * RandomState.choice without replacement: the first rows of a permutation, numpy-random.ts); the model
 * is the spatial median of those solutions (intercept included), found by the modified Weiszfeld
 * iteration (max_iter, tol). Each subset's system is solved over typed arrays: LU with partial pivoting
 * when it is square (the default), the minimum-norm SVD answer when it is singular or taller, as lstsq.
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { PgError, SqlState } from '../../errors/index.js';
import { boolParam, intParam, rangeParam, seedParam } from './engine-support.js';
import { linearRegressorFactory, type RegressionRows } from './linear-regressor.js';
import type { LinearCoefficients } from './linear-solvers.js';
import { NumpyRandomState } from './numpy-random.js';

const ALGORITHM = 'theil_sen';
const EPSILON = 2.220446049250313e-16;

/** Points, `count` of them, each `dim` values, row-major. */
export interface PointSet {
  values: Float64Array;
  count: number;
  dim: number;
}

/** One Weiszfeld step with Vardi and Zhang's modification for a current point that is a data point. */
function weiszfeldStep(points: PointSet, current: Float64Array, next: Float64Array, direction: Float64Array): void {
  const { values, count, dim } = points;
  next.fill(0);
  direction.fill(0);
  let weightSum = 0;
  let coincident = 0;
  for (let p = 0; p < count; p++) {
    const offset = p * dim;
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += (values[offset + d]! - current[d]!) ** 2;
    norm = Math.sqrt(norm);
    if (norm < EPSILON) {
      coincident = 1;
      continue;
    }
    for (let d = 0; d < dim; d++) {
      next[d]! += values[offset + d]! / norm;
      direction[d]! += (values[offset + d]! - current[d]!) / norm;
    }
    weightSum += 1 / norm;
  }
  let quotientNorm = 0;
  for (let d = 0; d < dim; d++) quotientNorm += direction[d]! * direction[d]!;
  quotientNorm = Math.sqrt(quotientNorm);
  if (quotientNorm > EPSILON) {
    for (let d = 0; d < dim; d++) next[d]! /= weightSum;
  } else {
    next.fill(1);
    quotientNorm = 1;
  }
  const keep = Math.max(0, 1 - coincident / quotientNorm);
  const stay = Math.min(1, coincident / quotientNorm);
  for (let d = 0; d < dim; d++) next[d] = keep * next[d]! + stay * current[d]!;
}

/** sklearn's _spatial_median: from the mean, Weiszfeld steps until one moves less than tol. */
export function spatialMedian(points: PointSet, maxIter: number, tol: number): Float64Array {
  const { values, count, dim } = points;
  if (dim === 1) {
    const sorted = values.slice(0, count).sort();
    const mid = count >> 1;
    return Float64Array.of(count % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2);
  }
  let current = new Float64Array(dim);
  for (let p = 0; p < count; p++) for (let d = 0; d < dim; d++) current[d]! += values[p * dim + d]!;
  for (let d = 0; d < dim; d++) current[d]! /= count;
  let next = new Float64Array(dim);
  const direction = new Float64Array(dim);
  for (let iteration = 0; iteration < maxIter; iteration++) {
    weiszfeldStep(points, current, next, direction);
    let moved = 0;
    for (let d = 0; d < dim; d++) moved += (next[d]! - current[d]!) ** 2;
    [current, next] = [next, current];
    if (moved < tol * tol) break;
  }
  return current;
}

function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return Math.round(result);
}

/** Every k-subset of 0..n-1 in lexicographic order, as itertools.combinations (only called when there are few). */
function* combinations(n: number, k: number): Generator<Int32Array> {
  const index = Int32Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield index;
    let i = k - 1;
    while (i >= 0 && index[i] === n - k + i) i--;
    if (i < 0) return;
    index[i]!++;
    for (let j = i + 1; j < k; j++) index[j] = index[j - 1]! + 1;
  }
}

/** `count` subsets as sklearn's random_state.choice(n, k, replace=False), one permutation buffer reused. */
function* randomSubsets(random: NumpyRandomState, n: number, k: number, count: number): Generator<Int32Array> {
  const permutation = new Int32Array(n);
  for (let s = 0; s < count; s++) yield random.permutationInto(permutation).subarray(0, k);
}

/**
 * Solves the square system a·w = b (n × n row-major, both overwritten; w left in b) by Gaussian
 * elimination with partial pivoting. False when a pivot is exactly zero: the system is singular.
 */
export function solveSquare(a: Float64Array, b: Float64Array, n: number): boolean {
  for (let k = 0; k < n; k++) {
    let pivot = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]!) > Math.abs(a[pivot * n + k]!)) pivot = i;
    if (a[pivot * n + k] === 0) return false;
    if (pivot !== k) {
      for (let j = k; j < n; j++) {
        const t = a[k * n + j]!;
        a[k * n + j] = a[pivot * n + j]!;
        a[pivot * n + j] = t;
      }
      const t = b[k]!;
      b[k] = b[pivot]!;
      b[pivot] = t;
    }
    const diagonal = a[k * n + k]!;
    for (let i = k + 1; i < n; i++) {
      const factor = a[i * n + k]! / diagonal;
      if (factor === 0) continue;
      for (let j = k + 1; j < n; j++) a[i * n + j]! -= factor * a[k * n + j]!;
      b[i]! -= factor * b[k]!;
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    let sum = b[k]!;
    for (let j = k + 1; j < n; j++) sum -= a[k * n + j]! * b[j]!;
    b[k] = sum / a[k * n + k]!;
  }
  return true;
}

/** lstsq's minimum-norm answer through the SVD: singular square subsets and taller ones. */
function minimumNormSolve(a: Float64Array, b: Float64Array, rows: number, cols: number): Float64Array {
  const matrix = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) matrix.set(i, j, a[i * cols + j]!);
  const rhs = Matrix.columnVector(Array.from(b.subarray(0, rows)));
  return Float64Array.from(new SingularValueDecomposition(matrix, { autoTranspose: true }).solve(rhs).getColumn(0));
}

function fit(data: RegressionRows, hp: Record<string, unknown>): LinearCoefficients {
  const { rows, cols } = data;
  const fitIntercept = boolParam(ALGORITHM, hp, 'fit_intercept', true);
  const shift = fitIntercept ? 1 : 0;
  const params = cols + shift;
  const subsamples = intParam(ALGORITHM, hp, 'n_subsamples', params);
  if (subsamples < params || subsamples > rows) {
    throw new PgError(SqlState.InvalidParameterValue, `${ALGORITHM}: n_subsamples must be between ${params} and the number of training rows (${rows}), got ${subsamples}`);
  }
  const maxSubpopulation = intParam(ALGORITHM, hp, 'max_subpopulation', 10_000);
  const maxIter = intParam(ALGORITHM, hp, 'max_iter', 300);
  const tol = rangeParam(ALGORITHM, hp, 'tol', 1e-3, { min: 0 });
  const random = new NumpyRandomState(seedParam(ALGORITHM, hp));
  const total = binomial(rows, subsamples);
  const count = Math.min(total, maxSubpopulation);
  const subsets = total <= maxSubpopulation ? combinations(rows, subsamples) : randomSubsets(random, rows, subsamples, count);
  const square = subsamples === params;
  const a = new Float64Array(subsamples * params);
  const b = new Float64Array(subsamples);
  const solutions = new Float64Array(count * params);
  let solved = 0;
  const fillSystem = (subset: Int32Array) => {
    for (let i = 0; i < subsamples; i++) {
      const row = subset[i]!;
      if (fitIntercept) a[i * params] = 1;
      for (let c = 0; c < cols; c++) a[i * params + c + shift] = data.x[row * cols + c]!;
      b[i] = data.y[row]!;
    }
  };
  for (const subset of subsets) {
    fillSystem(subset);
    let w: Float64Array = b;
    if (!square || !solveSquare(a, b, params)) {
      fillSystem(subset);
      w = minimumNormSolve(a, b, subsamples, params);
    }
    if (!w.every(Number.isFinite)) continue;
    solutions.set(w, solved * params);
    solved++;
  }
  if (solved === 0) {
    throw new PgError(SqlState.InvalidParameterValue, `${ALGORITHM}: every subset of ${subsamples} rows was degenerate (collinear features?)`);
  }
  const median = spatialMedian({ values: solutions, count: solved, dim: params }, maxIter, tol);
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
