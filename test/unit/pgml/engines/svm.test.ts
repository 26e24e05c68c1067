import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { libsvmStatus } from '../../../../src/pgml/engines/libsvm/native.js';
import { numpyVariance, nuSvmFactory, svmFactory } from '../../../../src/pgml/engines/svm.js';
import { accuracy, loadSplit, r2, sklearn, sklearnAvailable } from './sklearn-reference.js';

const skipReason = sklearnAvailable() ? false : 'python3 with scikit-learn is not installed';
const diabetes = loadSplit('diabetes');
const breastCancer = loadSplit('breast_cancer');
const wine = loadSplit('wine');
const iris = loadSplit('iris');

const reference = skipReason
  ? undefined
  : sklearn({
      svr: { split: diabetes, estimator: 'svm.SVR', params: { C: 100 } },
      svcBinary: { split: breastCancer, estimator: 'svm.SVC', params: {} },
      svcWine: { split: wine, estimator: 'svm.SVC', params: { kernel: 'linear', C: 0.5 } },
      nuSvr: { split: diabetes, estimator: 'svm.NuSVR', params: { C: 100 } },
      nuSvc: { split: breastCancer, estimator: 'svm.NuSVC', params: { nu: 0.3 } },
      svcIrisStopped: { split: iris, estimator: 'svm.SVC', params: { max_iter: 5 }, float32: true },
      nuSvrStopped: { split: diabetes, estimator: 'svm.NuSVR', params: { max_iter: 10 }, float32: true },
      svcIrisProba: { split: iris, estimator: 'svm.SVC', params: { probability: true, random_state: 42 }, float32: true, proba: true },
      nuSvcBinaryProba: {
        split: breastCancer, estimator: 'svm.NuSVC', params: { nu: 0.3, probability: true, random_state: 0 }, float32: true, proba: true,
      },
      svcIrisStoppedProba: {
        split: iris, estimator: 'svm.SVC', params: { max_iter: 5, probability: true, random_state: 0 }, float32: true, proba: true,
      },
    });

describe('svm matches scikit-learn (both are libsvm)', { skip: skipReason }, () => {
  it('SVR on diabetes (rbf, gamma=scale, C=100)', async () => {
    const engine = svmFactory.create();
    await engine.fit(diabetes.train, { task: 'regression', hyperparams: { C: 100 } });
    const predicted = await engine.predict(diabetes.test.x, diabetes.test.rows);
    const expected = reference!.svr.predict!;
    predicted.forEach((p, i) => assert.ok(Math.abs(p - expected[i]!) < 1e-2, `row ${i}: ${p} vs ${expected[i]}`));
    assert.ok(r2(diabetes.test.y!, predicted) > 0.3);
  });

  it('SVC on breast_cancer and wine predicts the same classes', async () => {
    for (const [split, key, hyperparams] of [
      [breastCancer, 'svcBinary', {}],
      [wine, 'svcWine', { kernel: 'linear', C: 0.5 }],
    ] as const) {
      const engine = svmFactory.create();
      await engine.fit(split.train, { task: 'classification', hyperparams, numClasses: split.numClasses });
      const predicted = await engine.predict(split.test.x, split.test.rows);
      assert.deepEqual(Array.from(predicted), reference![key].predict);
      assert.ok(accuracy(split.test.y!, predicted) > 0.85);
    }
  });
});

describe('nu_svm matches scikit-learn NuSVC / NuSVR (both are libsvm)', { skip: skipReason }, () => {
  it('NuSVR on diabetes and NuSVC on breast_cancer', async () => {
    const svr = nuSvmFactory.create();
    await svr.fit(diabetes.train, { task: 'regression', hyperparams: { C: 100 } });
    const predicted = await svr.predict(diabetes.test.x, diabetes.test.rows);
    predicted.forEach((p, i) => assert.ok(Math.abs(p - reference!.nuSvr.predict![i]!) < 1e-2, `row ${i}`));
    const svc = nuSvmFactory.create();
    await svc.fit(breastCancer.train, { task: 'classification', hyperparams: { nu: 0.3 }, numClasses: 2 });
    assert.deepEqual(Array.from(await svc.predict(breastCancer.test.x, breastCancer.test.rows)), reference!.nuSvc.predict);
    await assert.rejects(
      nuSvmFactory.create().fit(breastCancer.train, { task: 'classification', hyperparams: { C: 2 }, numClasses: 2 }),
      (e: { code: string }) => e.code === '22023',
    );
    // libsvm's feasibility check, which scikit-learn's NuSVC raises as 'specified nu is infeasible'
    await assert.rejects(
      nuSvmFactory.create().fit(breastCancer.train, { task: 'classification', hyperparams: { nu: 0.95 }, numClasses: 2 }),
      { code: '22023', message: /specified nu is infeasible/ },
    );
  });
});

