/**
 * The SQL for one /rpc call. Arguments travel as text parameters cast to the parameter's declared
 * type, so Postgres itself parses them (a wrong type is Postgres' own 22P02) and overload
 * resolution is exact. The result is turned into JSON by Postgres, as PostgREST does, so number,
 * date and json values come out exactly as Postgres renders them.
 */
import pg from 'pg';
import type { RpcFunction, RpcParam } from './schema-cache.js';

export interface CallSql {
  sql: string;
  params: (string | null)[];
}

/** Argument values as they arrived: JSON values from a body, strings (or repeated strings) from a query string. */
export type ArgValue = unknown;

/** `singular`: the client asked for one object (vnd.pgrst.object+json), so a set yields its only element. */
export function buildCall(fn: RpcFunction, args: ReadonlyMap<string, ArgValue>, wholeBody: string | undefined, singular: boolean): CallSql {
  const params: (string | null)[] = [];
  const argSql: string[] = [];
  if (wholeBody !== undefined) {
    params.push(wholeBody);
    argSql.push(`$1::${fn.params[0]!.type}`);
  } else {
    for (const param of fn.params) {
      if (!args.has(param.name)) continue;
      params.push(encodeArg(param, args.get(param.name)));
      const variadic = param.variadic ? 'VARIADIC ' : '';
      argSql.push(`${variadic}${pg.escapeIdentifier(param.name)} => $${params.length}::${param.type}`);
    }
  }
  const call = `${pg.escapeIdentifier(fn.schema)}.${pg.escapeIdentifier(fn.name)}(${argSql.join(', ')})`;
  // `body` is the JSON text of the response, `n` the number of rows it was made of (for
  // vnd.pgrst.object+json and Content-Range).
  switch (fn.shape) {
    case 'void':
      return { sql: `SELECT ${call}`, params };
    case 'scalar':
      return { sql: `SELECT to_json(${call})::text AS body, 1 AS n`, params };
    case 'setofScalar':
      return {
        sql: `SELECT ${aggregate('pgrst_call.pgrst_scalar', singular)} AS body, count(*)::int AS n FROM ${call} AS pgrst_call(pgrst_scalar)`,
        params,
      };
    case 'row':
    case 'setofRow': {
      // The subquery's whole-row value keeps column names even for a single OUT column, which a
      // function's own whole-row value would not.
      const agg = aggregate('pgrst_row', fn.shape === 'row' || singular);
      return {
        sql: `SELECT ${agg} AS body, count(*)::int AS n FROM (SELECT pgrst_call.* FROM ${call} AS pgrst_call) AS pgrst_row`,
        params,
      };
    }
  }
}

function aggregate(value: string, single: boolean): string {
  return single ? `coalesce((json_agg(${value}) -> 0)::text, 'null')` : `coalesce(json_agg(${value}), '[]')::text`;
}

/** Text input for Postgres: JSON scalars as their text, arrays as array literals for array types. */
export function encodeArg(param: RpcParam, value: ArgValue): string | null {
  if (value === null || value === undefined) return null;
  if (param.type === 'json' || param.type === 'jsonb') return JSON.stringify(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && (param.type.endsWith('[]') || param.variadic)) return arrayLiteral(value);
  // Objects for composite types, or arrays for non-array types: Postgres judges the text.
  return JSON.stringify(value);
}

function arrayLiteral(values: readonly unknown[]): string {
  return `{${values.map(arrayElement).join(',')}}`;
}

function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return arrayLiteral(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
