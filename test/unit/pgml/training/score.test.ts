import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { scoreEngine } from '../../../../src/pgml/training/score.js';

// Real engines, run in-thread: the scores must reflect how well they fit.
describe('scoreEngine', () => {
  it('regression: a linear fit of a linear target scores r2 ≈ 1', async () => {
    const rows = 50;
    const x = Float32Array.from({ length: rows * 2 }, (_, i) => Math.sin(i));
    const y = Float32Array.from({ length: rows }, (_, r) => 2 * x[r * 2]! - x[r * 2 + 1]!);
    const engine = getLocalEngineFactory('linear').create();
    await engine.fit({ x, rows, cols: 2, y }, { task: 'regression', hyperparams: {} });
    const { metrics: m } = await scoreEngine(engine, { task: 'regression', x, rows, cols: 2, y, yCols: 1, numClasses: 0 });
    assert.ok(m.r2! > 0.999);
    assert.ok(m.mean_squared_error! < 1e-6);
    assert.equal(typeof m.score_time, 'number');
  });

  it('binary classification reports roc_auc and log_loss from probabilities', async () => {
    const rows = 80;
    const x = Float32Array.from({ length: rows }, (_, i) => Math.sin(i * 0.9));
    const y = Float32Array.from(x, (v) => (v > 0 ? 1 : 0));
    const engine = getLocalEngineFactory('linear').create();
    await engine.fit({ x, rows, cols: 1, y }, { task: 'classification', hyperparams: {}, numClasses: 2 });
    const { metrics: m } = await scoreEngine(engine, { task: 'classification', x, rows, cols: 1, y, yCols: 1, numClasses: 2 });
    assert.ok(m.accuracy! > 0.9);
    assert.ok(m.roc_auc! > 0.95);
    assert.ok(m.log_loss! > 0 && m.log_loss! < 0.7);
  });

  it('binary classification without probabilities (ridge) scores the hard predictions', async () => {
    const rows = 80;
    const x = Float32Array.from({ length: rows }, (_, i) => Math.sin(i * 0.9));
    const y = Float32Array.from(x, (v) => (v > 0 ? 1 : 0));
    const engine = getLocalEngineFactory('ridge').create();
    await engine.fit({ x, rows, cols: 1, y }, { task: 'classification', hyperparams: {}, numClasses: 2 });
    await assert.rejects(engine.predictProba!(x, rows), (e: { code: string }) => e.code === '0A000');
    const { metrics: m } = await scoreEngine(engine, { task: 'classification', x, rows, cols: 1, y, yCols: 1, numClasses: 2 });
    const predicted = await engine.predict(x, rows);
    assert.ok(m.accuracy! > 0.9);
    // roc_auc of 0/1 scores is the balanced accuracy: (TPR + TNR) / 2.
    let tp = 0, tn = 0, p = 0;
    for (let i = 0; i < rows; i++) {
      if (y[i] === 1) { p++; if (predicted[i] === 1) tp++; } else if (predicted[i] === 0) tn++;
    }
    assert.ok(Math.abs(m.roc_auc! - (tp / p + tn / (rows - p)) / 2) < 1e-9, `roc_auc ${m.roc_auc}`);
  });

  it('decomposition: keeping every component explains all the variance', async () => {
    const rows = 30;
    const x = Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i * 1.7) + (i % 3));
    const engine = getLocalEngineFactory('pca').create();
    await engine.fit({ x, rows, cols: 3 }, { task: 'decomposition', hyperparams: {} });
    const { metrics: m } = await scoreEngine(engine, { task: 'decomposition', x, rows, cols: 3, y: new Float32Array(0), yCols: 0, numClasses: 0 });
    assert.ok(Math.abs(m.cumulative_explained_variance! - 1) < 1e-4);
  });
});
