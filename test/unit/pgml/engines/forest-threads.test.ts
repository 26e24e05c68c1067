// A forest's trees fitted on several threads (forest-fit.ts) are the trees one thread grows, in the
// same order: each tree's seed is drawn up front, and thread i always fits tree i itself, so a fit on
// two threads has trees from both.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enginePoolSize } from '../../../../src/pgml/engines/pool.js';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import type { Dataset, FitOptions } from '../../../../src/pgml/engines/engine.js';

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

function dataset(rows: number, cols: number, classes: number): Dataset {
  const random = lcg(11);
  const x = Float32Array.from({ length: rows * cols }, random);
  const y = Float32Array.from({ length: rows }, (_, r) => {
    const v = x[r * cols]! + 0.5 * x[r * cols + 1]! * x[r * cols + 2]! + 0.2 * random();
    return classes === 0 ? v : Math.min(classes - 1, Math.floor(v * classes / 1.7));
  });
  return { x, rows, cols, y };
}

async function modelBytes(algorithm: string, data: Dataset, options: FitOptions, nJobs: number): Promise<Buffer> {
  const engine = getLocalEngineFactory(algorithm).create();
  await engine.fit(data, { ...options, hyperparams: { ...options.hyperparams, n_jobs: nJobs } });
  return Buffer.from(await engine.serialize());
}

const twoCores = enginePoolSize() >= 2;

describe('forest trees on several threads', () => {
  const regression = dataset(600, 6, 0);
  const classification = dataset(500, 9, 3);
  const fits: [string, Dataset, FitOptions][] = [
    ['extra_trees', regression, { task: 'regression', hyperparams: { n_estimators: 9, random_state: 4 } }],
    ['extra_trees', classification, { task: 'classification', numClasses: 3, hyperparams: { n_estimators: 9, bootstrap: true, random_state: 4 } }],
    ['random_forest', classification, { task: 'classification', numClasses: 3, hyperparams: { n_estimators: 7, random_state: 5 } }],
    ['random_forest', regression, { task: 'regression', hyperparams: { n_estimators: 5, max_features: 'sqrt', random_state: 5 } }],
    ['bagging', regression, { task: 'regression', hyperparams: { n_estimators: 6, max_samples: 0.5, random_state: 6 } }],
  ];
  for (const [algorithm, data, options] of fits) {
    it(`${algorithm} ${options.task}: the model bytes of n_jobs 2 and -1 are those of n_jobs 1`, { skip: !twoCores && 'one core' }, async () => {
      const one = await modelBytes(algorithm, data, options, 1);
      assert.ok(one.equals(await modelBytes(algorithm, data, options, 2)));
      assert.ok(one.equals(await modelBytes(algorithm, data, options, -1)));
    });
  }

  it('n_jobs must be a non-zero integer', async () => {
    for (const nJobs of [0, 1.5]) {
      await assert.rejects(modelBytes('extra_trees', regression, { task: 'regression', hyperparams: {} }, nJobs), (error: { code?: string; message: string }) => {
        assert.equal(error.code, '22023');
        assert.match(error.message, /n_jobs for extra_trees must be a non-zero integer or null/);
        return true;
      });
    }
  });
});
