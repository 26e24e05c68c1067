/**
 * Hyperparameter search as PostgresML's `Model::fit` runs it (`orm/model.rs`): the candidates are
 * the cartesian product of `hyperparams` (one value each) and `search_params` (lists); `random`
 * draws `n_iter` of them without replacement; with `cv` ≥ 2 every candidate is trained on each of
 * `cv` contiguous folds of the training split (`Dataset::fold`), and the single best trial by the
 * task's key metric wins, its fold model included.
 */
import { PgError, SqlState } from '../../errors/index.js';
import { keyMetric, type Task } from '../domain/task.js';
import { isPlainObject } from '../preparation/preprocess.js';
import { createRandom } from '../preparation/sampling.js';
import { shuffle } from '../random.js';

export type Search = 'grid' | 'random';
export type Hyperparams = Record<string, unknown>;

export interface SearchArgs {
  nIter: number;
  /** Folds; 1 means train once on the training split and score on the test split. */
  cv: number;
}

export function parseSearch(value: unknown): Search | null {
  if (value === null || value === undefined) return null;
  if (value === 'grid' || value === 'random') return value;
  throw invalid(`invalid search: ${JSON.stringify(value)}`, 'valid values: grid, random');
}

/** PostgresML's defaults: n_iter 10; cv 5 when searching, else 1. Only these two keys exist. */
export function parseSearchArgs(search: Search | null, json: unknown): SearchArgs {
  const args: SearchArgs = { nIter: 10, cv: search === null ? 1 : 5 };
  const object = parseObject('search_args', json);
  for (const [key, value] of Object.entries(object)) {
    switch (key) {
      case 'n_iter':
        args.nIter = positiveInteger(key, value, 1);
        break;
      case 'cv':
        args.cv = positiveInteger(key, value, 1);
        break;
      default:
        throw invalid(`unknown search_args key "${key}"`, 'valid keys: n_iter, cv');
    }
  }
  return args;
}

/** search_params: every value must be a non-empty array of candidate values. */
export function parseSearchParams(json: unknown): Record<string, unknown[]> {
  const object = parseObject('search_params', json);
  for (const [key, value] of Object.entries(object)) {
    if (!Array.isArray(value) || value.length === 0) {
      throw invalid(
        `search_params "${key}" must be a non-empty array of values, not ${JSON.stringify(value)}`,
        `e.g. search_params => '{"${key}": [1, 2, 3]}'`,
      );
    }
  }
  return object as Record<string, unknown[]>;
}

/** Every hyperparameter set to train, in PostgresML's order (hyperparams first, then search_params). */
export function hyperparamCandidates(
  hyperparams: Hyperparams,
  searchParams: Record<string, unknown[]>,
  search: Search | null,
  nIter: number,
  seed?: number,
): Hyperparams[] {
  const names: string[] = [];
  const choices: unknown[][] = [];
  for (const [name, value] of Object.entries(hyperparams)) {
    names.push(name);
    choices.push([value]);
  }
  for (const [name, values] of Object.entries(searchParams)) {
    if (names.includes(name)) {
      throw invalid(`"${name}" cannot be present in both hyperparams and search_params`, 'choose one or the other');
    }
    names.push(name);
    choices.push(values);
  }
  let combinations = cartesian(choices);
  if (search === 'random') {
    combinations = shuffle(combinations, createRandom(seed)).slice(0, nIter);
  }
  return combinations.map((values) => Object.fromEntries(values.map((v, i) => [names[i] as string, v])));
}

function cartesian(choices: unknown[][]): unknown[][] {
  return choices.reduce<unknown[][]>((acc, values) => acc.flatMap((prefix) => values.map((v) => [...prefix, v])), [[]]);
}

export interface Fold {
  /** Row indexes into the training split. */
  train: number[];
  test: number[];
}

/** Fold k's held-out rows of the training split: [start, end). */
export interface FoldBounds {
  start: number;
  end: number;
}

