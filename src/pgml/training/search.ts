/**
 * Fits every hyperparameter candidate (on the training split, or on each cross-validation fold)
 * and keeps the best one, as PostgresML's Model::fit does. Each candidate is one engine pool job
 * (candidate-job.ts: its fold's rows, the fit, the predictions and the scoring), side by side, one
 * per pool worker; the first failure stops the others. This thread only collects the metrics and picks.
 */
import { PgError } from '../../errors/index.js';
import type { FitProgress, Runtime, Task } from '../engines/engine.js';
import type { TrainingDataset } from '../preparation/dataset.js';
import { keyMetric } from '../domain/task.js';
import type { CandidateJobResult } from './candidate-job.js';
import { fitCandidate } from './prepare.js';
import { foldBounds, summarizeSearch, type Hyperparams, type Search, type Trial } from './search-plan.js';
import { datasetSplits, type Predictions } from './score.js';

export interface SearchRun {
  algorithm: string;
  task: Task;
  data: TrainingDataset;
  candidates: Hyperparams[];
  search: Search | null;
  cv: number;
  /** Progress for the calling client (INFO notices). */
  notice(message: string): void;
  /** Stops the search, and the fits running, when the statement is canceled. */
  signal: AbortSignal;
  /** What the engines report as they fit. */
  progress?: (progress: FitProgress) => void;
}

export interface SearchWinner {
  /** The winning model, serialized. */
  model: Uint8Array;
  runtime: Runtime;
  hyperparams: Hyperparams;
  metrics: Record<string, unknown>;
  /** The winner's predictions for the held-out test rows, when it was scored on them (no cross-validation). */
  heldOut?: Predictions;
}

export async function runSearch(run: SearchRun): Promise<SearchWinner> {
  const { data } = run;
  const folds = foldBounds(data.numTrainRows, run.cv);
  const splits = folds.length === 0 ? [null] : folds;
  const jobs = run.candidates.flatMap((hyperparams, candidate) => splits.map((fold, index) => ({ candidate, index, fold, hyperparams })));
  if (jobs.length > 1) {
    for (const { candidate, index, hyperparams } of jobs) {
      run.notice(`Hyperparams ${candidate + 1}/${run.candidates.length}${splits.length > 1 ? `, fold ${index + 1}/${splits.length}` : ''}: ${JSON.stringify(hyperparams)}`);
    }
  }
  const rows = datasetSplits(data);
  const stop = new AbortController();
  const canceled = (): void => stop.abort(run.signal.reason);
  run.signal.addEventListener('abort', canceled, { once: true });
  const progress = run.progress ?? ((): void => undefined);
  let fitted: CandidateJobResult[];
  try {
    fitted = await Promise.all(
      jobs.map((job) =>
        fitCandidate(
          {
            algorithm: run.algorithm,
            task: run.task,
            hyperparams: job.hyperparams,
            ...rows,
            fold: job.fold,
          },
          progress,
          stop.signal,
        ).catch((error: unknown) => {
          stop.abort(PgError.from(error));
          throw error;
        }),
      ),
    );
  } finally {
    run.signal.removeEventListener('abort', canceled);
  }
  const trials: Trial[] = jobs.map((job, i) => ({ candidate: job.candidate, fold: job.index, metrics: fitted[i]!.metrics }));
  const winner = (i: number, metrics: Record<string, unknown>): SearchWinner => {
    const { model, runtime, predictions } = fitted[i] as CandidateJobResult;
    const candidate = (trials[i] as Trial).candidate;
    return { model, runtime, hyperparams: run.candidates[candidate] as Hyperparams, metrics, ...(predictions === undefined ? {} : { heldOut: predictions }) };
  };

  if (trials.length === 1) return winner(0, { ...(trials[0] as Trial).metrics });
  const outcome = summarizeSearch(run.task, run.candidates, run.cv, trials);
  const best = trials[outcome.bestTrial] as Trial;
  run.notice(`Best ${keyMetric(run.task)} = ${best.metrics[keyMetric(run.task)]} with ${JSON.stringify(run.candidates[best.candidate])}`);
  return winner(outcome.bestTrial, { ...best.metrics, ...(run.search === null ? {} : { search_results: outcome.searchResults }) });
}
