import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type HighsModule from 'highs';
import { PgError } from '../../../../src/errors/index.js';
import { solveLp, type ColumnwiseLp, type LpShape } from '../../../../src/pgml/engines/highs-lp.js';

/** A dense column-major matrix into the views, every array written (the module's memory is not zeroed). */
function denseLp(cost: number[], rows: number[][], rhs: number[], upper = Infinity): (lp: ColumnwiseLp) => void {
  return (lp) => {
    lp.colCost.set(cost);
    lp.colLower.fill(0);
    lp.colUpper.fill(upper === Infinity ? lp.infinity : upper);
    lp.rowLower.set(rhs);
    lp.rowUpper.set(rhs);
    let k = 0;
    for (let j = 0; j < cost.length; j++) {
      lp.starts[j] = k;
      for (let r = 0; r < rows.length; r++) {
        lp.indices[k] = r;
        lp.values[k++] = rows[r]![j]!;
      }
    }
  };
}

const shape = (cols: number, rows: number): LpShape => ({ numCols: cols, numRows: rows, numNonzeros: cols * rows });

describe("HiGHS's C API on the highs package's WebAssembly", () => {
  it('returns the optimum’s first columns', async () => {
    // min x + y + 3z  subject to  x + 2y + z = 4,  x − y = −1: y = 5/3, x = 2/3, z = 0.
    const solution = await solveLp(shape(3, 2), 'choose', 3, denseLp([1, 1, 3], [[1, 2, 1], [1, -1, 0]], [4, -1]));
    assert.deepEqual(Array.from(solution, (v) => Math.round(v * 1e9) / 1e9), [0.666666667, 1.666666667, 0]);
    const first = await solveLp(shape(3, 2), 'simplex', 1, denseLp([1, 1, 3], [[1, 2, 1], [1, -1, 0]], [4, -1]));
    assert.equal(first.length, 1);
    assert.ok(Math.abs(first[0]! - 2 / 3) < 1e-9);
  });

  it('refuses what has no optimum, with HiGHS’s model status', async () => {
    // x + y = −1 with x, y ≥ 0: infeasible (8).
    await assert.rejects(solveLp(shape(2, 1), 'choose', 2, denseLp([1, 1], [[1, 1]], [-1])), (error: unknown) => {
      assert.ok(error instanceof PgError);
      assert.match(error.message, /did not reach an optimum \(HiGHS model status 8\)/);
      return true;
    });
    // min −x − y subject to x − y = 0: unbounded.
    await assert.rejects(solveLp(shape(2, 1), 'simplex', 2, denseLp([-1, -1], [[1, -1]], [0])), /did not reach an optimum/);
    // The instance is still good afterwards.
    const solution = await solveLp(shape(2, 1), 'choose', 2, denseLp([1, 2], [[1, 1]], [3]));
    assert.deepEqual(Array.from(solution), [3, 0]);
  });

  it('solves as the package’s model API does, bit for bit (an L1 regression with a penalty, three solvers)', async () => {
    const highs = await (createRequire(import.meta.url)('highs') as typeof HighsModule).default();
    const rows = 40;
    const cols = 2 * 3 + 2 * rows;
    const a = Array.from({ length: rows }, (_, r) => {
      const features = [1, Math.sin(r * 1.7), ((r * 37) % 11) / 5];
      return [...features, ...features.map((v) => -v), ...Array.from({ length: 2 * rows }, (_, c) => (c === r ? 1 : c === rows + r ? -1 : 0))];
    });
    const y = Array.from({ length: rows }, (_, r) => 2 * Math.sin(r * 1.7) - ((r * 37) % 11) / 5 + Math.cos(r));
    const cost = [0, 0.3, 0.3, 0, 0.3, 0.3, ...Array<number>(rows).fill(0.7), ...Array<number>(rows).fill(0.3)];
    for (const solver of ['choose', 'simplex', 'ipm'] as const) {
      const ours = await solveLp(shape(cols, rows), solver, cols, denseLp(cost, a, y));
      const fill = denseLp(cost, a, y);
      const views = {
        colCost: new Float64Array(cols), colLower: new Float64Array(cols), colUpper: new Float64Array(cols),
        rowLower: new Float64Array(rows), rowUpper: new Float64Array(rows), starts: new Int32Array(cols + 1),
        indices: new Int32Array(cols * rows), values: new Float64Array(cols * rows), infinity: highs.infinity,
      };
      fill(views);
      views.starts[cols] = cols * rows;
      const model = highs.createModel({
        numCols: cols, numRows: rows, colCost: views.colCost, colLower: views.colLower, colUpper: views.colUpper,
        rowLower: views.rowLower, rowUpper: views.rowUpper,
        matrix: { format: 'csc', numRows: rows, numCols: cols, starts: views.starts, indices: views.indices, values: views.values },
      });
      try {
        model.options.set({ output_flag: false, solver });
        model.run();
        assert.deepEqual(Array.from(ours), Array.from(model.getSolution().colValue), solver);
      } finally {
        model.dispose();
      }
    }
  });
});
