/**
 * Replaces calls of upstream LANGUAGE sql functions that call proxy-evaluated functions by their
 * bodies (src/sql/inline-calls.ts), before the query is analyzed. Each call is resolved as
 * Postgres would resolve it for this client: on its own session, against its search_path and in
 * its transaction (a function created a moment ago in the same transaction is found), by name,
 * argument count and argument names. Where that cannot pick one function, an inlined function is
 * refused rather than guessed.
 */
import { PgError, SqlState } from '../errors/index.js';
import type { Queryable } from '../db/queryable.js';
import type { Expansion, FunctionCatalog, ReturnSpec } from '../sql/index.js';
import { expandCommand, spliceText } from '../sql/index.js';
import {
  calledFunctionNames,
  findInlineCalls,
  refusal,
  renderInlinedCall,
  type InlinableFunction,
  type InlineCall,
} from '../sql/inline-calls.js';
import { MAX_INLINE_DEPTH, type UpstreamFunctions } from './upstream-functions.js';

interface ArgRow {
  name: string | null;
  type: string;
  /** i, o, b (INOUT), v (VARIADIC), t (TABLE column). */
  mode: string;
  default: string | null;
}

interface CandidateRow {
  schema: string;
  name: string;
  language: string;
  body: string;
  atomic: boolean;
  returns_set: boolean;
  security_definer: boolean;
  strict: boolean;
  has_config: boolean;
  result_type: string;
  composite_columns: { name: string; type: string }[] | null;
  rank: number | null;
  args: ArgRow[];
}

// Every function of that name the caller can reach: in the schema named, or on its search path.
const CANDIDATES_SQL = `
SELECT n.nspname AS schema, p.proname AS name, l.lanname AS language, p.prosrc AS body,
       p.prosqlbody IS NOT NULL AS atomic, p.proretset AS returns_set, p.prosecdef AS security_definer,
       p.proisstrict AS strict, p.proconfig IS NOT NULL AS has_config,
       pg_catalog.format_type(p.prorettype, NULL) AS result_type,
       CASE WHEN t.typrelid <> 0 THEN (
         SELECT json_agg(json_build_object('name', a.attname, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
           FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
       END AS composite_columns,
       pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname) AS rank,
       coalesce((
         SELECT json_agg(json_build_object('name', a.name, 'type', pg_catalog.format_type(a.type, NULL), 'mode', coalesce(a.mode, 'i'),
                                           'default', pg_catalog.pg_get_function_arg_default(p.oid, a.ord::int)) ORDER BY a.ord)
           FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]), p.proargmodes, p.proargnames) WITH ORDINALITY AS a(type, mode, name, ord)
       ), '[]') AS args
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_catalog.pg_language l ON l.oid = p.prolang
  JOIN pg_catalog.pg_type t ON t.oid = p.prorettype
 WHERE p.proname = $1 AND p.prokind = 'f'
   AND CASE WHEN $2::text IS NULL THEN n.nspname = ANY (pg_catalog.current_schemas(true)) ELSE n.nspname = $2::text END`;

type Resolved = { kind: 'inline'; fn: InlinableFunction } | { kind: 'leave' };

export class FunctionInliner {
  constructor(
    private readonly catalog: UpstreamFunctions,
    private readonly registry: FunctionCatalog,
  ) {}

  /** Whether the SQL may hold calls to inline: cheap, on the parsed names only. */
  private isCandidate = (schema: string | null, name: string): boolean =>
    this.catalog.has(schema, name) && !(schema !== null && this.registry.overloads(schema, name) !== undefined);

  /**
   * What a command that is one call of a function calling proxy-evaluated ones expands to
   * (src/sql/expand-call.ts); `asIs` at once for any other command.
   */
  expand(sql: string, db: Queryable): Promise<Expansion> {
    if (this.catalog.isEmpty) return Promise.resolve({ kind: 'asIs' });
    return expandCommand(db, sql, this.registry, this.isCandidate);
  }

  /** Whether some upstream function is inlined at all: without one, inline() has nothing to do (and need not be awaited). */
  get inlinesAny(): boolean {
    return !this.catalog.isEmpty;
  }

  /**
   * The SQL with every call of an inlined function replaced by its body, level by level for
   * functions that call others; undefined when there was nothing to inline. Throws PgError 0A000
   * for a call that must be inlined but cannot be.
   */
  async inline(sql: string, db: Queryable): Promise<string | undefined> {
    if (this.catalog.isEmpty) return undefined;
    const resolved = new Map<string, Resolved>();
    let text = sql;
    for (let depth = 0; ; depth++) {
      const calls = findInlineCalls(text, this.isCandidate);
      const replacements = new Map<number, string>();
      let covered = -1; // calls inside one being replaced are seen again in the next round
      for (const [i, call] of calls.entries()) {
        if (call.replaceSpan.start < covered) continue;
        const key = callKey(call);
        let resolution = resolved.get(key);
        if (resolution === undefined) {
          resolution = await this.resolve(call, db);
          resolved.set(key, resolution);
        }
        if (resolution.kind === 'leave') continue;
        if (depth >= MAX_INLINE_DEPTH) {
          throw refusal(call, resolution.fn, `it calls functions more than ${MAX_INLINE_DEPTH} levels deep (is it recursive?)`);
        }
        replacements.set(i, renderInlinedCall(call, resolution.fn));
        covered = call.replaceSpan.end;
      }
      if (replacements.size === 0) return depth === 0 ? undefined : text;
      const sites = calls.map((call, id) => ({ id, replaceSpan: call.replaceSpan }));
      text = spliceText(text, { start: 0, end: text.length }, sites, replacements);
    }
  }

