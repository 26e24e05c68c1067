// Joint regression by MultiOutputRegressor's rule (one independent model per target), wrapped around
// single-output engines as PostgresML wraps them: each column equals that column's own model, a
// single-target model keeps the inner engine's bytes, and damaged joint bytes are refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { multiOutputFactory } from '../../../../src/pgml/engines/multi-output.js';
import { bayesianRidgeFactory } from '../../../../src/pgml/engines/bayesian-ridge.js';

const rows = 40;
const cols = 3;
const x = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 1.7) * 3);
const yA = Float32Array.from({ length: rows }, (_, r) => 2 * x[r * cols]! - x[r * cols + 2]! + Math.cos(r));
const yB = Float32Array.from({ length: rows }, (_, r) => -x[r * cols + 1]! + 0.5 * Math.sin(r * 3));
const joint = Float32Array.from({ length: rows * 2 }, (_, i) => (i % 2 === 0 ? yA[i / 2]! : yB[(i - 1) / 2]!));
const options = { task: 'regression' as const, hyperparams: {} };

describe('multi-output wrapper', () => {
  it('fits one model per target: each column equals that target fitted alone', async () => {
    const factory = getLocalEngineFactory('bayesian_ridge');
    const both = factory.create();
    await both.fit({ x, rows, cols, y: joint, yCols: 2 }, options);
    const predicted = await both.predict(x, rows);
    assert.equal(predicted.length, rows * 2);
    for (const [t, y] of [yA, yB].entries()) {
      const alone = factory.create();
      await alone.fit({ x, rows, cols, y }, options);
      const expected = await alone.predict(x, rows);
      assert.deepEqual(Array.from({ length: rows }, (_, r) => predicted[r * 2 + t]), Array.from(expected));
    }
    const reloaded = await factory.deserialize(await both.serialize());
    assert.deepEqual(await reloaded.predict(x, rows), predicted);
  });

  it('keeps a single-target model in the inner engine\'s own format', async () => {
    const wrapped = multiOutputFactory(bayesianRidgeFactory).create();
    const inner = bayesianRidgeFactory.create();
    await wrapped.fit({ x, rows, cols, y: yA }, options);
    await inner.fit({ x, rows, cols, y: yA }, options);
    assert.deepEqual(Buffer.from(await wrapped.serialize()), Buffer.from(await inner.serialize()));
  });

  it('refuses truncated joint bytes with XX001', async () => {
    const factory = getLocalEngineFactory('bayesian_ridge');
    const both = factory.create();
    await both.fit({ x, rows, cols, y: joint, yCols: 2 }, options);
    const bytes = await both.serialize();
    await assert.rejects(factory.deserialize(bytes.subarray(0, bytes.length - 5)), (e: { code?: string }) => e.code === 'XX001');
  });
});
