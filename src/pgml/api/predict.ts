/**
 * pgml.predict, predict_proba, predict_joint, predict_batch and decompose, with PostgresML 2.x's
 * signatures: a project name (its deployed model) or a model id, and the features as any numeric
 * array or, for models trained with `preprocess`, as a row. Each function also has a batch form
 * (executeBatch) that per-row evaluation uses: one engine call for thousands of rows.
 */
import { z } from 'zod';
import type { CallContext, ParamSpec, ProxyFunction, ReturnSpec } from '../../db/functions.js';
import { PgError, SqlState } from '../../errors/index.js';
import type { Row } from '../domain/pipeline.js';
import {
  numericFeatures,
  predictBatch,
  predictProba,
  predictVectors,
  resolveModel,
  type Features,
  type ModelRef,
} from '../serving/predictor.js';
import type { LoadedModel } from '../serving/model-cache.js';

const NUMERIC_ARRAYS = ['real[]', 'double precision[]', 'smallint[]', 'integer[]', 'bigint[]', 'boolean[]'] as const;

const Args = z.object({
  project_name: z.string().nullable().optional(),
  model_id: z.union([z.number(), z.bigint(), z.string()]).nullable().optional(),
  features: z.unknown().optional(),
  row: z.unknown().optional(),
});
type Args = z.infer<typeof Args>;

type Compute = (model: LoadedModel, batch: Features[]) => Promise<unknown[]>;

function modelRef(args: Args, fn: string): ModelRef {
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

function featuresOf(args: Args, fn: string): Features {
  if (args.row !== undefined) {
    if (args.row === null) throw new PgError(SqlState.NullValueNotAllowed, `${fn}: row must not be NULL`);
    return { kind: 'row', row: asRow(args.row) };
  }
  return { kind: 'vector', values: numericFeatures(args.features, `${fn}: features`) };
}

/** Rows arrive as jsonb objects (to_jsonb of the row); an anonymous ROW(...) has keys f1, f2... */
function asRow(value: unknown): Row {
  const object = typeof value === 'string' ? jsonRow(value) : value;
  if (object === null || typeof object !== 'object') {
    throw new PgError(SqlState.InvalidParameterValue, 'a row of features was expected');
  }
  if (Array.isArray(object)) return object;
  const record = object as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 0 && keys.every((k, i) => k === `f${i + 1}`)) return keys.map((k) => record[k]);
  return record;
}

/** A row given as text must be its jsonb form; anything else fails in Postgres's words. */
function jsonRow(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PgError(SqlState.InvalidTextRepresentation, 'invalid input syntax for type json', {
      detail: 'A row of features is passed as a row value or as its jsonb form.',
    });
  }
}

function refKey(ref: ModelRef): string {
  return 'modelId' in ref ? `id:${ref.modelId}` : `project:${ref.project}`;
}

/** Groups calls by model (normally one group), runs each group as one batch, keeps call order. */
async function runBatch(calls: readonly Args[], ctx: CallContext, fn: string, compute: Compute): Promise<unknown[]> {
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

function overloads(name: string, returns: ReturnSpec, compute: Compute, rowForm: boolean): ProxyFunction<Args>[] {
  const fn = `pgml.${name}`;
  const make = (params: ParamSpec[]): ProxyFunction<Args> => ({
    signature: { schema: 'pgml', name, params, returns },
    args: Args,
    execute: async (args, ctx) => (await runBatch([args], ctx, fn, compute))[0] ?? null,
    executeBatch: (calls, ctx) => runBatch(calls, ctx, fn, compute),
    async prepareBatch(shared, ctx) {
      const parsed = Args.safeParse(shared);
      if (!parsed.success || (parsed.data.project_name === undefined && parsed.data.model_id === undefined)) return undefined;
      const model = await resolveModel(ctx, modelRef(parsed.data, fn));
      return (calls) => compute(model, calls.map((args) => featuresOf(args, fn)));
    },
  });
  const list = NUMERIC_ARRAYS.map((type) =>
    make([
      { name: 'project_name', type: 'text', hasDefault: false },
      { name: 'features', type, hasDefault: false },
    ]),
  );
  list.push(
    make([
      { name: 'model_id', type: 'bigint', hasDefault: false },
      { name: 'features', type: 'real[]', hasDefault: false },
    ]),
  );
  if (rowForm) {
    list.push(
      make([
        { name: 'project_name', type: 'text', hasDefault: false },
        { name: 'row', type: 'anyelement', hasDefault: false },
      ]),
    );
  }
  return list;
}

export const predict = overloads('predict', { kind: 'scalar', type: 'real' }, (m, b) => predictBatch(m, b), true);
export const predictProbaFns = overloads('predict_proba', { kind: 'scalar', type: 'real[]' }, (m, b) => predictProba(m, b), true);
export const predictJoint = overloads(
  'predict_joint',
  { kind: 'scalar', type: 'real[]' },
  (m, b) => predictVectors(m, b, 'pgml.predict_joint'),
  true,
);
export const decompose = overloads('decompose', { kind: 'scalar', type: 'real[]' }, (m, b) => predictVectors(m, b, 'pgml.decompose'), false);

const BatchArgs = z.object({
  project_name: z.string().nullable().optional(),
  model_id: z.union([z.number(), z.bigint(), z.string()]).nullable().optional(),
  features: z.unknown(),
});
type BatchArgs = z.infer<typeof BatchArgs>;

/**
 * pgml.predict_batch(project_name | model_id, features real[]): the features of many rows
 * flattened into one array, one prediction per row (PostgresML splits by the model's feature count).
 */
function predictBatchOverload(model: ParamSpec): ProxyFunction<BatchArgs> {
  return {
    signature: {
      schema: 'pgml',
      name: 'predict_batch',
      params: [model, { name: 'features', type: 'real[]', hasDefault: false }],
      returns: { kind: 'setof', type: 'real' },
    },
    args: BatchArgs,
    async execute(args, ctx) {
      const ref = modelRef(args, 'pgml.predict_batch');
      const values = numericFeatures(args.features, 'pgml.predict_batch: features');
      const model = await resolveModel(ctx, ref);
      const width = model.pipeline?.rawWidth ?? model.stored.numFeatures;
      if (width === 0 || values.length % width !== 0) {
        throw new PgError(
          SqlState.InvalidParameterValue,
          `pgml.predict_batch: ${values.length} values are not a whole number of rows of ${width} features`,
        );
      }
      const batch: Features[] = [];
      for (let at = 0; at < values.length; at += width) batch.push({ kind: 'vector', values: values.slice(at, at + width) });
      return predictBatch(model, batch);
    },
  };
}

export const predictBatchFns = [
  predictBatchOverload({ name: 'project_name', type: 'text', hasDefault: false }),
  predictBatchOverload({ name: 'model_id', type: 'bigint', hasDefault: false }),
];

/** Every serving function, for registration. */
export const servingFunctions: ProxyFunction<never>[] = [
  ...predict,
  ...predictProbaFns,
  ...predictJoint,
  ...decompose,
  ...predictBatchFns,
] as unknown as ProxyFunction<never>[];
