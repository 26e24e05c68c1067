import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { elasticNetFactory, lassoFactory, linearFactory, ridgeFactory } from '../../../../src/pgml/engines/linear.js';
import { elasticNet } from '../../../../src/pgml/engines/linear-solvers.js';
import { requireFinite } from '../../../../src/pgml/engines/engine-support.js';
import type { EngineFactory } from '../../../../src/pgml/engines/engine.js';
import { PgError } from '../../../../src/errors/index.js';
import { accuracy, loadSplit, r2, sklearn, sklearnAvailable } from './sklearn-reference.js';

const skipReason = sklearnAvailable() ? false : 'python3 with scikit-learn is not installed';
const diabetes = loadSplit('diabetes');
const breastCancer = loadSplit('breast_cancer');
const iris = loadSplit('iris');
const wine = loadSplit('wine');

const reference = skipReason
  ? undefined
  : sklearn({
      linear: { split: diabetes, estimator: 'linear_model.LinearRegression', params: {} },
      ridge: { split: diabetes, estimator: 'linear_model.Ridge', params: { alpha: 0.5 } },
      lasso: { split: diabetes, estimator: 'linear_model.Lasso', params: { alpha: 0.1 } },
      elastic_net: { split: diabetes, estimator: 'linear_model.ElasticNet', params: { alpha: 0.01, l1_ratio: 0.3 } },
      lassoDefault: { split: diabetes, estimator: 'linear_model.Lasso', params: {}, float32: true },
      elasticNetDefault: { split: diabetes, estimator: 'linear_model.ElasticNet', params: {}, float32: true },
      lassoAllZero: { split: diabetes, estimator: 'linear_model.Lasso', params: { alpha: 1000 }, float32: true },
      elasticNetNoIntercept: { split: diabetes, estimator: 'linear_model.ElasticNet', params: { alpha: 0.05, fit_intercept: false }, float32: true },
      logisticBinary: { split: breastCancer, estimator: 'linear_model.LogisticRegression', params: {} },
      logisticIris: { split: iris, estimator: 'linear_model.LogisticRegression', params: { max_iter: 500 }, proba: true },
      ridgeWine: { split: wine, estimator: 'linear_model.RidgeClassifier', params: { alpha: 2 } },
      ridgeBreastCancer: { split: breastCancer, estimator: 'linear_model.RidgeClassifier', params: { alpha: 2 } },
    });

async function regression(factory: EngineFactory, hyperparams: Record<string, unknown>) {
  const engine = factory.create();
  await engine.fit(diabetes.train, { task: 'regression', hyperparams });
  return { engine, predicted: await engine.predict(diabetes.test.x, diabetes.test.rows) };
}