/** libsvm-js models stored before the port (test/fixtures/libsvm-js-models.json: how it was made is in it). */
const storedModels = JSON.parse(readFileSync(new URL('../../../fixtures/libsvm-js-models.json', import.meta.url), 'utf8')) as {
  models: { name: string; algorithm: 'svm' | 'nu_svm'; split: string; stored: unknown; predict: number[]; proba: number[][] | null }[];
};

function assertProbabilitiesClose(actual: Float32Array, expected: number[][], tolerance: number, name = ''): void {
  expected.forEach((row, r) => row.forEach((p, c) => {
    const got = actual[r * row.length + c]!;
    assert.ok(Math.abs(got - p) <= tolerance, `${name} row ${r} class ${c}: ${got} vs ${p}`);
  }));
}

describe('svm probability estimates match scikit-learn (libsvm\'s Platt scaling)', { skip: skipReason }, () => {
  it('SVC on iris and NuSVC on breast_cancer with random_state: the same predict_proba', async () => {
    for (const [factory, split, hyperparams, key] of [
      [svmFactory, iris, { probability: true, random_state: 42 }, 'svcIrisProba'],
      [nuSvmFactory, breastCancer, { nu: 0.3, probability: true, random_state: 0 }, 'nuSvcBinaryProba'],
      [svmFactory, iris, { max_iter: 5, probability: true, random_state: 0 }, 'svcIrisStoppedProba'],
    ] as const) {
      const engine = factory.create();
      await engine.fit(split.train, { task: 'classification', hyperparams, numClasses: split.numClasses });
      const proba = await engine.predictProba!(split.test.x, split.test.rows);
      assertProbabilitiesClose(proba, reference![key].proba!, 1e-6, key);
      assert.deepEqual(Array.from(await engine.predict(split.test.x, split.test.rows)), reference![key].predict, key);
    }
  });

  it('a different random_state shuffles the folds differently', async () => {
    const proba = async (seed: number) => {
      const engine = svmFactory.create();
      await engine.fit(iris.train, { task: 'classification', hyperparams: { probability: true, random_state: seed }, numClasses: 3 });
      return engine.predictProba!(iris.test.x, iris.test.rows);
    };
    assert.deepEqual(await proba(42), await proba(42));
    assert.notDeepEqual(await proba(42), await proba(43));
  });
});

