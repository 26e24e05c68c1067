/**
 * `huber`: scikit-learn's HuberRegressor. Minimises Owen's concomitant Huber loss jointly in the
 * weights, the intercept and the scale σ, Σ(σ + H_ε(rᵢ/σ)σ) + α‖w‖², with L-BFGS (gtol = tol,
 * max_iter iterations) from w = 0, σ = 1, as sklearn; σ stays positive because the line search
 * refuses steps that would make it non-positive (sklearn bounds it below by 10·eps).
 */
import { boolParam, intParam, rangeParam } from './engine-support.js';
import { minimizeLbfgs } from './lbfgs.js';
import { linearRegressorFactory, type RegressionRows } from './linear-regressor.js';
import type { LinearCoefficients } from './linear-solvers.js';

const ALGORITHM = 'huber';
const SIGMA_FLOOR = 10 * 2.220446049250313e-16;

export interface HuberOptions {
  epsilon: number;
  alpha: number;
  fitIntercept: boolean;
  maxIter: number;
  tol: number;
}

/** sklearn's _huber_loss_and_gradient; parameters are [w…, intercept?, σ]. */
function huberObjective(x: Float32Array, rows: number, cols: number, y: Float64Array, options: HuberOptions) {
  const { epsilon, alpha, fitIntercept } = options;
  return (params: Float64Array, grad: Float64Array): number => {
    const sigma = params[params.length - 1]!;
    if (!(sigma >= SIGMA_FLOOR)) return Infinity;
    const intercept = fitIntercept ? params[cols]! : 0;
    grad.fill(0);
    let outlierCount = 0;
    let outlierSum = 0;
    let squared = 0;
    let interceptGrad = 0;
    for (let r = 0; r < rows; r++) {
      let p = intercept;
      for (let c = 0; c < cols; c++) p += x[r * cols + c]! * params[c]!;
      const residual = y[r]! - p;
      if (Math.abs(residual) > epsilon * sigma) {
        outlierCount++;
        outlierSum += Math.abs(residual);
        const sign = residual < 0 ? -1 : 1;
        for (let c = 0; c < cols; c++) grad[c]! -= 2 * epsilon * sign * x[r * cols + c]!;
        interceptGrad -= 2 * epsilon * sign;
      } else {
        squared += residual * residual;
        for (let c = 0; c < cols; c++) grad[c]! -= (2 / sigma) * residual * x[r * cols + c]!;
        interceptGrad -= (2 / sigma) * residual;
      }
    }
    let wNormSq = 0;
    for (let c = 0; c < cols; c++) {
      grad[c]! += 2 * alpha * params[c]!;
      wNormSq += params[c]! ** 2;
    }
    if (fitIntercept) grad[cols] = interceptGrad;
    const squaredLoss = squared / sigma;
    grad[params.length - 1] = rows - outlierCount * epsilon * epsilon - squaredLoss / sigma;
    const outlierLoss = 2 * epsilon * outlierSum - sigma * outlierCount * epsilon * epsilon;
    return rows * sigma + squaredLoss + outlierLoss + alpha * wNormSq;
  };
}

export function huberFit(x: Float32Array, rows: number, cols: number, y: Float64Array, options: HuberOptions): { coef: Float64Array; intercept: number; scale: number } {
  const start = new Float64Array(cols + (options.fitIntercept ? 2 : 1));
  start[start.length - 1] = 1;
  const result = minimizeLbfgs(huberObjective(x, rows, cols, y, options), start, { maxIter: options.maxIter, gtol: options.tol });
  return {
    coef: result.x.slice(0, cols),
    intercept: options.fitIntercept ? result.x[cols]! : 0,
    scale: result.x[result.x.length - 1]!,
  };
}

function fit(data: RegressionRows, hp: Record<string, unknown>): LinearCoefficients {
  const fitted = huberFit(data.x, data.rows, data.cols, data.y, {
    epsilon: rangeParam(ALGORITHM, hp, 'epsilon', 1.35, { min: 1 }),
    alpha: rangeParam(ALGORITHM, hp, 'alpha', 1e-4, { min: 0 }),
    fitIntercept: boolParam(ALGORITHM, hp, 'fit_intercept', true),
    maxIter: intParam(ALGORITHM, hp, 'max_iter', 100, 0),
    tol: rangeParam(ALGORITHM, hp, 'tol', 1e-5, { min: 0 }),
  });
  return { coef: [Array.from(fitted.coef)], intercept: [fitted.intercept] };
}

export const huberFactory = linearRegressorFactory({
  algorithm: ALGORITHM,
  hyperparams: ['epsilon', 'alpha', 'max_iter', 'tol', 'fit_intercept'],
  multiOutput: false,
  fit,
});
