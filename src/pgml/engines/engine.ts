/**
 * The one interface every training backend implements (PostgresML's `bindings/mod.rs` Bindings
 * trait, reshaped for async JS). Engines see only dense row-major float32 matrices: the domain
 * layer turns snapshots into a Dataset and label strings into class indices before calling fit.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { Task } from '../domain/task.js';

/** Engines take the task through their contract (FitOptions, EngineFactory.tasks). */
export type { Task };

/** Which implementation actually ran; stored on the model row so results can be explained. */
export type Runtime = 'native' | 'wasm' | 'js';

export interface Dataset {
  /** rows × cols features, row-major. NaN marks a missing value. */
  x: Float32Array;
  rows: number;
  cols: number;
  /** rows × yCols labels, row-major; classes are encoded as 0..numClasses-1. Absent for unsupervised tasks. */
  y?: Float32Array;
  /** Number of label columns; > 1 only for joint (multi-output) regression. Defaults to 1. */
  yCols?: number;
  /**
   * The caller's leave to drop `x` from memory once the engine has what it needs of it (a copy or
   * bins of its own): `discardRows(n)` drops rows [0, n), which must not be read after (their pages
   * read as zeros). An engine may call it several times with growing counts as it goes through the
   * rows, the last time with `rows`. Given only for a training of one model on a matrix nothing else
   * reads (fit-job.ts); engines that read `x` to the end ignore it.
   */
  discardRows?: (rows: number) => void;
}

export interface FitOptions {
  task: Task;
  /** As given by the user in pgml.train(hyperparams => ...); names already checked by the factory's list. */
  hyperparams: Record<string, unknown>;
  /** Required for classification: labels are 0..numClasses-1. */
  numClasses?: number;
}

/** How far a fit has come, for the user watching a long training: trees, epochs or iterations. */
export interface FitProgress {
  done: number;
  total: number;
  unit: string;
}

/**
 * Engines run inside the worker pool (pool.ts): arrays returned by predict, predictProba and
 * serialize are handed over to the caller, so return fresh arrays, never internal state.
 */
export interface Engine {
  readonly algorithm: string;
  readonly runtime: Runtime;
  /**
   * `signal` stops the fit (the pooled engine terminates its worker); in-thread engines ignore it.
   * Engines that fit in rounds may call `progress` after each; it is cheap and may be left out.
   */
  fit(data: Dataset, options: FitOptions, signal?: AbortSignal, progress?: (progress: FitProgress) => void): Promise<void>;
  /**
   * One value per row for single-output models (class index, regression value, cluster id);
   * rows × outputs row-major for joint regression and decomposition.
   */
  predict(x: Float32Array, rows: number): Promise<Float32Array>;
  /** rows × numClasses probabilities, row-major; each row sums to 1. Classification only. */
  predictProba?(x: Float32Array, rows: number): Promise<Float32Array>;
  /**
   * predict and predictProba of the same rows in one call (scoring: one pool round trip instead of
   * two); proba is left out when the model gives no probabilities (see probabilitiesIfAny).
   */
  predictWithProba?(x: Float32Array, rows: number): Promise<PredictedWithProba>;
  /** Self-contained bytes that the factory's deserialize turns back into an equivalent engine. */
  serialize(): Promise<Uint8Array>;
  /**
   * Frees what the engine holds outside the JS heap (a native booster, with the training's bins and
   * buffers) now, instead of when the engine is collected; the engine is not used again. A training
   * calls it once the model is serialized and scored (memory-release.ts).
   */
  dispose?(): void;
}

export interface PredictedWithProba {
  predicted: Float32Array;
  proba?: Float32Array;
}

/**
 * rows × classes probabilities, or undefined for an estimator without a probability model: those
 * (RidgeClassifier, an SVC trained without probability) refuse predictProba with 0A000.
 */
export async function probabilitiesIfAny(engine: Engine, x: Float32Array, rows: number): Promise<Float32Array | undefined> {
  if (!engine.predictProba) return undefined;
  try {
    return await engine.predictProba(x, rows);
  } catch (error) {
    if (error instanceof PgError && error.code === SqlState.FeatureNotSupported) return undefined;
    throw error;
  }
}

export interface EngineFactory {
  readonly algorithm: string;
  readonly tasks: readonly Task[];
  /** Accepted hyperparameter names; anything else is refused with 22023 before training starts. */
  readonly hyperparams: readonly string[];
  create(): Engine;
  deserialize(bytes: Uint8Array): Promise<Engine>;
  /**
   * Asked on the main thread after a fit with the runtime that ran it: a sentence for an INFO notice
   * when that is not the runtime the user would expect (a native library missing or failing to load,
   * hyperparameters only another runtime can honour); `hyperparams` are the trained model's.
   */
  runtimeNotice?(ran: Runtime, hyperparams?: Record<string, unknown>): string | undefined;
}

/** Refuses unknown hyperparameter names, listing the accepted ones so the user can fix the call. */
export function checkHyperparamNames(
  algorithm: string,
  hyperparams: Record<string, unknown>,
  accepted: readonly string[],
): void {
  const unknown = Object.keys(hyperparams).filter((name) => !accepted.includes(name));
  if (unknown.length === 0) return;
  throw new PgError(
    SqlState.InvalidParameterValue,
    `unknown hyperparameter${unknown.length > 1 ? 's' : ''} for ${algorithm}: ${unknown.join(', ')}`,
    { hint: `accepted hyperparameters: ${[...accepted].sort().join(', ')}` },
  );
}

/** Reads a numeric hyperparameter, accepting JSON numbers and numeric strings (jsonb often carries both). */
export function numberParam(
  algorithm: string,
  hyperparams: Record<string, unknown>,
  name: string,
  fallback: number,
): number {
  const value = hyperparams[name];
  if (value === undefined || value === null) return fallback;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new PgError(
      SqlState.InvalidParameterValue,
      `hyperparameter ${name} for ${algorithm} must be a number, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}
