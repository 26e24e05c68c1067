/**
 * Builds the training set on an engine pool thread: the split, the label encoding, the pipeline's
 * statistics (a sort per column) and the encoding all grow with the data, and the raw matrix is
 * shared memory, so the thread works on it where it is while the event loop stays free.
 */
import { runInWorker, warmEnginePool } from '../engines/pool.js';
import type { DatasetJob, PlainDataset, TrainingDataset } from '../preparation/dataset.js';
import { FeaturePipeline } from '../preparation/pipeline.js';

// The pool imports it by URL; under tsx (tests) the sources are .ts files.
const DATASET_MODULE = new URL(`../preparation/dataset.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;

/** Starts an engine worker ahead of the first training, with the dataset module loaded. */
export function warmTrainingWorkers(): Promise<void> {
  return warmEnginePool([DATASET_MODULE]);
}

export async function prepareDataset(job: DatasetJob, signal?: AbortSignal): Promise<TrainingDataset> {
  const plain = (await runInWorker('dataset', 'run', { module: DATASET_MODULE, name: 'datasetJob', input: job }, [], signal)) as PlainDataset;
  return { ...plain, pipeline: FeaturePipeline.fromJSON(plain.pipeline) };
}
