import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import type { Task } from '../../../../src/pgml/engines/engine.js';
import { closePool, poolLoad, poolStats } from '../../../../src/pgml/engines/pool.js';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { datasetFromMatrix, type TrainingDataset } from '../../../../src/pgml/preparation/dataset.js';
import { kFolds, summarizeSearch, type Hyperparams, type Trial } from '../../../../src/pgml/training/search-plan.js';
import { runSearch } from '../../../../src/pgml/training/search.js';
import { datasetSplits, fitAndScore, type Rows } from '../../../../src/pgml/training/score.js';
import { toyDatasetJob } from './toy-dataset.js';

after(() => closePool());

function dataset(task: Task): TrainingDataset {
  const { plan, raw, options } = toyDatasetJob(task, 0.4);
  return datasetFromMatrix(plan, raw, options);
}

/**
 * A matrix the main thread must not copy rows out of: its copying methods throw here, while a
 * worker receives a plain Float32Array over the same shared memory (structured clone keeps no subclass).
 */
class MainThreadGuard extends Float32Array {
  override subarray(): never {
    throw new Error('a fold was copied on the main thread');
  }
  override slice(): never {
    throw new Error('rows were copied on the main thread');
  }
}

function guarded(array: Float32Array): Float32Array {
  return new MainThreadGuard(array.buffer as ArrayBuffer, array.byteOffset, array.length);
}

/** The search done step by step in this thread, as the pool jobs must do it. */
async function inThread(data: TrainingDataset, task: Task, algorithm: string, candidates: Hyperparams[], cv: number) {
  const cols = data.numFeatures;
  const rowsOf = (indexes: number[]): Rows => ({
    x: Float32Array.from(indexes.flatMap((r) => Array.from(data.xTrain.subarray(r * cols, (r + 1) * cols)))),
    y: Float32Array.from(indexes.map((r) => data.yTrain[r]!)),
    rows: indexes.length,
  });
  const trials: Trial[] = [];
  const models: Uint8Array[] = [];
  for (const [candidate, hyperparams] of candidates.entries()) {
    for (const [fold, { train, test }] of kFolds(data.numTrainRows, cv).entries()) {
      const engine = getLocalEngineFactory(algorithm).create();
      const common = { numFeatures: cols, numLabels: data.numLabels, numClasses: data.numClasses };
      const fitted = await fitAndScore({ engine, task, hyperparams, train: rowsOf(train), test: rowsOf(test), ...common });
      trials.push({ candidate, fold, metrics: fitted.metrics });
      models.push(await engine.serialize());
    }
  }
  const outcome = summarizeSearch(task, candidates, cv, trials);
  return { best: trials[outcome.bestTrial]!, model: models[outcome.bestTrial]!, searchResults: outcome.searchResults };
}

function untimed(metrics: Record<string, unknown>): Record<string, unknown> {
  const { fit_time: _fit, score_time: _score, search_results: _results, ...rest } = metrics;
  return rest;
}

function scoresOf(searchResults: unknown): Record<string, unknown> {
  const results = searchResults as Record<string, unknown>;
  return Object.fromEntries(Object.entries(results).filter(([key]) => !key.includes('_time')));
}

describe('a hyperparameter search on the engine pool', () => {
  const cases = [
    { task: 'regression', algorithm: 'ridge', candidates: [{ alpha: 0.001 }, { alpha: 100 }] },
    { task: 'classification', algorithm: 'xgboost', candidates: [{ n_estimators: 3, max_depth: 1 }, { n_estimators: 8, max_depth: 4 }] },
  ] as const;
  for (const { task, algorithm, candidates } of cases) {
    it(`${task} with ${algorithm}, cv 3: one pool job per candidate and fold, no fold copy or scoring on the main thread, the same winner as in-thread`, async () => {
      const data = dataset(task);
      const expected = await inThread(data, task, algorithm, [...candidates], 3);
      const before = poolStats();
      const winner = await runSearch({
        algorithm,
        task,
        data: { ...data, xTrain: guarded(data.xTrain), yTrain: guarded(data.yTrain) },
        candidates: [...candidates],
        search: 'grid',
        cv: 3,
        notice: () => undefined,
        signal: new AbortController().signal,
      });
      const after = poolStats();
      // Scoring on this thread would have asked the pool for predictions: each operation is a whole candidate job.
      assert.equal(after.operations - before.operations, candidates.length * 3);
      assert.equal(after.workerCalls - before.workerCalls, candidates.length * 3);
      assert.deepEqual(winner.hyperparams, candidates[expected.best.candidate]);
      assert.deepEqual(untimed(winner.metrics), untimed(expected.best.metrics));
      assert.deepEqual(scoresOf(winner.metrics.search_results), scoresOf(expected.searchResults));
      assert.deepEqual(winner.model, expected.model);
      assert.equal(winner.runtime, getLocalEngineFactory(algorithm).create().runtime);
      assert.equal(winner.heldOut, undefined, 'fold scores are on training rows: no held-out predictions');
    });
  }

  it('hands every candidate job the matrix and the labels in shared memory, read where they are', async () => {
    for (const task of ['regression', 'classification'] as const) {
      const data = dataset(task);
      const { train, test } = datasetSplits(data);
      for (const array of [train.x, train.y, test.x, test.y]) assert.ok(array.buffer instanceof SharedArrayBuffer);
      assert.equal(train.y.buffer, test.y.buffer, 'one buffer of labels, split in place');
      assert.equal(train.y.length, data.numTrainRows);
      assert.equal(test.y.length, data.numTestRows);
      // What a pool job receives is a view of the same memory, not a copy.
      const { port1, port2 } = new MessageChannel();
      const received = new Promise<Float32Array>((resolve) => port2.once('message', resolve));
      port1.postMessage(train.y);
      const y = await received;
      port1.close();
      const first = train.y[0]!;
      train.y[0] = 12345;
      assert.equal(y[0], 12345);
      train.y[0] = first;
    }
  });

  it('without cross-validation scores each candidate on the held-out rows and keeps the winner\'s predictions', async () => {
    const data = dataset('regression');
    const before = poolStats();
    const winner = await runSearch({
      algorithm: 'ridge',
      task: 'regression',
      data: { ...data, xTrain: guarded(data.xTrain), yTrain: guarded(data.yTrain) },
      candidates: [{ alpha: 0.001 }, { alpha: 1000 }],
      search: 'grid',
      cv: 1,
      notice: () => undefined,
      signal: new AbortController().signal,
    });
    assert.equal(poolStats().operations - before.operations, 2);
    assert.deepEqual(winner.hyperparams, { alpha: 0.001 });
    assert.equal(winner.heldOut?.predicted.length, data.numTestRows);
  });

  it('fails with the engine\'s SQLSTATE and stops the other candidates', async () => {
    const data = dataset('regression');
    const run = {
      algorithm: 'xgboost',
      task: 'regression' as const,
      data,
      candidates: [{ objective: 'nope' }, { n_estimators: 100000 }],
      search: 'grid' as const,
      cv: 1,
      notice: () => undefined,
      signal: new AbortController().signal,
    };
    await assert.rejects(runSearch(run), { code: '22023' });
    assert.deepEqual(poolLoad(), { running: 0, queued: 0 }, 'the long candidate was stopped');
  });
});
