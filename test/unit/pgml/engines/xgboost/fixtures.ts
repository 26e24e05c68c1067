/**
 * Test fixtures for the XGBoost engine: the project's CSV datasets split deterministically, and a
 * reference run of python-xgboost (Debian's python3-xgboost, same libxgboost) on the same split.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

export function datasetPath(name: string): string {
  const local = `${ROOT}datasets/${name}.csv`;
  return existsSync(local) ? local : `${ROOT}../shared/datasets/${name}.csv`;
}

export interface Split {
  cols: number;
  train: { x: Float32Array; y: Float32Array; rows: number };
  test: { x: Float32Array; y: Float32Array; rows: number };
}

/**
 * The last `labels` columns are the labels (rows × labels, row-major); every 4th row goes to the
 * test set (same rule in the python script).
 */
export function loadSplit(name: string, labels = 1): Split {
  const lines = readFileSync(datasetPath(name), 'utf8').trim().split('\n').slice(1);
  const rows = lines.map((line) => line.split(',').map(Number));
  const cols = rows[0]!.length - labels;
  const pick = (keep: (i: number) => boolean) => {
    const chosen = rows.filter((_, i) => keep(i));
    const x = new Float32Array(chosen.length * cols);
    const y = new Float32Array(chosen.length * labels);
    chosen.forEach((r, i) => {
      for (let j = 0; j < cols; j++) x[i * cols + j] = r[j]!;
      for (let t = 0; t < labels; t++) y[i * labels + t] = r[cols + t]!;
    });
    return { x, y, rows: chosen.length };
  };
  return { cols, train: pick((i) => i % 4 !== 0), test: pick((i) => i % 4 === 0) };
}

const PYTHON = '/usr/bin/python3';

const SCRIPT = `
import json, sys
import numpy as np
import xgboost as xgb
req = json.load(sys.stdin)
data = np.loadtxt(req["path"], delimiter=",", skiprows=1, dtype=np.float64)
idx = np.arange(len(data))
labels = req["labels"]
train, test = data[idx % 4 != 0], data[idx % 4 == 0]
# A 2-D label (rows x targets) for several labels, as XGBRegressor.fit gets from a 2-D y.
label = train[:, -labels:] if labels > 1 else train[:, -1]
dtrain = xgb.DMatrix(train[:, :-labels].astype(np.float32), label=label.astype(np.float32), missing=np.nan)
dtest = xgb.DMatrix(test[:, :-labels].astype(np.float32), missing=np.nan)
bst = xgb.train([tuple(p) for p in req["params"]], dtrain, num_boost_round=req["rounds"])
print(json.dumps({"version": xgb.__version__, "pred": bst.predict(dtest).astype(float).ravel().tolist()}))
`;

/** True when Debian's python3-xgboost is importable (python3 on PATH may be another interpreter). */
export function pythonXgboostAvailable(): boolean {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import xgboost, numpy'], { stdio: 'ignore' }).status === 0;
}

/**
 * Trains python-xgboost with exactly these C API parameters on the last `labels` columns; returns its
 * test-set predictions (rows × labels, row-major).
 */
export function pythonPredictions(
  name: string,
  params: ReadonlyArray<readonly [string, string]>,
  rounds: number,
  labels = 1,
): { version: string; pred: number[] } {
  const run = spawnSync(PYTHON, ['-c', SCRIPT], {
    input: JSON.stringify({ path: datasetPath(name), params, rounds, labels }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`python xgboost failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { version: string; pred: number[] };
}

export function accuracy(predicted: Float32Array, truth: Float32Array): number {
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) hits++;
  return hits / truth.length;
}

export function r2(predicted: Float32Array, truth: Float32Array): number {
  const mean = truth.reduce((a, b) => a + b, 0) / truth.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < truth.length; i++) {
    ssRes += (truth[i]! - predicted[i]!) ** 2;
    ssTot += (truth[i]! - mean) ** 2;
  }
  return 1 - ssRes / ssTot;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
