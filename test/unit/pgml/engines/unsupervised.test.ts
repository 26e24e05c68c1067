import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kmeansFactory, miniBatchKmeansFactory } from '../../../../src/pgml/engines/kmeans.js';
import { pcaFactory } from '../../../../src/pgml/engines/pca.js';
import type { Engine } from '../../../../src/pgml/engines/engine.js';
import { loadSplit, sklearn, sklearnAvailable } from './sklearn-reference.js';

const skipReason = sklearnAvailable() ? false : 'python3 with scikit-learn is not installed';
const iris = loadSplit('iris');
const wine = loadSplit('wine');
const digits = loadSplit('digits');

const reference = skipReason
  ? undefined
  : sklearn({
      kmeans: { split: digits, estimator: 'cluster.KMeans', params: { n_clusters: 10, n_init: 4, random_state: 0 }, kind: 'clustering' },
      miniBatch: { split: digits, estimator: 'cluster.MiniBatchKMeans', params: { n_clusters: 10, n_init: 1, random_state: 0, batch_size: 256 }, kind: 'clustering' },
      pca: { split: wine, estimator: 'decomposition.PCA', params: { n_components: 3 }, kind: 'decomposition' },
      pcaAll: { split: digits, estimator: 'decomposition.PCA', params: {}, kind: 'decomposition' },
    });

const inertiaOf = (engine: Engine) => (engine as unknown as { inertia: number }).inertia;

describe('clustering matches scikit-learn', { skip: skipReason }, () => {
  it('kmeans on digits reaches an inertia within 3% of sklearn KMeans', async () => {
    const engine = kmeansFactory.create();
    await engine.fit(digits.train, { task: 'clustering', hyperparams: { n_clusters: 10, n_init: 4, random_state: 0 } });
    const ours = inertiaOf(engine);
    assert.ok(ours < reference!.kmeans.inertia! * 1.03, `${ours} vs ${reference!.kmeans.inertia}`);
  });

  it('mini_batch_kmeans on digits reaches an inertia within 5% of sklearn MiniBatchKMeans', async () => {
    const engine = miniBatchKmeansFactory.create();
    await engine.fit(digits.train, { task: 'clustering', hyperparams: { n_clusters: 10, random_state: 0, batch_size: 256 } });
    const ours = inertiaOf(engine);
    assert.ok(ours < reference!.miniBatch.inertia! * 1.05, `${ours} vs ${reference!.miniBatch.inertia}`);
  });

  it('pca transforms wine exactly like sklearn PCA (including component signs)', async () => {
    const engine = pcaFactory.create();
    await engine.fit(wine.train, { task: 'decomposition', hyperparams: { n_components: 3 } });
    const projected = await engine.predict(wine.test.x, wine.test.rows);
    const expected = reference!.pca.transform!.flat();
    assert.equal(projected.length, wine.test.rows * 3);
    projected.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-3 * Math.max(1, Math.abs(expected[i]!)), `${i}: ${v} vs ${expected[i]}`));
    const ratios = (engine as unknown as { explainedVarianceRatio: number[] }).explainedVarianceRatio;
    ratios.forEach((r, i) => assert.ok(Math.abs(r - reference!.pca.explained_variance_ratio![i]!) < 1e-6));
  });

  it('pca keeps every component by default and a fraction picks the count', async () => {
    const engine = pcaFactory.create();
    await engine.fit(digits.train, { task: 'decomposition', hyperparams: {} });
    const ratios = (engine as unknown as { explainedVarianceRatio: number[] }).explainedVarianceRatio;
    assert.equal(ratios.length, 64);
    ratios.slice(0, 20).forEach((r, i) => assert.ok(Math.abs(r - reference!.pcaAll.explained_variance_ratio![i]!) < 1e-6));
    const cumulative = reference!.pcaAll.explained_variance_ratio!.reduce<number[]>((acc, r) => [...acc, (acc.at(-1) ?? 0) + r], []);
    const fraction = pcaFactory.create();
    await fraction.fit(digits.train, { task: 'decomposition', hyperparams: { n_components: 0.9 } });
    const kept = (await fraction.predict(digits.test.x, digits.test.rows)).length / digits.test.rows;
    assert.equal(kept, cumulative.findIndex((c) => c >= 0.9) + 1);
  });
});

describe('clustering and decomposition engines', () => {
  it('kmeans separates iris into 3 clusters that mostly follow the species', async () => {
    const engine = kmeansFactory.create();
    await engine.fit(iris.train, { task: 'clustering', hyperparams: { n_clusters: 3, random_state: 1 } });
    const labels = await engine.predict(iris.test.x, iris.test.rows);
    // Purity: the share of rows whose cluster's majority species matches their own.
    let pure = 0;
    for (let k = 0; k < 3; k++) {
      const species = [0, 0, 0];
      labels.forEach((label, r) => { if (label === k) species[iris.test.y![r]!]!++; });
      pure += Math.max(...species);
    }
    assert.ok(pure / iris.test.rows > 0.8, `purity ${pure / iris.test.rows}`);
  });

  it('round-trips kmeans, mini_batch_kmeans and pca through serialize', async () => {
    for (const [factory, task, hyperparams] of [
      [kmeansFactory, 'clustering', { n_clusters: 4, random_state: 3 }],
      [miniBatchKmeansFactory, 'clustering', { n_clusters: 4, random_state: 3, init: 'random' }],
      [pcaFactory, 'decomposition', { n_components: 5 }],
    ] as const) {
      const engine = factory.create();
      await engine.fit(wine.train, { task, hyperparams });
      const restored = await factory.deserialize(await engine.serialize());
      assert.deepEqual(await restored.predict(wine.test.x, wine.test.rows), await engine.predict(wine.test.x, wine.test.rows));
    }
    const engine = kmeansFactory.create();
    await engine.fit(wine.train, { task: 'clustering', hyperparams: { n_clusters: 2 } });
    await assert.rejects(miniBatchKmeansFactory.deserialize(await engine.serialize()), { code: 'XX001' });
    await assert.rejects(pcaFactory.deserialize(await engine.serialize()), { code: 'XX001' });
  });

  it('refuses unknown hyperparameters, bad values and other tasks', async () => {
    await assert.rejects(
      kmeansFactory.create().fit(iris.train, { task: 'clustering', hyperparams: { algorithm: 'elkan' } }),
      { code: '22023', hint: /n_clusters/ },
    );
    await assert.rejects(kmeansFactory.create().fit(iris.train, { task: 'clustering', hyperparams: { n_clusters: 0 } }), { code: '22023' });
    await assert.rejects(pcaFactory.create().fit(iris.train, { task: 'decomposition', hyperparams: { n_components: 9 } }), { code: '22023' });
    await assert.rejects(pcaFactory.create().fit(iris.train, { task: 'decomposition', hyperparams: { whiten: true } }), { code: '22023' });
    await assert.rejects(pcaFactory.create().fit(iris.train, { task: 'regression', hyperparams: {} }), { code: '0A000' });
  });
});
