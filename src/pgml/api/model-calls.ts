/**
 * What pgml.predict, predict_proba, predict_joint and decompose share: PostgresML 2.x's overloads
 * (a project name, meaning its deployed model, or a model id; the features as any numeric array
 * or, for models trained with `preprocess`, as a row), and their batch form (executeBatch) that
 * per-row evaluation uses: one engine call for thousands of rows. Each function's own file says
 * what it computes.
 */
import { z } from 'zod';
import { PgError, SqlState } from '../../errors/index.js';
import { defineFunction, param, type CallContext, type ProxyFunction, type ReturnSpec } from '../../functions/index.js';
import type { Row } from '../preparation/pipeline.js';
import { jsonbArgument } from './jsonb.js';
import type { LoadedModel } from '../serving/model-cache.js';
import { numericFeatures, resolveModel, type Features, type ModelRef } from '../serving/predictor.js';

/**
 * The feature types of each function's project-name overloads, as PostgresML 2.x declares them:
 * pgml.predict takes any numeric array, predict_proba, predict_joint and decompose `real[]` alone.
 * The set decides how Postgres resolves a call (`ARRAY[0.1, 2.0]` is numeric[]: one real[] overload
 * takes it, two float overloads make it ambiguous, 42725), so it must be PostgresML's exactly.
 */
export const PREDICT_FEATURE_TYPES = ['real[]', 'double precision[]', 'smallint[]', 'integer[]', 'bigint[]', 'boolean[]'] as const;
export const REAL_FEATURES = ['real[]'] as const;

export const projectName = z.string().nullable();
export const modelId = z.union([z.number(), z.bigint(), z.string()]).nullable();

/** The arguments of any of the overloads, as the helpers below read them. */
export interface ModelCallArgs {
  project_name?: string | null | undefined;
  model_id?: number | bigint | string | null | undefined;
  features?: unknown;
  row?: unknown;
}

/** The arguments shared by every row of a per-row call, unvalidated (ProxyFunction.prepareBatch). */
const SharedArgs = z.object({ project_name: projectName.optional(), model_id: modelId.optional() });

export type Compute = (model: LoadedModel, batch: Features[]) => Promise<unknown[]>;

export function modelRef(args: ModelCallArgs, fn: string): ModelRef {
  if (args.model_id !== undefined) {
    const id = Number(args.model_id);
    if (args.model_id === null || !Number.isSafeInteger(id)) throw new PgError(SqlState.NullValueNotAllowed, `${fn}: model_id must not be NULL`);
    return { modelId: id };
  }
  if (args.project_name === null || args.project_name === undefined) {
    throw new PgError(SqlState.NullValueNotAllowed, `${fn}: project_name must not be NULL`);
  }
  return { project: args.project_name };
}

function featuresOf(args: ModelCallArgs, fn: string): Features {
  if (args.row !== undefined) {
    if (args.row === null) throw new PgError(SqlState.NullValueNotAllowed, `${fn}: row must not be NULL`);
    return { kind: 'row', row: asRow(args.row) };
  }
  return { kind: 'vector', values: numericFeatures(args.features, `${fn}: features`) };
}

/** Rows arrive as jsonb objects (to_jsonb of the row); an anonymous ROW(...) has keys f1, f2... */
function asRow(value: unknown): Row {
  // A row given as text must be its jsonb form.
  const object = jsonbArgument(value, 'row');
  if (object === null || typeof object !== 'object') {
    throw new PgError(SqlState.InvalidParameterValue, 'a row of features was expected');
  }
  if (Array.isArray(object)) return object;
  const record = object as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 0 && keys.every((k, i) => k === `f${i + 1}`)) return keys.map((k) => record[k]);
  return record;
}

function refKey(ref: ModelRef): string {
  return 'modelId' in ref ? `id:${ref.modelId}` : `project:${ref.project}`;
}

/** Groups calls by model (normally one group), runs each group as one batch, keeps call order. */
async function runBatch(calls: readonly ModelCallArgs[], ctx: CallContext, fn: string, compute: Compute): Promise<unknown[]> {
  const groups = new Map<string, { ref: ModelRef; indexes: number[]; features: Features[] }>();
  calls.forEach((args, i) => {
    const ref = modelRef(args, fn);
    const key = refKey(ref);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ref, indexes: [], features: [] }));
    group.indexes.push(i);
    group.features.push(featuresOf(args, fn));
  });
  const results = new Array<unknown>(calls.length);
  for (const group of groups.values()) {
    const model = await resolveModel(ctx, group.ref);
    const values = await compute(model, group.features);
    group.indexes.forEach((index, k) => (results[index] = values[k]));
  }
  return results;
}

/** One call: runBatch's steps (the model named, the features read, then the model resolved) without its groups, ~1.5 KB of garbage a constant prediction. */
async function runOne(args: ModelCallArgs, ctx: CallContext, fn: string, compute: Compute): Promise<unknown> {
  const ref = modelRef(args, fn);
  const features = featuresOf(args, fn);
  const model = await resolveModel(ctx, ref);
  return (await compute(model, [features]))[0] ?? null;
}

/**
 * The overloads of pgml.<name>: (project_name text, features <each of featureTypes>),
 * (model_id bigint, features real[]) and, with `rowForm`, (project_name text, row anyelement) and
 * (model_id bigint, row anyelement) (PostgresML's predict_row and predict_model_row).
 */
export function modelCallOverloads(
  name: string,
  returns: ReturnSpec,
  compute: Compute,
  rowForm: boolean,
  featureTypes: readonly string[] = REAL_FEATURES,
): ProxyFunction[] {
  const fn = `pgml.${name}`;
  const overload = <P extends { features: ReturnType<typeof param> } | { row: ReturnType<typeof param> }>(params: P) =>
    defineFunction({
      schema: 'pgml',
      name,
      params,
      returns,
      execute: (args: ModelCallArgs, ctx) => runOne(args, ctx, fn, compute),
      // One engine call scores thousands of rows in less time than keying them would take.
      shareEqualRows: false,
      executeBatch: (calls: readonly ModelCallArgs[], ctx) => runBatch(calls, ctx, fn, compute),
      async prepareBatch(shared, ctx) {
        const parsed = SharedArgs.safeParse(shared);
        if (!parsed.success || (parsed.data.project_name === undefined && parsed.data.model_id === undefined)) return undefined;
        const model = await resolveModel(ctx, modelRef(parsed.data, fn));
        return (calls: readonly ModelCallArgs[]) => compute(model, calls.map((args) => featuresOf(args, fn)));
      },
    });
  const list = featureTypes.map((type) => overload({ project_name: param('text', projectName), features: param(type, z.unknown()) }));
  list.push(overload({ model_id: param('bigint', modelId), features: param('real[]', z.unknown()) }));
  if (rowForm) {
    list.push(overload({ project_name: param('text', projectName), row: param('anyelement', z.unknown()) }));
    list.push(overload({ model_id: param('bigint', modelId), row: param('anyelement', z.unknown()) }));
  }
  return list;
}
