/**
 * `automatic_relevance_determination`: scikit-learn's ARDRegression. Like bayesian_ridge, but with one
 * precision λᵢ per weight: each iteration takes the posterior Σ = (diag λ + α XᵀX)⁻¹ over the features
 * still kept, the mean α Σ Xᵀy, then re-estimates λ and α; features whose λᵢ passes threshold_lambda are
 * pruned (weight 0). Stops when the weights move less than tol. Same defaults and names as sklearn.
 */
import { boolParam, rangeParam } from './engine-support.js';
import { gammaPriors, initialNoisePrecision, sumSquaredResiduals, type GammaPriors } from './bayesian-ridge.js';
import { gram, xTy } from './blas.js';
import { centreRows, interceptFor, linearRegressorFactory, outputColumn, type RegressionRows } from './linear-regressor.js';
import type { LinearCoefficients } from './linear-solvers.js';
import { pinvh } from './symmetric-pinv.js';

const ALGORITHM = 'automatic_relevance_determination';
interface ArdOptions extends GammaPriors {
  thresholdLambda: number;
}

interface Posterior {
  kept: Int32Array;
  /** kept × kept, row-major. */
  sigma: Float64Array;
}

/** Σ over the kept features: sklearn's pinvh(diag λ + α XᵀX). */
function posterior(g: Float64Array, cols: number, alpha: number, lambda: Float64Array, keep: Uint8Array): Posterior {
  let m = 0;
  const kept = new Int32Array(keep.reduce((count, k) => count + k, 0));
  keep.forEach((k, i) => {
    if (k) kept[m++] = i;
  });
  const inverse = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    const row = kept[a]! * cols;
    for (let b = 0; b < m; b++) inverse[a * m + b] = alpha * g[row + kept[b]!]!;
    inverse[a * m + a]! += lambda[kept[a]!]!;
  }
  return { kept, sigma: pinvh(inverse, m) };
}

function updateWeights(coef: Float64Array, post: Posterior, xy: Float64Array, alpha: number): void {
  const { kept, sigma } = post;
  const m = kept.length;
  for (let a = 0; a < m; a++) {
    let s = 0;
    for (let b = 0; b < m; b++) s += sigma[a * m + b]! * xy[kept[b]!]!;
    coef[kept[a]!] = alpha * s;
  }
}

/** One centred target. */
export function ardWeights(x: Float64Array, rows: number, cols: number, y: Float64Array, options: ArdOptions): Float64Array {
  const g = gram(x, rows, cols);
  const xy = xTy(x, rows, cols, y);
  let alpha = initialNoisePrecision(y);
  const lambda = new Float64Array(cols).fill(1);
  let keep = new Uint8Array(cols).fill(1);
  const coef = new Float64Array(cols);
  const previous = new Float64Array(cols);
  for (let iteration = 0; iteration < options.maxIter; iteration++) {
    const post = posterior(g, cols, alpha, lambda, keep);
    updateWeights(coef, post, xy, alpha);
    const sse = sumSquaredResiduals(x, rows, cols, y, coef);
    let gammaSum = 0;
    const m = post.kept.length;
    for (let a = 0; a < m; a++) {
      const i = post.kept[a]!;
      const gamma = 1 - lambda[i]! * post.sigma[a * m + a]!;
      gammaSum += gamma;
      lambda[i] = (gamma + 2 * options.lambda1) / (coef[i]! ** 2 + 2 * options.lambda2);
    }
    alpha = (rows - gammaSum + 2 * options.alpha1) / (sse + 2 * options.alpha2);
    keep = Uint8Array.from(lambda, (l) => (l < options.thresholdLambda ? 1 : 0));
    for (let c = 0; c < cols; c++) if (!keep[c]) coef[c] = 0;
    if (iteration > 0) {
      let change = 0;
      for (let c = 0; c < cols; c++) change += Math.abs(previous[c]! - coef[c]!);
      if (change < options.tol) break;
    }
    previous.set(coef);
    if (!keep.includes(1)) break;
  }
  if (keep.includes(1)) updateWeights(coef, posterior(g, cols, alpha, lambda, keep), xy, alpha);
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
