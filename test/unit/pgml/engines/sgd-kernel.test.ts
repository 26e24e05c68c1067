import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { committedModule, compileKernel, kernelModule } from '../../../../scripts/build-wasm.mjs';
import { kernelServes, plainSgd, type Settings } from '../../../../src/pgml/engines/sgd-epochs.js';
import { sparseRows } from '../../../../src/pgml/engines/sgd-rows.js';
import { loadSplit } from './sklearn-reference.js';

const PA: Settings = {
  loss: 'hinge', epsilon: 0.1, rate: 'pa1', alpha: 1, l1Ratio: 0, penalty: 'none', eta0: 1, powerT: 0.5, C: 1,
  hinge: true, fitIntercept: true, maxIter: 1000, tol: 1e-3, patience: 5, shuffle: true,
};
const REGRESSION: Partial<Settings> = { loss: 'epsilon_insensitive', hinge: false };

/** SGDClassifier's defaults (sgd.ts): hinge, l2, the optimal rate. */
const SGD: Settings = {
  loss: 'hinge', epsilon: 0.1, rate: 'optimal', alpha: 1e-4, l1Ratio: 0.15, penalty: 'l2', eta0: 0, powerT: 0.5, C: 1,
  hinge: false, fitIntercept: true, maxIter: 1000, tol: 1e-3, patience: 5, shuffle: true,
};
/** SGDRegressor's: squared_error, invscaling with eta0 0.01 and power_t 0.25. */
const SGD_REGRESSION: Partial<Settings> = { loss: 'squared_error', rate: 'invscaling', eta0: 0.01, powerT: 0.25 };

const bits = (w: Float64Array): string[] => Array.from(w, (v) => (Object.is(v, -0) ? '-0' : v.toString()));

/** Weights and intercept from the WebAssembly kernel and from the JavaScript loop, as bit strings. */
function bothPaths(
  x: Float32Array, rows: number, cols: number, y: Float64Array, settings: Partial<Settings>, seed: number, base = PA, skipZeros = false,
): [string[], string[]] {
  const s = { ...base, ...settings };
  const sparse = skipZeros ? sparseRows(x, rows, cols) : undefined;
  assert.ok(!skipZeros || sparse, 'rows sparse enough to skip zeros');
  assert.ok(kernelServes(s, sparse), `the kernel serves ${JSON.stringify(settings)}`);
  return [bits(plainSgd(x, rows, cols, y, s, seed, sparse, true)), bits(plainSgd(x, rows, cols, y, s, seed, sparse, false))];
}