function close(actual: Float32Array, expected: number[], tolerance: number) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance * Math.max(1, Math.abs(expected[i]!)), `row ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('linear family regression matches scikit-learn on diabetes', { skip: skipReason }, () => {
  const cases: [EngineFactory, 'linear' | 'ridge' | 'lasso' | 'elastic_net', Record<string, unknown>, number][] = [
    [linearFactory, 'linear', {}, 1e-4],
    [ridgeFactory, 'ridge', { alpha: 0.5 }, 1e-4],
    [lassoFactory, 'lasso', { alpha: 0.1 }, 1e-3],
    [elasticNetFactory, 'elastic_net', { alpha: 0.01, l1_ratio: 0.3 }, 1e-3],
  ];
  for (const [factory, key, hyperparams, tolerance] of cases) {
    it(`${factory.algorithm} ${JSON.stringify(hyperparams)}`, async () => {
      const { predicted } = await regression(factory, hyperparams);
      const expected = reference![key].predict!;
      close(predicted, expected, tolerance);
      assert.ok(Math.abs(r2(diabetes.test.y!, predicted) - r2(diabetes.test.y!, expected)) < 1e-3);
    });
  }
});

describe("lasso and elastic_net follow scikit-learn's coordinate descent step for step", { skip: skipReason }, () => {
  // The same number of passes as sklearn's n_iter_ (0 when the duality gap at w = 0 is already within
  // tol, as at alpha = 1000): the gap checked first, the same update and stopping rule.
  const cases: [string, 'lassoDefault' | 'elasticNetDefault' | 'lassoAllZero' | 'elasticNetNoIntercept', { alpha: number; l1Ratio: number; fitIntercept: boolean }][] = [
    ['lasso defaults', 'lassoDefault', { alpha: 1, l1Ratio: 1, fitIntercept: true }],
    ['elastic_net defaults', 'elasticNetDefault', { alpha: 1, l1Ratio: 0.5, fitIntercept: true }],
    ['lasso alpha 1000 (every coefficient zero)', 'lassoAllZero', { alpha: 1000, l1Ratio: 1, fitIntercept: true }],
    ['elastic_net without an intercept', 'elasticNetNoIntercept', { alpha: 0.05, l1Ratio: 0.5, fitIntercept: false }],
  ];
  for (const [name, key, options] of cases) {
    it(name, () => {
      const { x, rows, cols, y } = diabetes.train;
      const fitted = elasticNet(x, rows, cols, Float64Array.from(y!), { ...options, maxIter: 1000, tol: 1e-4 });
      assert.equal(fitted.iterations, reference![key].n_iter![0]);
      const predicted = new Float32Array(diabetes.test.rows);
      for (let r = 0; r < diabetes.test.rows; r++) {
        let s = fitted.intercept[0]!;
        for (let c = 0; c < cols; c++) s += diabetes.test.x[r * cols + c]! * fitted.coef[0]![c]!;
        predicted[r] = s;
      }
      close(predicted, reference![key].predict!, 1e-5);
    });
  }
});

describe('linear classification matches scikit-learn', { skip: skipReason }, () => {
  it('binary logistic regression on breast_cancer (lbfgs, max_iter 100, unscaled)', async () => {
    const engine = linearFactory.create();
    await engine.fit(breastCancer.train, { task: 'classification', hyperparams: {}, numClasses: 2 });
    const predicted = await engine.predict(breastCancer.test.x, breastCancer.test.rows);
    const expected = reference!.logisticBinary.predict!;
    const ours = accuracy(breastCancer.test.y!, predicted);
    assert.ok(ours > 0.9, `accuracy ${ours}`);
    // sklearn stops before convergence here too, so trajectories differ slightly: compare the metric.
    assert.ok(Math.abs(ours - accuracy(breastCancer.test.y!, Float32Array.from(expected))) <= 0.03);
  });

  it('multinomial logistic regression on iris agrees on probabilities', async () => {
    const engine = linearFactory.create();
    await engine.fit(iris.train, { task: 'classification', hyperparams: { max_iter: 500 }, numClasses: 3 });
    const proba = await engine.predictProba!(iris.test.x, iris.test.rows);
    const expected = reference!.logisticIris;
    close(proba, expected.proba!.flat(), 2e-3);
    assert.deepEqual(Array.from(await engine.predict(iris.test.x, iris.test.rows)), expected.predict);
  });

  it('ridge classifier on wine (multiclass) and breast_cancer (binary)', async () => {
    for (const [split, key] of [[wine, 'ridgeWine'], [breastCancer, 'ridgeBreastCancer']] as const) {
      const engine = ridgeFactory.create();
      await engine.fit(split.train, { task: 'classification', hyperparams: { alpha: 2 }, numClasses: split.numClasses });
      const predicted = await engine.predict(split.test.x, split.test.rows);
      assert.deepEqual(Array.from(predicted), reference![key].predict);
      await assert.rejects(engine.predictProba!(split.test.x, split.test.rows), { code: '0A000' });
    }
  });
});

describe('linear family engines', () => {
  it('fits a known linear relation exactly', async () => {
    const x = new Float32Array([0, 1, 1, 0, 2, 3, 5, 1, 4, 4]);
    const y = new Float32Array([1, 2, 3, 5, 4].map((_, r) => 3 * x[r * 2]! - 2 * x[r * 2 + 1]! + 7));
    const engine = linearFactory.create();
    await engine.fit({ x, rows: 5, cols: 2, y }, { task: 'regression', hyperparams: {} });
    close(await engine.predict(new Float32Array([10, 10]), 1), [17], 1e-5);
  });

  it('lasso with a large alpha zeroes every coefficient (predicts the mean)', async () => {
    const { predicted } = await regression(lassoFactory, { alpha: 1e6 });
    const mean = diabetes.train.y!.reduce((a, b) => a + b, 0) / diabetes.train.rows;
    close(predicted, new Array(predicted.length).fill(mean), 1e-5);
  });

  it('serializes and deserializes to identical predictions', async () => {
    for (const factory of [linearFactory, ridgeFactory, lassoFactory, elasticNetFactory]) {
      const { engine, predicted } = await regression(factory, {});
      const restored = await factory.deserialize(await engine.serialize());
      assert.deepEqual(await restored.predict(diabetes.test.x, diabetes.test.rows), predicted);
    }
    const engine = linearFactory.create();
    await engine.fit(wine.train, { task: 'classification', hyperparams: {}, numClasses: 3 });
    const restored = await linearFactory.deserialize(await engine.serialize());
    assert.deepEqual(await restored.predictProba!(wine.test.x, wine.test.rows), await engine.predictProba!(wine.test.x, wine.test.rows));
    await assert.rejects(ridgeFactory.deserialize(await engine.serialize()), { code: 'XX001' });
  });

  it('refuses unknown hyperparameters, bad values and unsupported tasks with SQLSTATEs', async () => {
    await assert.rejects(regression(lassoFactory, { learning_rate: 0.1 }), (error: unknown) => {
      assert.ok(error instanceof PgError);
      assert.equal(error.code, '22023');
      assert.match(error.hint ?? '', /alpha, fit_intercept, max_iter, tol/);
      return true;
    });
    await assert.rejects(regression(elasticNetFactory, { l1_ratio: 2 }), { code: '22023' });
    await assert.rejects(
      lassoFactory.create().fit(iris.train, { task: 'classification', hyperparams: {}, numClasses: 3 }),
      { code: '0A000' },
    );
    await assert.rejects(linearFactory.create().predict(new Float32Array(2), 1), { code: '55000' });
  });

  it('refuses a NaN or an infinite feature value with 22023, and takes negative zeros', async () => {
    // Each of the check's four interleaved sums and its tail (3,310 values: the last two).
    const positions = [16, 17, 18, 19, diabetes.train.x.length - 1];
    for (const [k, bad] of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, Number.POSITIVE_INFINITY].entries()) {
      const x = Float32Array.from(diabetes.train.x);
      x[positions[k]!] = bad;
      await assert.rejects(
        ridgeFactory.create().fit({ ...diabetes.train, x }, { task: 'regression', hyperparams: {} }),
        { code: '22023', message: /cannot handle missing/ },
      );
    }
    const x = Float32Array.from(diabetes.train.x, (v) => (v < 0 ? -0 : v));
    await ridgeFactory.create().fit({ ...diabetes.train, x }, { task: 'regression', hyperparams: {} });
  });

  it('finds a NaN or an infinity at every position of short rows, whatever the length modulo four', () => {
    // Lengths below four take their own loop; the others end with a block overlapping the last one.
    for (let length = 1; length <= 13; length++) {
      assert.doesNotThrow(() => requireFinite('ridge', Float32Array.from({ length }, (_, i) => i - 6)), `length ${length}`);
      for (let position = 0; position < length; position++) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          const x = new Float32Array(length).fill(1);
          x[position] = bad;
          assert.throws(() => requireFinite('ridge', x), { code: '22023' }, `length ${length}, ${bad} at ${position}`);
        }
      }
    }
    assert.doesNotThrow(() => requireFinite('ridge', new Float32Array(0)));
  });
});
