/**
 * Helpers shared by the scikit-learn-compatible engines: typed hyperparameter readers (PostgresML
 * hands hyperparams straight to sklearn constructors, so the names and defaults are sklearn's),
 * JSON and binary model envelopes, a seeded PRNG and the small dense-matrix chores every engine repeats.
 */
import { PgError, SqlState } from '../../errors/index.js';
import { numberParam, type Dataset, type FitOptions, type Task } from './engine.js';

/** Engines draw from the same generator as sampling (random.ts). */
export { seededDraw, seededRandom, shuffle as shuffleInPlace } from '../random.js';

export function invalidParam(algorithm: string, name: string, expected: string, value: unknown): PgError {
  return new PgError(
    SqlState.InvalidParameterValue,
    `hyperparameter ${name} for ${algorithm} must be ${expected}, got ${JSON.stringify(value)}`,
  );
}

export function intParam(
  algorithm: string,
  hyperparams: Record<string, unknown>,
  name: string,
  fallback: number,
  min = 1,
): number {
  const n = numberParam(algorithm, hyperparams, name, fallback);
  if (!Number.isInteger(n) || n < min) throw invalidParam(algorithm, name, `an integer >= ${min}`, hyperparams[name]);
  return n;
}

/** A number constrained to a range; `exclusiveMin` for parameters like C and alpha-in-some-models that must be > 0. */
export function rangeParam(
  algorithm: string,
  hyperparams: Record<string, unknown>,
  name: string,
  fallback: number,
  range: { min?: number; max?: number; exclusiveMin?: boolean },
): number {
  const n = numberParam(algorithm, hyperparams, name, fallback);
  const { min = -Infinity, max = Infinity, exclusiveMin = false } = range;
  if (n > max || n < min || (exclusiveMin && n === min)) {
    const lower = min === -Infinity ? '' : `${exclusiveMin ? '>' : '>='} ${min}`;
    const upper = max === Infinity ? '' : `<= ${max}`;
    throw invalidParam(algorithm, name, `a number ${[lower, upper].filter(Boolean).join(' and ')}`, hyperparams[name]);
  }
  return n;
}

