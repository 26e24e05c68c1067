import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainSgd, type Settings } from '../../../../src/pgml/engines/sgd-epochs.js';
import { sparseRows } from '../../../../src/pgml/engines/sgd-rows.js';
import { loadSplit } from './sklearn-reference.js';

const DEFAULTS: Settings = {
  loss: 'hinge', epsilon: 0.1, rate: 'optimal', alpha: 1e-4, l1Ratio: 0.15, penalty: 'l2', eta0: 0.01, powerT: 0.5, C: 1,
  hinge: false, fitIntercept: true, maxIter: 40, tol: 1e-3, patience: 5, shuffle: true,
};

/** The weights, or the error's message: what a fit over every column and one skipping zeros must share. */
function outcome(x: Float32Array, rows: number, cols: number, y: Float64Array, settings: Partial<Settings>, skipZeros: boolean): number[] | string {
  const sparse = skipZeros ? sparseRows(x, rows, cols) : undefined;
  if (skipZeros) assert.ok(sparse, 'the rows are sparse enough to skip zeros');
  try {
    return Array.from(plainSgd(x, rows, cols, y, { ...DEFAULTS, ...settings }, 5, sparse));
  } catch (error) {
    return (error as Error).message;
  }
}

describe("SGD family's loops over nonzero entries only", () => {
  it('lists each row’s nonzero entries in column order, and nothing for dense rows', () => {
    const sparse = sparseRows(Float32Array.from([0, 2, 0, 0, 0, 0, -0, 3, 4, 0, 0, 0]), 3, 4);
    assert.deepEqual(sparse && [Array.from(sparse.start), Array.from(sparse.columns), Array.from(sparse.values)], [[0, 1, 2, 3], [1, 3, 0], [2, 3, 4]]);
    const breastCancer = loadSplit('breast_cancer').train;
    assert.equal(sparseRows(breastCancer.x, breastCancer.rows, breastCancer.cols), undefined);
  });

  it('gives every loss, penalty and rate, perceptron and passive-aggressive the same weights bit for bit (digits, one class against the rest)', () => {
    const { x, rows, cols, y } = loadSplit('digits').train;
    const target = Float64Array.from(y!, (v) => (v === 3 ? 1 : -1));
    const variants: Partial<Settings>[] = [
      {},
      ...(['log_loss', 'modified_huber', 'squared_hinge', 'perceptron'] as const).map((loss) => ({ loss })),
      ...(['l1', 'elasticnet', 'none'] as const).map((penalty) => ({ penalty })),
      { loss: 'perceptron', penalty: 'none', rate: 'constant', eta0: 1 },
      { rate: 'invscaling', powerT: 0.25, penalty: 'elasticnet' },
      { rate: 'pa1', hinge: true, penalty: 'none' },
      { rate: 'pa1', hinge: true, penalty: 'none', C: 0.01, fitIntercept: false },
    ];
    for (const settings of variants) {
      const dense = outcome(x, rows, cols, target, settings, false);
      assert.equal(typeof dense, 'object', `${JSON.stringify(settings)}: ${String(dense)}`);
      assert.deepEqual(outcome(x, rows, cols, target, settings, true), dense, JSON.stringify(settings));
    }
  });

  it('keeps the full loop’s result where weights overflow (regression, a constant rate far too large: the fit fails the same way)', () => {
    const rows = 40;
    const cols = 8;
    const x = Float32Array.from({ length: rows * cols }, (_, i) => (i % 3 === 0 ? 1e30 * Math.sin(i) : 0));
    const y = Float64Array.from({ length: rows }, (_, r) => Math.cos(r) * 100);
    // A step of 1e290 (the derivative is clipped at 1e12) times x's 1e30 overflows at the first update.
    const regressions: Partial<Settings>[] = [
      { loss: 'squared_error', rate: 'constant', eta0: 1e290, penalty: 'none' },
      { loss: 'squared_error', rate: 'constant', eta0: 1e290, penalty: 'l2' },
      { loss: 'huber', rate: 'constant', eta0: 1e290, penalty: 'l1' },
    ];
    for (const settings of regressions) {
      const dense = outcome(x, rows, cols, y, settings, false);
      assert.equal(dense, 'stochastic gradient descent diverged (floating-point overflow)', JSON.stringify(settings));
      assert.deepEqual(outcome(x, rows, cols, y, settings, true), dense, JSON.stringify(settings));
    }
  });
});
