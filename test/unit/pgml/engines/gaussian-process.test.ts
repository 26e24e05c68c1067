// gaussian_process against scikit-learn's GaussianProcessRegressor (fitted kernel hyperparameters) and
// GaussianProcessClassifier (Laplace approximation, one-vs-rest) on the same splits.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { erf, gaussianProcessFactory } from '../../../../src/pgml/engines/gaussian-process.js';
import { loadSplit, r2, sklearn, sklearnAvailable } from './sklearn-reference.js';

const skipReason = sklearnAvailable() ? false : 'python3 with scikit-learn is not installed';
const diabetes = loadSplit('diabetes');
const iris = loadSplit('iris');
const wine = loadSplit('wine');

/**
 * A smooth surface with a little noise: with alpha = 0.01 the likelihood has one interior maximum that
 * scipy's L-BFGS-B and ours both reach, so the fitted kernel (and the gradient that leads there) is
 * held to scikit-learn's through the predictions.
 */
const surfaceDir = mkdtempSync(join(tmpdir(), 'pgml-gp-surface-'));
writeFileSync(
  join(surfaceDir, 'surface.csv'),
  ['a,b,y', ...Array.from({ length: 80 }, (_, r) => {
    const [a, b] = [Math.fround(Math.sin(r * 1.7) * 2), Math.fround(Math.cos(r * 0.9) * 1.5)];
    return [a, b, Math.fround(Math.sin(1.3 * a) + 0.5 * b * b - 0.3 * a * b + 0.1 * Math.sin(r * 12.9))].join(',');
  })].join('\n'),
);
const surface = loadSplit('surface', { dir: surfaceDir });

const reference = skipReason
  ? undefined
  : sklearn({
      fixed: { split: diabetes, estimator: 'gaussian_process.GaussianProcessRegressor', params: { normalize_y: true, optimizer: null } },
      optimized: { split: diabetes, estimator: 'gaussian_process.GaussianProcessRegressor', params: { normalize_y: true } },
      surface: { split: surface, estimator: 'gaussian_process.GaussianProcessRegressor', params: { alpha: 0.01 }, float32: true },
      surfaceNormalized: { split: surface, estimator: 'gaussian_process.GaussianProcessRegressor', params: { alpha: 0.01, normalize_y: true }, float32: true },
      iris: { split: iris, estimator: 'gaussian_process.GaussianProcessClassifier', params: {}, proba: true },
      wine: { split: wine, estimator: 'gaussian_process.GaussianProcessClassifier', params: {}, proba: true },
      // PostgresML's classification guide: '{"max_iter_predict": 100, "warm_start": true}'.
      guide: { split: iris, estimator: 'gaussian_process.GaussianProcessClassifier', params: { max_iter_predict: 100, warm_start: true }, proba: true },
    });

