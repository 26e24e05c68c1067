// birch, mean_shift and affinity_propagation against scikit-learn on the same training rows: the
// same partition of the test rows (adjusted Rand index 1, labels may be numbered differently).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { committedModule, compileKernel, kernelModule } from '../../../../scripts/build-wasm.mjs';
import { median, passMessages } from '../../../../src/pgml/engines/affinity-propagation.js';
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

/**
 * sklearn's affinity propagation iteration as written there: each row's two largest a + s found from the
 * availabilities at the start of the iteration, then the responsibilities, then the availabilities; the
 * convergence test on the exemplar flags of the last convergence_iter iterations. passMessages finds the
 * largest a + s while it writes the availabilities; its exemplars must be these.
 */
function referenceMessages(s: Float64Array, n: number, damping: number, maxIter: number, convergenceIter: number): Uint8Array {
  const a = new Float64Array(n * n);
  const r = new Float64Array(n * n);
  const flags: Uint8Array[] = [];
  let exemplars = new Uint8Array(n);
  for (let it = 0; it < maxIter; it++) {
    for (let i = 0; i < n; i++) {
      let first = -Infinity;
      let second = -Infinity;
      let arg = 0;
      for (let k = 0; k < n; k++) {
        const v = a[i * n + k]! + s[i * n + k]!;
        if (v > first) [second, first, arg] = [first, v, k];
        else if (v > second) second = v;
      }
      for (let k = 0; k < n; k++) r[i * n + k] = damping * r[i * n + k]! + (1 - damping) * (s[i * n + k]! - (k === arg ? second : first));
    }
    const sums = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) sums[k]! += k === i || r[i * n + k]! > 0 ? r[i * n + k]! : 0;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < n; k++) {
        const v = r[i * n + k]!;
        let update = sums[k]! - (k === i || v > 0 ? v : 0);
        if (k !== i && update > 0) update = 0;
        a[i * n + k] = damping * a[i * n + k]! + (1 - damping) * update;
      }
    }
    exemplars = Uint8Array.from({ length: n }, (_, k) => (a[k * n + k]! + r[k * n + k]! > 0 ? 1 : 0));
    flags.push(exemplars);
    if (it >= convergenceIter && exemplars.some((e) => e === 1)) {
      const recent = flags.slice(-convergenceIter);
      if (exemplars.every((_, k) => recent.every((f) => f[k] === recent[0]![k]))) break;
    }
  }
  return exemplars;
}

describe("affinity_propagation's message passing", () => {
  it('runs the kernel built from affinity-kernel.wat as committed (node scripts/build-wasm.mjs after editing the .wat)', async () => {
    assert.equal(committedModule('affinity'), kernelModule('affinity', await compileKernel('affinity')));
  });

  it('gives the exemplars of the three-pass iteration, on similarities with ties and without', () => {
    let state = 7;
    const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 60; trial++) {
      const n = 2 + Math.floor(next() * 30);
      const ties = trial % 2 === 0;
      const s = Float64Array.from({ length: n * n }, () => (ties ? -Math.floor(next() * 4) : -next() * 10));
      for (let i = 0; i < n; i++) s[i * n + i] = -2 - next();
      const damping = 0.5 + next() * 0.45;
      const convergenceIter = 2 + Math.floor(next() * 10);
      const maxIter = 5 + Math.floor(next() * 200);
      assert.deepEqual(
        passMessages(s, n, damping, maxIter, convergenceIter),
        referenceMessages(s, n, damping, maxIter, convergenceIter),
        `trial ${trial}: n ${n}, damping ${damping}, convergence_iter ${convergenceIter}, max_iter ${maxIter}`,
      );
    }
  });

  it('gives the same exemplars where the branch-free parts would overflow (a preference near the largest double)', () => {
    let state = 5;
    const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 40; trial++) {
      const n = 2 + Math.floor(next() * 20);
      // A preference of −(1 … 1.5)·2¹⁰²³: the availabilities' u − |u| is −∞ where min(u, 0) is finite.
      // Every other trial, similarities up to 1.1e308 on both sides of the diagonal instead.
      const huge = trial % 2 === 0;
      const scale = huge ? 1 : 2 ** (1000 + Math.floor(next() * 21));
      const s = Float64Array.from({ length: n * n }, () => -next() * (huge ? 1 : 10 * scale));
      for (let i = 0; i < n; i++) s[i * n + i] = huge ? -(1 + next() / 2) * 2 ** 1023 : (trial % 4 === 1 ? 1 : -1) * (2 + next()) * scale;
      const convergenceIter = 2 + Math.floor(next() * 10);
      assert.deepEqual(
        passMessages(s, n, 0.5, 100, convergenceIter),
        referenceMessages(s, n, 0.5, 100, convergenceIter),
        `trial ${trial}: n ${n}, convergence_iter ${convergenceIter}`,
      );
    }
  });
});
