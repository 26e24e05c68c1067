import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Cache, powi, type KernelType } from '../../../../src/pgml/engines/libsvm/kernel.js';
import { infeasibleNuPair, svmPredictValues, svmTrain, type SvmParams, type SvmType } from '../../../../src/pgml/engines/libsvm/train.js';

/** Made by scripts/make-svm-fixtures.py (scikit-learn's own libsvm). */
interface Fixture {
  data: Record<string, { x: number[][]; y: number[]; test: number[][] }>;
  cases: {
    name: string;
    data: string;
    estimator: 'SVC' | 'NuSVC' | 'SVR' | 'NuSVR';
    params: {
      kernel: KernelType; degree: number; gamma: number; coef0: number; C: number; nu: number; epsilon: number;
      tol: number; shrinking: boolean; cache_size: number; max_iter: number;
    };
    support: number[];
    n_support: number[];
    dual_coef: number[][];
    intercept: number[];
    n_iter: number[];
    predict: number[];
    decision: number[][] | null;
  }[];
}

const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/libsvm.json', import.meta.url), 'utf8')) as Fixture;
const TYPES: Record<Fixture['cases'][number]['estimator'], SvmType> = {
  SVC: 'c_svc', NuSVC: 'nu_svc', SVR: 'epsilon_svr', NuSVR: 'nu_svr',
};

function rowMajor(rows: number[][]): Float64Array {
  return Float64Array.from(rows.flat());
}

/**
 * Equal doubles, except that an rbf prediction sums double-precision exp() values and V8's Math.exp
 * (fdlibm) and glibc's exp can round the last bit differently: there the sum may differ in its last
 * bits. (Training stores Q as float32, which absorbs that difference: the trained models are equal.)
 */
function assertSameDouble(actual: number, expected: number, kernel: KernelType, message: string): void {
  if (kernel !== 'rbf') return assert.equal(actual, expected, message);
  assert.ok(Math.abs(actual - expected) <= 1e-13 * Math.max(1, Math.abs(expected)), `${message}: ${actual} vs ${expected}`);
}

describe('libsvm port equals scikit-learn\'s libsvm double for double', () => {
  for (const c of fixture.cases) {
    it(`${c.estimator}: ${c.name}`, () => {
      const d = fixture.data[c.data]!;
      const cols = d.x[0]!.length;
      const x = rowMajor(d.x);
      const p = c.params;
      const params: SvmParams = {
        type: TYPES[c.estimator], kernel: p.kernel, degree: p.degree, gamma: p.gamma, coef0: p.coef0, C: p.C, nu: p.nu,
        epsilon: p.epsilon, tol: p.tol, shrinking: p.shrinking, cacheSize: p.cache_size, maxIter: p.max_iter,
      };
      const model = svmTrain({ x, y: Float64Array.from(d.y), rows: d.y.length, cols }, params);
      assert.deepEqual(model.iterations, c.n_iter, 'n_iter_');
      assert.equal(model.timedOut, p.max_iter !== -1 && c.n_iter.some((n) => n >= p.max_iter));
      assert.deepEqual(Array.from(model.support), c.support, 'support_');
      if (model.labels.length > 0) assert.deepEqual(model.nSV, c.n_support, 'n_support');
      assert.deepEqual(model.svCoef.map((row) => Array.from(row)), c.dual_coef, '_dual_coef_');
      assert.deepEqual(Array.from(model.rho, (rho) => -rho), c.intercept, '_intercept_');

      const sv = Float64Array.from(Array.from(model.support).flatMap((i) => d.x[i]!));
      const test = rowMajor(d.test);
      const pairs = model.rho.length;
      const decision = new Float64Array(pairs);
      d.test.forEach((_, r) => {
        const value = svmPredictValues(model, params, sv, cols, test, r * cols, decision);
        if (model.labels.length > 0) assert.equal(value, c.predict[r], `predict row ${r}`);
        else assertSameDouble(value, c.predict[r]!, c.params.kernel, `predict row ${r}`);
        if (c.decision) {
          // scikit-learn negates the one decision value of a binary problem
          const expected = pairs === 1 ? c.decision[r]!.map((v) => -v) : c.decision[r]!;
          decision.forEach((v, k) => assertSameDouble(v, expected[k]!, c.params.kernel, `decision row ${r}`));
        }
      });
    });
  }

  it('stops at max_iter with a model that differs from the converged one', () => {
    const converged = fixture.cases.find((c) => c.name === 'svc rbf')!;
    const stopped = fixture.cases.find((c) => c.name === 'svc rbf max_iter 10')!;
    assert.notDeepEqual(stopped.dual_coef, converged.dual_coef);
  });
});

describe('libsvm kernel pieces', () => {
  it('nu-SVC is infeasible when nu·(n_i + n_j)/2 exceeds the smaller class of a pair', () => {
    assert.equal(infeasibleNuPair([0, 0, 0, 1], 0.5), undefined);
    assert.deepEqual(infeasibleNuPair([0, 0, 0, 1], 0.6), [0, 1]);
    assert.deepEqual(infeasibleNuPair([2, 2, 1, 1, 0, 0, 0, 0, 0, 0], 0.9), [2, 0], 'classes 2 and 1 alone are feasible');
  });

  it('powi multiplies by squaring as libsvm does', () => {
    assert.equal(powi(1.1, 3), 1.1 * (1.1 * 1.1));
    assert.equal(powi(2, 10), 1024);
    assert.equal(powi(5, 0), 1);
  });

  it('the cache keeps at least two columns, evicts least recently used, and swaps entries', () => {
    const cache = new Cache(4, 0); // no budget: room for 2·l floats
    assert.equal(cache.get(0, 4), 0);
    cache.column.set([1, 2, 3, 4]);
    assert.equal(cache.get(1, 4), 0);
    cache.column.set([5, 6, 7, 8]);
    assert.equal(cache.get(0, 4), 4, 'column 0 is still cached');
    assert.equal(cache.get(2, 4), 0, 'column 1 was evicted for column 2');
    cache.column.set([9, 10, 11, 12]);
    cache.swapIndex(0, 2);
    assert.equal(cache.get(2, 4), 4);
    assert.deepEqual(Array.from(cache.column), [3, 2, 1, 4]);
    assert.equal(cache.get(1, 4), 0, 'column 1 was evicted and must be recomputed');
  });
});
