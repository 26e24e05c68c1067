import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { committedModule, compileKernel, kernelModule } from '../../../../scripts/build-wasm.mjs';
import { plainSgd, type Settings } from '../../../../src/pgml/engines/sgd-epochs.js';
import { loadSplit } from './sklearn-reference.js';

const PA: Settings = {
  loss: 'hinge', epsilon: 0.1, rate: 'pa1', alpha: 1, l1Ratio: 0, penalty: 'none', eta0: 1, powerT: 0.5, C: 1,
  hinge: true, fitIntercept: true, maxIter: 1000, tol: 1e-3, patience: 5, shuffle: true,
};
const REGRESSION: Partial<Settings> = { loss: 'epsilon_insensitive', hinge: false };

/** Weights and intercept from the WebAssembly kernel and from the JavaScript loop, as bit strings. */
function bothPaths(x: Float32Array, rows: number, cols: number, y: Float64Array, settings: Partial<Settings>, seed: number): [string[], string[]] {
  const bits = (w: Float64Array): string[] => Array.from(w, (v) => (Object.is(v, -0) ? '-0' : v.toString()));
  const s = { ...PA, ...settings };
  return [bits(plainSgd(x, rows, cols, y, s, seed, undefined, true)), bits(plainSgd(x, rows, cols, y, s, seed, undefined, false))];
}

describe("passive_aggressive's WebAssembly row loop", () => {
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
});
