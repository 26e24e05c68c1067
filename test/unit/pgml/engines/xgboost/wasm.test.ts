import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WASM_MAX_CELLS, XgboostEngine, xgboostFactory } from '../../../../../src/pgml/engines/xgboost/index.js';
import { accuracy, loadSplit, r2 } from './fixtures.js';

// The fallback is forced per engine so this runs whether or not libxgboost0 is installed.
describe('xgboost engine (ml-xgboost WASM fallback)', () => {
  it('classifies iris, round-trips, and reports its runtime', async () => {
    const split = loadSplit('iris');
    const engine = new XgboostEngine('xgboost', 'wasm');
    await engine.fit({ x: split.train.x, rows: split.train.rows, cols: split.cols, y: split.train.y }, { task: 'classification', hyperparams: { n_estimators: 20 }, numClasses: 3 });
    assert.equal(engine.runtime, 'wasm');
    const predicted = await engine.predict(split.test.x, split.test.rows);
    assert.ok(accuracy(predicted, split.test.y) > 0.85);
    const proba = await engine.predictProba(split.test.x, split.test.rows);
    for (let r = 0; r < split.test.rows; r++) assert.ok(Math.abs(proba[3 * r]! + proba[3 * r + 1]! + proba[3 * r + 2]! - 1) < 1e-5);
    const loaded = await XgboostEngine.deserialize('xgboost', await engine.serialize());
    assert.equal(loaded.runtime, 'wasm');
    assert.deepEqual(await loaded.predict(split.test.x, split.test.rows), predicted);
  });

  it('regresses diabetes with reg:squarederror mapped to the old objective name', async () => {
    const split = loadSplit('diabetes');
    const engine = new XgboostEngine('xgboost', 'wasm');
    await engine.fit({ x: split.train.x, rows: split.train.rows, cols: split.cols, y: split.train.y }, { task: 'regression', hyperparams: { n_estimators: 60, max_depth: 2, eta: 0.1 } });
    assert.ok(r2(await engine.predict(split.test.x, split.test.rows), split.test.y) > 0.3);
  });

  it('refuses joint regression with 0A000 naming the native library', async () => {
    const split = loadSplit('linnerud', 3);
    const data = { x: split.train.x, rows: split.train.rows, cols: split.cols, y: split.train.y, yCols: 3 };
    await assert.rejects(new XgboostEngine('xgboost', 'wasm').fit(data, { task: 'regression', hyperparams: { n_estimators: 10 } }), (error: { code: string; message: string }) =>
      error.code === '0A000' && /single label column/.test(error.message) && /native libxgboost/.test(error.message));
  });

  it('refuses NaN features with 22023 and oversized training sets with 54000', async () => {
    const engine = new XgboostEngine('xgboost', 'wasm');
    const x = new Float32Array([1, Number.NaN, 3, 4]);
    await assert.rejects(engine.fit({ x, rows: 2, cols: 2, y: new Float32Array([0, 1]) }, { task: 'regression', hyperparams: {} }), { code: '22023' });
    const rows = WASM_MAX_CELLS / 4 + 1;
    await assert.rejects(
      engine.fit({ x: new Float32Array(rows * 4), rows, cols: 4, y: new Float32Array(rows) }, { task: 'regression', hyperparams: {} }),
      (error: { code: string; hint?: string }) => error.code === '54000' && /libxgboost0/.test(error.hint ?? ''),
    );
  });

  it('a training that ran on WebAssembly without being pinned there gets a notice saying why', () => {
    const notice = xgboostFactory.runtimeNotice!('wasm') ?? '';
    assert.match(notice, /^xgboost trained on the WebAssembly build of XGBoost, not on native libxgboost: /);
    assert.match(notice, /libxgboost (loaded from|is not installed|was found but failed to load)|engine thread could not load/);
    assert.equal(xgboostFactory.runtimeNotice!('native'), undefined);
  });
});
