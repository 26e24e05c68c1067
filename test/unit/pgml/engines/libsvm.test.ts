import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache, Kernel, KernelStore, powi, type KernelType } from '../../../../src/pgml/engines/libsvm/kernel.js';
import { multiclassProbability, sigmoidPredict, sigmoidTrain } from '../../../../src/pgml/engines/libsvm/probability.js';
import { LibsvmRandom } from '../../../../src/pgml/engines/libsvm/random.js';
import {
  infeasibleNuPair, svmPredictProbability, svmPredictValues, svmTrain, type SvmParams,
} from '../../../../src/pgml/engines/libsvm/train.js';
import { fixture, TYPES } from './fixtures/libsvm-fixture.js';

function rowMajor(rows: number[][]): Float64Array {
  return Float64Array.from(rows.flat());
}

/**
 * Equal doubles, except where exp() enters (an rbf prediction, Platt's sigmoid: `kernel` 'rbf'): V8's
 * Math.exp (fdlibm) and glibc's exp can round the last bit differently, so sums of such values may
 * differ in their last bits. (Training stores Q as float32, which absorbs that difference: the trained
 * models are equal.)
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
        ...(p.probability ? { probability: true, randomSeed: p.random_seed! } : {}),
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
      if (!c.prob_a) return;
      // Platt's fit and prediction go through exp() and log(), which V8 and glibc may round apart
      model.probA!.forEach((a, k) => assertSameDouble(a, c.prob_a![k]!, 'rbf', `probA ${k}`));
      model.probB!.forEach((b, k) => assertSameDouble(b, c.prob_b![k]!, 'rbf', `probB ${k}`));
      const proba = new Float64Array(model.labels.length);
      d.test.forEach((_, r) => {
        svmPredictProbability(model, params, sv, cols, test, r * cols, proba);
        proba.forEach((v, k) => assertSameDouble(v, c.predict_proba![r]![k]!, 'rbf', `predict_proba row ${r}`));
      });
    });
  }

  it('stops at max_iter with a model that differs from the converged one', () => {
    const converged = fixture.cases.find((c) => c.name === 'svc rbf')!;
    const stopped = fixture.cases.find((c) => c.name === 'svc rbf max_iter 10')!;
    assert.notDeepEqual(stopped.dual_coef, converged.dual_coef);
  });
});

describe('libsvm probability pieces', () => {
  it("bounded_rand_int draws from std::mt19937 (its 10000th output for the default seed is the standard's 4123659995)", () => {
    const random = new LibsvmRandom();
    // range 2^31: Lemire's multiply keeps a draw's top 31 bits, so the draws are mt19937's outputs >> 1
    for (let i = 0; i < 9999; i++) random.boundedInt(2 ** 31);
    assert.equal(random.boundedInt(2 ** 31), 4123659995 >>> 1);
    random.seed(5489);
    const draws = Array.from({ length: 1000 }, () => random.boundedInt(7));
    assert.ok(draws.every((v) => v >= 0 && v < 7) && new Set(draws).size === 7);
  });

  it('sigmoid_train fits a steeper sigmoid to separable decision values and keeps the prior', () => {
    const decision = Float64Array.of(-3, -2, -1.5, -1, 1, 1.5, 2, 3);
    const labels = Float64Array.of(-1, -1, -1, -1, 1, 1, 1, 1);
    const [A, B] = sigmoidTrain(8, decision, labels);
    assert.ok(A < 0, `A ${A}`);
    assert.ok(Math.abs(B) < 1e-6, `B ${B}: balanced classes, symmetric values`);
    assert.ok(sigmoidPredict(3, A, B) > 0.9 && sigmoidPredict(-3, A, B) < 0.1);
    assert.ok(Math.abs(sigmoidPredict(1, A, B) + sigmoidPredict(-1, A, B) - 1) < 1e-12);
  });

  it('pairwise coupling gives probabilities that sum to 1 and agree with consistent pairs', () => {
    // pairwise r_ij = p_i / (p_i + p_j) for p = (0.5, 0.3, 0.2)
    const p = [0.5, 0.3, 0.2];
    const r = new Float64Array(9);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) if (i !== j) r[i * 3 + j] = p[i]! / (p[i]! + p[j]!);
    const out = new Float64Array(3);
    multiclassProbability(3, r, out);
    assert.ok(Math.abs(out.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    out.forEach((v, i) => assert.ok(Math.abs(v - p[i]!) < 1e-3, `${v} vs ${p[i]}`));
  });
});

/**
 * float32 features of mixed scales, as the engines receive them: sums whose order would show; with
 * zeros and negative zeros (the columns skip the terms where their row is zero), a row of zeros.
 */
function mixedScales(l: number, dim: number): Float64Array {
  return Float64Array.from({ length: l * dim }, (_, k) =>
    k < dim || k % 7 === 3 ? 0 : k % 11 === 5 ? -0 : Math.fround(Math.sin(k * 1.7) * 10 ** ((k % 5) - 2)));
}

function identity(l: number): Int32Array {
  return Int32Array.from({ length: l }, (_, i) => i);
}

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

  it('a kernel column (dot products four rows at a time) equals value(i, j) double for double, after swaps', () => {
    const l = 11;
    const dim = 37;
    const x = mixedScales(l, dim);
    for (const kernel of ['linear', 'poly', 'rbf', 'sigmoid'] as const) {
      const k = new Kernel(x, identity(l), dim, { kernel, degree: 3, gamma: 0.03, coef0: 0.5 });
      k.swap(1, 7);
      k.swap(0, 10);
      const out = new Float64Array(l);
      for (const [i, start] of [[0, 0], [4, 3], [10, 9]] as const) {
        k.column(i, start, l, out);
        for (let j = start; j < l; j++) assert.equal(out[j], k.value(i, j), `${kernel} K(${i}, ${j})`);
      }
    }
  });

  it('kernels over different rows sharing a store give value(i, j) in float32, whichever computed it first', () => {
    const l = 13;
    const dim = 29;
    const x = mixedScales(l, dim);
    for (const kernel of ['linear', 'poly', 'rbf', 'sigmoid'] as const) {
      const params = { kernel, degree: 3, gamma: 0.03, coef0: 0.5 };
      const store = new KernelStore(l);
      // two one-vs-one problems over overlapping rows, in swapped orders: the second reads what the first wrote
      const problems = [Int32Array.of(0, 2, 3, 5, 7, 8, 11, 12), Int32Array.of(12, 1, 4, 5, 6, 9, 10, 0, 2)].map((rows) => {
        const k = new Kernel(x, rows, dim, params, store);
        k.swap(0, rows.length - 1);
        k.swap(2, 5);
        return { k, n: rows.length };
      });
      let stored = 0;
      for (const { k, n } of problems) {
        const out = new Float64Array(n);
        for (const [i, start] of [[0, 0], [3, 2], [n - 1, 0], [5, 4]] as const) {
          k.column(i, start, n, out);
          for (let j = start; j < n; j++) assert.equal(Math.fround(out[j]!), Math.fround(k.value(i, j)), `${kernel} K(${i}, ${j})`);
        }
      }
      for (const v of store.values) if (v !== 0) stored++;
      assert.ok(stored > 0 && stored < l * l, `${kernel}: the store holds the values computed (${stored})`);
      for (let a = 0; a < l; a++) {
        for (let b = 0; b < l; b++) {
          const v = store.values[a * l + b]!;
          if (v !== 0) assert.equal(v, store.values[b * l + a], `${kernel} K(${a}, ${b}) is stored symmetric`);
        }
      }
    }
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