  private async resolve(call: InlineCall, db: Queryable): Promise<Resolved> {
    const rows = (await db.query<CandidateRow>(CANDIDATES_SQL, [call.name, call.schema])).rows;
    const fits = rows.filter((row) => accepts(row, call));
    const best = Math.min(...fits.map((row) => row.rank ?? 0));
    const chosen = fits.filter((row) => (row.rank ?? 0) === best);
    const needsInlining = fits.filter((row) => this.callsProxy(row));
    if (needsInlining.length === 0) return { kind: 'leave' };
    // Several fitting functions of different argument types: Postgres would choose by types,
    // which only it knows here. A function of the same types later on the path is hidden.
    const distinct = new Set(fits.map((row) => inputTypes(row).join(',')));
    const [winner] = chosen;
    if (winner === undefined || distinct.size > 1 || chosen.length > 1) {
      throw new PgError(SqlState.FeatureNotSupported, `pgml-proxy cannot tell which function ${call.schema ? `${call.schema}.` : ''}${call.name} is called`, {
        position: call.position,
        hint: 'Several functions of that name fit this call; qualify it with its schema or give the function a distinct name.',
      });
    }
    if (!this.callsProxy(winner)) return { kind: 'leave' };
    const why = unsupported(winner);
    if (why !== undefined) throw refusal(call, winner, why);
    return { kind: 'inline', fn: inlinable(winner) };
  }

  private callsProxy(row: CandidateRow): boolean {
    if (row.language !== 'sql') return false;
    // A BEGIN ATOMIC body is not in prosrc; the catalog read it from the definition.
    if (row.atomic) return this.catalog.has(row.schema, row.name);
    try {
      return calledFunctionNames(row.body).some((c) => (c.schema !== null && this.registry.overloads(c.schema, c.name) !== undefined) || this.catalog.has(c.schema, c.name));
    } catch {
      return false;
    }
  }
}

function callKey(call: InlineCall): string {
  return JSON.stringify([call.schema, call.name, call.args.map((a) => a.name ?? null)]);
}

function inputArgs(row: CandidateRow): ArgRow[] {
  return row.args.filter((a) => a.mode === 'i' || a.mode === 'b' || a.mode === 'v');
}

function inputTypes(row: CandidateRow): string[] {
  return inputArgs(row).map((a) => a.type);
}

/** Whether the call's arguments fit the function: count, names, and defaults for the rest. */
function accepts(row: CandidateRow, call: InlineCall): boolean {
  const inputs = inputArgs(row);
  const positional = call.args.filter((a) => a.name === undefined).length;
  if (positional > inputs.length) return false;
  const named = call.args.filter((a) => a.name !== undefined).map((a) => a.name!);
  const namedAt = named.map((name) => inputs.findIndex((p) => p.name === name));
  if (namedAt.some((i) => i < positional)) return false;
  return inputs.every((p, i) => i < positional || namedAt.includes(i) || p.default !== null);
}

function unsupported(row: CandidateRow): string | undefined {
  if (row.atomic) return 'BEGIN ATOMIC bodies are not inlined; write the body as a string (AS $$ ... $$)';
  if (row.security_definer) return 'it is SECURITY DEFINER, and inlined it would run with the caller\'s privileges';
  if (row.has_config) return 'it has SET options, which inlining would not apply';
  if (row.strict) return 'it is STRICT, and inlined it would not return NULL for a NULL argument';
  if (row.args.some((a) => a.mode === 'v')) return 'it takes VARIADIC arguments';
  if (row.result_type === 'record' && !row.args.some((a) => a.mode === 'o' || a.mode === 'b' || a.mode === 't')) {
    return 'it returns record without declaring its columns';
  }
  return undefined;
}

function inlinable(row: CandidateRow): InlinableFunction {
  const outputs = row.args.filter((a) => a.mode === 'o' || a.mode === 'b' || a.mode === 't');
  let returns: ReturnSpec;
  if (outputs.length > 0) returns = { kind: 'table', columns: outputs.map((a, i) => ({ name: a.name ?? `column${i + 1}`, type: a.type })) };
  else if (row.composite_columns !== null) returns = { kind: 'table', columns: row.composite_columns };
  else returns = { kind: row.returns_set ? 'setof' : 'scalar', type: row.result_type };
  return {
    schema: row.schema,
    name: row.name,
    params: inputArgs(row).map((a) => ({ name: a.name ?? '', type: a.type, ...(a.default === null ? {} : { default: a.default }) })),
    returns,
    returnsSet: row.returns_set,
    body: row.body,
  };
}
