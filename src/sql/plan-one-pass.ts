/**
 * One-pass plans: when every per-row call of a SELECT stands in its select list, or every per-row
 * call of an INSERT, UPDATE or DELETE in its RETURNING list (alone, or as the value of a one-row
 * subquery such as an inlined function leaves there), the statement goes to the
 * upstream once. Each such call is replaced by a typed NULL, which keeps the column's name and
 * type, and the arguments that read the rows are appended as extra output columns; the proxy puts
 * each row's result in place of the NULL and drops the extra columns (src/proxy/batch/one-pass.ts).
 * Whatever the FROM is (ORDER BY random() LIMIT n, TABLESAMPLE, volatile functions, rows written
 * meanwhile), every row is evaluated on exactly the arguments it was sent with.
 *
 * The select list is not the only place a call's result could matter: ORDER BY, GROUP BY or
 * DISTINCT reading a call's column would read the NULL. Such statements get no one-pass plan.
 */
import type { ScanToken } from 'libpg-query';
import type { CallSite, StatementAnalysis } from './analyze.js';
import { list, nodeOf, num, str, typeNameToSql, type AstBody } from './ast.js';
import { parseStatements, scanTokens, TextOffsets } from './parser.js';
import { isPerRowArg } from './per-row.js';
import { bindsRow, normalizeType } from './resolve.js';
import { renderExpressionReplacement, spliceText } from './rewrite.js';
import { significantTokens, tokenIndexAt } from './tokens.js';

export interface OnePassInput {
  /** The parameter the value fills. */
  name: string;
  /** An extra output column (index among the extra columns), or a nested call's result. */
  source: { kind: 'column'; index: number } | { kind: 'call'; callId: number };
  /** Rows (ROW(...), t.*) travel as jsonb, to the overload that takes a row. */
  json: boolean;
}

export interface OnePassCall {
  site: CallSite;
  inputs: OnePassInput[];
  /**
   * For a call of the select list: where its result goes, counted from the last of the client's
   * columns (0 = the last). `SELECT *` expands to columns the text does not show, so only the
   * columns after the call are counted. Absent for calls nested in another call's arguments.
   */
  fromEnd?: number;
}

export interface OnePassPlan {
  /** Innermost first: a nested call's results are there when the call around it is evaluated. */
  calls: OnePassCall[];
  /** SQL of the extra output columns, in order. */
  extraColumns: string[];
  /** Index in the query text where the extra columns go (the end of the select list). */
  insertAt: number;
}

export interface OnePassOptions {
  /** Whether the proxy can write values of this SQL type into a DataRow itself. */
  canPlaceType(type: string): boolean;
}

/** A one-pass plan for these per-row calls (top-level calls of `stmt`), or undefined. */
export function planOnePass(
  sql: string,
  stmt: StatementAnalysis,
  perRow: readonly CallSite[],
  options: OnePassOptions,
): OnePassPlan | undefined {
  const output = outputList(stmt);
  if (output === undefined) return undefined;
  const { root, targets } = output;
  const byteOf = (index: number) => Buffer.byteLength(stmt.sql.slice(0, index - stmt.span.start));
  const plan: OnePassPlan = { calls: [], extraColumns: [], insertAt: 0 };
  const callTargets: number[] = [];
  for (const site of perRow) {
    const returns = site.signature.returns;
    if (site.context !== 'expression' || returns.kind !== 'scalar' || !options.canPlaceType(returns.type)) return undefined;
    const location = byteOf(site.span.start);
    const index = targets.findIndex((t) => callIn(t.val, location, returns.type));
    if (index < 0) return undefined;
    const after = targets.slice(index + 1);
    if (after.some((t) => expandsToColumns(t.val))) return undefined;
    const node = findCall(targets[index]!.val, location)!;
    if (!addCall(plan, site, node, stmt)) return undefined;
    plan.calls.at(-1)!.fromEnd = after.length;
    callTargets.push(index);
  }
  if (readsCallColumns(root, targets, callTargets)) return undefined;
  plan.insertAt = stmt.span.start + selectListEnd(stmt.sql, targets.at(-1)?.location);
  return plan;
}

/** The extra columns' names: the prefix and the column's number, from 1. */
export const EXTRA_COLUMN_PREFIX = 'pgml_proxy_arg_';

/** The statement as sent upstream: `replacements` for the other calls, typed NULLs and extra columns. */
export function renderOnePass(sql: string, stmt: StatementAnalysis, plan: OnePassPlan, replacements: ReadonlyMap<number, string>): string {
  const all = new Map(replacements);
  for (const { site, fromEnd } of plan.calls) {
    const returns = site.signature.returns;
    if (fromEnd !== undefined && site.context === 'expression' && returns.kind === 'scalar') {
      all.set(site.id, renderExpressionReplacement(site, `NULL::${returns.type}`));
    }
  }
  const before = spliceText(sql, { start: stmt.span.start, end: plan.insertAt }, stmt.calls, all);
  const after = spliceText(sql, { start: plan.insertAt, end: stmt.span.end }, stmt.calls, all);
  const extras = plan.extraColumns.map((column, i) => `, ${column} AS ${EXTRA_COLUMN_PREFIX}${i + 1}`).join('');
  // `SELECT f(x)FROM t` is valid SQL: keep a space between the last extra column and what follows.
  const gap = after === '' || /^\s/.test(after) ? '' : ' ';
  return `${before}${extras}${gap}${after}`;
}

