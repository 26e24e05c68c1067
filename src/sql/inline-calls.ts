/**
 * Calls of upstream `LANGUAGE sql` functions whose bodies call proxy-evaluated functions (the
 * seed's `predict_clickbait(text)` calling pgml.predict and pgml.embed). Run inside Postgres, such
 * a body would reach the pgml stubs; so the proxy replaces the call by the body itself, with the
 * arguments substituted (expand-function.ts), and the pgml calls inside are then evaluated like
 * any others. An expression call becomes a scalar subquery, a FROM item a LATERAL subquery named
 * as the function's columns. A body that cannot be inlined faithfully is refused, never guessed.
 */
import type { ScanToken } from 'libpg-query';
import { PgError, SqlState } from '../errors/index.js';
import type { Span } from './args.js';
import { markNamingCall, placementOf, rangeFunctionCalls } from './analyze.js';
import { list, nameList, nodeOf, num, str, walk, type AstBody } from './ast.js';
import type { ReturnSpec } from './catalog.js';
import { expandSqlFunction } from './expand-function.js';
import { describeFromItem, outputColumnNames } from './from-item.js';
import { parseStatements, scanTokens, TextOffsets } from './parser.js';
import { quoteIdent } from './render.js';
import { normalizeType } from './resolve.js';
import { argumentRanges, callTokens, fromItemLastToken, significantTokens, tokenIndexAt } from './tokens.js';

/** A function name as written in a call: `schema` is null when the name was not qualified. */
export interface CalledName {
  schema: string | null;
  name: string;
}

export interface InlineArg {
  /** Set for `name => value`. */
  name?: string;
  /** The argument's text in the query. */
  sql: string;
  node: unknown;
}

export interface InlineCall extends CalledName {
  /** What the replacement stands for: the call, or for a FROM item the call with its alias. */
  replaceSpan: Span;
  /** 1-based position of the call, for errors about it. */
  position: number;
  args: InlineArg[];
  /** The FROM item (RangeFunction) the call is, if it is one. */
  range?: AstBody;
  /** The unaliased output column this call names (`SELECT f(x)` yields a column "f"). */
  columnName?: string;
}

export interface InlineParam {
  /** '' for an unnamed parameter. */
  name: string;
  /** format_type() of the parameter. */
  type: string;
  /** pg_get_function_arg_default(): the default's SQL, if it has one. */
  default?: string;
}

export interface InlinableFunction {
  schema: string;
  name: string;
  /** Input parameters in order. */
  params: InlineParam[];
  returns: ReturnSpec;
  returnsSet: boolean;
  /** prosrc: the body's text. */
  body: string;
}

/** Function names called anywhere in the SQL text (FuncCall nodes of the real parser's AST). */
export function calledFunctionNames(sql: string): CalledName[] {
  const names: CalledName[] = [];
  walk(parseStatements(sql), {
    enter(type, body) {
      if (type !== 'FuncCall') return;
      const parts = nameList(body.funcname);
      if (parts.length === 1) names.push({ schema: null, name: parts[0]! });
      else if (parts.length === 2) names.push({ schema: parts[0]!, name: parts[1]! });
    },
  });
  return names;
}

