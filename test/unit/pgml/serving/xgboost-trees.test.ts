// XGBoost regression trees walked in JavaScript (src/pgml/serving/xgboost-trees.ts): every value
// bit for bit libxgboost's, including missing (NaN) features and values on a split's threshold;
// models whose prediction is more than the trees' sum stay with libxgboost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poolStats } from '../../../../src/pgml/engines/pool.js';
import { XgboostEngine } from '../../../../src/pgml/engines/xgboost/index.js';
import { nativeXgboostStatus } from '../../../../src/pgml/engines/xgboost/native.js';
import { inlineModel } from '../../../../src/pgml/serving/inline.js';
import { decodeUbjson } from '../../../../src/pgml/serving/ubjson.js';
import { XgboostTrees } from '../../../../src/pgml/serving/xgboost-trees.js';

const native = nativeXgboostStatus().status === 'loaded';
const skip = !native && 'libxgboost is not installed';

const rows = 500;
const cols = 12;
// Some features missing (NaN) in training, so trees learn default directions for them.
const x = Float32Array.from({ length: rows * cols }, (_, i) => (i % 11 === 3 ? Number.NaN : Math.sin(i * 0.37) * 3));
const y = Float32Array.from({ length: rows }, (_, r) => 2 * (x[r * cols] || 0) - (x[r * cols + 1] || 0) + Math.cos(r));

async function fitted(algorithm: 'xgboost' | 'xgboost_random_forest', hyperparams: Record<string, unknown>, task: 'regression' | 'classification' = 'regression') {
  const engine = new XgboostEngine(algorithm, 'native');
  const labels = task === 'regression' ? y : y.map((v) => (v > 0 ? 1 : 0));
  await engine.fit({ x, rows, cols, y: labels }, { task, hyperparams, ...(task === 'classification' ? { numClasses: 2 } : {}) });
  const bytes = await engine.serialize();
  return { engine, bytes, model: XgboostEngine.parse(algorithm, bytes).model };
}

/** New rows: random values, NaNs, and each tree's own thresholds (where `<` and `<=` part). */
function probeRows(model: Uint8Array): { probe: Float32Array; n: number } {
  const thresholds: number[] = [];
  const json = decodeUbjson(model) as { learner: { gradient_booster: { model: { trees: { split_conditions: Float32Array; split_indices: Int32Array; left_children: Int32Array }[] } } } };
  for (const tree of json.learner.gradient_booster.model.trees) {
    tree.left_children.forEach((left, i) => left !== -1 && thresholds.push(tree.split_indices[i]!, tree.split_conditions[i]!));
  }
  const n = 2000 + thresholds.length / 2;
  const probe = new Float32Array(n * cols);
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 2000 * cols; i++) probe[i] = random() < 0.1 ? Number.NaN : (random() - 0.5) * 8;
  for (let k = 0; k < thresholds.length; k += 2) {
    const row = 2000 + k / 2;
    probe.fill(0.25, row * cols, (row + 1) * cols);
    probe[row * cols + thresholds[k]!] = thresholds[k + 1]!;
  }
  return { probe, n };
}

test('walked trees predict exactly what libxgboost predicts', { skip }, async () => {
  const cases: ['xgboost' | 'xgboost_random_forest', Record<string, unknown>][] = [
    ['xgboost', { n_estimators: 30, max_depth: 6 }],
    ['xgboost', { n_estimators: 10, objective: 'reg:absoluteerror' }],
    ['xgboost', { n_estimators: 10, objective: 'reg:pseudohubererror' }],
    ['xgboost_random_forest', { n_estimators: 8 }],
  ];
  for (const [algorithm, hyperparams] of cases) {
    const { engine, model } = await fitted(algorithm, hyperparams);
    const trees = XgboostTrees.fromUbjson(model, cols);
    assert.ok(trees, `${algorithm} ${JSON.stringify(hyperparams)} is walked`);
    const { probe, n } = probeRows(model);
    const expected = await engine.predict(probe, n);
    const walked = trees.predict(probe, n);
    const differing = expected.findIndex((v, i) => !Object.is(v, walked[i]));
    assert.equal(differing, -1, `${algorithm} ${JSON.stringify(hyperparams)}: row ${differing}: ${expected[differing]} vs ${walked[differing]}`);
  }
});

test('models whose prediction is more than the trees sum stay with libxgboost', { skip }, async () => {
  const others: [Record<string, unknown>, 'regression' | 'classification'][] = [
    [{ n_estimators: 3, booster: 'dart' }, 'regression'],
    [{ n_estimators: 3, booster: 'gblinear' }, 'regression'],
    [{ n_estimators: 3, objective: 'reg:logistic' }, 'regression'],
    [{ n_estimators: 3 }, 'classification'],
  ];
  for (const [hyperparams, task] of others) {
    const labels = task === 'regression' && hyperparams.objective === 'reg:logistic';
    const engine = new XgboostEngine('xgboost', 'native');
    const target = labels || task === 'classification' ? y.map((v) => (v > 0 ? 1 : 0)) : y;
    await engine.fit({ x, rows, cols, y: target }, { task, hyperparams, ...(task === 'classification' ? { numClasses: 2 } : {}) });
    const { model } = XgboostEngine.parse('xgboost', await engine.serialize());
    assert.equal(XgboostTrees.fromUbjson(model, cols), undefined, `${task} ${JSON.stringify(hyperparams)}`);
  }
});

test('an in-thread regression booster is the walk, and predicts without the queue', { skip }, async () => {
  const { engine, bytes } = await fitted('xgboost', { n_estimators: 5 });
  const before = poolStats().operations;
  const inline = await inlineModel('xgboost', bytes);
  assert.ok(inline);
  // The model's bytes are read on an engine thread (model loading), not on the event loop.
  assert.equal(poolStats().operations, before + 1);
  assert.equal(inline.queue, inline.engine);
  const batch = x.subarray(0, 3 * cols);
  assert.deepEqual(await inline.engine.predict(batch, 3), await engine.predict(batch, 3));
  await assert.rejects(inline.engine.predict(batch, 2), { code: '22023', message: `expected ${cols} features per row, got 18` });
});

test('UBJSON: counted, uncounted and typed containers, and refusals', () => {
  // {"a": [1, "x", true], "b": [$d #i 2 1.5 -2], "c": null} with an uncounted object and a counted array.
  const bytes = Uint8Array.from([
    0x7b, 0x69, 1, 0x61, 0x5b, 0x23, 0x69, 3, 0x69, 1, 0x53, 0x69, 1, 0x78, 0x54,
    0x69, 1, 0x62, 0x5b, 0x24, 0x64, 0x23, 0x69, 2, 0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0,
    0x69, 1, 0x63, 0x5a, 0x7d,
  ]);
  const value = decodeUbjson(bytes) as { a: unknown[]; b: Float32Array; c: null };
  assert.deepEqual(value.a, [1, 'x', true]);
  assert.deepEqual(Array.from(value.b), [1.5, -2]);
  assert.equal(value.c, null);
  assert.throws(() => decodeUbjson(bytes.subarray(0, 20)), { code: 'XX001', message: 'invalid UBJSON model: truncated' });
  assert.throws(() => decodeUbjson(Uint8Array.from([0x51])), { code: 'XX001', message: 'invalid UBJSON model: unknown marker "Q"' });
});