export function boolParam(
  algorithm: string,
  hyperparams: Record<string, unknown>,
  name: string,
  fallback: boolean,
): boolean {
  const value = hyperparams[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw invalidParam(algorithm, name, 'a boolean', value);
}

export function choiceParam<T extends string>(
  algorithm: string,
  hyperparams: Record<string, unknown>,
  name: string,
  fallback: T,
  choices: readonly T[],
): T {
  const value = hyperparams[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw invalidParam(algorithm, name, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, value);
}

/** sklearn's random_state: absent means "not reproducible", so draw a seed once and keep it in the model. */
export function seedParam(algorithm: string, hyperparams: Record<string, unknown>): number {
  const fallback = Math.floor(Math.random() * 0x7fffffff);
  return intParam(algorithm, hyperparams, 'random_state', fallback, 0) >>> 0;
}

export function requireTask(algorithm: string, options: FitOptions, supported: readonly Task[]): Task {
  if (!supported.includes(options.task)) {
    throw new PgError(
      SqlState.FeatureNotSupported,
      `${algorithm} does not support the ${options.task} task`,
      { hint: `${algorithm} supports: ${supported.join(', ')}` },
    );
  }
  return options.task;
}

/** Labels for supervised fits; joint (multi-column) targets are refused where the algorithm has one output. */
export function requireLabels(algorithm: string, data: Dataset): Float32Array {
  if (!data.y || data.y.length !== data.rows * (data.yCols ?? 1)) {
    throw new PgError(SqlState.InvalidParameterValue, `${algorithm} needs one label per training row`);
  }
  if ((data.yCols ?? 1) !== 1) {
    throw new PgError(SqlState.FeatureNotSupported, `${algorithm} supports a single label column only`);
  }
  return data.y;
}

export function requireNumClasses(algorithm: string, options: FitOptions): number {
  const k = options.numClasses;
  if (k === undefined || !Number.isInteger(k) || k < 2) {
    throw new PgError(SqlState.InvalidParameterValue, `${algorithm} classification needs at least 2 classes`);
  }
  return k;
}

/** The pure-JS solvers cannot impute; NaN would silently poison every coefficient. */
export function requireFinite(algorithm: string, x: Float32Array): void {
  // v·0 is NaN exactly when v is NaN or ±∞: branch-free sums instead of a test per value (3× faster
  // over a 75,000 × 30 matrix, where the per-value test cost as much as a linear fit's XᵀX). Four
  // independent sums, since one waits on each addition's latency; a NaN stays NaN in any order.
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  const n = x.length;
  if (n < 4) {
    for (let i = 0; i < n; i++) p0 += x[i]! * 0;
  } else {
    // A length that is not a multiple of four ends with one more block of four overlapping the last
    // (a value read twice changes no sum's NaN-ness), in the same loop body: a separate tail loop had
    // no type feedback after the warm-up's 360-value sets, and a user's first fit on diabetes (3,310
    // values) deoptimized this function at its tail, every engine's (BENCHMARKS.md, small2).
    const lastBlock = n - 4;
    for (let i = 0; ; ) {
      p0 += x[i]! * 0;
      p1 += x[i + 1]! * 0;
      p2 += x[i + 2]! * 0;
      p3 += x[i + 3]! * 0;
      i += 4;
      if (i > lastBlock) {
        if (i === n) break;
        // The overlapping block, the last: i === n after it.
        i = lastBlock;
      }
    }
  }
  const poisoned = p0 + p1 + p2 + p3;
  if (poisoned !== 0) {
    throw new PgError(SqlState.InvalidParameterValue, `${algorithm} cannot handle missing (NULL/NaN) feature values`, {
      hint: 'impute them with preprocess => \'{"column": {"impute": "mean"}}\'',
    });
  }
}

export function checkPredictShape(algorithm: string, x: Float32Array, rows: number, cols: number): void {
  if (x.length !== rows * cols) {
    throw new PgError(
      SqlState.InvalidParameterValue,
      `${algorithm} model expects ${cols} features per row, got ${rows > 0 ? x.length / rows : x.length}`,
    );
  }
}

export function notFitted(algorithm: string): PgError {
  return new PgError(SqlState.ObjectNotInPrerequisiteState, `${algorithm} model has not been trained`);
}

export function toRows(x: Float32Array, rows: number, cols: number): number[][] {
  const out = new Array<number[]>(rows);
  for (let r = 0; r < rows; r++) out[r] = Array.from(x.subarray(r * cols, (r + 1) * cols));
  return out;
}

export function argmaxRows(scores: Float32Array | Float64Array, rows: number, k: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (scores[r * k + c]! > scores[r * k + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/** Column means, for centring (fit_intercept) and for PCA. */
export function columnMeans(x: Float32Array | Float64Array, rows: number, cols: number): Float64Array {
  const means = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) means[c]! += x[r * cols + c]!;
  for (let c = 0; c < cols; c++) means[c]! /= Math.max(rows, 1);
  return means;
}

export function wrongModel(expected: string, actual: unknown): PgError {
  return new PgError(SqlState.DataCorrupted, `stored model is a ${String(actual)} model, not ${expected}`);
}

/** Models persist as versioned JSON: plain numbers round-trip float64 exactly through JSON. */
/**
 * 53200 for a training that needs more than an engine thread's heap bound (--fit-memory-mb): the pool's
 * answer when V8 ends the thread (pool.ts), and an engine's when it knows beforehand (neural-network.ts).
 */
export function perFitMemoryError(what: string, memoryMb: number | undefined, detail?: string): PgError {
  return new PgError(SqlState.OutOfMemory, `out of memory: ${what} needed more than the per-fit memory bound of ${memoryMb} MB`, {
    ...(detail === undefined ? {} : { detail }),
    hint: 'Train on fewer rows or with smaller hyperparameters, or raise --fit-memory-mb.',
  });
}

export function encodeModel(format: string, state: object): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ format, version: 1, ...state }));
}

