import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { neuralNetworkFactory } from '../../../../src/pgml/engines/neural-network.js';
import { accuracy, loadSplit, r2, sklearn, sklearnAvailable, type Split } from './sklearn-reference.js';

const skipReason = sklearnAvailable() ? false : 'python3 with scikit-learn is not installed';
const iris = loadSplit('iris');
const breastCancer = loadSplit('breast_cancer');
const diabetes = loadSplit('diabetes');

/** Diabetes targets are in the hundreds; scaled to unit range so 60 epochs of adam can fit them. */
const scaledDiabetes: Split = (() => {
  const scale = (y: Float32Array) => Float32Array.from(y, (v) => v / 100);
  return { ...diabetes, train: { ...diabetes.train, y: scale(diabetes.train.y!) }, test: { ...diabetes.test, y: scale(diabetes.test.y!) } };
})();

const reference = skipReason
  ? undefined
  : sklearn({
      iris: { split: iris, estimator: 'neural_network.MLPClassifier', params: { hidden_layer_sizes: [32], max_iter: 300, learning_rate_init: 0.01, random_state: 0 } },
    });

describe('neural_network is close to scikit-learn', { skip: skipReason }, () => {
  it('MLP classifier on iris: accuracy within 0.08 of MLPClassifier', async () => {
    const engine = neuralNetworkFactory.create();
    const hyperparams = { hidden_layer_sizes: [32], max_iter: 300, learning_rate_init: 0.01, random_state: 0 };
    await engine.fit(iris.train, { task: 'classification', hyperparams, numClasses: 3 });
    const ours = accuracy(iris.test.y!, await engine.predict(iris.test.x, iris.test.rows));
    const theirs = accuracy(iris.test.y!, Float32Array.from(reference!.iris.predict!));
    assert.ok(ours > theirs - 0.08, `accuracy ${ours} vs sklearn ${theirs}`);
  });
});

describe('neural_network engine', () => {
  it('learns binary breast_cancer with logistic output and round-trips exactly', async () => {
    const engine = neuralNetworkFactory.create();
    await engine.fit(breastCancer.train, {
      task: 'classification', hyperparams: { hidden_layer_sizes: [16], max_iter: 60, random_state: 1 }, numClasses: 2,
    });
    const predicted = await engine.predict(breastCancer.test.x, breastCancer.test.rows);
    assert.ok(accuracy(breastCancer.test.y!, predicted) > 0.85);
    const proba = await engine.predictProba!(breastCancer.test.x, breastCancer.test.rows);
    assert.equal(proba.length, breastCancer.test.rows * 2);
    const restored = await neuralNetworkFactory.deserialize(await engine.serialize());
    assert.deepEqual(await restored.predict(breastCancer.test.x, breastCancer.test.rows), predicted);
    assert.deepEqual(await restored.predictProba!(breastCancer.test.x, breastCancer.test.rows), proba);
  });

  it('regresses diabetes (r2 > 0.3) and is repeatable with random_state', async () => {
    const fit = async () => {
      const engine = neuralNetworkFactory.create();
      await engine.fit(scaledDiabetes.train, {
        task: 'regression', hyperparams: { hidden_layer_sizes: [32], max_iter: 150, learning_rate_init: 0.01, random_state: 2 },
      });
      return engine.predict(scaledDiabetes.test.x, scaledDiabetes.test.rows);
    };
    const first = await fit();
    assert.ok(r2(scaledDiabetes.test.y!, first) > 0.3, `r2 ${r2(scaledDiabetes.test.y!, first)}`);
    assert.deepEqual(await fit(), first);
  });

  it('refuses unknown hyperparameters and bad values', async () => {
    const fit = (hyperparams: Record<string, unknown>) =>
      neuralNetworkFactory.create().fit(iris.train, { task: 'classification', hyperparams, numClasses: 3 });
    await assert.rejects(fit({ solver: 'sgd' }), { code: '22023', hint: /hidden_layer_sizes/ });
    await assert.rejects(fit({ hidden_layer_sizes: [0] }), { code: '22023' });
    await assert.rejects(fit({ activation: 'gelu' }), { code: '22023' });
  });
});
