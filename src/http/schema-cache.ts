/**
 * The functions callable under /rpc: every plain function in the exposed schemas, read from
 * pg_proc (PostgREST's schema cache, docs/references/schema_cache.rst), and the rules that pick
 * one overload for a set of argument names.
 */
import { CoalescedReload } from '../proxy/reload.js';
import { HttpError } from './errors.js';

export interface RpcParam {
  /** '' for an unnamed parameter. */
  name: string;
  /** format_type() of the parameter: usable as a cast target in SQL. */
  type: string;
  hasDefault: boolean;
  variadic: boolean;
}

/**
 * How PostgREST shapes the response: a bare value, an array of bare values, one object, an
 * array of objects, or nothing.
 */
export type ResultShape = 'scalar' | 'setofScalar' | 'row' | 'setofRow' | 'void';

export interface RpcFunction {
  schema: string;
  name: string;
  params: RpcParam[];
  shape: ResultShape;
  /** 'v' volatile, 's' stable, 'i' immutable: VOLATILE functions called by POST run read-write. */
  volatility: 'v' | 's' | 'i';
}

interface CatalogRow {
  schema: string;
  name: string;
  volatility: 'v' | 's' | 'i';
  returns_set: boolean;
  returns_void: boolean;
  returns_row: boolean;
  n_defaults: number;
  args: { name: string | null; type: string; mode: string | null }[];
}

// Output modes o/b/t make a function return a row even when it has a single OUT column (whose
// pg_proc.prorettype is then that column's scalar type).
const CATALOG_SQL = `
SELECT n.nspname AS schema,
       p.proname AS name,
       p.provolatile AS volatility,
       p.proretset AS returns_set,
       p.prorettype = 'void'::regtype AS returns_void,
       (t.typrelid <> 0 OR p.prorettype = 'record'::regtype
        OR coalesce('o' = ANY (p.proargmodes) OR 'b' = ANY (p.proargmodes) OR 't' = ANY (p.proargmodes), false)) AS returns_row,
       p.pronargdefaults AS n_defaults,
       coalesce((
         SELECT json_agg(json_build_object('name', a.name, 'type', format_type(a.type, NULL), 'mode', a.mode) ORDER BY a.ord)
         FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]), p.proargmodes, p.proargnames)
              WITH ORDINALITY AS a(type, mode, name, ord)
       ), '[]') AS args
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_type t ON t.oid = p.prorettype
WHERE n.nspname = ANY ($1::text[]) AND p.prokind = 'f'`;

export function toRpcFunction(row: CatalogRow): RpcFunction {
  const inputs = row.args.filter((a) => a.mode === null || a.mode === 'i' || a.mode === 'b' || a.mode === 'v');
  const firstDefault = inputs.length - row.n_defaults;
  const params = inputs.map((a, i) => ({
    name: a.name ?? '',
    type: a.type,
    hasDefault: i >= firstDefault,
    variadic: a.mode === 'v',
  }));
  let shape: ResultShape;
  if (row.returns_void) shape = 'void';
  else if (row.returns_row) shape = row.returns_set ? 'setofRow' : 'row';
  else shape = row.returns_set ? 'setofScalar' : 'scalar';
  return { schema: row.schema, name: row.name, params, shape, volatility: row.volatility };
}

export class SchemaCache {
  private functions = new Map<string, RpcFunction[]>();
  private loaded = false;
  private readonly reloads = new CoalescedReload();

  constructor(readonly schemas: readonly string[]) {}

  get isLoaded(): boolean {
    return this.loaded;
  }

  /**
   * Reads the catalog again. A reload asked for while one runs is done once more afterwards:
   * the running one may have read the catalog before the change that triggered the request.
   */
  reload(query: (sql: string, params: unknown[]) => Promise<unknown[]>): Promise<void> {
    return this.reloads.run(async () => {
      const rows = (await query(CATALOG_SQL, [this.schemas])) as CatalogRow[];
      this.replace(rows.map(toRpcFunction));
    });
  }

  replace(functions: readonly RpcFunction[]): void {
    const next = new Map<string, RpcFunction[]>();
    for (const fn of functions) {
      const key = `${fn.schema}.${fn.name}`;
      next.set(key, [...(next.get(key) ?? []), fn]);
    }
    this.functions = next;
    this.loaded = true;
  }

  /**
   * PostgREST's overload choice: a function whose named parameters include every argument given
   * and whose parameters without defaults are all given. A single unnamed json/jsonb parameter
   * takes a POSTed body as a whole when nothing else fits.
   */
  resolve(schema: string, name: string, argNames: readonly string[], wholeBody: boolean): { fn: RpcFunction; wholeBody: boolean } {
    if (!this.loaded) throw new HttpError(503, 'PGRST002', 'Could not query the database for the schema cache. Retrying.');
    const overloads = this.functions.get(`${schema}.${name}`) ?? [];
    const given = new Set(argNames);
    const fits = overloads.filter(
      (fn) =>
        fn.params.every((p) => p.name !== '' || p.hasDefault) &&
        argNames.every((a) => fn.params.some((p) => p.name === a)) &&
        fn.params.every((p) => p.hasDefault || given.has(p.name)),
    );
    if (fits.length === 1) return { fn: fits[0]!, wholeBody: false };
    if (fits.length > 1) {
      // f(a) and f(a, b DEFAULT ...) both fit {a}: the one taking exactly the given arguments wins.
      const exact = fits.filter((fn) => fn.params.length === argNames.length);
      if (exact.length === 1) return { fn: exact[0]!, wholeBody: false };
      throw new HttpError(
        300,
        'PGRST203',
        `Could not choose the best candidate function between: ${fits.map(describe).join(', ')}`,
        null,
        'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
      );
    }
    if (wholeBody) {
      const single = overloads.filter((fn) => fn.params.length === 1 && fn.params[0]!.name === '' && isJson(fn.params[0]!.type));
      if (single.length === 1) return { fn: single[0]!, wholeBody: true };
    }
    throw this.notFound(schema, name, argNames);
  }

  private notFound(schema: string, name: string, argNames: readonly string[]): HttpError {
    const args = [...argNames].sort().join(', ');
    const overloads = this.functions.get(`${schema}.${name}`);
    let hint = 'If a new function was created in the database with this name and parameters, try reloading the schema cache.';
    if (overloads) {
      hint = `Perhaps you meant to call the function ${describe(overloads[0]!)}`;
    } else {
      const similar = closestName(name, [...this.functions.values()].flat().filter((f) => f.schema === schema).map((f) => f.name));
      if (similar) hint = `Perhaps you meant to call the function ${schema}.${similar}`;
    }
    return new HttpError(
      404,
      'PGRST202',
      `Could not find the function ${schema}.${name}(${args}) in the schema cache`,
      `Searched for the function ${schema}.${name}${args ? ` with parameters ${args}` : ' without parameters'} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
      hint,
    );
  }
}

function isJson(type: string): boolean {
  return type === 'json' || type === 'jsonb';
}

function describe(fn: RpcFunction): string {
  return `${fn.schema}.${fn.name}(${fn.params.map((p) => (p.name ? `${p.name} => ${p.type}` : p.type)).join(', ')})`;
}

/** The most similar known name, if any is close enough to be a plausible typo. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of new Set(candidates)) {
    const d = levenshtein(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
