import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { getLocalEngineFactory } from '../../../../../src/pgml/engines/registry.js';
import { lightgbmStatus } from '../../../../../src/pgml/engines/lightgbm/native.js';
import { accuracy, loadSplit, r2, type Split } from '../sklearn-reference.js';

const factory = getLocalEngineFactory('lightgbm');

// The same library through its Python package, on the same rows as float32: predictions must agree.
const SCRIPT = `
import json, sys
import numpy as np, lightgbm as lgb
req = json.load(sys.stdin)
x = np.array(req['x'], dtype=np.float32).reshape(-1, req['cols'])
t = np.array(req['t'], dtype=np.float32).reshape(-1, req['cols'])
booster = lgb.train(req['params'], lgb.Dataset(x, label=np.array(req['y'], dtype=np.float32)), num_boost_round=req['rounds'])
json.dump({'pred': booster.predict(t).reshape(-1).tolist(), 'loaded': lgb.Booster(model_str=req['model']).predict(t).reshape(-1).tolist()}, sys.stdout)
`;

function python(split: Split, params: Record<string, unknown>, rounds: number, model: Uint8Array): { pred: number[]; loaded: number[] } {
  const input = JSON.stringify({
    x: Array.from(split.train.x), y: Array.from(split.train.y!), t: Array.from(split.test.x), cols: split.train.cols,
    params, rounds, model: new TextDecoder().decode(model),
  });
  const run = spawnSync('python3', ['-c', SCRIPT], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`python lightgbm failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { pred: number[]; loaded: number[] };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

// One thread each: the machines running the suite are shared, and OpenMP teams spin while they wait.
const pythonLightgbm = spawnSync('python3', ['-c', 'import lightgbm'], { stdio: 'ignore' }).status === 0;

describe('lightgbm engine (lib_lightgbm)', { skip: lightgbmStatus().status !== 'loaded' && 'lib_lightgbm not installed (pip install lightgbm)' }, () => {
  it('classifies iris like the Python package and stores a model Python loads', { skip: !pythonLightgbm && 'no python lightgbm' }, async () => {
    const split = loadSplit('iris');
    const engine = factory.create();
    await engine.fit(split.train, { task: 'classification', hyperparams: { n_estimators: 30, num_leaves: 7, num_threads: 1 }, numClasses: 3 });
    const predicted = await engine.predict(split.test.x, split.test.rows);
    assert.ok(accuracy(split.test.y!, predicted) > 0.9, `accuracy ${accuracy(split.test.y!, predicted)}`);
    const proba = await engine.predictProba!(split.test.x, split.test.rows);
    const model = await engine.serialize();
    assert.match(new TextDecoder().decode(model), /^tree\n/);
    const reference = python(split, { objective: 'multiclass', num_class: 3, num_leaves: 7, num_threads: 1, verbosity: -1 }, 30, model);
    assert.ok(maxAbsDiff(proba, reference.pred) < 1e-6, `max diff ${maxAbsDiff(proba, reference.pred)}`);
    assert.ok(maxAbsDiff(proba, reference.loaded) < 1e-6, 'the stored model is LightGBM\'s own format');
  });

  it('fits a small set on one OpenMP thread unless a thread count is given (the stored parameters say which)', async () => {
    const split = loadSplit('diabetes');
    const threadsOf = async (hyperparams: Record<string, unknown>): Promise<string | undefined> => {
      const engine = factory.create();
      await engine.fit(split.train, { task: 'regression', hyperparams: { n_estimators: 5, ...hyperparams } });
      return /^\[num_threads: (-?\d+)\]$/m.exec(Buffer.from(await engine.serialize()).toString('utf8'))?.[1];
    };
    // 331 rows x 10 features: below the threshold, one thread.
    assert.equal(await threadsOf({}), '1');
    // The user's count wins, under either name (0: OpenMP's default).
    assert.equal(await threadsOf({ n_jobs: 2 }), '2');
    assert.equal(await threadsOf({ num_threads: 0 }), '0');
  });

  it('fits digits on one thread too, and a set above 200,000 rows × features on OpenMP\'s default', async () => {
    const { train } = loadSplit('digits');
    const threadsOf = async (x: Float32Array, rows: number, y: Float32Array): Promise<string | undefined> => {
      const engine = factory.create();
      await engine.fit({ x, rows, cols: train.cols, y }, { task: 'classification', hyperparams: { n_estimators: 1 }, numClasses: 10 });
      return /^\[num_threads: (-?\d+)\]$/m.exec(Buffer.from(await engine.serialize()).toString('utf8'))?.[1];
    };
    // 1,347 rows x 64 features (86,208): OpenMP's fork and join cost more than the shared work.
    assert.ok(train.rows * train.cols < 200_000);
    assert.equal(await threadsOf(train.x, train.rows, train.y!), '1');
    // The same rows three times over (258,624): OpenMP's default (0), as LightGBM's Python package.
    const x = new Float32Array(train.x.length * 3);
    const y = new Float32Array(train.rows * 3);
    for (let copy = 0; copy < 3; copy++) {
      x.set(train.x, copy * train.x.length);
      y.set(train.y!, copy * train.rows);
    }
    assert.equal(await threadsOf(x, train.rows * 3, y), '0');
  });

  it('binary classification gives P(class 1) and a 0.5 cut', async () => {
    const split = loadSplit('breast_cancer');
    const engine = factory.create();
    await engine.fit(split.train, { task: 'classification', hyperparams: { num_threads: 1 }, numClasses: 2 });
    const predicted = await engine.predict(split.test.x, split.test.rows);
    const proba = await engine.predictProba!(split.test.x, split.test.rows);
    assert.ok(accuracy(split.test.y!, predicted) > 0.93);
    for (let r = 0; r < split.test.rows; r++) {
      assert.ok(Math.abs(proba[2 * r]! + proba[2 * r + 1]! - 1) < 1e-6);
      assert.equal(predicted[r], proba[2 * r + 1]! > 0.5 ? 1 : 0);
    }
  });

  it('regresses diabetes, and a reloaded model predicts the same', async () => {
    const split = loadSplit('diabetes');
    const engine = factory.create();
    await engine.fit(split.train, { task: 'regression', hyperparams: { learning_rate: 0.05, n_estimators: 200, min_child_samples: 10, n_jobs: 1 } });
    const predicted = await engine.predict(split.test.x, split.test.rows);
    assert.ok(r2(split.test.y!, predicted) > 0.3, `r2 ${r2(split.test.y!, predicted)}`);
    const reloaded = await factory.deserialize(await engine.serialize());
    assert.deepEqual(await reloaded.predict(split.test.x, split.test.rows), predicted);
  });

  it('refuses unknown hyperparameters, aliases given twice, and values LightGBM would misread', async () => {
    const split = loadSplit('iris');
    const fit = (hyperparams: Record<string, unknown>) =>
      factory.create().fit(split.train, { task: 'classification', hyperparams, numClasses: 3 });
    await assert.rejects(fit({ n_estimator: 3 }), (e: { code: string; hint?: string }) => e.code === '22023' && /num_leaves/.test(e.hint ?? ''));
    await assert.rejects(fit({ n_estimators: 3, num_iterations: 4 }), /aliases/);
    await assert.rejects(fit({ boosting: 'gbdt num_leaves=2' }), (e: { code: string }) => e.code === '22023');
    await assert.rejects(fit({ boosting: 'nope' }), (e: { code: string; message: string }) => e.code === '22023' && /lightgbm: /.test(e.message));
  });
});
