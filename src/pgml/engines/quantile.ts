/**
 * `quantile`: scikit-learn's QuantileRegressor, the linear program its default solver='highs' solves,
 * handed to the same solver (HiGHS, compiled to WebAssembly by the `highs` package):
 *   minimise Σ q·uᵢ + (1−q)·vᵢ + n·α·Σ(sⱼ + tⱼ)
 *   subject to X(s − t) + (s₀ − t₀) + u − v = y,  all variables ≥ 0,
 * where the weights are s − t, the unpenalised intercept s₀ − t₀, and u, v the residuals' two sides.
 */
import { boolParam, choiceParam, invalidParam, rangeParam } from './engine-support.js';
import { solveLp, type LpSolver } from './highs-lp.js';
import { linearRegressorFactory, type RegressionRows } from './linear-regressor.js';
import type { LinearCoefficients } from './linear-solvers.js';

const ALGORITHM = 'quantile';

export interface QuantileOptions {
  quantile: number;
  alpha: number;
  fitIntercept: boolean;
  /** HiGHS's solver option for sklearn's solver names: 'highs' lets HiGHS choose. */
  solver: LpSolver;
}

const SOLVERS = { highs: 'choose', 'highs-ds': 'simplex', 'highs-ipm': 'ipm' } as const;

export async function quantileFit(
  x: Float32Array, rows: number, cols: number, y: Float64Array, options: QuantileOptions,
): Promise<{ coef: number[]; intercept: number }> {
  const params = cols + (options.fitIntercept ? 1 : 0);
  const numCols = 2 * params + 2 * rows;
  const numNonzeros = 2 * params * rows + 2 * rows;
  const solution = await solveLp({ numCols, numRows: rows, numNonzeros }, options.solver, 2 * params, (lp) => {
    const { colCost, starts, indices, values } = lp;
    colCost.fill(rows * options.alpha, 0, 2 * params);
    if (options.fitIntercept) colCost[0] = colCost[params] = 0;
    colCost.fill(options.quantile, 2 * params, 2 * params + rows);
    colCost.fill(1 - options.quantile, 2 * params + rows);
    lp.colLower.fill(0);
    lp.colUpper.fill(lp.infinity);
    lp.rowLower.set(y);
    lp.rowUpper.set(y);
    // Column-major [X₁ | −X₁ | I | −I], X₁ = [1, X] with an intercept.
    let k = 0;
    for (let side = 0; side < 2; side++) {
      const sign = side === 0 ? 1 : -1;
      for (let j = 0; j < params; j++) {
        starts[side * params + j] = k;
        const feature = options.fitIntercept ? j - 1 : j;
        for (let r = 0; r < rows; r++) {
          indices[k] = r;
          values[k++] = sign * (feature < 0 ? 1 : x[r * cols + feature]!);
        }
      }
    }
    for (let side = 0; side < 2; side++) {
      for (let r = 0; r < rows; r++) {
        starts[2 * params + side * rows + r] = k;
        indices[k] = r;
        values[k++] = side === 0 ? 1 : -1;
      }
    }
  });
  const w = Array.from({ length: params }, (_, j) => solution[j]! - solution[params + j]!);
  return options.fitIntercept ? { coef: w.slice(1), intercept: w[0]! } : { coef: w, intercept: 0 };
}

/** Strictly between 0 and 1, as sklearn. */
function quantileParam(hp: Record<string, unknown>): number {
  const q = rangeParam(ALGORITHM, hp, 'quantile', 0.5, { min: 0, exclusiveMin: true });
  if (q >= 1) throw invalidParam(ALGORITHM, 'quantile', 'a number > 0 and < 1', hp.quantile);
  return q;
}

async function fit(data: RegressionRows, hp: Record<string, unknown>): Promise<LinearCoefficients> {
  const fitted = await quantileFit(data.x, data.rows, data.cols, data.y, {
    quantile: quantileParam(hp),
    alpha: rangeParam(ALGORITHM, hp, 'alpha', 1.0, { min: 0 }),
    fitIntercept: boolParam(ALGORITHM, hp, 'fit_intercept', true),
    solver: SOLVERS[choiceParam(ALGORITHM, hp, 'solver', 'highs', ['highs', 'highs-ds', 'highs-ipm'])],
  });
  return { coef: [fitted.coef], intercept: [fitted.intercept] };
}

export const quantileFactory = linearRegressorFactory({
  algorithm: ALGORITHM,
  hyperparams: ['quantile', 'alpha', 'fit_intercept', 'solver'],
  multiOutput: false,
  fit,
});