/**
 * The statement's output list: a plain SELECT's select list (also a cursor's, DECLARE ... FOR SELECT),
 * or the RETURNING list of an INSERT, UPDATE or DELETE (each returned row is a row the statement
 * wrote, sent as it streams back).
 */
function outputList(stmt: StatementAnalysis): { root: AstBody; targets: AstBody[] } | undefined {
  if (!DML_RETURNING.has(stmt.nodeType) && stmt.nodeType !== 'SelectStmt' && stmt.nodeType !== 'DeclareCursorStmt') return undefined;
  const parsed = nodeOf(parseStatements(stmt.sql)[0]?.stmt, stmt.nodeType);
  // A cursor's rows are its SELECT's, evaluated at each FETCH (src/proxy/one-pass-cursors.ts).
  const root = stmt.nodeType === 'DeclareCursorStmt' ? nodeOf(parsed?.query, 'SelectStmt') : parsed;
  if (root === undefined) return undefined;
  // The parser's RETURNING is a ReturningClause struct holding the list (PostgreSQL 18's AST).
  const returning = (root.returningClause as AstBody | undefined)?.exprs;
  const output = stmt.nodeType === 'SelectStmt' || stmt.nodeType === 'DeclareCursorStmt' ? (isPlainSelect(root) ? root.targetList : undefined) : returning;
  if (list(output).length === 0) return undefined;
  return { root, targets: list(output).map((t) => nodeOf(t, 'ResTarget') ?? {}) };
}

const DML_RETURNING = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt']);

/** No set operation, INTO or DISTINCT: the output rows are the select list's rows. */
function isPlainSelect(root: AstBody): boolean {
  return (
    (root.op === undefined || root.op === 'SETOP_NONE') &&
    root.intoClause === undefined &&
    root.distinctClause === undefined &&
    list(root.valuesLists).length === 0 &&
    list(root.targetList).length > 0
  );
}

/**
 * Whether the call at `location` is the value of this select-list entry: the entry itself, under a
 * cast to its own type, or the one value of a one-row subquery (how inlined functions appear).
 */
function callIn(val: unknown, location: number, returnType: string): boolean {
  let node = val;
  for (;;) {
    const call = nodeOf(node, 'FuncCall');
    if (call !== undefined) return num(call.location) === location;
    const cast = nodeOf(node, 'TypeCast');
    if (cast !== undefined) {
      if (normalizeType(typeNameToSql(cast.typeName)) !== normalizeType(returnType)) return false;
      node = cast.arg;
      continue;
    }
    const inner = oneRowValue(node);
    if (inner === undefined) return false;
    node = inner;
  }
}

function findCall(val: unknown, location: number): AstBody | undefined {
  let node = val;
  for (;;) {
    const call = nodeOf(node, 'FuncCall');
    if (call !== undefined) return call;
    node = nodeOf(node, 'TypeCast')?.arg ?? oneRowValue(node);
    if (node === undefined) return undefined;
  }
}

/** `(SELECT x AS name)`: a scalar subquery computing one value from the enclosing row alone. */
function oneRowValue(node: unknown): unknown {
  const link = nodeOf(node, 'SubLink');
  if (link === undefined || link.subLinkType !== 'EXPR_SUBLINK') return undefined;
  const select = nodeOf(link.subselect, 'SelectStmt');
  if (select === undefined || !isOneRowOfItsScope(select)) return undefined;
  const only = list(select.targetList);
  return only.length === 1 ? nodeOf(only[0], 'ResTarget')?.val : undefined;
}

/**
 * A SELECT that computes one row from the enclosing row alone (no FROM, WHERE, grouping, DISTINCT,
 * ordering, LIMIT, set operation or CTE), such as `(SELECT f(x) AS name)`, the form an inlined
 * function takes to keep its column name: a call in it runs once per row of the enclosing scope.
 */
export function isOneRowOfItsScope(body: AstBody): boolean {
  const absent = ['whereClause', 'groupClause', 'havingClause', 'distinctClause', 'sortClause', 'limitCount', 'limitOffset', 'withClause', 'windowClause'];
  return (
    list(body.fromClause).length === 0 &&
    list(body.valuesLists).length === 0 &&
    (body.op === undefined || body.op === 'SETOP_NONE') &&
    absent.every((key) => body[key] === undefined)
  );
}

