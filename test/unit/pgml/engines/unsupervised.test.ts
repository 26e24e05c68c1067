import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kmeansFactory, miniBatchKmeansFactory } from '../../../../src/pgml/engines/kmeans.js';
import { pcaFactory } from '../../../../src/pgml/engines/pca.js';
import type { Engine } from '../../../../src/pgml/engines/engine.js';
import { loadSplit, sklearn, sklearnAvailable, type SklearnResult } from './sklearn-reference.js';

const skipReason = sklearnAvailable() ? false : 'python3 with scikit-learn is not installed';
const iris = loadSplit('iris');
const wine = loadSplit('wine');
const digits = loadSplit('digits');

/** Seeds whose k-means++ runs land in different local optima on wine: the same seed must land in sklearn's. */
const SEEDED = [[iris, 3, 0], [iris, 5, 1], [wine, 3, 0], [wine, 3, 1], [wine, 8, 7]] as const;

/**
 * MiniBatchKMeans fits that take each of sklearn's paths: the defaults (one batch of every row), several
 * batches per pass, random seeding with n_init='auto' (3), seedings on init_size samples, the tolerance
 * rule, and centres moved by the reassignment (30 centres, ratio 0.3).
 */
const MINI_BATCH = {
  defaults_iris: [iris, { n_clusters: 3, random_state: 0 }],
  digits_batches: [digits, { n_clusters: 10, random_state: 0, batch_size: 256 }],
  random_init: [wine, { n_clusters: 4, init: 'random', random_state: 3 }],
  init_samples: [wine, { n_clusters: 4, random_state: 7, batch_size: 16, init_size: 30, n_init: 3 }],
  tolerance: [digits, { n_clusters: 10, random_state: 4, tol: 0.001 }],
  reassignment: [wine, { n_clusters: 30, random_state: 5, batch_size: 64, reassignment_ratio: 0.3 }],
} as const;

const reference = skipReason
  ? undefined
  : sklearn({
      kmeans: { split: digits, estimator: 'cluster.KMeans', params: { n_clusters: 10, n_init: 4, random_state: 0 }, kind: 'clustering' },
      ...Object.fromEntries(Object.entries(MINI_BATCH).map(([name, [split, params]]) => [
        `miniBatch_${name}`,
        { split, estimator: 'cluster.MiniBatchKMeans', params, kind: 'clustering' as const, float32: true },
      ])),
      ...Object.fromEntries(SEEDED.map(([split, k, seed]) => [
        `kmeans_${split.name}_${k}_${seed}`,
        { split, estimator: 'cluster.KMeans', params: { n_clusters: k, random_state: seed }, kind: 'clustering' as const },
      ])),
      kmeansRandom: { split: wine, estimator: 'cluster.KMeans', params: { n_clusters: 4, init: 'random', random_state: 2 }, kind: 'clustering' },
      pca: { split: wine, estimator: 'decomposition.PCA', params: { n_components: 3 }, kind: 'decomposition' },
      pcaAll: { split: digits, estimator: 'decomposition.PCA', params: {}, kind: 'decomposition' },
    });

const inertiaOf = (engine: Engine) => (engine as unknown as { inertia: number }).inertia;

/** The share of row pairs on which two labelings agree (together or apart): 1 when they are the same partition. */
function samePartitionShare(a: number[], b: number[]): number {
  let agree = 0;
  let pairs = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      pairs++;
      if ((a[i] === a[j]) === (b[i] === b[j])) agree++;
    }
  }
  return agree / pairs;
}

describe('clustering matches scikit-learn', { skip: skipReason }, () => {
  it('kmeans on digits reaches an inertia within 3% of sklearn KMeans', async () => {
    const engine = kmeansFactory.create();
    await engine.fit(digits.train, { task: 'clustering', hyperparams: { n_clusters: 10, n_init: 4, random_state: 0 } });
    const ours = inertiaOf(engine);
    assert.ok(ours < reference!.kmeans.inertia! * 1.03, `${ours} vs ${reference!.kmeans.inertia}`);
  });

  // k-means++ (and init='random') draw their rows from numpy's generator as sklearn does, so the same
  // random_state starts Lloyd from sklearn's centres and ends where sklearn ends.
  it('kmeans seeds as sklearn KMeans for the same random_state: same clusters, same inertia', async () => {
    for (const [split, k, seed] of SEEDED) {
      const engine = kmeansFactory.create();
      await engine.fit(split.train, { task: 'clustering', hyperparams: { n_clusters: k, random_state: seed } });
      const expected = (reference as Record<string, SklearnResult>)[`kmeans_${split.name}_${k}_${seed}`]!;
      const label = `${split.name} k=${k} seed=${seed}`;
      assert.ok(Math.abs(inertiaOf(engine) - expected.inertia!) <= 1e-6 * expected.inertia!, `${label}: ${inertiaOf(engine)} vs ${expected.inertia}`);
      assert.equal(samePartitionShare(Array.from(await engine.predict(split.test.x, split.test.rows)), expected.predict!), 1, label);
    }
    const engine = kmeansFactory.create();
    await engine.fit(wine.train, { task: 'clustering', hyperparams: { n_clusters: 4, init: 'random', random_state: 2 } });
    assert.ok(Math.abs(inertiaOf(engine) - reference!.kmeansRandom.inertia!) <= 1e-6 * reference!.kmeansRandom.inertia!);
  });

  // Every draw on numpy's generator in sklearn's order (mini-batch-kmeans.ts): the same centres, so the
  // same labels and the same inertia up to the last bits of its sums.
  it('mini_batch_kmeans is sklearn MiniBatchKMeans for the same random_state: same labels, same inertia', async () => {
    for (const [name, [split, hyperparams]] of Object.entries(MINI_BATCH)) {
      const engine = miniBatchKmeansFactory.create();
      await engine.fit(split.train, { task: 'clustering', hyperparams });
      const expected = (reference as Record<string, SklearnResult>)[`miniBatch_${name}`]!;
      assert.ok(Math.abs(inertiaOf(engine) - expected.inertia!) <= 1e-9 * expected.inertia!, `${name}: ${inertiaOf(engine)} vs ${expected.inertia}`);
      assert.deepEqual(Array.from(await engine.predict(split.test.x, split.test.rows)), expected.predict, name);
    }
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
    assert.equal(kept, cumulative.findIndex((c) => c > 0.9) + 1);
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
