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

describe("SGD family's loops of their own for penalties l2 and none", () => {
  // l2 and none have their own loops (sgd-epochs.ts); the general loop gives the same model where its
  // extra terms vanish: elasticnet with l1_ratio 0 truncates nothing and adds 0·‖w‖₁, l1 with alpha 0 moves
  // no weight and adds 0 to the objective. Bit for bit, with and without skipping zeros.
  const digits = loadSplit('digits').train;
  const diabetes = loadSplit('diabetes').train;
  const sets = [
    { name: 'digits, 3 against the rest', ...digits, target: Float64Array.from(digits.y!, (v) => (v === 3 ? 1 : -1)), classification: true },
    { name: 'diabetes', ...diabetes, target: Float64Array.from(diabetes.y!), classification: false },
  ];

  it('l2 gives what elasticnet with l1_ratio 0 gives (every loss, each rate)', () => {
    for (const { name, x, rows, cols, target, classification } of sets) {
      const losses = classification ? (['hinge', 'log_loss', 'modified_huber', 'squared_hinge'] as const) : (['squared_error', 'huber', 'epsilon_insensitive'] as const);
      // 300 epochs at most: most of these fits stop on the objective, so its penalty term is compared too.
      const rates = classification
        ? [{ rate: 'optimal' as const }, { rate: 'invscaling' as const, eta0: 0.01, powerT: 0.25 }]
        : [{ rate: 'invscaling' as const, eta0: 0.01, powerT: 0.25 }, { rate: 'constant' as const, eta0: 0.001 }];
      // A large alpha too, where the penalty's share of the objective decides when the fit stops.
      const alphas = classification ? [1e-4, 0.05] : [0.01, 1];
      for (const loss of losses) {
        for (const [rate, alpha] of rates.flatMap((r) => alphas.map((a) => [r, a] as const))) {
          const settings = { loss, ...rate, alpha, maxIter: 300 };
          const general = outcome(x, rows, cols, target, { ...settings, penalty: 'elasticnet', l1Ratio: 0 }, false);
          assert.equal(typeof general, 'object', `${name} ${JSON.stringify(settings)}: ${String(general)}`);
          assert.deepEqual(outcome(x, rows, cols, target, { ...settings, penalty: 'l2' }, false), general, `${name} ${JSON.stringify(settings)}`);
          if (classification) assert.deepEqual(outcome(x, rows, cols, target, { ...settings, penalty: 'l2' }, true), general, `${name} ${JSON.stringify(settings)}, zeros skipped`);
        }
      }
    }
  });

  it('none gives what l1 with alpha 0 gives (perceptron, and a constant-rate hinge and squared error)', () => {
    for (const { name, x, rows, cols, target, classification } of sets) {
      const variants: Partial<Settings>[] = classification
        ? [{ loss: 'perceptron', rate: 'constant', eta0: 1 }, { loss: 'hinge', rate: 'constant', eta0: 0.1 }]
        : [{ loss: 'squared_error', rate: 'invscaling', eta0: 0.01, powerT: 0.25 }];
      for (const settings of variants) {
        const general = outcome(x, rows, cols, target, { ...settings, penalty: 'l1', alpha: 0 }, false);
        assert.equal(typeof general, 'object', `${name} ${JSON.stringify(settings)}: ${String(general)}`);
        assert.deepEqual(outcome(x, rows, cols, target, { ...settings, penalty: 'none', alpha: 0 }, false), general, `${name} ${JSON.stringify(settings)}`);
        if (classification) assert.deepEqual(outcome(x, rows, cols, target, { ...settings, penalty: 'none', alpha: 0 }, true), general, `${name} ${JSON.stringify(settings)}, zeros skipped`);
      }
    }
  });
});
