/**
 * Turns feature values into model inputs and engine outputs into what the SQL functions return.
 * Every entry point takes a batch: a constant call is a batch of one, per-row evaluation sends
 * thousands of rows through one engine call on the worker pool.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { CallContext } from '../../functions/index.js';
import { decodeClass } from '../preparation/dataset.js';
import type { Row } from '../preparation/pipeline.js';
import { deployedModel } from '../store/index.js';
import type { Predicting } from './inline-queue.js';
import { loadModel, type LoadedModel } from './model-cache.js';
import './services.js';

/** A model named by its project (the deployed one) or by id. */
export type ModelRef = { project: string } | { modelId: number };

/** One call's features: a numeric vector, or a row (object keyed by column, or positional array). */
export type Features = { kind: 'vector'; values: readonly number[] } | { kind: 'row'; row: Row };

/** The model a call uses, from the shared caches when the caller's role may read it (access.ts). */
export async function resolveModel(ctx: CallContext, ref: ModelRef): Promise<LoadedModel> {
  const project = 'project' in ref ? ref.project : null;
  const caches = ctx.services.serving;
  // A served model's steady state: every answer known, taken without the three awaits below (their
  // promises were ~1 KB of garbage a prediction: BENCHMARKS.md, issue 16, lat3).
  const knownId = 'modelId' in ref ? ref.modelId : caches.deployments.cached(ref.project)?.modelId;
  if (knownId !== undefined && caches.access.knownReadable(ctx, knownId, project)) {
    const hit = caches.models.cached(knownId);
    if (hit) return hit;
  }
  const modelId = 'modelId' in ref ? ref.modelId : (await caches.deployments.lookup(ctx.db, ref.project)).modelId;
  if (await caches.access.canRead(ctx, modelId, project)) return caches.models.get(ctx.db, modelId);
  // Row-level security hides some of it from this role: read what it sees, as an uncached call would.
  return loadModel(ctx.db, project === null ? modelId : (await deployedModel(ctx.db, project)).modelId);
}

/** The model inputs for a batch, rows × pipeline width. */
export function inputMatrix(model: LoadedModel, batch: readonly Features[]): Float32Array {
  const { pipeline, stored } = model;
  const width = pipeline?.width ?? stored.numFeatures;
  const x = new Float32Array(batch.length * width);
  batch.forEach((features, r) => {
    if (features.kind === 'row') {
      if (pipeline === null) {
        throw new PgError(SqlState.FeatureNotSupported, `model ${stored.modelId} has no stored feature pipeline to read a row with`, {
          hint: 'pass the features as an array, e.g. pgml.predict(project, ARRAY[...])',
        });
      }
      x.set(pipeline.transformRow(features.row), r * width);
      return;
    }
    if (pipeline !== null) {
      x.set(pipeline.transformNumeric(features.values), r * width);
      return;
    }
    if (features.values.length !== width) {
      throw new PgError(SqlState.InvalidParameterValue, `expected ${width} features, received ${features.values.length}`);
    }
    x.set(features.values, r * width);
  });
  return x;
}

/**
 * A small batch of a model that has an in-thread form goes to it (inline.ts: straight to the model,
 * or to the queue that predicts concurrent small batches together in one native call on the event
 * loop); anything larger to the worker pool.
 */
function engineFor(model: LoadedModel, rows: number): Predicting {
  const inline = model.inline;
  return inline !== undefined && rows <= inline.maxRows ? inline.queue : model.engine;
}

function checkTask(model: LoadedModel, allowed: readonly string[], fn: string): void {
  if (!allowed.includes(model.stored.task)) {
    throw new PgError(SqlState.FeatureNotSupported, `${fn} is not supported for ${model.stored.task} projects`, {
      hint: `${fn} works for: ${allowed.join(', ')}`,
    });
  }
}

/**
 * pgml.predict: the value per row (class label for classification, cluster for clustering); for a
 * decomposition, the first component, as PostgresML answers (pgml.decompose gives them all).
 */
export async function predictBatch(model: LoadedModel, batch: readonly Features[]): Promise<number[]> {
  checkTask(model, ['regression', 'classification', 'clustering', 'decomposition'], 'pgml.predict');
  const out = await engineFor(model, batch.length).predict(inputMatrix(model, batch), batch.length);
  const outputs = batch.length === 0 ? 1 : out.length / batch.length;
  const values: number[] = new Array<number>(batch.length);
  for (let r = 0; r < batch.length; r++) values[r] = out[r * outputs] as number;
  const { labels, task } = model.stored;
  if (task !== 'classification' || labels === null) return values;
  return values.map((index) => classAsReal(decodeClass(labels, index), index));
}

/** rows × outputs as one array per row: predict_joint (joint regression) and decompose (PCA). */
export async function predictVectors(model: LoadedModel, batch: readonly Features[], fn: string): Promise<number[][]> {
  checkTask(model, fn === 'pgml.decompose' ? ['decomposition'] : ['regression'], fn);
  const out = await engineFor(model, batch.length).predict(inputMatrix(model, batch), batch.length);
  return rowsOf(out, batch.length);
}

/** pgml.predict_proba: class probabilities per row, in class order. */
export async function predictProba(model: LoadedModel, batch: readonly Features[]): Promise<number[][]> {
  checkTask(model, ['classification'], 'pgml.predict_proba');
  const engine = engineFor(model, batch.length);
  if (!engine.predictProba) {
    throw new PgError(SqlState.FeatureNotSupported, `${model.stored.algorithm} does not produce class probabilities`);
  }
  const out = await engine.predictProba(inputMatrix(model, batch), batch.length);
  return rowsOf(out, batch.length);
}

function rowsOf(out: Float32Array, rows: number): number[][] {
  const width = rows === 0 ? 0 : out.length / rows;
  return Array.from({ length: rows }, (_, r) => Array.from(out.subarray(r * width, (r + 1) * width)));
}

/** pgml.predict returns real: numeric labels as themselves, booleans as 0/1, text labels by index. */
function classAsReal(value: number | string | boolean, index: number): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? n : index;
}

/** Reads a SQL array argument as numbers: NULL elements become NaN (imputed or refused by the pipeline). */
export function numericFeatures(value: unknown, argument: string): readonly number[] {
  if (value === null || value === undefined) {
    throw new PgError(SqlState.NullValueNotAllowed, `${argument} must not be NULL`);
  }
  const items: unknown[] = ArrayBuffer.isView(value) ? Array.from(value as unknown as ArrayLike<unknown>) : (value as unknown[]);
  if (!Array.isArray(items)) {
    throw new PgError(SqlState.InvalidParameterValue, `${argument} must be an array of numbers`);
  }
  // A flat array of numbers (the common case) needs no flattening nor conversion.
  if (items.every((item) => typeof item === 'number')) return items as number[];
  return items.flat(Infinity).map((item, i) => {
    if (item === null) return Number.NaN;
    if (typeof item === 'number') return item;
    if (typeof item === 'boolean') return item ? 1 : 0;
    if (typeof item === 'bigint') return Number(item);
    if (typeof item === 'string' && item.trim() !== '' && Number.isFinite(Number(item))) return Number(item);
    throw new PgError(SqlState.InvalidTextRepresentation, `${argument} element ${i + 1} is not a number: ${JSON.stringify(item)}`);
  });
}
