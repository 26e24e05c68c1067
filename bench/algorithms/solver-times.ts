// In-process fit times of single solvers (no proxy, no engine thread): the first fit in a fresh process
// (V8 has not optimized the solver yet, as in a new engine thread) and the best of the next few.
// `node --import tsx bench/algorithms/solver-times.ts <algorithm> <dataset> [hyperparameters as JSON]`,
// one JSON line; BENCH_TASK=classification for a classifier (default: regression, clustering for
// affinity_propagation). Datasets are the repository's CSV files (datasets/<name>.csv, label last), or a
// path to such a CSV (ending in .csv: a synthetic table written out, say).
import { performance } from 'node:perf_hooks';
import { getLocalEngineFactory } from '../../src/pgml/engines/registry.js';
import type { Task } from '../../src/pgml/engines/engine.js';
import { loadTrainingRows } from './training-rows.js';

const [algorithm = 'affinity_propagation', dataset = 'iris', params = '{}'] = process.argv.slice(2);
const { x, y, rows, cols } = loadTrainingRows(dataset);
const task = (process.env.BENCH_TASK ?? (algorithm === 'affinity_propagation' ? 'clustering' : 'regression')) as Task;
const numClasses = task === 'classification' ? Math.max(...y) + 1 : undefined; // the CSVs' labels are 0..k-1
const times: number[] = [];
for (let i = 0; i < 6; i++) {
  const engine = getLocalEngineFactory(algorithm).create();
  const start = performance.now();
  await engine.fit({ x, rows, cols, y }, { task, numClasses, hyperparams: JSON.parse(params) as Record<string, unknown> });
  times.push(performance.now() - start);
}
const [first, ...rest] = times;
console.log(JSON.stringify({ bench: 'solver-times', algorithm, task, dataset, rows, cols, first_ms: +first!.toFixed(2), best_later_ms: +Math.min(...rest).toFixed(2) }));
