/**
 * pgml.train's arguments as they arrive from SQL (constants decoded by the proxy, or client
 * parameters in text) → a validated TrainRequest with PostgresML's defaults. A NULL argument means
 * the default, as with PostgresML's Option parameters.
 */
import { z } from 'zod';
import { PgError, SqlState } from '../../errors/index.js';
import type { Task } from '../engines/engine.js';
import { parseSampling } from '../domain/sampling.js';
import { parseSearch } from '../domain/search.js';
import type { TrainRequest } from './train.js';

const TASKS: readonly Task[] = ['regression', 'classification', 'clustering', 'decomposition'];

const text = z.string().nullable().optional();
const anyValue = z.unknown().optional();

/** Parameters shared by pgml.train and pgml.train_joint, by PostgresML's names. */
export const trainArgShape = {
  project_name: z.string().nullable(),
  task: text,
  relation_name: text,
  algorithm: text,
  hyperparams: anyValue,
  search: text,
  search_params: anyValue,
  search_args: anyValue,
  test_size: z.union([z.number(), z.string()]).nullable().optional(),
  test_sampling: text,
  runtime: text,
  automatic_deploy: z.union([z.boolean(), z.string()]).nullable().optional(),
  materialize_snapshot: z.union([z.boolean(), z.string()]).nullable().optional(),
  preprocess: anyValue,
};

/**
 * The parameter list both functions declare (y_column_name's type differs: text vs text[]), typed as
 * PostgresML declares them: its enums (migrations/0002) for algorithm, search, test_sampling and
 * runtime, so `'xgboost'::pgml.algorithm` resolves as it does there and a bare literal still does.
 */
export function trainParams(yColumnType: 'text' | 'text[]'): { name: string; type: string; hasDefault: boolean }[] {
  return [
    { name: 'project_name', type: 'text', hasDefault: false },
    { name: 'task', type: 'text', hasDefault: true },
    { name: 'relation_name', type: 'text', hasDefault: true },
    { name: 'y_column_name', type: yColumnType, hasDefault: true },
    { name: 'algorithm', type: 'pgml.algorithm', hasDefault: true },
    { name: 'hyperparams', type: 'jsonb', hasDefault: true },
    { name: 'search', type: 'pgml.search', hasDefault: true },
    { name: 'search_params', type: 'jsonb', hasDefault: true },
    { name: 'search_args', type: 'jsonb', hasDefault: true },
    { name: 'test_size', type: 'real', hasDefault: true },
    { name: 'test_sampling', type: 'pgml.sampling', hasDefault: true },
    { name: 'runtime', type: 'pgml.runtime', hasDefault: true },
    { name: 'automatic_deploy', type: 'boolean', hasDefault: true },
    { name: 'materialize_snapshot', type: 'boolean', hasDefault: true },
    { name: 'preprocess', type: 'jsonb', hasDefault: true },
  ];
}

export const TRAIN_RETURNS = {
  kind: 'table' as const,
  columns: [
    { name: 'project', type: 'text' },
    { name: 'task', type: 'text' },
    { name: 'algorithm', type: 'text' },
    { name: 'deployed', type: 'boolean' },
  ],
};

type TrainArgs = { [K in keyof typeof trainArgShape]?: unknown } & { project_name: string | null };

export function trainRequest(args: TrainArgs, yColumnNames: string[] | null): TrainRequest {
  if (args.project_name === null || args.project_name.trim() === '') {
    throw new PgError(SqlState.NullValueNotAllowed, 'project_name must not be NULL or empty');
  }
  return {
    projectName: args.project_name,
    task: parseTask(args.task),
    relationName: (args.relation_name as string | null | undefined) ?? null,
    yColumnNames,
    algorithm: ((args.algorithm as string | null | undefined) ?? 'linear').toLowerCase(),
    hyperparams: jsonObject('hyperparams', args.hyperparams),
    search: parseSearch(args.search ?? null),
    searchParams: args.search_params ?? {},
    searchArgs: args.search_args ?? {},
    testSize: testSize(args.test_size),
    testSampling: parseSampling(args.test_sampling ?? 'stratified'),
    runtime: parseRuntime(args.runtime),
    automaticDeploy: bool('automatic_deploy', args.automatic_deploy, true),
    materializeSnapshot: bool('materialize_snapshot', args.materialize_snapshot, false),
    preprocess: args.preprocess ?? {},
  };
}

function parseTask(value: unknown): Task | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && (TASKS as readonly string[]).includes(value)) return value as Task;
  throw new PgError(SqlState.InvalidParameterValue, `invalid task: ${JSON.stringify(value)}`, {
    hint: `tasks pgml-proxy trains: ${TASKS.join(', ')}`,
  });
}

/** PostgresML's runtime picks Python or Rust bindings; our engines choose theirs, so only validate. */
function parseRuntime(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value === 'python' || value === 'rust') return value;
  throw new PgError(SqlState.InvalidParameterValue, `invalid runtime: ${JSON.stringify(value)}`, { hint: 'valid values: python, rust' });
}

function testSize(value: unknown): number {
  if (value === null || value === undefined) return 0.25;
  const n = typeof value === 'string' ? Number(value) : (value as number);
  if (!Number.isFinite(n) || n < 0) {
    throw new PgError(SqlState.InvalidParameterValue, `test_size must be a fraction below 1 or a row count, not ${String(value)}`);
  }
  return n;
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === null || value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  const t = String(value).trim().toLowerCase();
  if (['t', 'true', 'yes', 'on', '1'].includes(t)) return true;
  if (['f', 'false', 'no', 'off', '0'].includes(t)) return false;
  throw new PgError(SqlState.InvalidTextRepresentation, `invalid input syntax for type boolean: "${String(value)}" (${name})`);
}

export function jsonObject(name: string, value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new PgError(SqlState.InvalidTextRepresentation, 'invalid input syntax for type json', { detail: `${name} is not valid JSON.` });
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PgError(SqlState.InvalidParameterValue, `${name} must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}
