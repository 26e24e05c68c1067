// Small predictions in the calling thread (src/pgml/serving/inline.ts): which models get an
// in-thread form, and that it predicts exactly what the worker pool's engine predicts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEngineFactory, getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { INLINE_MAX_MODEL_BYTES, inlineEngine } from '../../../../src/pgml/serving/inline.js';

const rows = 200;
const cols = 30;
const x = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37));
const y = Float32Array.from({ length: rows }, (_, r) => 2 * x[r * cols]! - x[r * cols + 1]! + 0.5 * x[r * cols + 29]!);

async function trained(algorithm: string, hyperparams: Record<string, unknown> = {}): Promise<Uint8Array> {
  const engine = getLocalEngineFactory(algorithm).create();
  await engine.fit({ x, rows, cols, y }, { task: 'regression', hyperparams });
  return engine.serialize();
}

test('linear models predict in-thread exactly as on the worker pool', async () => {
  for (const algorithm of ['linear', 'ridge', 'lasso', 'elastic_net']) {
    const bytes = await trained(algorithm);
    const inline = await inlineEngine(algorithm, bytes);
    assert.ok(inline, algorithm);
    const pooled = await getEngineFactory(algorithm, 'regression').deserialize(bytes);
    for (const n of [1, 5]) {
      const batch = x.subarray(0, n * cols);
      assert.deepEqual(await inline.predict(batch, n), await pooled.predict(batch, n), `${algorithm}, ${n} rows`);
    }
  }
});

test('other algorithms and large models stay on the worker pool', async () => {
  assert.equal(await inlineEngine('xgboost', await trained('xgboost', { n_estimators: 2 })), undefined);
  const bytes = await trained('linear');
  const oversized = new Uint8Array(INLINE_MAX_MODEL_BYTES + 1);
  oversized.set(bytes);
  assert.equal(await inlineEngine('linear', oversized), undefined);
});
