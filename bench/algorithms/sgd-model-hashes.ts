// The SGD family's models over many settings (every loss, penalty and rate of the three algorithms, on the
// repository's datasets and sparse and scaled variants), one sha256 of the serialized model per line: a change
// to the loops (sgd-epochs.ts) that keeps scikit-learn's model must leave every line as it was.
// `node --import tsx bench/algorithms/sgd-model-hashes.ts [checkout root] > hashes.txt`, once per checkout, then diff.
import { createHash } from 'node:crypto';
import { loadTrainingRows, type TrainingRows } from './training-rows.js';

const root = process.argv[2] ?? new URL('../..', import.meta.url).pathname;
const { getLocalEngineFactory } = (await import(`${root}/src/pgml/engines/registry.ts`)) as typeof import('../../src/pgml/engines/registry.js');
const sets: Record<string, TrainingRows> = {};
for (const d of ['breast_cancer', 'digits', 'diabetes', 'iris', 'wine', 'linnerud']) sets[d] = loadTrainingRows(d);
// a scaled and a sparse (one-hot-like) variant of diabetes and breast_cancer
const clone = (d: TrainingRows, f: (v: number, i: number) => number): TrainingRows => ({ ...d, x: Float32Array.from(d.x, f) });
sets.diabetes_sparse = clone(sets.diabetes!, (v) => (v > 0.01 ? v : 0));
sets.bc_scaled = clone(sets.breast_cancer!, (v) => v / 100);
sets.bc_sparse = clone(sets.breast_cancer!, (v, i) => (i % 3 ? 0 : v / 100));
const C = ['hinge', 'log_loss', 'modified_huber', 'squared_hinge', 'perceptron'];
const R = ['squared_error', 'huber', 'epsilon_insensitive', 'squared_epsilon_insensitive'];
const P = ['l2', 'l1', 'elasticnet', 'none'];
const cfg: [string, string, 'classification' | 'regression', Record<string, unknown>][] = [];
const cls = ['breast_cancer', 'digits', 'iris', 'wine', 'bc_scaled', 'bc_sparse'];
const reg = ['diabetes', 'diabetes_sparse', 'linnerud'];
for (const d of cls) for (const seed of [0, 3]) {
  for (const loss of C) for (const penalty of P) cfg.push(['stochastic_gradient_descent', d, 'classification', { random_state: seed, loss, penalty, max_iter: 200 }]);
  for (const lr of ['constant', 'invscaling']) cfg.push(['stochastic_gradient_descent', d, 'classification', { random_state: seed, learning_rate: lr, eta0: 0.01 }]);
  for (const penalty of P) cfg.push(['perceptron', d, 'classification', { random_state: seed, penalty }]);
  cfg.push(['perceptron', d, 'classification', { random_state: seed, shuffle: false, fit_intercept: false }]);
  cfg.push(['passive_aggressive', d, 'classification', { random_state: seed }], ['passive_aggressive', d, 'classification', { random_state: seed, C: 0.01, fit_intercept: false }]);
}
for (const d of reg) for (const seed of [0, 4]) {
  for (const loss of R) for (const penalty of P) cfg.push(['stochastic_gradient_descent', d, 'regression', { random_state: seed, loss, penalty, alpha: 0.01, max_iter: 300 }]);
  cfg.push(['stochastic_gradient_descent', d, 'regression', { random_state: seed }]);
  cfg.push(['stochastic_gradient_descent', d, 'regression', { random_state: seed, learning_rate: 'optimal' }]);
  cfg.push(['stochastic_gradient_descent', d, 'regression', { random_state: seed, power_t: 0.3, tol: null, max_iter: 50 }]);
  cfg.push(['passive_aggressive', d, 'regression', { random_state: seed }], ['passive_aggressive', d, 'regression', { random_state: seed, C: 0.5, epsilon: 2 }]);
}
const all = createHash('sha256');
let n = 0;
let errors = 0;
for (const [a, d, task, hp] of cfg) {
  const s = sets[d]!;
  const e = getLocalEngineFactory(a).create();
  let h: string;
  try {
    await e.fit({ x: s.x, rows: s.rows, cols: s.cols, y: s.y, yCols: 1 }, { task, hyperparams: hp, ...(task === 'classification' ? { numClasses: s.numClasses } : {}) });
    h = createHash('sha256').update(await e.serialize()).digest('hex').slice(0, 16);
  } catch (error) {
    h = `error ${(error as Error).message}`;
    errors++;
  }
  console.log(a, d, JSON.stringify(hp), h);
  all.update(h);
  n++;
}
console.error(JSON.stringify({ bench: 'sgd-model-hashes', root, models: n, errors, all: all.digest('hex').slice(0, 16) }));
