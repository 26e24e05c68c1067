// birch, mean_shift and affinity_propagation against scikit-learn on the same training rows: the
// same partition of the test rows (adjusted Rand index 1, labels may be numbered differently).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { median } from '../../../../src/pgml/engines/affinity-propagation.js';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { loadSplit, sklearn, sklearnAvailable } from './sklearn-reference.js';

const skipReason = sklearnAvailable() ? false : 'python3 with scikit-learn is not installed';
const iris = loadSplit('iris');
const wine = loadSplit('wine');

const CASES: [string, string, ReturnType<typeof loadSplit>, Record<string, unknown>][] = [
  ['birch', 'cluster.Birch', iris, {}],
  ['birch', 'cluster.Birch', wine, { threshold: 20, n_clusters: 4 }],
  ['birch', 'cluster.Birch', iris, { threshold: 0.3, branching_factor: 5, n_clusters: null }],
  ['mean_shift', 'cluster.MeanShift', iris, {}],
  ['mean_shift', 'cluster.MeanShift', iris, { bandwidth: 0.8, bin_seeding: true }],
  ['affinity_propagation', 'cluster.AffinityPropagation', iris, { random_state: 0 }],
  ['affinity_propagation', 'cluster.AffinityPropagation', wine, { random_state: 0, damping: 0.9 }],
];

const reference = skipReason
  ? undefined
  : sklearn(Object.fromEntries(CASES.map(([, estimator, split, params], i) => [`case${i}`, { split, estimator, params, kind: 'clustering' as const }])));

/** Two labelings are the same partition when the pairing of their labels is one-to-one. */
function samePartition(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const forward = new Map<number, number>();
  const backward = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if ((forward.get(a[i]!) ?? b[i]) !== b[i] || (backward.get(b[i]!) ?? a[i]) !== a[i]) return false;
    forward.set(a[i]!, b[i]!);
    backward.set(b[i]!, a[i]!);
  }
  return true;
}

describe('birch, mean_shift and affinity_propagation partition as scikit-learn', { skip: skipReason }, () => {
  CASES.forEach(([algorithm, estimator, split, hyperparams], i) => {
    it(`${algorithm} ${JSON.stringify(hyperparams)} on ${split.name} = ${estimator}`, async () => {
      const engine = getLocalEngineFactory(algorithm).create();
      await engine.fit(split.train, { task: 'clustering', hyperparams });
      const predicted = await engine.predict(split.test.x, split.test.rows);
      const expected = reference![`case${i}`]!.predict!;
      assert.ok(samePartition(predicted, expected), `ours ${Array.from(predicted).join(',')}\nsklearn ${expected.join(',')}`);
      assert.ok(new Set(expected).size > 1);
      const restored = await getLocalEngineFactory(algorithm).deserialize(await engine.serialize());
      assert.deepEqual(await restored.predict(split.test.x, split.test.rows), predicted);
    });
  });
});

describe('clustering estimators', () => {
  it('refuse unknown hyperparameters and supervised tasks', async () => {
    await assert.rejects(
      getLocalEngineFactory('birch').create().fit(iris.train, { task: 'clustering', hyperparams: { n_init: 3 } }),
      (e: { code: string; hint?: string }) => e.code === '22023' && /branching_factor/.test(e.hint ?? ''),
    );
    await assert.rejects(getLocalEngineFactory('mean_shift').create().fit(iris.train, { task: 'regression', hyperparams: {} }), { code: '0A000' });
  });
});

describe("affinity_propagation's default preference", () => {
  it('median selects the middle value (the mean of the two middle ones) of arrays with ties, as a sort would', () => {
    let state = 11;
    const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 500; trial++) {
      const n = 1 + Math.floor(next() * 40);
      const values = Float64Array.from({ length: n }, () => (next() < 0.3 ? Math.floor(next() * 3) : next() * 10 - 5));
      const sorted = Float64Array.from(values).sort();
      const mid = n >> 1;
      assert.equal(median(values), n % 2 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2, `${Array.from(values)}`);
    }
  });
});
