/**
 * `quantile`: scikit-learn's QuantileRegressor, the linear program its default solver='highs' solves,
 * handed to the same solver (HiGHS, compiled to WebAssembly by the `highs` package):
 *   minimise Σ q·uᵢ + (1−q)·vᵢ + n·α·Σ(sⱼ + tⱼ)
 *   subject to X(s − t) + (s₀ − t₀) + u − v = y,  all variables ≥ 0,
 * where the weights are s − t, the unpenalised intercept s₀ − t₀, and u, v the residuals' two sides.
 */
import { createRequire } from 'node:module';
import type HighsModule from 'highs';
import type { Highs } from 'highs';
import { PgError, SqlState } from '../../errors/index.js';
import { boolParam, choiceParam, invalidParam, rangeParam } from './engine-support.js';
import { linearRegressorFactory, type RegressionRows } from './linear-regressor.js';
import type { LinearCoefficients } from './linear-solvers.js';

const ALGORITHM = 'quantile';

let loading: Promise<Highs> | undefined;

export interface QuantileOptions {
  quantile: number;
  alpha: number;
  fitIntercept: boolean;
  /** HiGHS's solver option for sklearn's solver names: 'highs' lets HiGHS choose. */
  solver: 'choose' | 'simplex' | 'ipm';
}

const SOLVERS = { highs: 'choose', 'highs-ds': 'simplex', 'highs-ipm': 'ipm' } as const;

export async function quantileFit(
  x: Float32Array, rows: number, cols: number, y: Float64Array, options: QuantileOptions,
): Promise<{ coef: number[]; intercept: number }> {
  // The package's types describe its CommonJS build; load that one so types and runtime agree.
  loading ??= (createRequire(import.meta.url)('highs') as typeof HighsModule).default();
  const highs = await loading;
  const params = cols + (options.fitIntercept ? 1 : 0);
  const numCols = 2 * params + 2 * rows;
  const colCost = new Float64Array(numCols);
  colCost.fill(rows * options.alpha, 0, 2 * params);
  if (options.fitIntercept) colCost[0] = colCost[params] = 0;
  colCost.fill(options.quantile, 2 * params, 2 * params + rows);
  colCost.fill(1 - options.quantile, 2 * params + rows);
  // Column-major [X₁ | −X₁ | I | −I], X₁ = [1, X] with an intercept.
  const nnz = 2 * params * rows + 2 * rows;
  const starts = new Int32Array(numCols + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
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
  starts[numCols] = k;
  const model = highs.createModel({
    numCols,
    numRows: rows,
    colCost,
    colLower: new Float64Array(numCols),
    colUpper: new Float64Array(numCols).fill(highs.infinity),
    rowLower: y,
    rowUpper: y,
    matrix: { format: 'csc', numRows: rows, numCols, starts, indices, values },
  });
  try {
    model.options.set({ output_flag: false, solver: options.solver });
    model.run();
    if (model.getModelStatus() !== highs.constants.modelStatus.optimal) {
      throw new PgError(SqlState.InternalError, `quantile regression's linear program did not reach an optimum (HiGHS status ${model.getModelStatus()})`);
    }
    const solution = model.getSolution().colValue;
    const w = Array.from({ length: params }, (_, j) => solution[j]! - solution[params + j]!);
    return options.fitIntercept ? { coef: w.slice(1), intercept: w[0]! } : { coef: w, intercept: 0 };
  } finally {
    model.dispose();
  }
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