/** PostgresML's folds: fold k tests rows [k·m, (k+1)·m) with m = ⌊rows / cv⌋; the rest train. */
export function foldBounds(numTrainRows: number, cv: number): FoldBounds[] {
  if (cv < 2) return [];
  const size = Math.floor(numTrainRows / cv);
  if (size === 0) {
    throw invalid(`cv = ${cv} folds need at least ${cv} training rows, there are ${numTrainRows}`, 'lower cv in search_args');
  }
  return Array.from({ length: cv }, (_, k) => ({ start: k * size, end: (k + 1) * size }));
}

/** Every fold's row indexes. */
export function kFolds(numTrainRows: number, cv: number): Fold[] {
  return foldBounds(numTrainRows, cv).map((bounds) => foldRows(numTrainRows, bounds));
}

/** One fold's row indexes: the held-out rows test, the rest train, each in order. */
export function foldRows(numTrainRows: number, { start, end }: FoldBounds): Fold {
  const train: number[] = [];
  const test: number[] = [];
  for (let r = 0; r < numTrainRows; r++) (r >= start && r < end ? test : train).push(r);
  return { train, test };
}

export interface Trial {
  /** Index into the candidate list. */
  candidate: number;
  /** Fold index; 0 without cross validation. */
  fold: number;
  metrics: Record<string, number>;
}

export interface SearchOutcome {
  /** Index of the winning trial in the list given. */
  bestTrial: number;
  /** PostgresML's `metrics.search_results` object, scikit-learn cv_results_ style. */
  searchResults: Record<string, unknown>;
}

/**
 * Picks the best trial (strictly greater key metric, first wins; NaN never wins) and summarizes
 * the search the way PostgresML stores it.
 */
export function summarizeSearch(task: Task, candidates: Hyperparams[], cv: number, trials: readonly Trial[]): SearchOutcome {
  const metric = keyMetric(task);
  const folds = Math.max(cv, 1);
  let bestTrial = -1;
  let best = Number.NEGATIVE_INFINITY;
  trials.forEach((trial, i) => {
    const score = trial.metrics[metric];
    if (score !== undefined && score > best) {
      best = score;
      bestTrial = i;
    }
  });
  if (bestTrial < 0) {
    throw new PgError(SqlState.DataException, `no trial produced a ${metric} score to compare`);
  }
  const grid = (key: string): number[][] => {
    const table = candidates.map(() => new Array<number>(folds).fill(0));
    for (const t of trials) (table[t.candidate] as number[])[t.fold] = t.metrics[key] ?? Number.NaN;
    return table;
  };
  const fitTimes = grid('fit_time');
  const scoreTimes = grid('score_time');
  const scores = grid(metric);
  const results: Record<string, unknown> = {
    params: candidates,
    n_splits: cv,
    best_index: (trials[bestTrial] as Trial).candidate,
    mean_fit_time: fitTimes.map(mean),
    std_fit_time: fitTimes.map(std),
    mean_score_time: scoreTimes.map(mean),
    std_score_time: scoreTimes.map(std),
    mean_test_score: scores.map(mean),
    std_test_score: scores.map(std),
  };
  for (let k = 0; k < folds; k++) results[`split${k}_test_score`] = scores.map((row) => row[k]);
  for (const name of Object.keys(candidates[(trials[bestTrial] as Trial).candidate] ?? {})) {
    results[`param_${name}`] = candidates.map((c) => c[name]);
  }
  return { bestTrial, searchResults: results };
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function std(values: number[]): number {
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / values.length);
}

function parseObject(name: string, json: unknown): Record<string, unknown> {
  if (json === null || json === undefined) return {};
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch {
      throw invalid(`${name} is not valid JSON`);
    }
  }
  if (!isPlainObject(value)) throw invalid(`${name} must be a JSON object`);
  return value;
}

function positiveInteger(key: string, value: unknown, min: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
  throw invalid(`search_args "${key}" must be an integer of at least ${min}, not ${JSON.stringify(value)}`);
}

function invalid(message: string, hint?: string): PgError {
  return new PgError(SqlState.InvalidParameterValue, message, hint === undefined ? {} : { hint });
}
