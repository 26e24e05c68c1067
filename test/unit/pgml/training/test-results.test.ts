import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrainingDataset } from '../../../../src/pgml/preparation/dataset.js';
import type { Engine, Task } from '../../../../src/pgml/engines/engine.js';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { scoreEngine } from '../../../../src/pgml/training/score.js';
import { MAX_ROWS, testResults } from '../../../../src/pgml/training/test-results.js';

/** A train/test split of `rows` rows over two features; the label is a class (0/1) or a value. */
function dataset(task: Task, trainRows: number, testRows: number): TrainingDataset {
  const make = (rows: number, phase: number) => {
    const x = Float32Array.from({ length: rows * 2 }, (_, i) => Math.sin(i * 0.7 + phase));
    const y = Float32Array.from({ length: rows }, (_, r) => {
      const v = 2 * x[r * 2]! - x[r * 2 + 1]! + 0.1 * Math.cos(r);
      return task === 'classification' ? (v > 0 ? 1 : 0) : v;
    });
    return { x, y };
  };
  const train = make(trainRows, 0);
  const test = make(testRows, 1);
  // Only what testResults reads: no pipeline (no feature importance for linear models).
  return {
    xTrain: train.x,
    yTrain: train.y,
    xTest: test.x,
    yTest: test.y,
    numRows: trainRows + testRows,
    numTrainRows: trainRows,
    numTestRows: testRows,
    numFeatures: 2,
    numLabels: 1,
    numClasses: task === 'classification' ? 2 : 0,
    labels: task === 'classification' ? { kind: 'classes', classes: [0, 1] } : null,
  } as unknown as TrainingDataset;
}

/** The engine, counting the predictions asked of it. */
function counting(engine: Engine): { engine: Engine; calls: () => number } {
  let calls = 0;
  const wrapped: Engine = Object.create(engine);
  wrapped.predict = (x, rows) => (calls++, engine.predict(x, rows));
  wrapped.predictProba = (x, rows) => (calls++, engine.predictProba!(x, rows));
  return { engine: wrapped, calls: () => calls };
}

describe('testResults', () => {
  for (const task of ['classification', 'regression'] as const) {
    it(`${task}: reusing scoring's predictions gives what predicting again gives, without asking the engine`, async () => {
      // More held-out rows than are plotted, so the reused predictions are cut to their first rows.
      const data = dataset(task, 300, MAX_ROWS + 100);
      const engine = getLocalEngineFactory('linear').create();
      await engine.fit({ x: data.xTrain, rows: data.numTrainRows, cols: 2, y: data.yTrain }, { task, hyperparams: {}, numClasses: data.numClasses });
      const scored = await scoreEngine(engine, {
        task,
        x: data.xTest,
        rows: data.numTestRows,
        cols: 2,
        y: data.yTest,
        yCols: 1,
        numClasses: data.numClasses,
      });
      assert.equal(scored.predictions.proba !== undefined, task === 'classification');

      const fresh = counting(engine);
      const predicted = await testResults(fresh.engine, data, task, 'linear');
      assert.equal(fresh.calls(), task === 'classification' ? 2 : 1);
      const reused = counting(engine);
      assert.deepEqual(await testResults(reused.engine, data, task, 'linear', scored.predictions), predicted);
      assert.equal(reused.calls(), 0);
      assert.equal(predicted?.results.rows, MAX_ROWS);
      assert.equal((predicted?.results.y_pred as number[]).length, MAX_ROWS);
      if (task === 'classification') assert.equal((predicted?.results.y_score as number[][]).length, MAX_ROWS);
    });
  }
});
