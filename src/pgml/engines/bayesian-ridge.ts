/**
 * `bayesian_ridge`: scikit-learn's BayesianRidge. Ridge regression whose penalty λ and noise
 * precision α are estimated by evidence maximisation (MacKay): each iteration takes the posterior mean
 * for the current (α, λ) through one eigendecomposition of the centred XᵀX (XXᵀ when there are fewer
 * rows than features), then re-estimates both from the effective number of parameters γ, until the
 * coefficients move less than tol (sum of absolute changes). Same defaults and names as sklearn.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { boolParam, intParam, rangeParam } from './engine-support.js';
import {
  centreRows, interceptFor, linearRegressorFactory, outputColumn, type RegressionRows,
} from './linear-regressor.js';
import type { LinearCoefficients } from './linear-solvers.js';

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

function spectrum(x: Float64Array, rows: number, cols: number, y: Float64Array): Spectrum {
  const xm = new Matrix(rows, cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) xm.set(r, c, x[r * cols + c]!);
  const byFeatures = rows > cols;
  const square = byFeatures ? xm.transpose().mmul(xm) : xm.mmul(xm.transpose());
  const decomposition = new EigenvalueDecomposition(square, { assumeSymmetric: true });
  const eigenvalues = Float64Array.from(decomposition.realEigenvalues, (e) => Math.max(e, 0));
  const vectors = decomposition.eigenvectorMatrix;
  const k = eigenvalues.length;
  // Projections of the target on each eigenvector: vₖ·Xᵀy, or uₖ·y.
  const rhs = byFeatures ? xm.transpose().mmul(Matrix.columnVector(Array.from(y))).getColumn(0) : Array.from(y);
  const projections = Float64Array.from({ length: k }, (_, j) => {
    let s = 0;
    for (let i = 0; i < rhs.length; i++) s += vectors.get(i, j) * rhs[i]!;
    return s;
  });
  return {
    eigenvalues,
    coefficients(ratio: number): Float64Array {
      const inSpace = new Float64Array(vectors.rows);
      for (let j = 0; j < k; j++) {
        const weight = projections[j]! / (eigenvalues[j]! + ratio);
        for (let i = 0; i < vectors.rows; i++) inSpace[i]! += vectors.get(i, j) * weight;
      }
      if (byFeatures) return inSpace;
      const coef = new Float64Array(cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) coef[c]! += x[r * cols + c]! * inSpace[r]!;
      return coef;
    },
  };
}

function sumSquaredResiduals(x: Float64Array, rows: number, cols: number, y: Float64Array, coef: Float64Array): number {
  let sse = 0;
  for (let r = 0; r < rows; r++) {
    let p = 0;
    for (let c = 0; c < cols; c++) p += x[r * cols + c]! * coef[c]!;
    sse += (y[r]! - p) ** 2;
  }
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
