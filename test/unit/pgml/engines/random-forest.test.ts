// random_forest is scikit-learn's RandomForest*: same bootstrap rows (numpy's draws), best splits, sqrt
// features per split for classifiers; one forest for several targets (train_joint) as sklearn's.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RandomForestRegression } from 'ml-random-forest';
import { randomForestFactory } from '../../../../src/pgml/engines/random-forest.js';
import { accuracy, loadSplit, r2, sklearn, sklearnAvailable } from './sklearn-reference.js';

const skipReason = sklearnAvailable() ? false : 'python3 with scikit-learn is not installed';
const diabetes = loadSplit('diabetes');
const breastCancer = loadSplit('breast_cancer');
const wine = loadSplit('wine');

/** diabetes with a second target (an interaction of bmi and bp plus a third of y): a real joint problem. */
function diabetesJoint() {
  const dir = mkdtempSync(join(tmpdir(), 'rf-joint-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const [header, ...lines] = readFileSync(new URL('../../../../datasets/diabetes.csv', import.meta.url), 'utf8').trim().split(/\r?\n/);
  const rows = lines.map((line) => {
    const v = line.split(',').map(Number);
    return [...v, 1000 * v[2]! * v[3]! + v[10]! / 3].join(',');
  });
  writeFileSync(join(dir, 'diabetes_joint.csv'), [`${header},y2`, ...rows].join('\n'));
  return loadSplit('diabetes_joint', { targets: 2, dir });
}
const joint = diabetesJoint();

/** r2 of each target column, as scikit-learn's r2_score(multioutput='raw_values'). */
function r2Columns(truth: Float32Array, predicted: ArrayLike<number>, targets: number): number[] {
  return Array.from({ length: targets }, (_, t) => {
    const column = (values: ArrayLike<number>) => Array.from({ length: values.length / targets }, (_, r) => values[r * targets + t]!);
    return r2(column(truth), column(predicted));
  });
}

const reference = skipReason
  ? undefined
  : sklearn({
      regression: { split: diabetes, estimator: 'ensemble.RandomForestRegressor', params: { n_estimators: 30, random_state: 0 } },
      binary: { split: breastCancer, estimator: 'ensemble.RandomForestClassifier', params: { n_estimators: 30, random_state: 0 } },
      wine: { split: wine, estimator: 'ensemble.RandomForestClassifier', params: { n_estimators: 30, random_state: 0 } },
      joint: { split: joint, estimator: 'ensemble.RandomForestRegressor', params: { random_state: 0 } },
    });

describe('random_forest against scikit-learn', { skip: skipReason }, () => {
  it('regression r2 on diabetes within 0.02 of RandomForestRegressor', async () => {
    const engine = randomForestFactory.create();
    await engine.fit(diabetes.train, { task: 'regression', hyperparams: { n_estimators: 30, random_state: 0 } });
    const ours = r2(diabetes.test.y!, await engine.predict(diabetes.test.x, diabetes.test.rows));
    const theirs = r2(diabetes.test.y!, reference!.regression.predict!);
    assert.ok(ours >= theirs - 0.02, `r2 ${ours} vs sklearn ${theirs}`);
  });

  it('classification accuracy on breast_cancer and wine within 0.02 of RandomForestClassifier', async () => {
    for (const [split, key] of [[breastCancer, 'binary'], [wine, 'wine']] as const) {
      const engine = randomForestFactory.create();
      await engine.fit(split.train, { task: 'classification', hyperparams: { n_estimators: 30, random_state: 0 }, numClasses: split.numClasses });
      const ours = accuracy(split.test.y!, await engine.predict(split.test.x, split.test.rows));
      const theirs = accuracy(split.test.y!, Float32Array.from(reference![key].predict!));
      assert.ok(ours >= theirs - 0.02, `${split.name}: accuracy ${ours} vs sklearn ${theirs}`);
    }
  });

  it('joint regression: one forest for both targets, each target r2 within 0.02 of sklearn on a 2-D y', async () => {
    const engine = randomForestFactory.create();
    await engine.fit(joint.train, { task: 'regression', hyperparams: { random_state: 0 } });
    const predicted = await engine.predict(joint.test.x, joint.test.rows);
    assert.equal(predicted.length, joint.test.rows * 2);
    const ours = r2Columns(joint.test.y!, predicted, 2);
    const theirs = r2Columns(joint.test.y!, reference!.joint.predict!, 2);
    ours.forEach((score, t) => assert.ok(score >= theirs[t]! - 0.02, `target ${t}: r2 ${score} vs sklearn ${theirs[t]}`));
    const reloaded = await randomForestFactory.deserialize(await engine.serialize());
    assert.deepEqual(await reloaded.predict(joint.test.x, joint.test.rows), predicted);
  });
});

describe('random_forest engine', () => {
  it('gives leaf-share probabilities that agree with predict, and round-trips', async () => {
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

  it('still predicts with a model stored by the ml-random-forest engine it replaced', async () => {
    const rows = Array.from({ length: diabetes.train.rows }, (_, r) => Array.from(diabetes.train.x.subarray(r * 10, r * 10 + 10)));
    const old = new RandomForestRegression({ nEstimators: 5, seed: 3, noOOB: true, replacement: false, maxFeatures: 1.0 });
    old.train(rows, Array.from(diabetes.train.y!));
    const stored = new TextEncoder().encode(
      JSON.stringify({ format: 'pgml-proxy/random_forest', version: 1, task: 'regression', cols: 10, numClasses: 0, forest: old.toJSON() }),
    );
    const restored = await randomForestFactory.deserialize(stored);
    assert.deepEqual(Array.from(await restored.predict(diabetes.train.x.subarray(0, 30), 3)), Array.from(Float32Array.from(old.predict(rows.slice(0, 3)))));
  });

  it('refuses unknown hyperparameters and bad values', async () => {
    const fit = (hyperparams: Record<string, unknown>) =>
      randomForestFactory.create().fit(wine.train, { task: 'classification', hyperparams, numClasses: 3 });
    await assert.rejects(fit({ criterion: 'entropy' }), { code: '22023', hint: /n_estimators/ });
    await assert.rejects(fit({ max_features: 'half' }), { code: '22023' });
    await assert.rejects(fit({ n_estimators: 0 }), { code: '22023' });
  });
});