/** Calls of candidate functions in the statements whose calls run now (not in stored SQL such as CREATE VIEW). */
export function findInlineCalls(sql: string, isCandidate: (schema: string | null, name: string) => boolean): InlineCall[] {
  const offsets = new TextOffsets(sql);
  let tokens: ScanToken[] | undefined;
  const calls: InlineCall[] = [];
  for (const stmt of parseStatements(sql)) {
    const [nodeType = 'Unknown', body = {}] = Object.entries(stmt.stmt ?? {})[0] ?? [];
    if (placementOf(nodeType, body as AstBody) === 'passthrough') continue;
    const fromCalls = new Map<AstBody, AstBody>();
    const namingCalls = new Map<AstBody, string>();
    const found: { call: AstBody; schema: string | null; name: string }[] = [];
    walk(stmt.stmt, {
      enter(type, node) {
        if (type === 'RangeFunction') for (const call of rangeFunctionCalls(node)) fromCalls.set(call, node);
        if (type === 'ResTarget' && node.name === undefined) markNamingCall(node.val, namingCalls);
        if (type !== 'FuncCall') return;
        const parts = nameList(node.funcname);
        const [schema, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [null, parts[0]!];
        if (parts.length <= 2 && isCandidate(schema, name)) found.push({ call: node, schema, name });
      },
    });
    for (const { call, schema, name } of found) {
      tokens ??= significantTokens(scanTokens(sql));
      calls.push(describeCall(call, schema, name, { sql, offsets, tokens, range: fromCalls.get(call), columnName: namingCalls.get(call) }));
    }
  }
  return calls.sort((a, b) => a.replaceSpan.start - b.replaceSpan.start);
}

interface CallContext {
  sql: string;
  offsets: TextOffsets;
  tokens: ScanToken[];
  range: AstBody | undefined;
  columnName: string | undefined;
}

function describeCall(call: AstBody, schema: string | null, name: string, ctx: CallContext): InlineCall {
  const { tokens, offsets, sql } = ctx;
  const nameIndex = tokenIndexAt(tokens, num(call.location) ?? 0);
  const parens = callTokens(tokens, nameIndex);
  const chars = (first: number, last: number): Span => ({
    start: offsets.charIndex(tokens[first]!.start),
    end: offsets.charIndex(tokens[last]!.end),
  });
  const args = argumentRanges(tokens, parens).map((range, i): InlineArg => {
    const node = list(call.args)[i];
    const named = nodeOf(node, 'NamedArgExpr');
    // `name => value`: the value starts two tokens in.
    const span = chars(named === undefined ? range.first : range.first + 2, range.last);
    const arg: InlineArg = { sql: sql.slice(span.start, span.end), node: named === undefined ? node : named.arg };
    const argName = str(named?.name);
    if (argName !== undefined) arg.name = argName;
    return arg;
  });
  let last = parens.close;
  if (ctx.range !== undefined) {
    const alias = ctx.range.alias as AstBody | undefined;
    last = fromItemLastToken(tokens, parens.close, {
      ordinality: ctx.range.ordinality === true,
      hasAlias: str(alias?.aliasname) !== undefined,
      hasColumnList: list(alias?.colnames).length > 0,
    });
  }
  const replaceSpan = chars(nameIndex, last);
  const site: InlineCall = { schema, name, replaceSpan, position: offsets.position(replaceSpan.start), args };
  if (ctx.range !== undefined) site.range = ctx.range;
  if (ctx.columnName !== undefined) site.columnName = ctx.columnName;
  return site;
}

/** The SQL that replaces the call's replaceSpan: the function's body, inlined. */
export function renderInlinedCall(call: InlineCall, fn: InlinableFunction): string {
  const refuse = (why: string) => refusal(call, fn, why);
  const argSql = bindArguments(call, fn);
  const expanded = expandSqlFunction({ name: fn.name, params: fn.params.map((p) => p.name), body: fn.body }, argSql);
  if (typeof expanded === 'string') throw refuse(expanded);
  for (const [i, uses] of expanded.uses.entries()) {
    const arg = argumentNode(call, fn, i);
    if (arg === undefined) continue;
    if (expanded.hasFrom && readsColumns(arg)) throw refuse('an argument reads columns of the query, which names in its body could hide');
    if (uses > 1 && callsFunctions(arg)) throw refuse(`its body uses parameter ${i + 1} more than once, and the argument calls a function that would then run more than once`);
  }
  return call.range === undefined ? renderExpression(call, fn, expanded) : renderFromItem(call, fn, expanded, call.range);
}

type Expanded = Exclude<ReturnType<typeof expandSqlFunction>, string>;

function renderExpression(call: InlineCall, fn: InlinableFunction, body: Expanded): string {
  const columns = resultColumns(fn);
  if (columns.length !== 1) throw refusal(call, fn, 'it returns several columns; call it in FROM (SELECT * FROM f(...))');
  let value: string;
  if (body.singleRow) value = body.sql;
  // A function that is not SETOF returns the first row its final SELECT yields.
  else if (!fn.returnsSet) value = `(SELECT * FROM ${body.sql} AS pgml_proxy_body LIMIT 1)`;
  else throw refusal(call, fn, 'a set-returning function can be inlined in an expression only when its body is a bare SELECT list; call it in FROM');
  const typed = cast(value, columns[0]!.type);
  // `(SELECT x AS f)` keeps the output column name that the call gave (FigureColname reads the subquery's target).
  return call.columnName === undefined ? typed : `(SELECT ${typed} AS ${quoteIdent(call.columnName)})`;
}

function renderFromItem(call: InlineCall, fn: InlinableFunction, body: Expanded, range: AstBody): string {
  if (range.is_rowsfrom === true || list(range.functions).length !== 1) throw refusal(call, fn, 'it is called inside ROWS FROM (...)');
  if (range.ordinality === true) throw refusal(call, fn, 'WITH ORDINALITY is not supported for inlined functions');
  const signature = { schema: fn.schema, name: fn.name, params: [], returns: fn.returns };
  let from;
  try {
    from = describeFromItem(range, signature, call.position);
    outputColumnNames(from);
  } catch (error) {
    throw error instanceof PgError ? error.withPosition(call.position) : error;
  }
  const names = outputColumnNames(from).map(quoteIdent);
  const columns = resultColumns(fn);
  const internal = columns.map((_, i) => `c${i + 1}`);
  const select = columns.map((c, i) => cast(`pgml_proxy_body.${internal[i]}`, c.type)).join(', ');
  const bodyItem = `AS pgml_proxy_body(${internal.join(', ')})`;
  // A function that is not SETOF yields exactly one row: the body's first, or NULLs when it has none.
  const source =
    fn.returnsSet || body.singleRow
      ? `${body.sql} ${bodyItem}`
      : `(SELECT) AS pgml_proxy_one LEFT JOIN (SELECT * FROM ${body.sql} AS pgml_proxy_first LIMIT 1) ${bodyItem} ON true`;
  // Function calls in FROM may read earlier FROM items; a subquery only when LATERAL.
  const lateral = from.lateral ? '' : 'LATERAL ';
  return `${lateral}(SELECT ${select} FROM ${source}) AS ${quoteIdent(from.alias.name ?? from.defaultAlias)}(${names.join(', ')})`;
}

function resultColumns(fn: InlinableFunction): { name: string; type: string }[] {
  return fn.returns.kind === 'table' ? fn.returns.columns : [{ name: fn.name, type: fn.returns.type }];
}

/** One SQL text per parameter: the argument given for it (or its default), as the parameter's type. */
function bindArguments(call: InlineCall, fn: InlinableFunction): string[] {
  return fn.params.map((param, i) => {
    const arg = argumentFor(call, fn, i);
    if (arg !== undefined) return alreadyOfType(arg.node, param.type) ? arg.sql : cast(arg.sql, param.type);
    if (param.default === undefined) {
      throw new PgError(SqlState.UndefinedFunction, `function ${fn.schema}.${fn.name} has no argument for parameter ${param.name || i + 1}`, {
        position: call.position,
      });
    }
    return cast(param.default, param.type);
  });
}

function argumentFor(call: InlineCall, fn: InlinableFunction, index: number): InlineArg | undefined {
  const positional = call.args.filter((a) => a.name === undefined);
  if (index < positional.length) return positional[index];
  const name = fn.params[index]?.name;
  return name ? call.args.find((a) => a.name === name) : undefined;
}

function argumentNode(call: InlineCall, fn: InlinableFunction, index: number): unknown {
  return argumentFor(call, fn, index)?.node;
}

const POLYMORPHIC = /^(any|anyelement|anyarray|anynonarray|anyenum|anyrange|anymultirange|anycompatible\w*|"any"|record)$/;

/** CAST to a declared type; polymorphic types are left for Postgres to resolve. */
function cast(sql: string, type: string): string {
  return POLYMORPHIC.test(type) ? `(${sql})` : `CAST((${sql}) AS ${type})`;
}

function alreadyOfType(node: unknown, type: string): boolean {
  const typeCast = nodeOf(node, 'TypeCast');
  if (typeCast === undefined) return false;
  const names = nameList((typeCast.typeName as AstBody | undefined)?.names);
  return normalizeType(names.at(-1) ?? '') === normalizeType(type) && list((typeCast.typeName as AstBody).arrayBounds).length === 0;
}

function readsColumns(node: unknown): boolean {
  return containsNode(node, ['ColumnRef', 'SubLink']);
}

function callsFunctions(node: unknown): boolean {
  return containsNode(node, ['FuncCall', 'SubLink']);
}

function containsNode(node: unknown, types: readonly string[]): boolean {
  let found = false;
  walk(node, {
    enter(type) {
      if (types.includes(type)) found = true;
      return !found;
    },
  });
  return found;
}

export function refusal(call: { position: number }, fn: { schema: string; name: string }, why: string): PgError {
  return new PgError(SqlState.FeatureNotSupported, `pgml-proxy cannot inline ${fn.schema}.${fn.name}(), whose body calls functions that pgml-proxy evaluates: ${why}`, {
    position: call.position,
    hint: 'pgml-proxy runs such a function by inlining it into the query: make it a LANGUAGE sql function whose body (AS $$ ... $$) is one SELECT, not STRICT, SECURITY DEFINER or SET, or call the pgml functions directly in the query.',
  });
}
