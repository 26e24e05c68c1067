/**
 * One candidate of a hyperparameter search (search.ts), on one engine pool thread: its fold's rows
 * copied out of the shared training matrix, the fit, the predictions and the scoring. The main
 * thread sends the candidate and gets its metrics and model back: nothing that grows with the data
 * runs on the event loop, and each candidate costs one hand-off instead of one per step.
 */
import type { FitProgress, Runtime, Task } from '../engines/engine.js';
import { getLocalEngineFactory } from '../engines/registry.js';
import { foldRows, type FoldBounds, type Hyperparams } from './search-plan.js';
import { fitAndScore, type Predictions, type Rows } from './score.js';

export interface CandidateJob {
  algorithm: string;
  task: Task;
  hyperparams: Hyperparams;
  /** The training split; its matrix is shared memory, read where it is. */
  train: Rows;
  /** The held-out split, scored on without cross-validation. */
  test: Rows;
  /** With cross-validation: the training rows this fold holds out (it trains on the rest). */
  fold: FoldBounds | null;
  numFeatures: number;
  numLabels: number;
  numClasses: number;
}

export interface CandidateJobResult {
  model: Uint8Array;
  runtime: Runtime;
  metrics: Record<string, number>;
  /** The held-out rows' predictions, when they were scored (no cross-validation, test_size > 0). */
  predictions?: Predictions;
}

export async function candidateJob(job: CandidateJob, report: (progress: FitProgress) => void): Promise<CandidateJobResult> {
  const split = job.fold === null ? { train: job.train, test: job.test } : foldSplit(job, job.fold);
  const engine = getLocalEngineFactory(job.algorithm).create();
  try {
    const fitted = await fitAndScore({
      engine,
      task: job.task,
      hyperparams: job.hyperparams,
      train: split.train,
      test: split.test,
      numFeatures: job.numFeatures,
      numLabels: job.numLabels,
      numClasses: job.numClasses,
      progress: report,
    });
    return {
      model: await engine.serialize(),
      runtime: engine.runtime,
      metrics: fitted.metrics,
      // Fold scores are measured on training rows: only the held-out rows' predictions are kept.
      ...(job.fold === null && fitted.predictions !== undefined ? { predictions: fitted.predictions } : {}),
    };
  } finally {
    engine.dispose?.();
  }
}

function foldSplit(job: CandidateJob, bounds: FoldBounds): { train: Rows; test: Rows } {
  const { train, test } = foldRows(job.train.rows, bounds);
  return { train: pick(job.train, train, job), test: pick(job.train, test, job) };
}

/** The given training rows as their own matrix, shared with any thread the engine fits on. */
function pick(from: Rows, indexes: readonly number[], job: CandidateJob): Rows {
  const cols = job.numFeatures;
  const yCols = job.numLabels;
  const x = new Float32Array(new SharedArrayBuffer(indexes.length * cols * 4));
  const y = new Float32Array(indexes.length * yCols);
  indexes.forEach((r, i) => {
    x.set(from.x.subarray(r * cols, (r + 1) * cols), i * cols);
    if (yCols > 0) y.set(from.y.subarray(r * yCols, (r + 1) * yCols), i * yCols);
  });
  return { x, y, rows: indexes.length };
}
