/**
 * Finds the calls the proxy evaluates itself: parses the query, walks each statement the proxy
 * may rewrite, and describes every call to a catalogued function (span, chosen overload, bound
 * arguments, FROM-item shape). DDL and other statements whose text is stored or deferred pass
 * through untouched, so their calls are never reported.
 */
import type { ScanToken } from 'libpg-query';
import { PgError, SqlState } from '../errors/index.js';
import { classifyArg, isAggregateLike } from './args.js';
import type { ArgExpr, ArgType, Span } from './args.js';
import { asTypedNode, list, nameList, nodeOf, num, str, walk } from './ast.js';
import type { AstBody } from './ast.js';
import type { FunctionCatalog, FunctionSignature } from './catalog.js';
import { parseStatements, scanTokens, TextOffsets } from './parser.js';
import { bindArguments, bindsRow, checkArgumentNames, resolveOverload } from './resolve.js';
import type { CallArg, Resolution } from './resolve.js';
import { columnTypeProbe } from './column-probe.js';
import type { ColumnProbe } from './column-probe.js';
import { describeFromItem, outputColumnNames } from './from-item.js';
import { standaloneArgument, type ArgumentCheck } from './subquery-args.js';
import type { FromItem } from './from-item.js';
import { argumentRanges, callTokens, fromItemLastToken, significantTokens, tokenIndexAt } from './tokens.js';

interface CallSiteBase {
  id: number;
  schema: string;
  name: string;
  /** The call's text, from the function name to its close paren. */
  span: Span;
  /** What spliceStatement replaces: the call, or for FROM items the call plus alias. */
  replaceSpan: Span;
  /** 1-based code-point position of the call, for errors about it. */
  position: number;
  signature: FunctionSignature;
  /** Arguments bound to parameter names; parameters left to their defaults are absent. */
  args: Map<string, ArgExpr>;
  /** Arguments as written, in order (for re-binding to an alternative overload). */
  argList: readonly CallArg[];
  /** Overloads that fit as well as `signature` because some argument type is unknown here. */
  alternatives: readonly FunctionSignature[];
  /** Id of the intercepted call whose arguments contain this one. */
  parentId?: number;
  /** Subquery arguments the proxy evaluated apart, which the statement checks (subquery-args.ts). */
  checks?: readonly ArgumentCheck[];
}

export interface ExpressionCallSite extends CallSiteBase {
  context: 'expression';
  /**
   * Set when this call names an unaliased SELECT/RETURNING output column (`SELECT pgml.version()`
   * yields a column "version"); the replacement must keep that name.
   */
  columnName?: string;
  /** The call is that whole column (no cast around it): a set's values can take the name with AS. */
  isWholeColumn?: boolean;
}

export interface FromCallSite extends CallSiteBase {
  context: 'from';
  from: FromItem;
}

export type CallSite = ExpressionCallSite | FromCallSite;

export type StatementPlacement = 'analyzed' | 'passthrough';

export interface StatementAnalysis {
  /** The statement's text in the original query (without the separating semicolon). */
  span: Span;
  sql: string;
  /** Parse node type, e.g. 'SelectStmt', 'CreateFunctionStmt'. */
  nodeType: string;
  /** 'passthrough': stored or deferred SQL (views, function bodies, EXPLAIN...): never rewritten. */
  placement: StatementPlacement;
  calls: CallSite[];
}

export interface QueryAnalysis {
  statements: StatementAnalysis[];
  /** True when any statement has a call site. */
  intercepted: boolean;
  /** Columns whose type decides an overload and only the upstream knows: see column-probe.ts. */
  columnProbes: ColumnProbe[];
}

/**
 * Types the upstream gave probed columns (by ColumnProbe.argStart): 'record' for a composite, which
 * takes a row overload; undefined when probed but of no type that changes the analysis.
 */
export type ProbedColumnTypes = ReadonlyMap<number, string | undefined>;

// Statements whose calls run now, with this statement. Anything else (CREATE VIEW/FUNCTION/RULE/
// TRIGGER/TABLE defaults, COMMENT, DO, PREPARE...) is stored or deferred text. EXPLAIN's statement
// is analyzed too: its constant calls are folded as the statement's own would be, so the plan shown
// is the one the proxy's statement gets (PostgresML's functions are immutable, and Postgres folds
// them while planning); per-row calls leave an EXPLAIN as written (plan.ts).
const ANALYZED_STATEMENTS = new Set([
  'ExplainStmt',
  'SelectStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'MergeStmt',
  'CreateTableAsStmt',
  'CopyStmt',
  'DeclareCursorStmt',
]);

