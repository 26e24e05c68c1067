// extra_trees and bagging models persist as binary tree arrays: a fully grown forest over 100k rows
// used to fail to save (and could not have loaded) with V8's "Invalid string length" as JSON.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeModel } from '../../../../src/pgml/engines/engine-support.js';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

describe('forest models', () => {
  it('a forest too large for JSON saves and loads, predicting exactly as before', async () => {
    // 16 trees grown to single-row leaves over 100,000 rows and 8 random targets: 3.2 million
    // nodes whose JSON passes V8's longest string, checked below rather than assumed.
    const rows = 100_000;
    const yCols = 8;
    const random = lcg(7);
    const x = Float32Array.from({ length: rows }, random);
    const y = Float32Array.from({ length: rows * yCols }, random);
    const factory = getLocalEngineFactory('extra_trees');
    const engine = factory.create();
    await engine.fit({ x, rows, cols: 1, y, yCols }, { task: 'regression', hyperparams: { n_estimators: 16, random_state: 0 } });
    assert.throws(() => JSON.stringify((engine as unknown as { state: object }).state), RangeError);

    const bytes = await engine.serialize();
    const loaded = await factory.deserialize(bytes);
    assert.deepEqual(await loaded.predict(x, rows), await engine.predict(x, rows));
    assert.deepEqual(await factory.deserialize(await loaded.serialize()).then((e) => e.serialize()), bytes);
  });

  it('classification forests round-trip their class shares, from aligned and unaligned bytes', async () => {
    const rows = 300;
    const random = lcg(3);
    const x = Float32Array.from({ length: rows * 2 }, random);
    const y = Float32Array.from({ length: rows }, (_, r) => (x[r * 2]! + x[r * 2 + 1]! > 1 ? 1 : 0) + (x[r * 2]! > 0.8 ? 1 : 0));
    for (const algorithm of ['extra_trees', 'bagging']) {
      const factory = getLocalEngineFactory(algorithm);
      const engine = factory.create();
      await engine.fit({ x, rows, cols: 2, y }, { task: 'classification', hyperparams: { n_estimators: 5, random_state: 1 }, numClasses: 3 });
      const bytes = await engine.serialize();
      const shifted = new Uint8Array(bytes.length + 3).subarray(3);
      shifted.set(bytes);
      for (const stored of [bytes, shifted]) {
        const loaded = await factory.deserialize(stored);
        assert.deepEqual(await loaded.predictProba!(x, rows), await engine.predictProba!(x, rows), algorithm);
      }
    }
  });

  it('still loads the JSON models stored before the binary format', async () => {
    const rows = 200;
    const random = lcg(5);
    const x = Float32Array.from({ length: rows }, random);
    const y = Float32Array.from(x, (v) => 3 * v + random());
    const factory = getLocalEngineFactory('extra_trees');
    const engine = factory.create();
    await engine.fit({ x, rows, cols: 1, y }, { task: 'regression', hyperparams: { n_estimators: 4, random_state: 2 } });
    const legacy = encodeModel('pgml-proxy/extra_trees', (engine as unknown as { state: object }).state);
    const loaded = await factory.deserialize(legacy);
    assert.deepEqual(await loaded.predict(x, rows), await engine.predict(x, rows));
  });

  it('refuses damaged bytes with XX001', async () => {
    const factory = getLocalEngineFactory('extra_trees');
    const engine = factory.create();
    await engine.fit({ x: Float32Array.of(0, 1, 2, 3), rows: 4, cols: 1, y: Float32Array.of(0, 1, 2, 3) }, { task: 'regression', hyperparams: { n_estimators: 2 } });
    const bytes = await engine.serialize();
    await assert.rejects(factory.deserialize(bytes.subarray(0, bytes.length - 16)), { code: 'XX001' });
    await assert.rejects(getLocalEngineFactory('bagging').deserialize(bytes), { code: 'XX001' });
  });
});
