/**
 * Fits every hyperparameter candidate (on the training split, or on each cross-validation fold)
 * through the engine pool and keeps the best one, as PostgresML's Model::fit does. The candidates
 * run side by side, one per pool worker; the first failure stops the others.
 */
import { PgError } from '../../errors/index.js';
import type { Engine, EngineFactory, FitProgress, Task } from '../engines/engine.js';
import type { TrainingDataset } from '../preparation/dataset.js';
import { keyMetric } from '../domain/task.js';
import { kFolds, summarizeSearch, type Hyperparams, type Search, type Trial } from './search-plan.js';
import { fitAndScore, type Fitted, type Predictions, type Rows } from './score.js';

export interface SearchRun {
  factory: EngineFactory;
  task: Task;
  data: TrainingDataset;
  candidates: Hyperparams[];
  search: Search | null;
  cv: number;
  /** Progress for the calling client (INFO notices). */
  notice(message: string): void;
  /** Stops the search, and the fit running, when the statement is canceled. */
  signal: AbortSignal;
  /** What the engines report as they fit. */
  progress?: (progress: FitProgress) => void;
}

export interface SearchWinner {
  engine: Engine;
  hyperparams: Hyperparams;
  metrics: Record<string, unknown>;
  /** The winner's predictions for the held-out test rows, when it was scored on them (no cross-validation). */
  heldOut?: Predictions;
}

export async function runSearch(run: SearchRun): Promise<SearchWinner> {
  const { data } = run;
  const train: Rows = { x: data.xTrain, y: data.yTrain, rows: data.numTrainRows };
  const test: Rows = { x: data.xTest, y: data.yTest, rows: data.numTestRows };
  const folds = kFolds(data.numTrainRows, run.cv);
  const splits: { train: Rows; test: Rows }[] =
    folds.length === 0 ? [{ train, test }] : folds.map((f) => ({ train: pick(train, f.train, data), test: pick(train, f.test, data) }));

  const jobs = run.candidates.flatMap((hyperparams, candidate) => splits.map((split, fold) => ({ candidate, fold, hyperparams, split })));
  if (jobs.length > 1) {
    for (const { candidate, fold, hyperparams } of jobs) {
      run.notice(`Hyperparams ${candidate + 1}/${run.candidates.length}${splits.length > 1 ? `, fold ${fold + 1}/${splits.length}` : ''}: ${JSON.stringify(hyperparams)}`);
    }
  }
  const stop = new AbortController();
  const canceled = (): void => stop.abort(run.signal.reason);
  run.signal.addEventListener('abort', canceled, { once: true });
  let fitted: (Fitted & { engine: Engine })[];
  try {
    fitted = await Promise.all(
      jobs.map((job) =>
        fitCandidate(run, job.hyperparams, job.split.train, job.split.test, stop.signal).catch((error: unknown) => {
          stop.abort(PgError.from(error));
          throw error;
        }),
      ),
    );
  } finally {
    run.signal.removeEventListener('abort', canceled);
  }
  const trials: Trial[] = jobs.map((job, i) => ({ candidate: job.candidate, fold: job.fold, metrics: fitted[i]!.metrics }));
  const engines = fitted.map((f) => f.engine);
  // Fold scores are measured on training rows: only a model scored on the held-out rows has theirs.
  const heldOut = (i: number): { heldOut?: Predictions } => {
    const predictions = fitted[i]?.predictions;
    return folds.length === 0 && predictions !== undefined ? { heldOut: predictions } : {};
  };

  if (trials.length === 1) {
    return { engine: engines[0] as Engine, hyperparams: run.candidates[0] as Hyperparams, metrics: { ...(trials[0] as Trial).metrics }, ...heldOut(0) };
  }
  const outcome = summarizeSearch(run.task, run.candidates, run.cv, trials);
  const best = trials[outcome.bestTrial] as Trial;
  run.notice(`Best ${keyMetric(run.task)} = ${best.metrics[keyMetric(run.task)]} with ${JSON.stringify(run.candidates[best.candidate])}`);
  return {
    engine: engines[outcome.bestTrial] as Engine,
    hyperparams: run.candidates[best.candidate] as Hyperparams,
    metrics: { ...best.metrics, ...(run.search === null ? {} : { search_results: outcome.searchResults }) },
    ...heldOut(outcome.bestTrial),
  };
}

/** One candidate (on one fold): its engine with the fit's metrics. */
async function fitCandidate(
  run: SearchRun,
  hyperparams: Hyperparams,
  train: Rows,
  test: Rows,
  signal: AbortSignal,
): Promise<Fitted & { engine: Engine }> {
  const { data } = run;
  const engine = run.factory.create();
  const fitted = await fitAndScore({
    engine,
    task: run.task,
    hyperparams,
    train,
    test,
    numFeatures: data.numFeatures,
    numLabels: data.numLabels,
    numClasses: data.numClasses,
    signal,
    progress: run.progress,
  });
  return { engine, ...fitted };
}

/** The given training rows as their own matrix (cross-validation folds), shared with the workers. */
function pick(from: Rows, indexes: readonly number[], data: TrainingDataset): Rows {
  const cols = data.numFeatures;
  const yCols = data.numLabels;
  const x = new Float32Array(new SharedArrayBuffer(indexes.length * cols * 4));
  const y = new Float32Array(indexes.length * yCols);
  indexes.forEach((r, i) => {
    x.set(from.x.subarray(r * cols, (r + 1) * cols), i * cols);
    if (yCols > 0) y.set(from.y.subarray(r * yCols, (r + 1) * yCols), i * yCols);
  });
  return { x, y, rows: indexes.length };
}