export function analyzeQuery(sql: string, catalog: FunctionCatalog, columnTypes: ProbedColumnTypes = new Map()): QueryAnalysis {
  const raw = parseStatements(sql);
  const offsets = new TextOffsets(sql);
  let tokens: ScanToken[] | undefined;
  const lazyTokens = () => (tokens ??= significantTokens(scanTokens(sql)));
  let nextId = 1;
  const columnProbes: ColumnProbe[] = [];
  const statements = raw.map((stmt): StatementAnalysis => {
    const byteStart = stmt.stmt_location ?? 0;
    const byteEnd = stmt.stmt_len ? byteStart + stmt.stmt_len : offsets.byteLength;
    const span = { start: offsets.charIndex(byteStart), end: offsets.charIndex(byteEnd) };
    const [nodeType = 'Unknown', body = {}] = Object.entries(stmt.stmt ?? {})[0] ?? [];
    const placement = placementOf(nodeType, body as AstBody);
    const base = { span, sql: sql.slice(span.start, span.end), nodeType, placement };
    if (placement === 'passthrough') return { ...base, calls: [] };
    const calls = findCalls(stmt.stmt, { sql, offsets, catalog, tokens: lazyTokens, firstId: nextId, columnTypes, columnProbes });
    nextId += calls.length;
    return { ...base, calls };
  });
  return { statements, intercepted: statements.some((s) => s.calls.length > 0), columnProbes };
}

/** Whether the statement's calls run now (analyzed) or its text is stored or deferred (passthrough). */
export function placementOf(nodeType: string, body: AstBody): StatementPlacement {
  if (!ANALYZED_STATEMENTS.has(nodeType)) return 'passthrough';
  if (nodeType === 'CreateTableAsStmt' && body.objtype === 'OBJECT_MATVIEW') return 'passthrough';
  return 'analyzed';
}

interface FindContext {
  sql: string;
  offsets: TextOffsets;
  catalog: FunctionCatalog;
  tokens: () => ScanToken[];
  firstId: number;
  columnTypes: ProbedColumnTypes;
  /** Filled with the probes the analysis could use. */
  columnProbes: ColumnProbe[];
}

interface Found {
  id: number;
  body: AstBody;
  schema: string;
  name: string;
  overloads: readonly FunctionSignature[];
  parentId?: number;
  rangeFunction?: AstBody;
  columnName?: string;
  isWholeColumn?: boolean;
  /** Names of the FROM items the call can see, this query's and enclosing ones'. */
  fromNames: ReadonlySet<string>;
  /** The WITH clauses of the queries around the call, outermost first. */
  withClauses: AstBody[];
  /** The statement itself when the call stands in its own top-level query (not in a subquery). */
  topScope?: { type: string; body: AstBody };
}

function findCalls(stmt: unknown, ctx: FindContext): CallSite[] {
  const found: Found[] = [];
  const byBody = new Map<AstBody, Found>();
  const fromCalls = new Map<AstBody, AstBody>(); // FuncCall body -> its RangeFunction
  const namingCalls = new Map<AstBody, string>(); // FuncCall body -> output column it names
  const wholeColumns = new Set<AstBody>(); // FuncCall bodies that are an unaliased output column
  const open: Found[] = [];
  const scopes: string[][] = [];
  const withClauses: AstBody[] = [];
  const root = asTypedNode(stmt);
  const topScope = root !== undefined && SCOPE_NODES.has(root.type) ? root : undefined;

  walk(stmt, {
    enter(type, body) {
      if (SCOPE_NODES.has(type)) scopes.push(fromItemNames(body));
      if (body.withClause !== undefined) withClauses.push(body.withClause as AstBody);
      if (type === 'RangeFunction') for (const call of rangeFunctionCalls(body)) fromCalls.set(call, body);
      if (type === 'ResTarget' && body.name === undefined) {
        markNamingCall(body.val, namingCalls);
        const whole = nodeOf(body.val, 'FuncCall');
        if (whole !== undefined) wholeColumns.add(whole);
      }
      if (type !== 'FuncCall') return;
      const names = nameList(body.funcname);
      if (names.length !== 2) return;
      const [schema, name] = names as [string, string];
      const overloads = ctx.catalog.overloads(schema, name);
      if (overloads === undefined || overloads.length === 0) return;
      const site: Found = { id: ctx.firstId + found.length, body, schema, name, overloads, fromNames: new Set(scopes.flat()), withClauses: [...withClauses] };
      if (topScope !== undefined && scopes.length === 1) site.topScope = topScope;
      const parent = open[open.length - 1];
      if (parent !== undefined) site.parentId = parent.id;
      const range = fromCalls.get(body);
      if (range !== undefined) site.rangeFunction = range;
      const columnName = namingCalls.get(body);
      if (columnName !== undefined) site.columnName = columnName;
      if (wholeColumns.has(body)) site.isWholeColumn = true;
      found.push(site);
      byBody.set(body, site);
      open.push(site);
    },
    leave(type, body) {
      if (body.withClause !== undefined) withClauses.pop();
      if (type === 'FuncCall' && byBody.has(body)) open.pop();
      if (SCOPE_NODES.has(type)) scopes.pop();
    },
  });
  if (found.length === 0) return [];

  // Inner calls appear after their parents in walk order; resolving in reverse gives every
  // outer call its nested calls' result types.
  const sites = new Map<number, CallSite>();
  for (const site of [...found].reverse()) sites.set(site.id, describeCall(site, ctx, byBody, sites));
  return found.map((f) => sites.get(f.id) as CallSite);
}

