/**
 * `bayesian_ridge`: scikit-learn's BayesianRidge. Ridge regression whose penalty λ and noise
 * precision α are estimated by evidence maximisation (MacKay): each iteration takes the posterior mean
 * for the current (α, λ) through one eigendecomposition of the centred XᵀX (XXᵀ when there are fewer
 * rows than features; BLAS and LAPACK, blas.ts), then re-estimates both from the effective number of
 * parameters γ, until the coefficients move less than tol (sum of absolute changes). Same defaults
 * and names as sklearn.
 */
import { gram, xTimes, xTy } from './blas.js';
import { boolParam, intParam, rangeParam } from './engine-support.js';
import {
  centreRows, interceptFor, linearRegressorFactory, outputColumn, type RegressionRows,
} from './linear-regressor.js';
import type { LinearCoefficients } from './linear-solvers.js';
import { symmetricEigen } from './symmetric-pinv.js';

const ALGORITHM = 'bayesian_ridge';
const EPS = 2.220446049250313e-16;

/** The Gamma hyperpriors and stopping rule BayesianRidge and ARDRegression share (same names and defaults). */
export interface GammaPriors {
  maxIter: number;
  tol: number;
  alpha1: number;
  alpha2: number;
  lambda1: number;
  lambda2: number;
}

export function gammaPriors(algorithm: string, hp: Record<string, unknown>): GammaPriors {
  return {
    maxIter: intParam(algorithm, hp, 'max_iter', 300),
    tol: rangeParam(algorithm, hp, 'tol', 1e-3, { min: 0 }),
    alpha1: rangeParam(algorithm, hp, 'alpha_1', 1e-6, { min: 0 }),
    alpha2: rangeParam(algorithm, hp, 'alpha_2', 1e-6, { min: 0 }),
    lambda1: rangeParam(algorithm, hp, 'lambda_1', 1e-6, { min: 0 }),
    lambda2: rangeParam(algorithm, hp, 'lambda_2', 1e-6, { min: 0 }),
  };
}

/** sklearn's starting noise precision: 1 / (var(y) + eps). */
export function initialNoisePrecision(y: Float64Array): number {
  let mean = 0;
  for (const v of y) mean += v;
  mean /= y.length;
  let variance = 0;
  for (const v of y) variance += (v - mean) ** 2;
  return 1 / (variance / y.length + EPS);
}

interface Priors extends GammaPriors {
  alphaInit: number | undefined;
  lambdaInit: number | undefined;
}

/** The posterior mean for a given λ/α, from the eigendecomposition shared by every iteration. */
interface Spectrum {
  eigenvalues: Float64Array;
  /** coef(ratio) = Σₖ vₖ (vₖ·Xᵀy)/(eₖ + ratio) when rows > cols, or Xᵀ Σₖ uₖ (uₖ·y)/(eₖ + ratio) otherwise. */
  coefficients(ratio: number): Float64Array;
}

/**
 * XᵀX (XXᵀ when there are fewer rows than features) from the BLAS and its eigendecomposition from
 * LAPACK: scikit-learn takes the same spectrum from one SVD of X (eₖ = sₖ²).
 */
function spectrum(x: Float64Array, rows: number, cols: number, y: Float64Array): Spectrum {
  const byFeatures = rows > cols;
  const size = byFeatures ? cols : rows;
  const square = byFeatures ? gram(x, rows, cols) : gram(transpose(x, rows, cols), cols, rows);
  const { values, vectors } = symmetricEigen(square, size);
  const eigenvalues = Float64Array.from(values, (e) => Math.max(e, 0));
  // Projections of the target on each eigenvector: vₖ·Xᵀy, or uₖ·y.
  const rhs = byFeatures ? xTy(x, rows, cols, y) : y;
  const projections = new Float64Array(size);
  for (let i = 0; i < size; i++) for (let k = 0; k < size; k++) projections[k]! += vectors[i * size + k]! * rhs[i]!;
  return {
    eigenvalues,
    coefficients(ratio: number): Float64Array {
      const weights = Float64Array.from(projections, (p, k) => p / (eigenvalues[k]! + ratio));
      const inSpace = new Float64Array(size);
      for (let i = 0; i < size; i++) {
        let s = 0;
        for (let k = 0; k < size; k++) s += vectors[i * size + k]! * weights[k]!;
        inSpace[i] = s;
      }
      return byFeatures ? inSpace : xTy(x, rows, cols, inSpace);
    },
  };
}

function transpose(x: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!;
  return out;
}

/** ‖y − Xw‖², with X·w from the BLAS, as scikit-learn's rmse_ each iteration. */
export function sumSquaredResiduals(x: Float64Array, rows: number, cols: number, y: Float64Array, coef: Float64Array): number {
  const predicted = xTimes(x, rows, cols, coef);
  let sse = 0;
  for (let r = 0; r < rows; r++) sse += (y[r]! - predicted[r]!) ** 2;
  return sse;
}

/** One target, centred: returns the posterior mean of the weights at the estimated (α, λ). */
export function bayesianRidgeWeights(x: Float64Array, rows: number, cols: number, y: Float64Array, priors: Priors): Float64Array {
  let alpha = priors.alphaInit ?? initialNoisePrecision(y);
  let lambda = priors.lambdaInit ?? 1;
  const s = spectrum(x, rows, cols, y);
  let previous: Float64Array | undefined;
  for (let iteration = 0; iteration < priors.maxIter; iteration++) {
    const coef = s.coefficients(lambda / alpha);
    const sse = sumSquaredResiduals(x, rows, cols, y, coef);
    let gamma = 0;
    for (const e of s.eigenvalues) gamma += (alpha * e) / (lambda + alpha * e);
    let coefNormSq = 0;
    for (const w of coef) coefNormSq += w * w;
    lambda = (gamma + 2 * priors.lambda1) / (coefNormSq + 2 * priors.lambda2);
    alpha = (rows - gamma + 2 * priors.alpha1) / (sse + 2 * priors.alpha2);
    if (previous) {
      let change = 0;
      for (let c = 0; c < cols; c++) change += Math.abs(previous[c]! - coef[c]!);
      if (change < priors.tol) break;
    }
    previous = coef;
  }
  return s.coefficients(lambda / alpha);
}

function optionalPositive(hp: Record<string, unknown>, name: string): number | undefined {
  return hp[name] === undefined || hp[name] === null ? undefined : rangeParam(ALGORITHM, hp, name, 1, { min: 0, exclusiveMin: true });
}

function fit(data: RegressionRows, hp: Record<string, unknown>): LinearCoefficients {
  const priors: Priors = {
    ...gammaPriors(ALGORITHM, hp),
    alphaInit: optionalPositive(hp, 'alpha_init'),
    lambdaInit: optionalPositive(hp, 'lambda_init'),
  };
  const centred = centreRows(data, boolParam(ALGORITHM, hp, 'fit_intercept', true));
  const w = bayesianRidgeWeights(centred.x, data.rows, data.cols, outputColumn(centred.y, data.rows, 1, 0), priors);
  return { coef: [Array.from(w)], intercept: [interceptFor(w, centred.xMean, centred.yMean[0]!)] };
}

export const bayesianRidgeFactory = linearRegressorFactory({
  algorithm: ALGORITHM,
  hyperparams: ['max_iter', 'tol', 'alpha_1', 'alpha_2', 'lambda_1', 'lambda_2', 'alpha_init', 'lambda_init', 'fit_intercept'],
  multiOutput: false,
  fit,
});