/**
 * Models whose JSON would pass V8's longest string (2^29 - 24 characters; a fully grown forest over
 * 75,000 rows does) persist as bytes: a magic, a JSON header, then typed arrays in the platform's
 * (little-endian) order, each 8-byte aligned so that decoding makes views instead of copies.
 */
const BINARY_MAGIC = new TextEncoder().encode('PGMLBIN\n');

export type ModelArray = Int32Array | Float64Array;

export function encodeBinaryModel(format: string, header: object, arrays: readonly ModelArray[]): Uint8Array {
  const layout = arrays.map((a) => ({ type: a instanceof Int32Array ? 'int32' : 'float64', length: a.length }));
  const json = new TextEncoder().encode(JSON.stringify({ format, version: 2, ...header, arrays: layout }));
  let offset = align8(BINARY_MAGIC.length + 4 + json.length);
  const starts = arrays.map((a) => {
    const start = offset;
    offset = align8(offset + a.byteLength);
    return start;
  });
  const out = new Uint8Array(offset);
  out.set(BINARY_MAGIC, 0);
  new DataView(out.buffer).setUint32(BINARY_MAGIC.length, json.length, true);
  out.set(json, BINARY_MAGIC.length + 4);
  arrays.forEach((a, i) => out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), starts[i]!));
  return out;
}

export function isBinaryModel(bytes: Uint8Array): boolean {
  return bytes.length >= BINARY_MAGIC.length + 4 && BINARY_MAGIC.every((b, i) => bytes[i] === b);
}

export function decodeBinaryModel<T>(format: string, bytes: Uint8Array): { header: T; arrays: ModelArray[] } {
  const corrupt = (why: string) => new PgError(SqlState.DataCorrupted, `stored ${format} model is damaged: ${why}`);
  if (!isBinaryModel(bytes)) throw corrupt('it does not start with the binary model header');
  // Views need 8-byte alignment; a Buffer from the connection's pool may start anywhere.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const view = new DataView(aligned.buffer, aligned.byteOffset, aligned.byteLength);
  const jsonLength = view.getUint32(BINARY_MAGIC.length, true);
  const jsonStart = BINARY_MAGIC.length + 4;
  if (jsonStart + jsonLength > aligned.length) throw corrupt('its header is cut short');
  let header: { format?: unknown; version?: unknown; arrays?: { type: string; length: number }[] };
  try {
    header = JSON.parse(new TextDecoder().decode(aligned.subarray(jsonStart, jsonStart + jsonLength)));
  } catch {
    throw corrupt('its header is not valid JSON');
  }
  if (header?.format !== format || header.version !== 2 || !Array.isArray(header.arrays)) {
    throw new PgError(SqlState.DataCorrupted, `stored model is not a ${format} model (version 2)`);
  }
  let offset = align8(jsonStart + jsonLength);
  const arrays = header.arrays.map(({ type, length }) => {
    const size = type === 'int32' ? 4 : 8;
    if (!Number.isInteger(length) || length < 0 || offset + length * size > aligned.length) {
      throw corrupt('an array runs past its end');
    }
    const at = aligned.byteOffset + offset;
    const array = type === 'int32' ? new Int32Array(aligned.buffer, at, length) : new Float64Array(aligned.buffer, at, length);
    offset = align8(offset + array.byteLength);
    return array;
  });
  return { header: header as T, arrays };
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

export function decodeModel<T>(format: string, bytes: Uint8Array): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new PgError(SqlState.DataCorrupted, `stored ${format} model is not valid JSON`);
  }
  const envelope = parsed as { format?: unknown; version?: unknown };
  if (envelope?.format !== format || envelope.version !== 1) {
    throw new PgError(SqlState.DataCorrupted, `stored model is not a ${format} model (version 1)`);
  }
  return parsed as T;
}

/** decodeModel for formats several algorithms share: the state must also be of `algorithm`. */
export function decodeState<T extends { algorithm: string }>(format: string, algorithm: string, bytes: Uint8Array): T {
  const state = decodeModel<T>(format, bytes);
  if (state.algorithm !== algorithm) throw wrongModel(algorithm, state.algorithm);
  return state;
}
