// The serialized model of each fit in a grid of algorithms, datasets and hyperparameters, hashed: run it on two
// builds (BENCH_BASE=<checkout> for the other's sources) and compare, to show that a change left every model
// as it was. `node --import tsx bench/algorithms/model-hashes.ts <algorithm>[,...]`, one JSON line per build
// with one hash per fit and a hash of them all. Regression on every dataset's label; clustering on the
// features (labels dropped), with a few seeds. BENCH_DATASETS=name1,path.csv,... replaces the datasets (as training-rows.ts
// takes them: a repository CSV's name or a path to a CSV, a synthetic table written out, say).
import { createHash } from 'node:crypto';
import { loadTrainingRows } from './training-rows.js';

const root = process.env.BENCH_BASE ?? new URL('../..', import.meta.url).pathname;
const { getLocalEngineFactory } = (await import(`${root}/src/pgml/engines/registry.ts`)) as typeof import('../../src/pgml/engines/registry.js');
const algorithms = (process.argv[2] ?? 'least_angle,lasso_least_angle').split(',');
const DATASETS = process.env.BENCH_DATASETS?.split(',') ?? ['diabetes', 'breast_cancer', 'iris', 'wine', 'digits', 'linnerud'];
const GRIDS: Record<string, Record<string, unknown>[]> = {
  least_angle: [{}, { n_nonzero_coefs: 3 }, { fit_intercept: false }],
  lasso_least_angle: [{}, { alpha: 0.1 }, { alpha: 0.01 }, { alpha: 0.001 }, { alpha: 0, fit_intercept: false }],
  linear: [{}, { fit_intercept: false }],
  ransac: [{ random_state: 0 }, { random_state: 1, min_samples: 10 }],
  lasso: [{}, { alpha: 0.1 }, { alpha: 0.01 }],
  elastic_net: [{}, { alpha: 0.1, l1_ratio: 0.2 }, { alpha: 0.01 }],
  mini_batch_kmeans: [0, 1, 2].map((random_state) => ({ n_clusters: 3, random_state })),
  kmeans: [0, 1, 2].map((random_state) => ({ n_clusters: 3, random_state })),
  bagging: [{ random_state: 0 }, { random_state: 1, max_samples: 0.5 }],
  extra_trees: [{ random_state: 0 }, { random_state: 1, max_features: 0.5 }, { random_state: 2, min_samples_leaf: 3, max_leaf_nodes: 20 }],
  quantile: [
    {}, { quantile: 0.8, alpha: 0.01 }, { quantile: 0.1, alpha: 0 }, { fit_intercept: false },
    { solver: 'highs-ds', alpha: 0.1 }, { solver: 'highs-ipm', alpha: 0.1 },
  ],
  affinity_propagation: [
    { random_state: 0 }, { random_state: 0, damping: 0.9 }, { random_state: 3, damping: 0.7 }, { random_state: 0, preference: -50 },
    { random_state: 0, preference: -1 }, { random_state: 0, max_iter: 5 }, { random_state: 0, convergence_iter: 3 },
    // Preferences near the largest double: the kernel's branch-free parts overflow and the passes run again with branches.
    { random_state: 0, preference: 1e306 }, { random_state: 0, preference: -1.7e308 },
  ],
};
const CLUSTERING = new Set(['mini_batch_kmeans', 'kmeans', 'affinity_propagation']);
const hashes: string[] = [];
for (const algorithm of algorithms) {
  const task = CLUSTERING.has(algorithm) ? 'clustering' : 'regression';
  for (const dataset of DATASETS) {
    const data = loadTrainingRows(dataset);
    for (const hyperparams of GRIDS[algorithm] ?? [{}]) {
      const engine = getLocalEngineFactory(algorithm).create();
      try {
        await engine.fit({ x: data.x, rows: data.rows, cols: data.cols, ...(task === 'regression' ? { y: data.y, yCols: 1 } : {}) }, { task, hyperparams });
        hashes.push(createHash('sha256').update(await engine.serialize()).digest('hex').slice(0, 12));
      } catch (error) {
        hashes.push(`error: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
console.log(JSON.stringify({
  bench: 'model-hashes', build: process.env.BENCH_BASE ? 'base' : 'new', algorithms, fits: hashes.length,
  all: createHash('sha256').update(hashes.join()).digest('hex').slice(0, 16), hashes,
}));
process.exit(0);
