// Small predictions in the calling thread (src/pgml/serving/inline.ts): which models get an
// in-thread form, for how many rows, and that it predicts exactly what the worker pool's engine predicts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEngineFactory, getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { XgboostEngine } from '../../../../src/pgml/engines/xgboost/index.js';
import { nativeXgboostStatus } from '../../../../src/pgml/engines/xgboost/native.js';
import { LINEAR_MAX_MODEL_BYTES, inlineModel } from '../../../../src/pgml/serving/inline.js';

const rows = 200;
const cols = 30;
const x = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37));
const y = Float32Array.from({ length: rows }, (_, r) => 2 * x[r * cols]! - x[r * cols + 1]! + 0.5 * x[r * cols + 29]!);
const classes = y.map((v) => (v > 0 ? 1 : 0));

async function trained(algorithm: string, hyperparams: Record<string, unknown> = {}): Promise<Uint8Array> {
  const engine = getLocalEngineFactory(algorithm).create();
  await engine.fit({ x, rows, cols, y }, { task: 'regression', hyperparams });
  return engine.serialize();
}

test('linear models predict in-thread exactly as on the worker pool', async () => {
  for (const algorithm of ['linear', 'ridge', 'lasso', 'elastic_net']) {
    const bytes = await trained(algorithm);
    const inline = await inlineModel(algorithm, bytes);
    assert.ok(inline, algorithm);
    assert.equal(inline.maxRows, 16);
    const pooled = await getEngineFactory(algorithm, 'regression').deserialize(bytes);
    for (const n of [1, 5]) {
      const batch = x.subarray(0, n * cols);
      assert.deepEqual(await inline.engine.predict(batch, n), await pooled.predict(batch, n), `${algorithm}, ${n} rows`);
    }
  }
});

const native = nativeXgboostStatus().status === 'loaded';

test('XGBoost boosters load off the event loop and predict in-thread exactly as on the worker pool', { skip: !native && 'libxgboost is not installed' }, async () => {
  const regression = await trained('xgboost', { n_estimators: 20 });
  const classifier = new XgboostEngine('xgboost', 'native');
  await classifier.fit({ x, rows, cols, y: classes }, { task: 'classification', hyperparams: { n_estimators: 20 }, numClasses: 2 });
  for (const [task, bytes] of [['regression', regression], ['classification', await classifier.serialize()]] as const) {
    const inline = await inlineModel('xgboost', bytes);
    assert.ok(inline, task);
    // A small model: as many rows as the bound allows at most (16).
    assert.equal(inline.maxRows, 16);
    const pooled = await getEngineFactory('xgboost', task).deserialize(bytes);
    for (const n of [1, 5]) {
      const batch = x.subarray(0, n * cols);
      assert.deepEqual(await inline.engine.predict(batch, n), await pooled.predict(batch, n), `${task}, ${n} rows`);
      if (task === 'classification') {
        assert.deepEqual(await inline.engine.predictProba!(batch, n), await pooled.predictProba!(batch, n), `${task} proba, ${n} rows`);
      }
    }
  }
});

test('a corrupt XGBoost model fails to load off-thread with a real SQLSTATE', { skip: !native && 'libxgboost is not installed' }, async () => {
  const bytes = await trained('xgboost', { n_estimators: 2 });
  const damaged = bytes.slice(0, bytes.length - 40);
  await assert.rejects(inlineModel('xgboost', damaged), { code: 'XX001', message: 'xgboost: the model could not be loaded' });
});

test('other algorithms, WebAssembly boosters and large models stay on the worker pool', async () => {
  assert.equal(await inlineModel('random_forest', await trained('random_forest', { n_estimators: 2 })), undefined);
  const wasm = new XgboostEngine('xgboost', 'wasm');
  await wasm.fit({ x, rows, cols, y }, { task: 'regression', hyperparams: { n_estimators: 2 } });
  assert.equal(await inlineModel('xgboost', await wasm.serialize()), undefined);
  const bytes = await trained('linear');
  const oversized = new Uint8Array(LINEAR_MAX_MODEL_BYTES + 1);
  oversized.set(bytes);
  assert.equal(await inlineModel('linear', oversized), undefined);
});
