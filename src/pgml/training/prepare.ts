/**
 * Builds the training set, and for a training of one model also fits and scores it, on an engine
 * pool thread; a search fits and scores each candidate in a job of its own. The split, the label
 * encoding, the pipeline's statistics (a sort per column), the encoding, the folds and the scoring
 * all grow with the data, and the matrices are shared memory, so the thread works on them where
 * they are while the event loop stays free.
 */
import type { FitProgress } from '../engines/engine.js';
import { runInWorker, warmEnginePool } from '../engines/pool.js';
import type { DatasetJob, PlainDataset, TrainingDataset } from '../preparation/dataset.js';
import { FeaturePipeline } from '../preparation/pipeline.js';
import { DECODE_MODULE } from '../store/index.js';
import type { CandidateJob, CandidateJobResult } from './candidate-job.js';
import type { DatasetSummary, FitJob, FitJobResult, FitJobUpdate } from './fit-job.js';

// The pool imports them by URL; under tsx (tests) the sources are .ts files.
const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const DATASET_MODULE = new URL(`../preparation/dataset.${extension}`, import.meta.url).href;
const FIT_JOB_MODULE = new URL(`./fit-job.${extension}`, import.meta.url).href;
const CANDIDATE_JOB_MODULE = new URL(`./candidate-job.${extension}`, import.meta.url).href;

/** Starts an engine worker ahead of the first training, with the read's decoder, dataset and training modules loaded. */
export function warmTrainingWorkers(): Promise<void> {
  return warmEnginePool([DECODE_MODULE, DATASET_MODULE, FIT_JOB_MODULE, CANDIDATE_JOB_MODULE]);
}

/** The training set on the main thread, for a search that fits its candidates on several workers. */
export async function prepareDataset(job: DatasetJob, signal?: AbortSignal): Promise<TrainingDataset> {
  const input = { module: DATASET_MODULE, name: 'datasetJob', input: job, what: 'building the training set' };
  const plain = (await runInWorker('dataset', 'run', input, [], signal)) as PlainDataset;
  return { ...plain, pipeline: FeaturePipeline.fromJSON(plain.pipeline) };
}

export interface FitJobListener {
  /** The training set is built; the fit starts right after. */
  dataset(summary: DatasetSummary): void;
  progress(progress: FitProgress): void;
}

/** One model trained in one worker hand-off (fit-job.ts), the listener told as it goes. */
export async function prepareAndFit(job: FitJob, listener: FitJobListener, signal: AbortSignal): Promise<FitJobResult> {
  const input = { module: FIT_JOB_MODULE, name: 'fitJob', input: job, what: `training ${job.algorithm}` };
  const onUpdate = (update: unknown): void => {
    const known = update as FitJobUpdate;
    if ('dataset' in known) listener.dataset(known.dataset);
    else listener.progress(known.progress);
  };
  return (await runInWorker(job.algorithm, 'run', input, [], signal, onUpdate)) as FitJobResult;
}

/** One search candidate (on one fold) fitted and scored in one worker hand-off (candidate-job.ts). */
export async function fitCandidate(job: CandidateJob, progress: (progress: FitProgress) => void, signal: AbortSignal): Promise<CandidateJobResult> {
  const input = { module: CANDIDATE_JOB_MODULE, name: 'candidateJob', input: job, what: `training ${job.algorithm}` };
  return (await runInWorker(job.algorithm, 'run', input, [], signal, (update) => progress(update as FitProgress))) as CandidateJobResult;
}
