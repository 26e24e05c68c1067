/**
 * From a boosted model's raw scores (rows × outputs: one log-odds column for binary, one per class
 * otherwise) to what pgml serves, as scikit-learn's gradient boosting does it: sigmoid or softmax for
 * probabilities, the sign or the argmax for the class; and the serving half of the engines built on
 * raw scores (gradient_boosting_trees, hist_gradient_boosting).
 */
import { PgError, SqlState } from '../../errors/index.js';
import { checkHyperparamNames, type Dataset, type Engine, type FitOptions, type Task } from './engine.js';
import { checkPredictShape, choiceParam, encodeModel, notFitted, requireFinite, requireLabels, requireTask } from './engine-support.js';

export interface RawScoreState {
  task: 'regression' | 'classification';
  cols: number;
  /** Raw scores per row: 1 (regression, binary) or the class count. */
  outputs: number;
}

/**
 * What a boosted fit checks before it starts: hyperparameter names, the task, finite features, the
 * labels, and the loss, which scikit-learn fixes per task (squared_error or log_loss).
 */
export function boostingInputs(
  algorithm: string,
  data: Dataset,
  options: FitOptions,
  hyperparams: readonly string[],
  tasks: readonly Task[],
): { task: RawScoreState['task']; y: Float32Array } {
  checkHyperparamNames(algorithm, options.hyperparams, hyperparams);
  const task = requireTask(algorithm, options, tasks) as RawScoreState['task'];
  requireFinite(algorithm, data.x);
  const y = requireLabels(algorithm, data);
  const loss = task === 'regression' ? 'squared_error' : 'log_loss';
  choiceParam(algorithm, options.hyperparams, 'loss', loss, [loss]);
  return { task, y };
}

/** predict, predict_proba and serialize from a fitted state and its raw scores. */
export abstract class RawScoreEngine<S extends RawScoreState> implements Engine {
  readonly runtime = 'js' as const;

  constructor(
    readonly algorithm: string,
    private readonly format: string,
    protected state?: S,
  ) {}

  abstract fit(data: Dataset, options: FitOptions): Promise<void>;

  protected abstract rawScores(state: S, x: Float32Array, rows: number): Float64Array;

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted(x, rows);
    const raw = this.rawScores(state, x, rows);
    return state.task === 'regression' ? Float32Array.from(raw) : rawToClasses(raw, rows, state.outputs);
  }

  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted(x, rows);
    if (state.task !== 'classification') {
      throw new PgError(SqlState.FeatureNotSupported, `${this.algorithm} regression does not produce probabilities`);
    }
    return rawToProbaMatrix(this.rawScores(state, x, rows), rows, state.outputs);
  }

  async serialize(): Promise<Uint8Array> {
    if (!this.state) throw notFitted(this.algorithm);
    return encodeModel(this.format, this.state);
  }

  private fitted(x: Float32Array, rows: number): S {
    if (!this.state) throw notFitted(this.algorithm);
    checkPredictShape(this.algorithm, x, rows, this.state.cols);
    return this.state;
  }
}

/** Sigmoid (one raw score per row) or softmax (one per class) into out, rows × outputs. */
export function rawToProbabilities(raw: Float64Array, rows: number, outputs: number, out: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    if (outputs === 1) {
      out[r] = 1 / (1 + Math.exp(-raw[r]!));
      continue;
    }
    let max = -Infinity;
    for (let k = 0; k < outputs; k++) max = Math.max(max, raw[r * outputs + k]!);
    let sum = 0;
    for (let k = 0; k < outputs; k++) sum += out[r * outputs + k] = Math.exp(raw[r * outputs + k]! - max);
    for (let k = 0; k < outputs; k++) out[r * outputs + k]! /= sum;
  }
}

export function rawToClasses(raw: Float64Array, rows: number, outputs: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    if (outputs === 1) {
      out[r] = raw[r]! > 0 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let k = 1; k < outputs; k++) if (raw[r * outputs + k]! > raw[r * outputs + best]!) best = k;
    out[r] = best;
  }
  return out;
}

/** rows × numClasses probabilities; a binary model's single column becomes (1 - p, p). */
export function rawToProbaMatrix(raw: Float64Array, rows: number, outputs: number): Float32Array {
  const prob = new Float64Array(raw.length);
  rawToProbabilities(raw, rows, outputs, prob);
  if (outputs > 1) return Float32Array.from(prob);
  const out = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    out[2 * r] = 1 - prob[r]!;
    out[2 * r + 1] = prob[r]!;
  }
  return out;
}

/**
 * The raw score before the first tree (sklearn's init estimator / the loss's intercept-only fit) over
 * the given rows: the mean; the log-odds of class 1; log class shares (softmax is shift-invariant).
 */
export function priorRawScores(task: RawScoreState['task'], y: Float32Array, rows: Int32Array, numClasses: number): Float64Array {
  if (task === 'regression') {
    let sum = 0;
    for (const r of rows) sum += y[r]!;
    return Float64Array.of(sum / rows.length);
  }
  const counts = new Float64Array(numClasses);
  for (const r of rows) counts[y[r]!]! += 1;
  const eps = Number.EPSILON;
  const shares = Float64Array.from(counts, (c) => Math.min(Math.max(c / rows.length, eps), 1 - eps));
  if (numClasses === 2) return Float64Array.of(Math.log(shares[1]! / (1 - shares[1]!)));
  return Float64Array.from(shares, (p) => Math.log(p));
}
