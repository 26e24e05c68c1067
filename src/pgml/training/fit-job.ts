/**
 * A whole training of one model, on one engine pool thread (prepare.ts sends it): the training set
 * built from the shared raw matrix, the fit, the scoring on the held-out rows, the dashboard's test
 * results and the serialized model. One hand-off instead of one per step: each cost a wait for a
 * worker and for the event loop, most of a small training's time outside the solver under load.
 * The steps run in the order the separate calls ran them, with the same engines, on the same data.
 */
import type { FitProgress, Runtime, Task } from '../engines/engine.js';
import { collectYoungGeneration, discardPages, releaseFreedMemory, RELEASE_MIN_SHARED_BYTES, sharedBytes, trimMallocArenas } from '../engines/memory-release.js';
import { getLocalEngineFactory } from '../engines/registry.js';
import { datasetFromMatrix, type DatasetJob, type TrainingDataset } from '../preparation/dataset.js';
import type { FeaturePipelineJson } from '../preparation/pipeline.js';
import type { TestResults } from '../store/index.js';
import { datasetSplits, fitAndScore } from './score.js';
import { testResults } from './test-results.js';

export interface FitJob {
  dataset: DatasetJob;
  algorithm: string;
  task: Task;
  hyperparams: Record<string, unknown>;
}

/** The training set without its matrices: what the main thread notices and registers. */
export type DatasetSummary = Omit<TrainingDataset, 'xTrain' | 'yTrain' | 'xTest' | 'yTest' | 'pipeline'> & {
  pipeline: FeaturePipelineJson;
  /** PostgresML's num_features: raw feature values before encoding. */
  rawWidth: number;
};

/** Sent while the job runs: the training set once built (its notice precedes the fit), then the fit's progress. */
export type FitJobUpdate = { dataset: DatasetSummary } | { progress: FitProgress };

export interface FitJobResult {
  model: Uint8Array;
  runtime: Runtime;
  metrics: Record<string, number>;
  testResults: TestResults | null;
}

export async function fitJob(job: FitJob, report: (update: FitJobUpdate) => void): Promise<FitJobResult> {
  // The read's working memory, freed by now but still resident in malloc's arenas (socket and chunk
  // buffers, the decoder's): given back before the training set's scratch is allocated on top of it,
  // at the read's end (the read phase's peak, issue 15); the scratch likewise before the fit's own.
  const large = sharedBytes(job.dataset.raw) >= RELEASE_MIN_SHARED_BYTES;
  if (large) releaseFreedMemory();
  const data = datasetFromMatrix(job.dataset.plan, job.dataset.raw, job.dataset.options);
  report({ dataset: summarize(data) });
  if (large) releaseFreedMemory();
  // A small set: the preparation's garbage collected here, not by a scavenge inside the fit (memory-release.ts).
  else collectYoungGeneration();
  const engine = getLocalEngineFactory(job.algorithm).create();
  try {
    const fitted = await fitAndScore({
      engine,
      task: job.task,
      hyperparams: job.hyperparams,
      ...datasetSplits(data),
      progress: (progress) => report({ progress }),
      // This job's matrix was read for this one model: after the fit only the held-out rows are read
      // (scoring, test results), so an engine may drop the training rows once it has them in its own form.
      discardTrainRows: (rows) => {
        discardPages(data.xTrain.subarray(0, rows * data.numFeatures));
        // All rows read: what the engine freed building its own form (XGBoost's sketch, in libgomp's
        // threads' arenas) goes back before the boosting allocates, instead of staying resident in
        // malloc's arenas through the whole boosting (issue 15).
        if (rows === data.numTrainRows) trimMallocArenas();
      },
    });
    return {
      model: await engine.serialize(),
      runtime: engine.runtime,
      metrics: fitted.metrics,
      testResults: await testResults(engine, data, job.task, job.algorithm, fitted.predictions),
    };
  } finally {
    engine.dispose?.();
  }
}

export function summarize(data: TrainingDataset): DatasetSummary {
  const { xTrain: _xTrain, yTrain: _yTrain, xTest: _xTest, yTest: _yTest, pipeline, ...rest } = data;
  return { ...rest, pipeline: pipeline.toJSON(), rawWidth: pipeline.rawWidth };
}
