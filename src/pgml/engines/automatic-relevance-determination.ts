/**
 * `automatic_relevance_determination`: scikit-learn's ARDRegression. Like bayesian_ridge, but with one
 * precision λᵢ per weight: each iteration takes the posterior Σ = (diag λ + α XᵀX)⁻¹ over the features
 * still kept, the mean α Σ Xᵀy, then re-estimates λ and α; features whose λᵢ passes threshold_lambda are
 * pruned (weight 0). Stops when the weights move less than tol. Same defaults and names as sklearn.
 */
import { Matrix, pseudoInverse } from 'ml-matrix';
import { boolParam, rangeParam } from './engine-support.js';
import { gammaPriors, initialNoisePrecision, type GammaPriors } from './bayesian-ridge.js';
import { gram, xTy } from './blas.js';
import { centreRows, interceptFor, linearRegressorFactory, outputColumn, type RegressionRows } from './linear-regressor.js';
import type { LinearCoefficients } from './linear-solvers.js';

const ALGORITHM = 'automatic_relevance_determination';
interface ArdOptions extends GammaPriors {
  thresholdLambda: number;
}

interface Posterior {
  kept: number[];
  sigma: Matrix;
}

/** Σ over the kept features (sklearn's pinvh of diag λ + α XᵀX). */
function posterior(g: Float64Array, cols: number, alpha: number, lambda: Float64Array, keep: boolean[]): Posterior {
  const kept = keep.flatMap((k, i) => (k ? [i] : []));
  const inverse = new Matrix(kept.length, kept.length);
  kept.forEach((i, a) => kept.forEach((j, b) => inverse.set(a, b, alpha * g[i * cols + j]! + (a === b ? lambda[i]! : 0))));
  return { kept, sigma: pseudoInverse(inverse) };
}

function updateWeights(coef: Float64Array, post: Posterior, xy: Float64Array, alpha: number): void {
  post.kept.forEach((i, a) => {
    let s = 0;
    post.kept.forEach((j, b) => (s += post.sigma.get(a, b) * xy[j]!));
    coef[i] = alpha * s;
  });
}

/** One centred target. */
export function ardWeights(x: Float64Array, rows: number, cols: number, y: Float64Array, options: ArdOptions): Float64Array {
  const g = gram(x, rows, cols);
  const xy = xTy(x, rows, cols, y);
  let alpha = initialNoisePrecision(y);
  const lambda = new Float64Array(cols).fill(1);
  let keep = new Array<boolean>(cols).fill(true);
  const coef = new Float64Array(cols);
  let previous: Float64Array | undefined;
  for (let iteration = 0; iteration < options.maxIter; iteration++) {
    const post = posterior(g, cols, alpha, lambda, keep);
    updateWeights(coef, post, xy, alpha);
    let sse = 0;
    for (let r = 0; r < rows; r++) {
      let p = 0;
      for (let c = 0; c < cols; c++) p += x[r * cols + c]! * coef[c]!;
      sse += (y[r]! - p) ** 2;
    }
    let gammaSum = 0;
    post.kept.forEach((i, a) => {
      const gamma = 1 - lambda[i]! * post.sigma.get(a, a);
      gammaSum += gamma;
      lambda[i] = (gamma + 2 * options.lambda1) / (coef[i]! ** 2 + 2 * options.lambda2);
    });
    alpha = (rows - gammaSum + 2 * options.alpha1) / (sse + 2 * options.alpha2);
    keep = Array.from(lambda, (l) => l < options.thresholdLambda);
    keep.forEach((k, i) => {
      if (!k) coef[i] = 0;
    });
    if (previous) {
      let change = 0;
      for (let c = 0; c < cols; c++) change += Math.abs(previous[c]! - coef[c]!);
      if (change < options.tol) break;
    }
    previous = Float64Array.from(coef);
    if (!keep.includes(true)) break;
  }
  if (keep.includes(true)) updateWeights(coef, posterior(g, cols, alpha, lambda, keep), xy, alpha);
  return coef;
}

function fit(data: RegressionRows, hp: Record<string, unknown>): LinearCoefficients {
  const options: ArdOptions = {
    ...gammaPriors(ALGORITHM, hp),
    thresholdLambda: rangeParam(ALGORITHM, hp, 'threshold_lambda', 1e4, { min: 0 }),
  };
  const centred = centreRows(data, boolParam(ALGORITHM, hp, 'fit_intercept', true));
  const w = ardWeights(centred.x, data.rows, data.cols, outputColumn(centred.y, data.rows, 1, 0), options);
  return { coef: [Array.from(w)], intercept: [interceptFor(w, centred.xMean, centred.yMean[0]!)] };
}

export const automaticRelevanceDeterminationFactory = linearRegressorFactory({
  algorithm: ALGORITHM,
  hyperparams: ['max_iter', 'tol', 'alpha_1', 'alpha_2', 'lambda_1', 'lambda_2', 'threshold_lambda', 'fit_intercept'],
  multiOutput: false,
  fit,
});