describe("the SGD family's WebAssembly row loops", () => {
  it('is built from sgd-kernel.wat as committed (node scripts/build-wasm.mjs after editing the .wat)', async () => {
    assert.equal(committedModule('sgd'), kernelModule('sgd', await compileKernel('sgd')));
  });

  it('gives the JavaScript loop’s model bit for bit: classification, C, no intercept, no shuffle', () => {
    const { train } = loadSplit('breast_cancer');
    const y = Float64Array.from(train.y!, (v) => (v === 1 ? 1 : -1));
    for (const [settings, seed] of [[{}, 3], [{ C: 0.01 }, 7], [{ fitIntercept: false }, 11], [{ shuffle: false }, 1], [{ maxIter: 3, tol: -Infinity }, 5]] as const) {
      const [kernel, js] = bothPaths(train.x, train.rows, train.cols, y, settings, seed);
      assert.deepEqual(kernel, js, JSON.stringify(settings));
    }
  });

  it('gives the JavaScript loop’s model bit for bit: regression, epsilon, a row of zeros', () => {
    const { train } = loadSplit('diabetes');
    const y = Float64Array.from(train.y!);
    const x = train.x.slice();
    x.fill(0, 5 * train.cols, 6 * train.cols);
    for (const [settings, seed] of [[REGRESSION, 2], [{ ...REGRESSION, C: 0.5, epsilon: 2 }, 9], [{ ...REGRESSION, fitIntercept: false }, 4]] as const) {
      const [kernel, js] = bothPaths(x, train.rows, train.cols, y, settings, seed);
      assert.deepEqual(kernel, js, JSON.stringify(settings));
    }
  });

  it('gives the JavaScript loop’s model bit for bit over sparse rows: digits one against the rest, sparse regression', () => {
    const digits = loadSplit('digits').train;
    for (const [digit, settings] of [[2, {}], [5, { C: 0.01, fitIntercept: false }]] as const) {
      const y = Float64Array.from(digits.y!, (v) => (v === digit ? 1 : -1));
      const [kernel, js] = bothPaths(digits.x, digits.rows, digits.cols, y, settings, 30 + digit, PA, true);
      assert.deepEqual(kernel, js, `${digit} ${JSON.stringify(settings)}`);
    }
    const { train } = loadSplit('diabetes');
    const x = Float32Array.from(train.x, (v) => (v > 0.01 ? v : 0));
    const [kernel, js] = bothPaths(x, train.rows, train.cols, Float64Array.from(train.y!), REGRESSION, 8, PA, true);
    assert.deepEqual(kernel, js, 'sparse regression');
  });

  it('diverges where the JavaScript loop diverges, with the same error', () => {
    const x = Float32Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? 3e38 : 1));
    const y = Float64Array.from({ length: 10 }, (_, i) => (i % 2 ? 1.7e308 : -1.7e308));
    const outcome = (useKernel: boolean): string => {
      try {
        return String(plainSgd(x, 10, 4, y, { ...PA, ...REGRESSION, C: 1e300 }, 1, undefined, useKernel));
      } catch (error) {
        return (error as Error).message;
      }
    };
    assert.equal(outcome(false), 'stochastic gradient descent diverged (floating-point overflow)');
    assert.equal(outcome(true), outcome(false));
  });

  it('gives SGD l2’s model bit for bit: hinge and log_loss, optimal, constant and invscaling rates, dense rows', () => {
    const { train } = loadSplit('breast_cancer');
    const x = Float32Array.from(train.x, (v) => v / 100);
    const y = Float64Array.from(train.y!, (v) => (v === 1 ? 1 : -1));
    for (const [settings, seed] of [
      [{}, 3], [{ alpha: 0.01 }, 5], [{ fitIntercept: false }, 11], [{ shuffle: false }, 1], [{ maxIter: 3, tol: -Infinity }, 2],
      [{ loss: 'log_loss' }, 4], [{ loss: 'log_loss', alpha: 1e-6 }, 6], [{ rate: 'constant', eta0: 0.01 }, 7],
      [{ rate: 'invscaling', eta0: 0.01 }, 8], [{ rate: 'invscaling', eta0: 0.05, powerT: 0.25 }, 9],
    ] as const) {
      const [kernel, js] = bothPaths(x, train.rows, train.cols, y, settings, seed, SGD);
      assert.deepEqual(kernel, js, JSON.stringify(settings));
    }
  });

  it('gives SGD l2’s model bit for bit over sparse rows (digits, one class against the rest)', () => {
    const { train } = loadSplit('digits');
    for (const [digit, settings] of [[0, {}], [3, { loss: 'log_loss' }], [8, { rate: 'invscaling', eta0: 0.01 }]] as const) {
      const y = Float64Array.from(train.y!, (v) => (v === digit ? 1 : -1));
      const [kernel, js] = bothPaths(train.x, train.rows, train.cols, y, settings, 13 + digit, SGD, true);
      assert.deepEqual(kernel, js, `${digit} ${JSON.stringify(settings)}`);
    }
  });

  it('gives SGDRegressor l2’s model bit for bit: squared_error, invscaling 0.25 and 0.5, optimal, a row of zeros', () => {
    const { train } = loadSplit('diabetes');
    const y = Float64Array.from(train.y!);
    const x = train.x.slice();
    x.fill(0, 5 * train.cols, 6 * train.cols);
    for (const [settings, seed] of [
      [SGD_REGRESSION, 2], [{ ...SGD_REGRESSION, powerT: 0.5 }, 9], [{ ...SGD_REGRESSION, fitIntercept: false, alpha: 0.01 }, 4],
      [{ ...SGD_REGRESSION, rate: 'optimal' }, 5], [{ ...SGD_REGRESSION, rate: 'constant', eta0: 0.001 }, 6],
    ] as const) {
      const [kernel, js] = bothPaths(x, train.rows, train.cols, y, settings, seed, SGD);
      assert.deepEqual(kernel, js, JSON.stringify(settings));
    }
  });

  it('gives Perceptron’s and unpenalized SGD’s model bit for bit, dense and sparse rows', () => {
    const perceptron: Partial<Settings> = { loss: 'perceptron', penalty: 'none', rate: 'constant', eta0: 1 };
    const breastCancer = loadSplit('breast_cancer');
    const yBinary = Float64Array.from(breastCancer.train.y!, (v) => (v === 1 ? 1 : -1));
    for (const [settings, seed] of [
      [perceptron, 3], [{ ...perceptron, fitIntercept: false, shuffle: false }, 1], [{ ...perceptron, eta0: 0.1, maxIter: 4, tol: -Infinity }, 2],
      [{ penalty: 'none' }, 5], [{ penalty: 'none', loss: 'log_loss' }, 6],
    ] as const) {
      const { train } = breastCancer;
      const [kernel, js] = bothPaths(train.x, train.rows, train.cols, yBinary, settings, seed, SGD);
      assert.deepEqual(kernel, js, JSON.stringify(settings));
    }
    const digits = loadSplit('digits').train;
    for (const [digit, settings] of [[1, perceptron], [7, { penalty: 'none', loss: 'hinge' }]] as const) {
      const y = Float64Array.from(digits.y!, (v) => (v === digit ? 1 : -1));
      const [kernel, js] = bothPaths(digits.x, digits.rows, digits.cols, y, settings, 20 + digit, SGD, true);
      assert.deepEqual(kernel, js, `${digit} ${JSON.stringify(settings)}`);
    }
    const diabetes = loadSplit('diabetes').train;
    const [kernel, js] = bothPaths(diabetes.x, diabetes.rows, diabetes.cols, Float64Array.from(diabetes.y!), { ...SGD_REGRESSION, penalty: 'none' }, 3, SGD);
    assert.deepEqual(kernel, js, 'squared_error, no penalty');
  });

  it('leaves other SGD settings to the JavaScript loops', () => {
    for (const settings of [{ penalty: 'l1' }, { penalty: 'elasticnet' }, { penalty: 'l2', loss: 'perceptron' }, { loss: 'modified_huber' }, { rate: 'invscaling', powerT: 0.3 }] as const) {
      assert.equal(kernelServes({ ...SGD, ...settings }), false, JSON.stringify(settings));
    }
  });

  it('SGD l2 diverges where the JavaScript loop diverges, with the same error', () => {
    const x = Float32Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? 3e38 : 1));
    const y = Float64Array.from({ length: 10 }, (_, i) => (i % 2 ? 1.7e308 : -1.7e308));
    const outcome = (useKernel: boolean): string => {
      try {
        return String(plainSgd(x, 10, 4, y, { ...SGD, ...SGD_REGRESSION, eta0: 1 }, 1, undefined, useKernel));
      } catch (error) {
        return (error as Error).message;
      }
    };
    assert.equal(outcome(false), 'stochastic gradient descent diverged (floating-point overflow)');
    assert.equal(outcome(true), outcome(false));
  });
});
