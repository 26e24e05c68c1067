/**
 * Test support for the engine suites: loads the project's CSV datasets, splits them the same way for
 * both sides, and runs the scikit-learn estimator PostgresML would use on that exact split (python3
 * subprocess) so each engine's metric can be compared with the reference implementation.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../../../../src/pgml/engines/engine.js';

const DATASETS = fileURLToPath(new URL('../../../../datasets/', import.meta.url));

export interface Split {
  name: string;
  /** The CSV file: one of the project's datasets, or one a test wrote (loadSplit's `dir`). */
  path: string;
  train: Dataset;
  test: Dataset;
  trainIndex: number[];
  testIndex: number[];
  /** Label columns at the end of each row. */
  targets: number;
  numClasses: number;
}

/**
 * Deterministic 75/25 split (PostgresML's default test_size) with a fixed shuffle, or the file's last
 * quarter (testSampling 'last', as pgml.train's test_sampling => 'last'). The last `targets`
 * columns are the labels (several for joint regression: y is rows × targets, row-major).
 */
export function loadSplit(name: string, options: { seed?: number; targets?: number; dir?: string; testSampling?: 'random' | 'last' } = {}): Split {
  const path = join(options.dir ?? DATASETS, `${name}.csv`);
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const targets = options.targets ?? 1;
  const cols = header.length - targets;
  const rows = lines.slice(1).map((line) => line.split(',').map(Number));
  const order = rows.map((_, i) => i);
  let state = options.seed ?? 7;
  for (let i = order.length - 1; i > 0 && options.testSampling !== 'last'; i--) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const cut = Math.floor(order.length * 0.75);
  const trainIndex = order.slice(0, cut);
  const testIndex = order.slice(cut);
  const build = (index: number[]): Dataset => {
    const x = new Float32Array(index.length * cols);
    const y = new Float32Array(index.length * targets);
    index.forEach((row, r) => {
      const values = rows[row]!;
      for (let c = 0; c < cols; c++) x[r * cols + c] = values[c]!;
      for (let t = 0; t < targets; t++) y[r * targets + t] = values[cols + t]!;
    });
    return { x, rows: index.length, cols, y, ...(targets > 1 ? { yCols: targets } : {}) };
  };
  const labels = new Set(rows.map((r) => r[cols]));
  return { name, path, train: build(trainIndex), test: build(testIndex), trainIndex, testIndex, targets, numClasses: labels.size };
}

export function accuracy(truth: Float32Array, predicted: Float32Array): number {
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) hits++;
  return hits / truth.length;
}

export function r2(truth: Float32Array | number[], predicted: Float32Array | number[]): number {
  const mean = Array.from(truth).reduce((a, b) => a + b, 0) / truth.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < truth.length; i++) {
    ssRes += (truth[i]! - predicted[i]!) ** 2;
    ssTot += (truth[i]! - mean) ** 2;
  }
  return 1 - ssRes / ssTot;
}

let available: boolean | undefined;

/** Whether python3 with scikit-learn is installed; the comparisons skip (and say why) when it is not. */
export function sklearnAvailable(): boolean {
  available ??= spawnSync('python3', ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0;
  return available;
}

const SCRIPT = `
import json, sys, warnings
import numpy as np
warnings.filterwarnings('ignore')
import sklearn.linear_model, sklearn.svm, sklearn.ensemble, sklearn.cluster, sklearn.decomposition, sklearn.neural_network
import sklearn.kernel_ridge, sklearn.gaussian_process

def run(req):
    data = np.loadtxt(req['path'], delimiter=',', skiprows=1)
    targets = req['split_targets']
    x, y = data[:, :-targets], (data[:, -1] if targets == 1 else data[:, -targets:])
    if req.get('float32'):
        x, y = x.astype(np.float32).astype(np.float64), y.astype(np.float32).astype(np.float64)
    train, test = np.array(req['train']), np.array(req['test'])
    module, name = req['estimator'].rsplit('.', 1)
    est = getattr(sys.modules['sklearn.' + module], name)(**req['params'])
    out = {}
    if req['kind'] == 'decomposition':
        est.fit(x[train])
        out['transform'] = est.transform(x[test]).tolist()
        out['explained_variance_ratio'] = est.explained_variance_ratio_.tolist()
    elif req['kind'] == 'clustering':
        est.fit(x[train])
        out['predict'] = est.predict(x[test]).tolist()
        if hasattr(est, 'inertia_'): out['inertia'] = float(est.inertia_)
    else:
        est.fit(x[train], y[train])
        out['predict'] = est.predict(x[test]).ravel().tolist()
        if req.get('proba'): out['proba'] = est.predict_proba(x[test]).tolist()
        if hasattr(est, 'n_iter_'): out['n_iter'] = np.ravel(est.n_iter_).tolist()
    return out

json.dump({key: run(req) for key, req in json.load(sys.stdin).items()}, sys.stdout)
`;

export interface SklearnResult {
  predict?: number[];
  proba?: number[][];
  transform?: number[][];
  explained_variance_ratio?: number[];
  inertia?: number;
  /** The estimator's n_iter_, flattened (libsvm: one count per binary problem). */
  n_iter?: number[];
}

export interface SklearnRequest {
  split: Split;
  /** Module-qualified estimator below `sklearn.`, e.g. 'linear_model.LogisticRegression'. */
  estimator: string;
  params: Record<string, unknown>;
  kind?: 'supervised' | 'clustering' | 'decomposition';
  proba?: boolean;
  /**
   * Round the features and labels to float32 first, as the engines receive them: for estimators whose
   * fit a last-digit change moves visibly (passive-aggressive regression), so that equal means equal.
   */
  float32?: boolean;
}

/**
 * Fits every requested estimator on its split's train rows and predicts the test rows, in one python
 * process: importing scikit-learn costs over a second, so each test file pays it once.
 */
export function sklearn<K extends string>(requests: Record<K, SklearnRequest>): Record<K, SklearnResult> {
  const payload: Record<string, object> = {};
  for (const [key, request] of Object.entries(requests) as [K, SklearnRequest][]) {
    const { split, kind = 'supervised', ...rest } = request;
    payload[key] = {
      ...rest, kind, path: split.path, train: split.trainIndex, test: split.testIndex, split_targets: split.targets,
    };
  }
  const run = spawnSync('python3', ['-c', SCRIPT], { input: JSON.stringify(payload), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`scikit-learn reference failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<K, SklearnResult>;
}
