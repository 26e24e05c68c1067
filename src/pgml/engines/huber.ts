/**
 * `huber`: scikit-learn's HuberRegressor. Minimises Owen's concomitant Huber loss jointly in the
 * weights, the intercept and the scale σ, Σ(σ + H_ε(rᵢ/σ)σ) + α‖w‖², with L-BFGS (gtol = tol,
 * max_iter iterations) from w = 0, σ = 1, as sklearn; σ stays positive because the line search
 * refuses steps that would make it non-positive (sklearn bounds it below by 10·eps).
 */
import { addResidualsTimesRows, rowsTimesColumns } from './blas.js';
import { boolParam, intParam, rangeParam } from './engine-support.js';
import { Float64RowBlocks } from './float64-row-blocks.js';
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

/**
 * sklearn's _huber_loss_and_gradient; parameters are [w…, intercept?, σ]. The predictions X·w + b and
 * the gradient's Xᵀ·(∂loss/∂prediction) are BLAS products over float64 blocks of the float32 rows
 * (float64-row-blocks.ts, the intercept as a column of ones), as sklearn takes them with NumPy's BLAS:
 * two passes of dot products per row in JavaScript were 1.6× scikit-learn's whole fit at 100k.
 */
function huberObjective(x: Float32Array, rows: number, cols: number, y: Float64Array, options: HuberOptions) {
  const { epsilon, alpha, fitIntercept } = options;
  const blocks = new Float64RowBlocks(x, rows, cols, { ones: fitIntercept });
  // [w…, intercept?]: the parameters' and the gradient's first `stride` entries.
  const stride = blocks.width;
  const scores = new Float64Array(blocks.blockRows);
  return (params: Float64Array, grad: Float64Array): number => {
    const sigma = params[params.length - 1]!;
    if (!(sigma >= SIGMA_FLOOR)) return Infinity;
    grad.fill(0);
    let outlierCount = 0;
    let outlierSum = 0;
    let squared = 0;
    for (let b = 0; b < blocks.count; b++) {
      const block = blocks.block(b);
      const n = blocks.rowsOf(b);
      const start = blocks.start(b);
      const p = n === scores.length ? scores : scores.subarray(0, n);
      rowsTimesColumns(block, n, stride, params, 1, p);
      // Each prediction replaced by the loss's derivative in it, for Xᵀ· below.
      for (let r = 0; r < n; r++) {
        const residual = y[start + r]! - p[r]!;
        if (Math.abs(residual) > epsilon * sigma) {
          outlierCount++;
          outlierSum += Math.abs(residual);
          p[r] = residual < 0 ? 2 * epsilon : -2 * epsilon;
        } else {
          squared += residual * residual;
          p[r] = -(2 / sigma) * residual;
        }
      }
      addResidualsTimesRows(p, n, 1, block, stride, grad, stride);
    }
    let wNormSq = 0;
    for (let c = 0; c < cols; c++) {
      grad[c]! += 2 * alpha * params[c]!;
      wNormSq += params[c]! ** 2;
    }
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