/** Statements whose FROM items a column reference inside them can name. */
const SCOPE_NODES = new Set(['SelectStmt', 'UpdateStmt', 'DeleteStmt']);

/** The names a query's FROM items go by (alias, else relation name): `t` in `f(t)` is then t's whole row. */
function fromItemNames(stmt: AstBody): string[] {
  const items = [...list(stmt.fromClause), ...list(stmt.usingClause), ...(stmt.relation === undefined ? [] : [{ RangeVar: stmt.relation }])];
  const names: string[] = [];
  const visit = (item: unknown): void => {
    const typed = asTypedNode(item);
    if (typed === undefined) return;
    const alias = str((typed.body.alias as AstBody | undefined)?.aliasname);
    if (typed.type === 'JoinExpr') {
      if (alias !== undefined) names.push(alias);
      visit(typed.body.larg);
      visit(typed.body.rarg);
      return;
    }
    const name = alias ?? (typed.type === 'RangeVar' ? str(typed.body.relname) : undefined);
    if (name !== undefined) names.push(name);
  };
  items.forEach(visit);
  return names;
}

export function rangeFunctionCalls(range: AstBody): AstBody[] {
  return list(range.functions).flatMap((item) => {
    const first = list(nodeOf(item, 'List')?.items)[0];
    const call = nodeOf(first, 'FuncCall');
    return call === undefined ? [] : [call];
  });
}

/** Mirrors FigureColname: which call, if any, gives an unaliased output column its name. */
export function markNamingCall(val: unknown, naming: Map<AstBody, string>): void {
  let node = val;
  for (;;) {
    const cast = nodeOf(node, 'TypeCast') ?? nodeOf(node, 'CollateClause');
    if (cast !== undefined) {
      node = cast.arg;
      continue;
    }
    const indirection = nodeOf(node, 'A_Indirection');
    if (indirection !== undefined && !list(indirection.indirection).some((i) => nodeOf(i, 'String'))) {
      node = indirection.arg;
      continue;
    }
    break;
  }
  const call = nodeOf(node, 'FuncCall');
  const name = call === undefined ? undefined : nameList(call.funcname).at(-1);
  if (call !== undefined && name !== undefined) naming.set(call, name);
}

