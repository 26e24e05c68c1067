/**
 * `least_angle` (scikit-learn's Lars) and `lasso_least_angle` (LassoLars): Efron et al.'s least angle
 * regression on the centred data's Gram matrix, stepping along the equiangular direction of the active
 * features until an inactive one becomes as correlated with the residual; the lasso variant drops a
 * feature whose weight crosses zero and stops at alpha (interpolating the last step), as sklearn's
 * lars_path(method='lar' | 'lasso'). Multi-output as sklearn: each target gets its own path.
 */
import { boolParam, intParam, rangeParam } from './engine-support.js';
import { interceptFor, linearRegressorFactory, type RegressionRows } from './linear-regressor.js';
import { centredGram, type LinearCoefficients } from './linear-solvers.js';

const TINY32 = 1.1754943508222875e-38;
const EQUALITY_TOLERANCE = 1.1920928955078125e-7;
const EPS = 2.220446049250313e-16;
/** sklearn rounds the correlations with the equiangular direction to float64's 15 decimal digits. */
const COV_PRECISION = 1e15;

export interface LarsOptions {
  method: 'lar' | 'lasso';
  /** The path stops at this alpha (0 for plain LARS). */
  alphaMin: number;
  maxIter: number;
}

/** Smallest strictly positive value, or the largest double when there is none (sklearn's min_pos). */
function minPositive(values: Iterable<number>): number {
  let best = Number.MAX_VALUE;
  for (const v of values) if (v > 0 && v < best) best = v;
  return best;
}

/**
 * G_AA⁻¹ · rhs for the active features' block of the Gram matrix, through its Cholesky factor: ml-matrix's
 * CholeskyDecomposition and solve, operation for operation (the same doubles, the same error when the block
 * is not positive definite), on one typed array: building its Matrix objects and going through their
 * accessors cost more than the arithmetic, up to 2 ms of a first 331-row diabetes fit (BENCHMARKS.md, small3).
 */
function solveSubsystem(g: Float64Array, p: number, active: number[], rhs: number[]): number[] {
  const n = active.length;
  const l = new Float64Array(n * n);
  let positiveDefinite = true;
  for (let j = 0; j < n; j++) {
    const row = active[j]! * p;
    let d = 0;
    for (let k = 0; k < j; k++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += l[k * n + i]! * l[j * n + i]!;
      s = (g[row + active[k]!]! - s) / l[k * n + k]!;
      l[j * n + k] = s;
      d = d + s * s;
    }
    d = g[row + active[j]!]! - d;
    positiveDefinite &&= d > 0;
    l[j * n + j] = Math.sqrt(Math.max(d, 0));
  }
  if (!positiveDefinite) throw new Error('Matrix is not positive definite');
  const b = Float64Array.from(rhs);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < k; i++) b[k] = b[k]! - b[i]! * l[k * n + i]!;
    b[k] = b[k]! / l[k * n + k]!;
  }
  for (let k = n - 1; k >= 0; k--) {
    for (let i = k + 1; i < n; i++) b[k] = b[k]! - b[i]! * l[i * n + k]!;
    b[k] = b[k]! / l[k * n + k]!;
  }
  return Array.from(b);
}

/** Pivot of the Cholesky factor when feature j joins the active set: √|G_jj − G_jA G_AA⁻¹ G_Aj|. */
function choleskyPivot(g: Float64Array, p: number, active: number[], j: number): number {
  if (active.length === 0) return Math.max(Math.sqrt(Math.abs(g[j * p + j]!)), EPS);
  const column = active.map((i) => g[i * p + j]!);
  const w = solveSubsystem(g, p, active, column);
  const v = column.reduce((s, c, k) => s + c * w[k]!, 0);
  return Math.max(Math.sqrt(Math.abs(g[j * p + j]! - v)), EPS);
}

