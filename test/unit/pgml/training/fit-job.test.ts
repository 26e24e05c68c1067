import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PgError, SqlState } from '../../../../src/errors/index.js';
import type { FitProgress, Task } from '../../../../src/pgml/engines/engine.js';
import { closePool, poolStats } from '../../../../src/pgml/engines/pool.js';
import { getLocalEngineFactory } from '../../../../src/pgml/engines/registry.js';
import { datasetFromMatrix, type DatasetJob } from '../../../../src/pgml/preparation/dataset.js';
import { summarize, type DatasetSummary } from '../../../../src/pgml/training/fit-job.js';
import { prepareAndFit } from '../../../../src/pgml/training/prepare.js';
import { datasetSplits, fitAndScore } from '../../../../src/pgml/training/score.js';
import { testResults } from '../../../../src/pgml/training/test-results.js';
import { toyDatasetJob } from './toy-dataset.js';

after(() => closePool());

function job(task: Task): DatasetJob {
  return toyDatasetJob(task, 0.1);
}

/** The same training step by step in this thread: what the job must match. */
async function stepByStep(task: Task, algorithm: string, hyperparams: Record<string, unknown>) {
  const { plan, raw, options } = job(task);
  const data = datasetFromMatrix(plan, raw, options);
  const engine = getLocalEngineFactory(algorithm).create();
  const fitted = await fitAndScore({
    engine,
    task,
    hyperparams,
    ...datasetSplits(data),
  });
  return {
    summary: summarize(data),
    model: await engine.serialize(),
    metrics: fitted.metrics,
    testResults: await testResults(engine, data, task, algorithm, fitted.predictions),
  };
}

/** Metrics without the timings, which differ from run to run. */
function untimed(metrics: Record<string, number>): Record<string, number> {
  const { fit_time: _fit, score_time: _score, ...rest } = metrics;
  return rest;
}

describe('a training in one worker job', () => {
  const cases = [
    { task: 'classification', algorithm: 'linear', hyperparams: {} },
    { task: 'regression', algorithm: 'xgboost', hyperparams: { n_estimators: 5, max_depth: 3 } },
  ] as const;
  for (const { task, algorithm, hyperparams } of cases) {
    it(`${task} with ${algorithm}: one worker call, the same training set, model, metrics and test results as step by step`, async () => {
      const expected = await stepByStep(task, algorithm, hyperparams);
      const events: string[] = [];
      let summary: DatasetSummary | undefined;
      const progress: FitProgress[] = [];
      const before = poolStats();
      const result = await prepareAndFit(
        { dataset: job(task), algorithm, task, hyperparams },
        {
          dataset: (s) => {
            summary = s;
            events.push('dataset');
          },
          progress: (p) => {
            progress.push(p);
            events.push('progress');
          },
        },
        new AbortController().signal,
      );
      assert.equal(poolStats().workerCalls - before.workerCalls, 1);
      assert.equal(events[0], 'dataset', 'the training set is announced before the fit reports anything');
      assert.deepEqual(summary, expected.summary);
      assert.deepEqual(result.model, expected.model);
      assert.equal(result.runtime, getLocalEngineFactory(algorithm).create().runtime);
      assert.deepEqual(untimed(result.metrics), untimed(expected.metrics));
      assert.ok(result.metrics.fit_time! > 0 && result.metrics.score_time! >= 0);
      assert.deepEqual(result.testResults, expected.testResults);
      if (algorithm === 'xgboost') {
        assert.deepEqual(progress.at(-1), { done: 5, total: 5, unit: 'trees' });
        assert.ok(Array.isArray(result.testResults?.results.importance), 'tree models get their feature importance in the job too');
      }
    });
  }

  it('fails with the engine\'s SQLSTATE and stops on its signal', async () => {
    const listener = { dataset: () => undefined, progress: () => undefined };
    await assert.rejects(
      prepareAndFit({ dataset: job('regression'), algorithm: 'xgboost', task: 'regression', hyperparams: { objective: 'nope' } }, listener, new AbortController().signal),
      { code: '22023' },
    );
    const stop = new AbortController();
    const running = prepareAndFit({ dataset: job('regression'), algorithm: 'xgboost', task: 'regression', hyperparams: { n_estimators: 100000 } }, listener, stop.signal);
    stop.abort(new PgError(SqlState.QueryCanceled, 'canceling statement due to user request'));
    await assert.rejects(running, { code: '57014' });
  });
});