function close(actual: ArrayLike<number>, expected: number[], tolerance: number, what: string) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance * Math.max(1, Math.abs(expected[i]!)), `${what} ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('gaussian_process matches scikit-learn', { skip: skipReason }, () => {
  // Float32 features here, float64 in scikit-learn, through a kernel matrix with only 1e-10 on its diagonal.
  it('regression with the kernel kept (optimizer null): the same posterior mean', async () => {
    const engine = gaussianProcessFactory.create();
    await engine.fit(diabetes.train, { task: 'regression', hyperparams: { normalize_y: true, optimizer: null } });
    close(await engine.predict(diabetes.test.x, diabetes.test.rows), reference!.fixed.predict!, 1e-3, 'fixed');
  });

  it('regression with the fitted kernel scores at least as well as scikit-learn', async () => {
    // On diabetes scipy runs the length scale into its lower bound (r2 ≈ 0); L-BFGS here stops at a
    // likelihood maximum inside the bounds. Both are maxima of the same likelihood.
    const engine = gaussianProcessFactory.create();
    await engine.fit(diabetes.train, { task: 'regression', hyperparams: { normalize_y: true } });
    const ours = r2(diabetes.test.y!, await engine.predict(diabetes.test.x, diabetes.test.rows));
    const theirs = r2(diabetes.test.y!, reference!.optimized.predict!);
    assert.ok(ours >= theirs - 0.02, `ours ${ours}, scikit-learn ${theirs}`);
  });

  it('regression on a smooth surface: the likelihood maximum scikit-learn finds, so its predictions', async () => {
    for (const [key, hyperparams] of [['surface', { alpha: 0.01 }], ['surfaceNormalized', { alpha: 0.01, normalize_y: true }]] as const) {
      const engine = gaussianProcessFactory.create();
      await engine.fit(surface.train, { task: 'regression', hyperparams });
      close(await engine.predict(surface.test.x, surface.test.rows), reference![key].predict!, 1e-4, key);
    }
  });

  it('classification: one-vs-rest Laplace probabilities on iris and wine', async () => {
    for (const [split, key] of [[iris, 'iris'], [wine, 'wine']] as const) {
      const engine = gaussianProcessFactory.create();
      await engine.fit(split.train, { task: 'classification', hyperparams: {}, numClasses: split.numClasses });
      close(await engine.predictProba!(split.test.x, split.test.rows), reference![key].proba!.flat(), 1e-5, `${key} proba`);
      assert.deepEqual(Array.from(await engine.predict(split.test.x, split.test.rows)), reference![key].predict);
      const restored = await gaussianProcessFactory.deserialize(await engine.serialize());
      close(await restored.predictProba!(split.test.x, split.test.rows), reference![key].proba!.flat(), 1e-5, `${key} restored`);
    }
  });

  it("classification with PostgresML's guide's hyperparameters (max_iter_predict, warm_start) as scikit-learn", async () => {
    const engine = gaussianProcessFactory.create();
    await engine.fit(iris.train, { task: 'classification', hyperparams: { max_iter_predict: 100, warm_start: true }, numClasses: iris.numClasses });
    close(await engine.predictProba!(iris.test.x, iris.test.rows), reference!.guide.proba!.flat(), 1e-5, 'guide proba');
    await assert.rejects(
      gaussianProcessFactory.create().fit(iris.train, { task: 'classification', hyperparams: { warm_start: 'yes' }, numClasses: 3 }),
      /warm_start/,
    );
  });
});

describe('gaussian_process', () => {
  it('erf agrees with known values to double precision', () => {
    for (const [x, value] of [[0.5, 0.5204998778130465], [-1, -0.8427007929497149], [2, 0.9953222650189527], [4.5, 0.9999999998033839]]) {
      assert.ok(Math.abs(erf(x!) - value!) < 1e-15, `erf(${x})`);
    }
  });

  it('binary classification predicts by the latent sign and gives two probabilities per row', async () => {
    const rows = 80;
    const x = Float32Array.from({ length: rows * 2 }, (_, i) => Math.sin(i * 0.7) * 2);
    const y = Float32Array.from({ length: rows }, (_, r) => (x[2 * r]! > 0 ? 1 : 0));
    const engine = gaussianProcessFactory.create();
    await engine.fit({ x, rows, cols: 2, y }, { task: 'classification', hyperparams: {}, numClasses: 2 });
    const predicted = await engine.predict(x, rows);
    assert.ok(predicted.filter((p, r) => p === y[r]).length / rows > 0.9);
    const proba = await engine.predictProba!(x, rows);
    for (let r = 0; r < rows; r++) assert.ok(Math.abs(proba[2 * r]! + proba[2 * r + 1]! - 1) < 1e-6);
  });

  it('refuses regression-only hyperparameters in classification and too many rows', async () => {
    await assert.rejects(
      gaussianProcessFactory.create().fit(iris.train, { task: 'classification', hyperparams: { alpha: 1 }, numClasses: 3 }),
      { code: '22023' },
    );
    const rows = 10_001;
    await assert.rejects(
      gaussianProcessFactory.create().fit({ x: new Float32Array(rows), rows, cols: 1, y: new Float32Array(rows) }, { task: 'regression', hyperparams: {} }),
      { code: '54000' },
    );
  });
});
