import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import koffi from 'koffi';
import { libsvmStatus, NativeRows, nativeSvmTrain, rowLayout, type RowLayout } from '../../../../src/pgml/engines/libsvm/native.js';
import { InterleavedRows } from '../../../../src/pgml/engines/libsvm/precomputed.js';
import { kFunction } from '../../../../src/pgml/engines/libsvm/kernel.js';
import {
  svmPredictProbability, svmPredictValues, svmTrain, type SvmModel, type SvmParams,
} from '../../../../src/pgml/engines/libsvm/train.js';
import { nuSvmFactory, svmFactory } from '../../../../src/pgml/engines/svm.js';
import { fixture, TYPES, type Fixture } from './fixtures/libsvm-fixture.js';

const skip = libsvmStatus().status === 'loaded' ? false : 'libsvm (Debian: libsvm3) is not installed';

/**
 * Upstream libsvm gives scikit-learn's doubles but for one thing: nu-SVC's start spreads nu·l/2 over
 * each class, which upstream multiplies and the fork sums row by row (1e-14 apart on these sets).
 */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, message: string): void {
  assert.equal(actual.length, expected.length, `${message}: length`);
  for (let i = 0; i < actual.length; i++) {
    const tolerance = 1e-12 * Math.max(1, Math.abs(expected[i]!));
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `${message}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

function assertSameModel(actual: SvmModel, expected: SvmModel, message: string): void {
  assert.deepEqual(Array.from(actual.support), Array.from(expected.support), `${message}: support`);
  assert.deepEqual(actual.labels, expected.labels, `${message}: labels`);
  assert.deepEqual(actual.nSV, expected.nSV, `${message}: nSV`);
  assert.equal(actual.svCoef.length, expected.svCoef.length, `${message}: rows of coefficients`);
  actual.svCoef.forEach((row, j) => assertClose(row, expected.svCoef[j]!, `${message}: svCoef[${j}]`));
  assertClose(actual.rho, expected.rho, `${message}: rho`);
}

// The cases upstream can train: no max_iter (the fork's); probability through the port's folds.
const nativeCases = fixture.cases.filter((c) => c.params.max_iter === -1 && !c.params.probability);
const probabilityCases = fixture.cases.filter((c) => c.params.max_iter === -1 && c.params.probability);

/**
 * nativeSvmTrain over x's rows laid out once (`layout`, or the one rowLayout picks), nu-SVC a pair of
 * classes at a time through the port's svm_train (its start depends on the pair).
 */
function trainNative(x: Float64Array, y: Float64Array, rows: number, cols: number, params: SvmParams, layout?: RowLayout): SvmModel {
  const classification = params.type === 'c_svc' || params.type === 'nu_svc';
  const shared = NativeRows.of(x, cols, params, { ...(layout ? { layout } : {}), ...(classification ? { classes: y } : {}) });
  let nativeCalls = 0;
  try {
    const solver = (...args: Parameters<typeof nativeSvmTrain>) => {
      const model = nativeSvmTrain(args[0], args[1], args[2], args[3], args[4], args[5], shared);
      if (model) nativeCalls++;
      return model;
    };
    const model = params.type === 'nu_svc' || params.probability
      ? svmTrain({ x, y, rows, cols }, params, undefined, solver)
      : solver(x, y, rows, cols, params);
    assert.ok(model && nativeCalls > 0, 'trained on upstream libsvm');
    return model;
  } finally {
    shared.free();
  }
}

function paramsOf(c: Fixture['cases'][number]): SvmParams {
  const p = c.params;
  return {
    type: TYPES[c.estimator], kernel: p.kernel, degree: p.degree, gamma: p.gamma, coef0: p.coef0, C: p.C, nu: p.nu,
    epsilon: p.epsilon, tol: p.tol, shrinking: p.shrinking, cacheSize: p.cache_size, maxIter: -1,
    ...(p.probability ? { probability: true, randomSeed: p.random_seed! } : {}),
  };
}

/** A fixture case's problem and the model native libsvm trains for it (its rows laid out as `layout`, or as rowLayout picks). */
function problemOf(c: Fixture['cases'][number], layout?: RowLayout) {
  const d = fixture.data[c.data]!;
  const cols = d.x[0]!.length;
  const rows = d.y.length;
  const x = Float64Array.from(d.x.flat());
  const y = Float64Array.from(d.y);
  const params = paramsOf(c);
  return { d, cols, rows, x, y, params, model: trainNative(x, y, rows, cols, params, layout) };
}

/** Every double of a model, for comparisons bit for bit. */
function doublesOf(model: SvmModel): unknown {
  return {
    support: Array.from(model.support), labels: model.labels, nSV: model.nSV, svCoef: model.svCoef.map((row) => Array.from(row)),
    rho: Array.from(model.rho), probA: model.probA && Array.from(model.probA), probB: model.probB && Array.from(model.probB),
  };
}

describe('native libsvm trains scikit-learn\'s models', { skip }, () => {
  it('covers every svm type', () => {
    assert.deepEqual([...new Set(nativeCases.map((c) => c.estimator))].sort(), ['NuSVC', 'NuSVR', 'SVC', 'SVR']);
  });

  for (const c of nativeCases) {
    it(`${c.estimator}: ${c.name}`, () => {
      const { d, cols, x, y, params, model: native } = problemOf(c);
      // scikit-learn's own model (the fixture), then the port's
      assert.deepEqual(Array.from(native.support), c.support, 'support_');
      if (native.labels.length > 0) assert.deepEqual(native.nSV, c.n_support, 'n_support');
      native.svCoef.forEach((row, j) => assertClose(row, c.dual_coef[j]!, `_dual_coef_[${j}]`));
      assertClose(Array.from(native.rho, (rho) => -rho), c.intercept, '_intercept_');
      assertSameModel(native, svmTrain({ x, y, rows: d.y.length, cols }, params), 'native vs port');

      // the port predicts from the native model as from its own: scikit-learn's predictions
      const sv = Float64Array.from(Array.from(native.support).flatMap((i) => d.x[i]!));
      const test = Float64Array.from(d.test.flat());
      d.test.forEach((_, r) => {
        const value = svmPredictValues(native, params, sv, cols, test, r * cols);
        if (native.labels.length > 0) assert.equal(value, c.predict[r], `predict row ${r}`);
        else assert.ok(Math.abs(value - c.predict[r]!) <= 1e-9 * Math.max(1, Math.abs(c.predict[r]!)), `predict row ${r}: ${value} vs ${c.predict[r]}`);
      });
    });
  }

  for (const c of probabilityCases) {
    it(`${c.estimator}: ${c.name}, the port's seeded folds on upstream's solver`, () => {
      const { d, cols, params, model } = problemOf(c);
      assert.deepEqual(Array.from(model.support), c.support, 'support_');
      model.svCoef.forEach((row, j) => assertClose(row, c.dual_coef[j]!, `_dual_coef_[${j}]`));
      assertClose(Array.from(model.rho, (rho) => -rho), c.intercept, '_intercept_');
      // Platt's fits go through exp() and log(), which V8 and glibc may round apart (as in libsvm.test.ts)
      assertClose(model.probA!, c.prob_a!, 'probA');
      assertClose(model.probB!, c.prob_b!, 'probB');
      const sv = Float64Array.from(Array.from(model.support).flatMap((i) => d.x[i]!));
      const test = Float64Array.from(d.test.flat());
      const proba = new Float64Array(model.labels.length);
      d.test.forEach((_, r) => {
        svmPredictProbability(model, params, sv, cols, test, r * cols, proba);
        assertClose(proba, c.predict_proba![r]!, `predict_proba row ${r}`);
      });
    });
  }

  const rbfCases = fixture.cases.filter((c) => c.params.max_iter === -1 && c.params.kernel === 'rbf');
  it('lays rbf rows out as a precomputed kernel where it fits in cache_size, else as nodes', () => {
    assert.ok(rbfCases.some((c) => c.params.cache_size < 1) && rbfCases.length >= 8, 'rbf cases, one with a tiny cache');
    for (const c of rbfCases) {
      const rows = fixture.data[c.data]!.y.length;
      assert.equal(rowLayout(rows, paramsOf(c)), rows * (rows + 2) * 16 <= c.params.cache_size * 2 ** 20 ? 'precomputed' : 'nodes', c.name);
    }
    assert.equal(rowLayout(1347, { kernel: 'rbf', cacheSize: 200 }), 'precomputed', 'digits');
    assert.equal(rowLayout(4000, { kernel: 'rbf', cacheSize: 200 }), 'nodes', '4,000 rows: 256 MB of nodes');
    assert.equal(rowLayout(100, { kernel: 'linear', cacheSize: 200 }), 'nodes', 'kernels other than rbf');
  });

  for (const c of rbfCases) {
    it(`${c.estimator}: ${c.name}: the precomputed kernel gives the doubles of upstream's own`, () => {
      assert.deepEqual(doublesOf(problemOf(c, 'precomputed').model), doublesOf(problemOf(c, 'nodes').model));
    });
  }

  it('on integer features (as digits\'), whose products the matrix takes from single precision, the same doubles too', () => {
    // iris in millimetres: integers up to 79, every dot product exact in a float
    const iris = fixture.data.iris!;
    const x = Float64Array.from(iris.x.flat(), (v) => Math.round(v * 10));
    const y = Float64Array.from(iris.y);
    for (const type of ['c_svc', 'nu_svc'] as const) {
      const params: SvmParams = {
        type, kernel: 'rbf', degree: 3, gamma: 0.002, coef0: 0, C: 1, nu: 0.5, epsilon: 0.1, tol: 1e-3, shrinking: true,
        cacheSize: 200, maxIter: -1,
      };
      const precomputed = trainNative(x, y, y.length, 4, params, 'precomputed');
      assert.deepEqual(doublesOf(precomputed), doublesOf(trainNative(x, y, y.length, 4, params, 'nodes')), type);
      assert.ok(precomputed.support.length > 10, `${type}: a model with support vectors`);
    }
  });

  it('interleaves two precomputed rows: every node value its own double, 16 bytes apart along a row', () => {
    for (const rows of [1, 2, 5, 8]) {
      const layout = new InterleavedRows(rows);
      const seen = new Set<number>();
      for (let position = 0; position < rows; position++) {
        for (let node = 0; node <= rows; node++) {
          const slot = layout.slot(position, node);
          // where upstream reads node `node`'s value: the row's first node + 16 bytes a node + 8 (the index before it)
          assert.equal(layout.rowOffset(position) + 16 * node + 8, slot * 8, `row ${position} node ${node}`);
          assert.ok(slot >= 0 && slot < layout.doubles, `row ${position} node ${node} inside the matrix`);
          assert.ok(!seen.has(slot), `row ${position} node ${node} shares a double`);
          seen.add(slot);
        }
      }
      // whole 16-byte nodes would take 2 · rows · (rows + 1) doubles
      assert.ok(layout.doubles <= (rows + 1) ** 2 + 1, `${rows} rows: about half of whole nodes`);
    }
  });

  it('lays the rbf kernel out as upstream reads it, each class\'s rows together', () => {
    // 7 rows (an odd count: the last pair has one row), classes interleaved in row order
    const y = Float64Array.of(2, 0, 1, 0, 2, 1, 0);
    const x = Float64Array.from({ length: 7 * 3 }, (_, i) => Math.sin(i * 1.7) * 3);
    const params: SvmParams = {
      type: 'c_svc', kernel: 'rbf', degree: 3, gamma: 0.3, coef0: 0, C: 1, nu: 0.5, epsilon: 0.1, tol: 1e-3, shrinking: true,
      cacheSize: 200, maxIter: -1,
    };
    const memcpy = koffi.load('libc.so.6').func('void *memcpy(_Out_ double *dst, uint64_t src, size_t n)') as (dst: Float64Array, src: bigint, n: number) => unknown;
    const read = (address: bigint): number => {
      const out = new Float64Array(1);
      memcpy(out, address, 8);
      return out[0]!;
    };
    const rows = NativeRows.of(x, 3, params, { layout: 'precomputed', classes: y });
    try {
      // upstream's kernel_precomputed: x[i][(int)x[j][0].value].value
      const serial = Array.from(y, (_, j) => read(rows.address(j) + 8n));
      assert.deepEqual([...serial].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7], 'serial numbers');
      for (let i = 0; i < 7; i++) {
        for (let j = 0; j < 7; j++) {
          const value = read(rows.address(i) + BigInt(16 * serial[j]! + 8));
          if (i === j) assert.equal(value, 1, `K(${i}, ${i})`);
          else assert.equal(Math.fround(value), Math.fround(kFunction(params, x, i * 3, x, j * 3, 3)), `K(${i}, ${j})`);
        }
      }
      // class 0's rows (1, 3, 6), then class 1's (2, 5), then class 2's (0, 4): in row order within a class
      assert.deepEqual([1, 3, 6, 2, 5, 0, 4].map((row) => serial[row]), [1, 2, 3, 4, 5, 6, 7]);
    } finally {
      rows.free();
    }
  });

  it('keeps the class order scikit-learn uses when the rows come in another order', () => {
    // classes first seen as 2, 0, 1: upstream would number them in that order, scikit-learn sorts them
    const d = fixture.data.iris!;
    const order = [...d.y.keys()].sort((a, b) => (d.y[a] === 2 ? -1 : 0) - (d.y[b] === 2 ? -1 : 0));
    assert.equal(d.y[order[0]!], 2);
    const x = Float64Array.from(order.flatMap((i) => d.x[i]!));
    const y = Float64Array.from(order, (i) => d.y[i]!);
    const params: SvmParams = {
      type: 'c_svc', kernel: 'rbf', degree: 3, gamma: 0.25, coef0: 0, C: 1, nu: 0.5, epsilon: 0.1, tol: 1e-3, shrinking: true,
      cacheSize: 200, maxIter: -1,
    };
    const native = trainNative(x, y, y.length, 4, params);
    assert.deepEqual(native.labels, [0, 1, 2]);
    assertSameModel(native, svmTrain({ x, y, rows: y.length, cols: 4 }, params), 'native vs port');
  });

  it('writes nothing to stdout (libsvm\'s progress dots and "optimization finished")', () => {
    const module = new URL('../../../../src/pgml/engines/libsvm/native.ts', import.meta.url).href;
    const script = `
      import { nativeSvmTrain } from ${JSON.stringify(module)};
      const x = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i));
      const y = Float64Array.from({ length: 100 }, (_, i) => (x[2 * i] > 0 ? 1 : 0));
      const params = { type: 'c_svc', kernel: 'rbf', degree: 3, gamma: 0.5, coef0: 0, C: 1, nu: 0.5, epsilon: 0.1, tol: 1e-3,
        shrinking: true, cacheSize: 200, maxIter: -1 };
      nativeSvmTrain(x, y, 100, 2, params);
      nativeSvmTrain(x, Float64Array.from(y, (v, i) => v + x[i]), 100, 2, { ...params, type: 'epsilon_svr' });
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, '');
  });
});

describe('svm and nu_svm train on native libsvm where it gives scikit-learn\'s model', { skip }, () => {
  const d = fixture.data.breast_cancer!;
  const cols = d.x[0]!.length;
  const data = { x: Float32Array.from(d.x.flat()), y: Float32Array.from(d.y), rows: d.y.length, cols };
  const test = Float32Array.from(d.test.flat());

  it('records the runtime that trained, keeps it through serialize, and predicts as the port', async () => {
    for (const factory of [svmFactory, nuSvmFactory]) {
      const native = factory.create();
      await native.fit(data, { task: 'classification', hyperparams: {}, numClasses: 2 });
      assert.equal(native.runtime, 'native');
      assert.equal(factory.runtimeNotice!('native', {}), undefined);
      const stored = await factory.deserialize(await native.serialize());
      assert.equal(stored.runtime, 'native');
      // max_iter: only the fork can stop there, so the port trains (no limit reached on this set)
      const port = factory.create();
      await port.fit(data, { task: 'classification', hyperparams: { max_iter: 1000000 }, numClasses: 2 });
      assert.equal(port.runtime, 'js');
      assert.deepEqual(await stored.predict(test, d.test.length), await port.predict(test, d.test.length));
    }
  });

  it('trains probability=true on upstream\'s solver with the port\'s folds: the port\'s probabilities', async () => {
    const native = svmFactory.create();
    await native.fit(data, { task: 'classification', hyperparams: { probability: true, random_state: 0 }, numClasses: 2 });
    assert.equal(native.runtime, 'native');
    const port = svmFactory.create();
    await port.fit(data, { task: 'classification', hyperparams: { probability: true, random_state: 0, max_iter: 1000000 }, numClasses: 2 });
    assert.equal(port.runtime, 'js');
    assertClose(await native.predictProba!(test, d.test.length), await port.predictProba!(test, d.test.length), 'predict_proba');
  });

  it('leaves to the port a nu-SVM that upstream cannot start where the fork starts', async () => {
    // nu = 0.3: summed 45 times (the fork) no double times 45 (upstream) gives the same; 46 rows are fine
    const diabetes = fixture.data.diabetes!;
    for (const [rows, runtime] of [[45, 'js'], [46, 'native']] as const) {
      const data = {
        x: Float32Array.from(diabetes.x.slice(0, rows).flat()), y: Float32Array.from(diabetes.y.slice(0, rows)), rows, cols: 10,
      };
      const engine = nuSvmFactory.create();
      await engine.fit(data, { task: 'regression', hyperparams: { nu: 0.3 } });
      assert.equal(engine.runtime, runtime, `${rows} rows`);
      const port = nuSvmFactory.create();
      await port.fit(data, { task: 'regression', hyperparams: { nu: 0.3, max_iter: 100000000 } });
      assertClose(await engine.predict(data.x, rows), await port.predict(data.x, rows), `${rows} rows`);
    }
    assert.match(nuSvmFactory.runtimeNotice!('js', { nu: 0.3 }) ?? '', /upstream libsvm cannot start nu-SVM where scikit-learn's fork starts/);
  });

  it('trains nu-SVC over more than two classes on native libsvm, pair by pair over one kernel matrix', async () => {
    const iris = fixture.data.iris!;
    const data = { x: Float32Array.from(iris.x.flat()), y: Float32Array.from(iris.y), rows: iris.y.length, cols: 4 };
    const engine = nuSvmFactory.create();
    await engine.fit(data, { task: 'classification', hyperparams: {}, numClasses: 3 });
    assert.equal(engine.runtime, 'native');
    const port = nuSvmFactory.create();
    await port.fit(data, { task: 'classification', hyperparams: { max_iter: 100000000 }, numClasses: 3 });
    assert.equal(port.runtime, 'js');
    const test = Float32Array.from(iris.test.flat());
    assert.deepEqual(await engine.predict(test, iris.test.length), await port.predict(test, iris.test.length));
  });

  it('says why a fit ran on the port', async () => {
    const engine = svmFactory.create();
    const hyperparams = { max_iter: 5 };
    await engine.fit(data, { task: 'regression', hyperparams });
    assert.equal(engine.runtime, 'js');
    const notice = svmFactory.runtimeNotice!('js', hyperparams);
    assert.match(notice ?? '', /^svm trained on the TypeScript port of scikit-learn's libsvm, not on native libsvm: max_iter limits the solver's iterations/);
    assert.match(nuSvmFactory.runtimeNotice!('js', { max_iter: '5' }) ?? '', /^nu_svm .*: max_iter/);
  });
});