describe('svm engine', () => {
  it('gives probabilities only when trained with probability=true, and round-trips', async () => {
    const engine = svmFactory.create();
    await engine.fit(iris.train, { task: 'classification', hyperparams: {}, numClasses: 3 });
    await assert.rejects(engine.predictProba!(iris.test.x, iris.test.rows), { code: '0A000' });

    const withProba = svmFactory.create();
    await withProba.fit(iris.train, { task: 'classification', hyperparams: { probability: true }, numClasses: 3 });
    // the port's folds on libsvm's solvers where libsvm3 is installed
    assert.equal(withProba.runtime, libsvmStatus().status === 'loaded' ? 'native' : 'js');
    const proba = await withProba.predictProba!(iris.test.x, iris.test.rows);
    const predicted = await withProba.predict(iris.test.x, iris.test.rows);
    assert.ok(accuracy(iris.test.y!, predicted) > 0.9);
    for (let r = 0; r < iris.test.rows; r++) {
      const row = Array.from(proba.subarray(r * 3, r * 3 + 3));
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    }
    const restored = await svmFactory.deserialize(await withProba.serialize());
    assert.deepEqual(await restored.predict(iris.test.x, iris.test.rows), predicted);
    assert.deepEqual(await restored.predictProba!(iris.test.x, iris.test.rows), proba);
  });

  it('models stored while training ran on libsvm-js predict as libsvm-js did', async () => {
    const splits: Record<string, typeof iris> = { iris, diabetes, breast_cancer: breastCancer };
    for (const stored of storedModels.models) {
      const factory = stored.algorithm === 'svm' ? svmFactory : nuSvmFactory;
      const split = splits[stored.split]!;
      const engine = await factory.deserialize(new TextEncoder().encode(JSON.stringify(stored.stored)));
      const predicted = Array.from(await engine.predict(split.test.x, split.test.rows));
      predicted.forEach((p, i) => assert.ok(Math.abs(p - stored.predict[i]!) <= 1e-5 * Math.max(1, Math.abs(p)), `${stored.name} row ${i}`));
      if (stored.proba) assertProbabilitiesClose(await engine.predictProba!(split.test.x, split.test.rows), stored.proba, 1e-6, stored.name);
      else if ((stored.stored as { task: string }).task === 'classification') {
        await assert.rejects(engine.predictProba!(split.test.x, split.test.rows), { code: '0A000' });
      }
    }
    const [first] = storedModels.models;
    const broken = { ...(first!.stored as object), model: 'svm_type c_svc\nkernel_type rbf\n' };
    const engine = await svmFactory.deserialize(new TextEncoder().encode(JSON.stringify(broken)));
    await assert.rejects(engine.predict(iris.test.x, iris.test.rows), { code: 'XX001', message: /cannot be read/ });
  });

  it('regression round-trips through serialize', async () => {
    const engine = svmFactory.create();
    await engine.fit(diabetes.train, { task: 'regression', hyperparams: { kernel: 'poly', degree: 2, gamma: 'auto' } });
    const predicted = await engine.predict(diabetes.test.x, diabetes.test.rows);
    const restored = await svmFactory.deserialize(await engine.serialize());
    assert.deepEqual(await restored.predict(diabetes.test.x, diabetes.test.rows), predicted);
  });

  it('refuses unknown hyperparameters and bad values', async () => {
    const fit = (hyperparams: Record<string, unknown>) =>
      svmFactory.create().fit(iris.train, { task: 'classification', hyperparams, numClasses: 3 });
    await assert.rejects(fit({ nu: 0.5 }), { code: '22023', hint: /accepted hyperparameters: C, cache_size, coef0/ });
    await assert.rejects(fit({ kernel: 'precomputed' }), { code: '22023' });
    await assert.rejects(fit({ gamma: -1 }), { code: '22023' });
    await assert.rejects(fit({ C: 0 }), { code: '22023' });
  });

  it('stops the solver at max_iter and keeps that model, as scikit-learn does', { skip: skipReason }, async () => {
    for (const [factory, split, task, key, maxIter] of [
      [svmFactory, iris, 'classification', 'svcIrisStopped', 5],
      [nuSvmFactory, diabetes, 'regression', 'nuSvrStopped', 10],
    ] as const) {
      const fit = async (hyperparams: Record<string, unknown>) => {
        const engine = factory.create();
        await engine.fit(split.train, { task, hyperparams, numClasses: split.numClasses });
        return engine.predict(split.test.x, split.test.rows);
      };
      const stopped = await fit({ max_iter: maxIter });
      const expected = reference![key].predict!;
      if (task === 'classification') assert.deepEqual(Array.from(stopped), expected);
      else stopped.forEach((p, i) => assert.ok(Math.abs(p - expected[i]!) <= 1e-5 * Math.abs(expected[i]!), `row ${i}: ${p} vs ${expected[i]}`));
      assert.notDeepEqual(stopped, await fit({}), 'the limit stopped the solver early');
    }
    await assert.rejects(svmFactory.create().fit(iris.train, { task: 'classification', hyperparams: { max_iter: 2.5 }, numClasses: 3 }), { code: '22023' });
  });
});

describe("gamma='scale'", () => {
  it('is scikit-learn\'s 1 / (n_features · X.var()) to the last bit (numpy\'s pairwise sums)', () => {
    // scripts/make-svm-fixtures.py records the gamma scikit-learn used; the default-gamma rbf cases used 'scale'
    const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/libsvm.json', import.meta.url), 'utf8')) as {
      data: Record<string, { x: number[][] }>;
      cases: { name: string; data: string; params: { gamma: number } }[];
    };
    for (const name of ['svc rbf', 'nusvc rbf multiclass', 'svr rbf']) {
      const c = fixture.cases.find((k) => k.name === name)!;
      const x = fixture.data[c.data]!.x;
      assert.equal(1.0 / (x[0]!.length * numpyVariance(Float32Array.from(x.flat()))), c.params.gamma, name);
    }
  });
});