/** Adds the call and, first, the per-row calls nested in its arguments; false if an argument does not fit. */
function addCall(plan: OnePassPlan, site: CallSite, node: AstBody, stmt: StatementAnalysis): boolean {
  const argNodes = list(node.args).map((a) => nodeOf(a, 'NamedArgExpr')?.arg ?? a);
  const inputs: OnePassInput[] = [];
  for (const [i, arg] of site.argList.entries()) {
    if (!isPerRowArg(arg.expr, stmt)) continue;
    const name = [...site.args].find(([, bound]) => bound === arg.expr)?.[0];
    if (name === undefined) return false;
    const expr = arg.expr;
    if (expr.kind === 'call') {
      const nested = stmt.calls.find((c) => c.id === expr.callId);
      const nestedNode = nodeOf(argNodes[i], 'FuncCall');
      if (nested === undefined || nestedNode === undefined || !addCall(plan, nested, nestedNode, stmt)) return false;
      inputs.push({ name, source: { kind: 'call', callId: nested.id }, json: false });
      continue;
    }
    // An expression around a nested call would need the call's value inside the upstream's row.
    if (expr.kind !== 'rowDependent' || expr.callIds.length > 0) return false;
    const json = bindsRow(site, expr);
    inputs.push({ name, source: { kind: 'column', index: plan.extraColumns.length }, json });
    plan.extraColumns.push(json ? `to_jsonb(${expr.sqlText})` : `(${expr.sqlText})`);
  }
  plan.calls.push({ site, inputs });
  return true;
}

/** `*`, `t.*`, `(x).*`: one entry of the select list, any number of columns. */
function expandsToColumns(val: unknown): boolean {
  const ref = nodeOf(val, 'ColumnRef');
  if (ref !== undefined) return list(ref.fields).some((f) => nodeOf(f, 'A_Star') !== undefined);
  const indirection = nodeOf(val, 'A_Indirection');
  return indirection !== undefined && list(indirection.indirection).some((i) => nodeOf(i, 'A_Star') !== undefined);
}

/** ORDER BY or GROUP BY naming a call's output column, by name or position. */
function readsCallColumns(root: AstBody, targets: readonly AstBody[], callTargets: readonly number[]): boolean {
  const names = new Set(callTargets.map((i) => outputName(targets[i]!)).filter((n) => n !== undefined));
  const starBefore = (i: number) => targets.slice(0, i).some((t) => expandsToColumns(t.val));
  const items = [...list(root.sortClause).map((s) => nodeOf(s, 'SortBy')?.node), ...list(root.groupClause)];
  return items.some((item) => {
    const position = num((nodeOf(item, 'A_Const')?.ival as AstBody | undefined)?.ival);
    if (position !== undefined) return callTargets.some((i) => starBefore(i) || i === position - 1);
    const fields = list(nodeOf(item, 'ColumnRef')?.fields);
    const name = fields.length === 1 ? str(nodeOf(fields[0], 'String')?.sval) : undefined;
    return name !== undefined && names.has(name);
  });
}

/** The name Postgres gives a select-list entry (FigureColname, for the shapes planOnePass accepts). */
function outputName(target: AstBody): string | undefined {
  const alias = str(target.name);
  if (alias !== undefined) return alias;
  let node = target.val;
  for (;;) {
    const call = nodeOf(node, 'FuncCall');
    if (call !== undefined) return list(call.funcname).map((n) => str(nodeOf(n, 'String')?.sval)).at(-1);
    const cast = nodeOf(node, 'TypeCast');
    if (cast !== undefined) {
      node = cast.arg;
      continue;
    }
    const select = nodeOf(nodeOf(node, 'SubLink')?.subselect, 'SelectStmt');
    const first = nodeOf(list(select?.targetList)[0], 'ResTarget');
    if (first === undefined) return undefined;
    return outputName(first);
  }
}

const CLAUSES = new Set(['FROM', 'INTO', 'WHERE', 'GROUP', 'HAVING', 'WINDOW', 'ORDER', 'LIMIT', 'OFFSET', 'FETCH', 'FOR', 'UNION', 'INTERSECT', 'EXCEPT', ';']);

/** Character index, within the statement, just after its select list. */
function selectListEnd(text: string, lastTarget: unknown): number {
  const tokens = significantTokens(scanTokens(text));
  let depth = 0;
  let end = tokens.at(-1)?.end ?? Buffer.byteLength(text);
  for (let i = tokenIndexAt(tokens, num(lastTarget) ?? 0); i < tokens.length; i++) {
    const token = tokens[i] as ScanToken;
    if (token.text === '(' || token.text === '[') depth++;
    else if (token.text === ')' || token.text === ']') depth--;
    if (depth < 0 || (depth === 0 && CLAUSES.has(token.text.toUpperCase()))) {
      end = (tokens[i - 1] as ScanToken).end;
      break;
    }
  }
  return new TextOffsets(text).charIndex(end);
}