/** The end of sklearn's lars_path for one centred target, given X's Gram matrix and Xᵀy. */
export function larsPath(g: Float64Array, xy: Float64Array, samples: number, options: LarsOptions): Float64Array {
  const p = xy.length;
  const cov = Float64Array.from(xy);
  const isActive = new Array<boolean>(p).fill(false);
  const active: number[] = [];
  let signs: number[] = [];
  let coef = new Float64Array(p);
  let prevCoef = new Float64Array(p);
  let alpha = 0;
  let prevAlpha = 0;
  let drop = false;
  let iterations = 0;
  for (;;) {
    let best = -1;
    for (let j = 0; j < p; j++) if (!isActive[j] && (best < 0 || Math.abs(cov[j]!) > Math.abs(cov[best]!))) best = j;
    const c = best < 0 ? 0 : Math.abs(cov[best]!);
    alpha = c / samples;
    if (alpha <= options.alphaMin + EQUALITY_TOLERANCE) {
      if (Math.abs(alpha - options.alphaMin) > EQUALITY_TOLERANCE && iterations > 0) {
        const ss = (prevAlpha - options.alphaMin) / (prevAlpha - alpha);
        for (let j = 0; j < p; j++) coef[j] = prevCoef[j]! + ss * (coef[j]! - prevCoef[j]!);
      }
      break;
    }
    if (iterations >= options.maxIter || active.length >= p) break;
    if (!drop) {
      if (choleskyPivot(g, p, active, best) < 1e-7) {
        // Degenerate with the active set: sklearn zeroes its correlation and looks again.
        cov[best] = 0;
        continue;
      }
      signs.push(Math.sign(cov[best]!));
      active.push(best);
      isActive[best] = true;
    }
    if (options.method === 'lasso' && iterations > 0 && prevAlpha < alpha) break;

    let leastSquares = solveSubsystem(g, p, active, signs);
    let aa = 1;
    if (leastSquares.length === 1 && leastSquares[0] === 0) {
      leastSquares = [1];
    } else {
      aa = 1 / Math.sqrt(leastSquares.reduce((s, v, k) => s + v * signs[k]!, 0));
      leastSquares = leastSquares.map((v) => v * aa);
    }
    const corrEqDir = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      if (isActive[j]) continue;
      let s = 0;
      active.forEach((i, k) => (s += g[i * p + j]! * leastSquares[k]!));
      corrEqDir[j] = Math.round(s * COV_PRECISION) / COV_PRECISION;
    }
    const inactive = Array.from({ length: p }, (_, j) => j).filter((j) => !isActive[j]);
    const g1 = minPositive(inactive.map((j) => (c - cov[j]!) / (aa - corrEqDir[j]! + TINY32)));
    const g2 = minPositive(inactive.map((j) => (c + cov[j]!) / (aa + corrEqDir[j]! + TINY32)));
    let gamma = Math.min(g1, g2, c / aa);

    drop = false;
    const z = active.map((i, k) => -coef[i]! / (leastSquares[k]! + TINY32));
    const zPositive = minPositive(z);
    let crossing: number[] = [];
    if (zPositive < gamma) {
      crossing = z.flatMap((v, k) => (v === zPositive ? [k] : [])).reverse();
      for (const k of crossing) signs[k] = -signs[k]!;
      if (options.method === 'lasso') gamma = zPositive;
      drop = true;
    }
    iterations++;
    prevCoef = coef;
    prevAlpha = alpha;
    coef = new Float64Array(p);
    active.forEach((i, k) => (coef[i] = prevCoef[i]! + gamma * leastSquares[k]!));
    for (const j of inactive) cov[j]! -= gamma * corrEqDir[j]!;

    if (drop && options.method === 'lasso') {
      for (const k of crossing) {
        const [dropped] = active.splice(k, 1);
        isActive[dropped!] = false;
        let s = xy[dropped!]!;
        for (let j = 0; j < p; j++) s -= g[dropped! * p + j]! * coef[j]!;
        cov[dropped!] = s;
      }
      signs = signs.filter((_, k) => !crossing.includes(k));
    }
  }
  return coef;
}

function larsFit(algorithm: string, data: RegressionRows, hp: Record<string, unknown>, options: LarsOptions): LinearCoefficients {
  const centred = centredGram(data, boolParam(algorithm, hp, 'fit_intercept', true));
  const model: LinearCoefficients = { coef: [], intercept: [] };
  for (let o = 0; o < data.outputs; o++) {
    const w = larsPath(centred.gram, centred.xTargets[o]!, data.rows, options);
    model.coef.push(Array.from(w));
    model.intercept.push(interceptFor(w, centred.xMean, centred.yMean[o]!));
  }
  return model;
}

export const leastAngleFactory = linearRegressorFactory({
  algorithm: 'least_angle',
  hyperparams: ['fit_intercept', 'n_nonzero_coefs'],
  multiOutput: true,
  fit: (data, hp) => larsFit('least_angle', data, hp, { method: 'lar', alphaMin: 0, maxIter: intParam('least_angle', hp, 'n_nonzero_coefs', 500) }),
});

export const lassoLeastAngleFactory = linearRegressorFactory({
  algorithm: 'lasso_least_angle',
  hyperparams: ['alpha', 'fit_intercept', 'max_iter'],
  multiOutput: true,
  fit: (data, hp) =>
    larsFit('lasso_least_angle', data, hp, {
      method: 'lasso',
      alphaMin: rangeParam('lasso_least_angle', hp, 'alpha', 1.0, { min: 0 }),
      maxIter: intParam('lasso_least_angle', hp, 'max_iter', 500),
    }),
});
