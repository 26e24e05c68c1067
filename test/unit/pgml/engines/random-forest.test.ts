import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomForestFactory } from '../../../../src/pgml/engines/random-forest.js';
import { accuracy, loadSplit, r2, sklearn, sklearnAvailable } from './sklearn-reference.js';

const skipReason = sklearnAvailable() ? false : 'python3 with scikit-learn is not installed';
const diabetes = loadSplit('diabetes');
const breastCancer = loadSplit('breast_cancer');
const wine = loadSplit('wine');

const reference = skipReason
  ? undefined
  : sklearn({
      regression: { split: diabetes, estimator: 'ensemble.RandomForestRegressor', params: { n_estimators: 30, random_state: 0 } },
      binary: { split: breastCancer, estimator: 'ensemble.RandomForestClassifier', params: { n_estimators: 30, random_state: 0 } },
      wine: { split: wine, estimator: 'ensemble.RandomForestClassifier', params: { n_estimators: 30, random_state: 0 } },
    });

describe('random_forest is close to scikit-learn', { skip: skipReason }, () => {
  it('regression r2 on diabetes within 0.1 of RandomForestRegressor', async () => {
    const engine = randomForestFactory.create();
    await engine.fit(diabetes.train, { task: 'regression', hyperparams: { n_estimators: 30, random_state: 0 } });
    const ours = r2(diabetes.test.y!, await engine.predict(diabetes.test.x, diabetes.test.rows));
    const theirs = r2(diabetes.test.y!, reference!.regression.predict!);
    assert.ok(ours > theirs - 0.1, `r2 ${ours} vs sklearn ${theirs}`);
  });

  it('classification accuracy on breast_cancer and wine within 0.06 of RandomForestClassifier', async () => {
    for (const [split, key] of [[breastCancer, 'binary'], [wine, 'wine']] as const) {
      const engine = randomForestFactory.create();
      await engine.fit(split.train, { task: 'classification', hyperparams: { n_estimators: 30, random_state: 0 }, numClasses: split.numClasses });
      const ours = accuracy(split.test.y!, await engine.predict(split.test.x, split.test.rows));
      const theirs = accuracy(split.test.y!, Float32Array.from(reference![key].predict!));
      assert.ok(ours > theirs - 0.06, `${split.name}: accuracy ${ours} vs sklearn ${theirs}`);
    }
  });
});

describe('random_forest engine', () => {
  it('gives vote-share probabilities that agree with predict, and round-trips', async () => {
    const engine = randomForestFactory.create();
    await engine.fit(wine.train, { task: 'classification', hyperparams: { n_estimators: 15, max_depth: 4, random_state: 5 }, numClasses: 3 });
    const predicted = await engine.predict(wine.test.x, wine.test.rows);
    const proba = await engine.predictProba!(wine.test.x, wine.test.rows);
    for (let r = 0; r < wine.test.rows; r++) {
      const row = Array.from(proba.subarray(r * 3, r * 3 + 3));
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      assert.equal(row[predicted[r]!], Math.max(...row));
    }
    const restored = await randomForestFactory.deserialize(await engine.serialize());
    assert.deepEqual(await restored.predict(wine.test.x, wine.test.rows), predicted);
    assert.deepEqual(await restored.predictProba!(wine.test.x, wine.test.rows), proba);
  });

  it('is reproducible with random_state', async () => {
    const fit = async () => {
      const engine = randomForestFactory.create();
      await engine.fit(diabetes.train, { task: 'regression', hyperparams: { n_estimators: 5, random_state: 9, max_features: 'sqrt' } });
      return engine.predict(diabetes.test.x, diabetes.test.rows);
    };
    assert.deepEqual(await fit(), await fit());
  });

  it('refuses unknown hyperparameters and bad values', async () => {
    const fit = (hyperparams: Record<string, unknown>) =>
      randomForestFactory.create().fit(wine.train, { task: 'classification', hyperparams, numClasses: 3 });
    await assert.rejects(fit({ criterion: 'entropy' }), { code: '22023', hint: /n_estimators/ });
    await assert.rejects(fit({ max_features: 99 }), { code: '22023' });
    await assert.rejects(fit({ n_estimators: 0 }), { code: '22023' });
  });
});
