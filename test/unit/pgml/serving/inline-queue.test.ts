// Small in-thread predictions asked for in the same turn of the event loop are predicted together
// (src/pgml/serving/inline-queue.ts): one engine call per step of at most maxRows rows, each caller
// getting exactly its own rows' answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine } from '../../../../src/pgml/engines/engine.js';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { XgboostEngine } from '../../../../src/pgml/engines/xgboost/index.js';
import { nativeXgboostStatus } from '../../../../src/pgml/engines/xgboost/native.js';
import { InlineQueue } from '../../../../src/pgml/serving/inline-queue.js';

const cols = 30;
const rows = 200;
const x = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37));
const y = Float32Array.from({ length: rows }, (_, r) => 2 * x[r * cols]! - x[r * cols + 1]! + 0.5 * x[r * cols + 29]!);
const rowsFrom = (first: number, n: number) => x.subarray(first * cols, (first + n) * cols);

/** The engine's calls, by the number of rows each one predicted. */
function counted(engine: Engine): { engine: Engine; calls: number[] } {
  const calls: number[] = [];
  const wrapped = Object.create(engine) as Engine;
  wrapped.predict = (input, n) => (calls.push(n), engine.predict(input, n));
  if (engine.predictProba) wrapped.predictProba = (input, n) => (calls.push(n), engine.predictProba!(input, n));
  return { engine: wrapped, calls };
}

test('concurrent small predictions go to the engine together, each caller gets its own rows', async () => {
  const trained = getLocalEngineFactory('linear').create();
  await trained.fit({ x, rows, cols, y }, { task: 'regression', hyperparams: {} });
  const { engine, calls } = counted(trained);
  const queue = new InlineQueue(engine, 16);
  // 12 callers of 1, 2, 3, 1, 2, 3... rows (24): two steps of at most 16 rows, callers kept whole and in order.
  const asks = Array.from({ length: 12 }, (_, i) => ({ first: i * 3, n: (i % 3) + 1 }));
  const answers = await Promise.all(asks.map(({ first, n }) => queue.predict(rowsFrom(first, n), n)));
  assert.deepEqual(calls, [15, 9]);
  for (const [i, { first, n }] of asks.entries()) {
    assert.deepEqual(answers[i], await trained.predict(rowsFrom(first, n), n), `caller ${i}`);
  }
  // A lone caller is one call of its own rows.
  calls.length = 0;
  assert.deepEqual(await queue.predict(rowsFrom(7, 1), 1), await trained.predict(rowsFrom(7, 1), 1));
  assert.deepEqual(calls, [1]);
});

test('a failing step rejects every prediction in it, and the queue keeps working', async () => {
  const trained = getLocalEngineFactory('linear').create();
  await trained.fit({ x, rows, cols, y }, { task: 'regression', hyperparams: {} });
  const queue = new InlineQueue(trained, 16);
  // 31 values is not a whole row of the model's 30 features: the engine refuses the batch.
  const bad = queue.predict(x.subarray(0, 31), 1);
  const good = queue.predict(rowsFrom(0, 1), 1);
  await assert.rejects(bad);
  await assert.rejects(good);
  assert.deepEqual(await queue.predict(rowsFrom(0, 1), 1), await trained.predict(rowsFrom(0, 1), 1));
});

const native = nativeXgboostStatus().status === 'loaded';

test('XGBoost class probabilities and classes asked together are predicted in separate steps', { skip: !native && 'libxgboost is not installed' }, async () => {
  const classifier = new XgboostEngine('xgboost', 'native');
  await classifier.fit({ x, rows, cols, y: y.map((v) => (v > 0 ? 1 : 0)) }, { task: 'classification', hyperparams: { n_estimators: 10 }, numClasses: 2 });
  const { engine, calls } = counted(classifier);
  const queue = new InlineQueue(engine, 16);
  const [p1, c1, p2, c2] = await Promise.all([
    queue.predictProba!(rowsFrom(0, 2), 2),
    queue.predict(rowsFrom(2, 1), 1),
    queue.predictProba!(rowsFrom(3, 3), 3),
    queue.predict(rowsFrom(6, 2), 2),
  ]);
  assert.deepEqual(calls.sort(), [3, 5]);
  assert.deepEqual(p1, await classifier.predictProba(rowsFrom(0, 2), 2));
  assert.deepEqual(p2, await classifier.predictProba(rowsFrom(3, 3), 3));
  assert.deepEqual(c1, await classifier.predict(rowsFrom(2, 1), 1));
  assert.deepEqual(c2, await classifier.predict(rowsFrom(6, 2), 2));
});