function describeCall(site: Found, ctx: FindContext, byBody: Map<AstBody, Found>, done: Map<number, CallSite>): CallSite {
  const tokens = ctx.tokens();
  const qualified = `${site.schema}.${site.name}`;
  const nameIndex = tokenIndexAt(tokens, num(site.body.location) ?? 0);
  const call = callTokens(tokens, nameIndex);
  const span = byteSpan(ctx, tokens, nameIndex, call.close);
  const position = ctx.offsets.position(span.start);

  if (isAggregateLike(site.body)) {
    throw new PgError(SqlState.WrongObjectType, `aggregate syntax used, but ${qualified} is not an aggregate function`, { position });
  }
  if (site.body.func_variadic === true) {
    throw new PgError(SqlState.UndefinedFunction, `function ${qualified} with VARIADIC argument does not exist`, { position });
  }

  const ranges = argumentRanges(tokens, call);
  const argNodes = list(site.body.args);
  if (ranges.length !== argNodes.length) {
    throw new PgError(SqlState.InternalError, `argument count of ${qualified} differs between parser and tokenizer`);
  }
  const argList = argNodes.map((node, i): CallArg => {
    const range = ranges[i] as { first: number; last: number };
    const named = nodeOf(node, 'NamedArgExpr');
    // `name => value`: the value starts two tokens in.
    const argSpan = byteSpan(ctx, tokens, named === undefined ? range.first : range.first + 2, range.last);
    const classified = classifyArg(named === undefined ? node : named.arg, {
      sqlText: ctx.sql.slice(argSpan.start, argSpan.end),
      span: argSpan,
      callIdOf: (body) => byBody.get(body)?.id,
      callType: (id) => resultType(done.get(id)),
      isFromItem: (name) => site.fromNames.has(name),
      standalone: (value) => standaloneArgument(value, site.withClauses),
    });
    const type = classified.type ?? ctx.columnTypes.get(argSpan.start);
    const arg: CallArg = { expr: classified.expr, type };
    const name = str(named?.name);
    if (name !== undefined) arg.name = name;
    return arg;
  });
  checkArgumentNames(argList, position);
  const resolution = resolveOverload(site.overloads, qualified, argList, position);
  requestColumnProbes(site, argNodes, argList, resolution, ctx);

  const base = {
    id: site.id,
    schema: site.schema,
    name: site.name,
    span,
    replaceSpan: span,
    position,
    signature: resolution.signature,
    args: resolution.args,
    argList,
    alternatives: resolution.alternatives,
    ...(site.parentId === undefined ? {} : { parentId: site.parentId }),
  };
  if (site.rangeFunction === undefined) {
    return {
      ...base,
      context: 'expression',
      ...(site.columnName === undefined ? {} : { columnName: site.columnName }),
      ...(site.isWholeColumn === true ? { isWholeColumn: true } : {}),
    };
  }
  const range = site.rangeFunction;
  if (range.is_rowsfrom === true || list(range.functions).length !== 1) {
    throw new PgError(SqlState.FeatureNotSupported, `ROWS FROM (...) cannot contain ${qualified}`, { position });
  }
  const from = describeFromItem(range, resolution.signature, position);
  const last = fromItemLastToken(tokens, call.close, {
    ordinality: from.ordinality,
    hasAlias: range.alias !== undefined && str((range.alias as AstBody).aliasname) !== undefined,
    hasColumnList: list((range.alias as AstBody | undefined)?.colnames).length > 0,
  });
  try {
    outputColumnNames(from); // checked here, where the error can point at the call
  } catch (error) {
    throw error instanceof PgError ? error.withPosition(position) : error;
  }
  return { ...base, context: 'from', from, replaceSpan: byteSpan(ctx, tokens, nameIndex, last) };
}

/**
 * A column of unknown type bound to an array of features, where another overload takes a row:
 * a composite-typed column is a row (ColumnProbe), and only the upstream can say which it is.
 */
function requestColumnProbes(site: Found, argNodes: unknown[], argList: readonly CallArg[], resolution: Resolution, ctx: FindContext): void {
  if (site.topScope === undefined) return;
  for (const [i, arg] of argList.entries()) {
    const start = arg.expr.span.start;
    if (arg.type !== undefined || ctx.columnTypes.has(start) || bindsRow({ signature: resolution.signature, args: resolution.args }, arg.expr)) continue;
    const takesRow = site.overloads.some((signature) => {
      const args = bindArguments(signature, argList);
      return args !== undefined && bindsRow({ signature, args }, arg.expr);
    });
    const node = argNodes[i];
    const probe = takesRow ? columnTypeProbe(nodeOf(node, 'NamedArgExpr')?.arg ?? node, site.topScope, ctx.catalog) : undefined;
    if (probe !== undefined) ctx.columnProbes.push({ argStart: start, sql: probe });
  }
}

function resultType(site: CallSite | undefined): ArgType {
  if (site === undefined) return undefined;
  const returns = site.signature.returns;
  return returns.kind === 'table' ? 'record' : returns.type;
}

function byteSpan(ctx: FindContext, tokens: readonly ScanToken[], first: number, last: number): Span {
  const start = (tokens[first] as ScanToken).start;
  const end = (tokens[last] as ScanToken).end;
  return { start: ctx.offsets.charIndex(start), end: ctx.offsets.charIndex(end) };
}
