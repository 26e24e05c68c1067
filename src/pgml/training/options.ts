/**
 * pgml.train's arguments as they arrive from SQL (constants decoded by the proxy, or client
 * parameters in text) → a validated TrainRequest with PostgresML's defaults. A NULL argument means
 * the default, as with PostgresML's Option parameters.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { Task } from '../domain/task.js';
import { parseSampling } from '../preparation/sampling.js';
import { parseSearch } from './search-plan.js';
import type { TrainRequest } from './train.js';

const TASKS: readonly Task[] = ['regression', 'classification', 'clustering', 'decomposition'];

/** pgml.train's arguments by PostgresML's names (api/train-params.ts declares them). */
type TrainArgs = { project_name: string | null } & Partial<
  Record<
    | 'task'
    | 'relation_name'
    | 'algorithm'
    | 'hyperparams'
    | 'search'
    | 'search_params'
    | 'search_args'
    | 'test_size'
    | 'test_sampling'
    | 'runtime'
    | 'automatic_deploy'
    | 'materialize_snapshot'
    | 'preprocess',
    unknown
  >
>;

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
