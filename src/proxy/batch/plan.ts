/**
 * Plans per-row evaluation of calls whose arguments read the rows of their query. For each such
 * call it finds the query scope the call sits in (the innermost SELECT, UPDATE or DELETE) and
 * builds, on the real parser's AST, the enumeration query: the call's row-dependent arguments
 * selected DISTINCT from that scope's FROM (and WHERE, when the call is not itself in the WHERE),
 * with the CTEs in reach. The statement itself is then rewritten to look each row's result up in
 * a temporary table that the runner fills (run.ts).
 *
 * A per-row call may take another per-row call's result (pgml.predict('p', pgml.embed('m', body))):
 * the inner call is planned first, and its lookup replaces it in the outer call's enumeration and
 * lookup, so the outer call is evaluated over the distinct values of the inner call's results.
 */
import { PgError, SqlState } from '../../errors/index.js';
import { parseStatements, quoteString, spliceText } from '../../sql/index.js';
import type { CallSite, Span, StatementAnalysis } from '../../sql/index.js';
import { asTypedNode, list, nameList, nodeOf, num, str, walk, type AstBody } from '../../sql/ast.js';
import { isAggregateLike } from '../../sql/args.js';
import { bindsRow } from '../../sql/resolve.js';
import { rangeFunctionCalls } from '../../sql/analyze.js';
import { isPerRowArg, isRowDependent } from '../../sql/per-row.js';
import { isOneRowOfItsScope } from '../../sql/plan-one-pass.js';
import { lockTargetRows, readScopeOnce, readWhereSubqueriesOnce, type ScopeCopy, type SpanEdit } from '../../sql/scope-rows.js';
import { deparseStatement, scanTokens } from '../../sql/parser.js';
import { significantTokens } from '../../sql/tokens.js';
import { callsVolatile, type VolatileFunctions } from '../../sql/volatility.js';

export interface BatchKey {
  /** Parameter name the key fills. */
  name: string;
  /** The argument as the lookup reads it: its text, with nested per-row calls replaced by their lookups. */
  sqlText: string;
  /** Rows (ROW(...), t.*) travel as jsonb: to_jsonb(...) keys and lookups. */
  json: boolean;
  column: string;
}

export interface BatchPlan {
  site: CallSite;
  table: string;
  keys: BatchKey[];
  /** SELECT DISTINCT <keys> FROM ... : the argument values the statement will need. */
  enumerationSql: string;
  /**
   * For a grouped scope, the enumeration without its GROUP BY and HAVING: when the grouped one is
   * refused for arguments that read ungrouped columns (42803), the call stands inside an aggregate
   * and is evaluated per row of each group, so every row's values are the ones needed.
   */
  ungroupedEnumerationSql?: string;
  /** What replaces the call in the statement. */
  lookupSql: string;
  /** Copies of the scope's FROM items to make before the enumeration (scope-rows.ts); once per scope. */
  copies: ScopeCopy[];
}

export interface BatchPlans {
  plans: BatchPlan[];
  /** Edits of the statement's text besides the calls: its scopes' FROM items read from their copies. */
  edits: SpanEdit[];
}

const SCOPES = new Set(['SelectStmt', 'UpdateStmt', 'DeleteStmt']);
/** Clauses of a scope whose expressions are evaluated once per row of the scope's FROM. */
const ROW_CLAUSES = new Set(['targetList', 'whereClause', 'sortClause', 'havingClause', 'returningClause', 'distinctClause']);

let nextTable = 1;

const within = (inner: Span, outer: Span) => inner.start >= outer.start && inner.end <= outer.end;

/**
 * The calls nested in the per-row arguments of `site`, which are planned per row too. A nested call
 * that does not read the rows would need evaluating once and splicing into both the enumeration and
 * the lookup: not supported yet, so refused.
 */
function nestedPerRowCalls(site: CallSite, stmt: StatementAnalysis): CallSite[] {
  const perRowArgs = site.argList.map((a) => a.expr).filter((arg) => isPerRowArg(arg, stmt));
  return stmt.calls
    .filter((c) => c.parentId === site.id && perRowArgs.some((arg) => within(c.span, arg.span)))
    .map((nested) => {
      if (isRowDependent(nested, stmt)) return nested;
      throw refuse(site, `its per-row argument calls ${nested.schema}.${nested.name}, whose arguments do not depend on rows`, {
        hint: `Compute ${nested.schema}.${nested.name}(...) in a separate statement first and pass its value, or make it read the rows too.`,
      });
    });
}

/** The sites with every per-row call nested in their arguments, at any depth. */
function withNestedPerRowCalls(sites: readonly CallSite[], stmt: StatementAnalysis): CallSite[] {
  const all: CallSite[] = [];
  const add = (site: CallSite): void => {
    all.push(site);
    nestedPerRowCalls(site, stmt).forEach(add);
  };
  sites.forEach(add);
  return all;
}

function refuse(site: CallSite, why: string, options: { hint?: string } = {}): PgError {
  return new PgError(SqlState.FeatureNotSupported, `pgml-proxy cannot evaluate ${site.schema}.${site.name} here: ${why}`, {
    position: site.position,
    hint:
      options.hint ??
      `Per-row calls are supported in the select list, WHERE, ORDER BY, HAVING and RETURNING of a query whose FROM holds the columns they read, e.g. SELECT ${site.schema}.${site.name}('project', ARRAY[a, b]) FROM t`,
  });
}

/**
 * A volatile argument gives another value when the statement evaluates it than when it was
 * enumerated: no result could be found for it. Computed in a FROM item, it is read once (copied).
 */
function volatileArgument(site: CallSite, text: string): PgError {
  return refuse(site, `its per-row argument ${text} calls a volatile function, which would give other values when the statement runs than when the arguments were evaluated`, {
    hint: `Compute the volatile value in a FROM item of its own, e.g. FROM (SELECT *, random() AS r FROM t) s, and pass s.r; or put the call in the select list of a plain SELECT (evaluated in one pass).`,
  });
}

interface Located {
  /** Enclosing scopes, outermost first, each with the clause the path went through. */
  scopes: { type: string; body: AstBody; clause: string }[];
  call: AstBody;
  /** Container holding the call node and its key there, to splice a lookup in for later plans. */
  holder: Record<string | number, unknown>;
  slot: string | number;
}

function locate(root: unknown, byteLocation: number): Located | undefined {
  const scopes: Located['scopes'] = [];
  let found: Located | undefined;
  const visit = (value: unknown, holder: Record<string | number, unknown>, slot: string | number, clause: string): void => {
    if (found || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, value as unknown as Record<number, unknown>, i, clause));
      return;
    }
    const typed = asTypedNode(value);
    if (typed?.type === 'FuncCall' && typed.body.location === byteLocation) {
      found = { scopes: scopes.map((s) => ({ ...s })), call: typed.body, holder, slot };
      return;
    }
    const scope = typed !== undefined && SCOPES.has(typed.type) && !(typed.type === 'SelectStmt' && isOneRowOfItsScope(typed.body));
    const body = (typed?.body ?? value) as AstBody;
    if (scope) scopes.push({ type: typed.type, body, clause: '' });
    for (const [key, child] of Object.entries(body)) {
      if (scope) scopes[scopes.length - 1]!.clause = key;
      visit(child, body, key, scope ? key : clause);
    }
    if (scope) scopes.pop();
  };
  visit(root, { root } as Record<string, unknown>, 'root', '');
  return found;
}

function containsAggregate(node: unknown): boolean {
  let found = false;
  const visit = (value: unknown): void => {
    if (found || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach(visit);
    const typed = asTypedNode(value);
    if (typed?.type === 'FuncCall' && isAggregateLike(typed.body)) found = true;
    if (typed?.type === 'SubLink') return; // a subquery's aggregates are its own
    Object.values(typed?.body ?? (value as AstBody)).forEach(visit);
  };
  visit(node);
  return found;
}

function contains(node: unknown, target: AstBody): boolean {
  let found = false;
  const visit = (value: unknown): void => {
    if (found || value === null || typeof value !== 'object') return;
    if (value === target) found = true;
    else Object.values(value).forEach(visit);
  };
  visit(node);
  return found;
}

/**
 * The part of a scope's WHERE that the enumeration (and the lock of an UPDATE or DELETE target)
 * reads: the AND-ed conditions that hold no call still to be planned (the call itself, or another
 * per-row call in the WHERE, which has no lookup yet) and call no volatile function (random() <
 * 0.1 would pick other rows when the statement evaluates it again: the statement applies it to
 * rows that were all enumerated). Leaving a condition out only enumerates more argument values
 * than the rows need.
 */
function rereadableConditions(where: unknown, pending: readonly AstBody[], volatile: VolatileFunctions): unknown {
  const bool = nodeOf(where, 'BoolExpr');
  const and = bool?.boolop === 'AND_EXPR';
  const conditions = and ? list(bool?.args) : where === undefined ? [] : [where];
  const kept = conditions.filter((condition) => !pending.some((call) => contains(condition, call)) && !callsVolatile(condition, volatile));
  if (kept.length === conditions.length) return where;
  if (kept.length === 0) return undefined;
  return kept.length === 1 ? kept[0] : { BoolExpr: { ...bool, args: kept } };
}

function withClauseInReach(scopes: Located['scopes']): AstBody | undefined {
  const ctes: unknown[] = [];
  let recursive = false;
  for (const scope of scopes) {
    const clause = scope.body.withClause as AstBody | undefined;
    if (!clause) continue;
    recursive ||= clause.recursive === true;
    // A data-modifying CTE would run again: leave it out (a reference to it then fails, and is refused).
    for (const cte of list(clause.ctes)) {
      const query = (nodeOf(cte, 'CommonTableExpr') as AstBody | undefined)?.ctequery;
      if (nodeOf(query, 'SelectStmt') !== undefined) ctes.push(cte);
    }
  }
  return ctes.length === 0 ? undefined : { ctes, recursive };
}

function enumeration(
  site: CallSite,
  located: Located,
  keyNodes: unknown[],
  pending: readonly AstBody[],
  volatile: VolatileFunctions,
): { sql: string; ungroupedSql?: string } {
  const scope = located.scopes[located.scopes.length - 1];
  if (!scope) throw refuse(site, 'the call is not inside a query');
  const body = scope.body;
  if (scope.clause === 'fromClause' && scope.type === 'SelectStmt') return lateralEnumeration(site, located, body, keyNodes);
  if (!ROW_CLAUSES.has(scope.clause)) throw refuse(site, `its arguments depend on rows, and it stands in ${scope.clause}`);
  let from: unknown[];
  if (scope.type === 'SelectStmt') {
    if (list(body.valuesLists).length > 0) throw refuse(site, 'it stands in a VALUES list');
    from = list(body.fromClause);
  } else if (scope.type === 'UpdateStmt') {
    from = [{ RangeVar: body.relation }, ...list(body.fromClause)];
  } else {
    from = [{ RangeVar: body.relation }, ...list(body.usingClause)];
  }
  const where = rereadableConditions(body.whereClause, pending, volatile);
  // Arguments of a grouped query are evaluated per group (aggregates cannot be told from other
  // calls without the catalog, so any GROUP BY counts); WHERE runs before grouping.
  const grouped = scope.clause !== 'whereClause' && (body.groupClause !== undefined || keyNodes.some(containsAggregate));
  const keys = scope.type === 'UpdateStmt' && scope.clause === 'returningClause' ? keyNodes.map((node) => asUpdated(node, body)) : keyNodes;
  const select: AstBody = {
    distinctClause: [{}],
    targetList: keys.map((node, i) => ({ ResTarget: { name: `pgml_proxy_key_${i + 1}`, val: node } })),
    limitOption: 'LIMIT_OPTION_DEFAULT',
    op: 'SETOP_NONE',
  };
  if (from.length > 0) select.fromClause = from;
  if (where !== undefined) select.whereClause = where;
  const withClause = withClauseInReach(located.scopes);
  if (withClause !== undefined) select.withClause = withClause;
  const ungrouped = deparseSelect(select);
  if (grouped && body.groupClause !== undefined) select.groupClause = groupingByExpressions(located, body, keyNodes);
  if (grouped && scope.clause !== 'havingClause' && body.havingClause !== undefined) select.havingClause = body.havingClause;
  if (select.groupClause === undefined && select.havingClause === undefined) return { sql: ungrouped };
  return { sql: deparseSelect(select), ungroupedSql: ungrouped };
}

/**
 * An UPDATE's RETURNING reads the rows as updated, and the enumeration reads them before: in a key,
 * a column the SET assigns (`SET f = expr`, by its name alone or after the target's name) stands for
 * its expression, read from the row before the update, as the SET reads it. The SET's per-row
 * calls are planned before (clauseRank), so the expression holds their lookups. Assignments to
 * subscripts or fields and multi-column ones are left out: a key reading them is enumerated before
 * the update, and a row the update changed fails (40001).
 */
function asUpdated(node: unknown, update: AstBody): unknown {
  const target = str((update.relation as AstBody | undefined)?.relname);
  const alias = str(((update.relation as AstBody | undefined)?.alias as AstBody | undefined)?.aliasname) ?? target;
  const assigned = new Map<string, unknown>();
  for (const item of list(update.targetList)) {
    const set = nodeOf(item, 'ResTarget');
    const name = str(set?.name);
    if (set === undefined || name === undefined || list(set.indirection).length > 0 || nodeOf(set.val, 'MultiAssignRef') !== undefined) continue;
    assigned.set(name, set.val);
  }
  if (assigned.size === 0) return node;
  const replace = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map(replace);
    const ref = nodeOf(value, 'ColumnRef');
    if (ref !== undefined) {
      const fields = nameList(ref.fields);
      const column = fields.length === 1 ? fields[0] : fields.length === 2 && fields[0] === alias ? fields[1] : undefined;
      const expression = column === undefined ? undefined : assigned.get(column);
      if (expression !== undefined) return structuredClone(expression);
    }
    if (nodeOf(value, 'SubLink') !== undefined) return value; // a subquery's columns may be its own
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, replace(child)]));
  };
  return replace(node);
}

/**
 * A call in a LATERAL subquery of one row (`FROM t, LATERAL (SELECT pgml.predict('p', t.f) AS p) l`,
 * the form an inlined function called in FROM takes), or a function item itself (`FROM docs,
 * LATERAL pgml.chunk('recursive_character', docs.body) c`), runs once per row of the FROM items
 * before it: those rows (read from their copies) are the ones to enumerate. The WHERE may read the
 * subquery's own columns, so it is left out: more argument values than needed, never fewer.
 */
function lateralEnumeration(site: CallSite, located: Located, body: AstBody, keyNodes: unknown[]): { sql: string } {
  const items = list(body.fromClause);
  const index = items.findIndex((item) => contains(item, located.call));
  const subquery = nodeOf(items[index], 'RangeSubselect');
  const select = nodeOf(subquery?.subquery, 'SelectStmt');
  const oneRow = subquery?.lateral === true && select !== undefined && isOneRowOfItsScope(select);
  // A function item may read the items before it, LATERAL or not: `FROM docs, LATERAL pgml.chunk(..., docs.body)`.
  const fn = nodeOf(items[index], 'RangeFunction');
  const isFunctionItem = fn !== undefined && rangeFunctionCalls(fn).includes(located.call);
  if ((!oneRow && !isFunctionItem) || index === 0) {
    throw refuse(site, 'its arguments depend on rows, and it stands in FROM', {
      hint: `A per-row call in FROM is evaluated in a LATERAL subquery of one row after the items it reads, e.g. FROM t, LATERAL (SELECT ${site.schema}.${site.name}('project', t.features) AS p) l; or call it in the select list.`,
    });
  }
  const enumeration: AstBody = {
    distinctClause: [{}],
    targetList: keyNodes.map((node, i) => ({ ResTarget: { name: `pgml_proxy_key_${i + 1}`, val: node } })),
    fromClause: items.slice(0, index),
    limitOption: 'LIMIT_OPTION_DEFAULT',
    op: 'SETOP_NONE',
  };
  const withClause = withClauseInReach(located.scopes);
  if (withClause !== undefined) enumeration.withClause = withClause;
  return { sql: deparseSelect(enumeration) };
}

function deparseSelect(select: AstBody): string {
  return deparseStatement({ SelectStmt: { ...select } });
}

/**
 * The scope's GROUP BY for the enumeration. `GROUP BY 2` names the scope's second output column,
 * which is not the enumeration's second column: such positions are replaced by the expressions they
 * name. A position naming an expression that holds the call itself (grouping by its result) is
 * replaced by the call's arguments: a finer grouping, which enumerates every argument value the
 * groups need (and if the arguments aggregate, Postgres refuses them in GROUP BY: an error, never a
 * wrong answer).
 */
function groupingByExpressions(located: Located, body: AstBody, keyNodes: readonly unknown[]): unknown[] {
  const targets = list(body.targetList).map((t) => nodeOf(t, 'ResTarget')?.val);
  const resolve = (item: unknown): unknown[] => {
    const constant = nodeOf(item, 'A_Const');
    const position = num((constant?.ival as AstBody | undefined)?.ival);
    if (constant === undefined || position === undefined) {
      const set = nodeOf(item, 'GroupingSet');
      return [set === undefined ? item : { GroupingSet: { ...set, content: list(set.content).flatMap(resolve) } }];
    }
    const target = targets[position - 1];
    if (target === undefined) return [item]; // out of range: Postgres reports it when the statement runs
    return contains(target, located.call) ? [...keyNodes] : [target];
  };
  return list(body.groupClause).flatMap(resolve);
}

/**
 * The SQL that reads a row's result from the call's results table. A row whose arguments were not
 * evaluated (its FROM changed between the enumeration and the statement) fails the statement
 * (migration 0012) instead of reading NULL; NULL arguments match no key and give NULL, as they
 * always have. `filtered`: the call stands in a WHERE whose other conditions the enumeration
 * applied to the same rows (filteredByWhere): a miss is then a row those conditions reject, which
 * Postgres may still hand the call (it evaluates conditions in any order, and pushes a condition
 * on one table below a join), and whose value is never seen.
 */
function lookup(site: CallSite, table: string, keys: readonly BatchKey[], filtered: boolean): string {
  const values = keys.map((k) => (k.json ? `to_jsonb(${k.sqlText})` : `(${k.sqlText})`));
  const conditions = keys.map((k, i) => `pgml_proxy_r.${k.column} = ${values[i]}`).join(' AND ');
  const anyNull = values.map((v) => `${v} IS NULL`).join(' OR ');
  const type = resultColumnType(site, table);
  const missing = filtered ? `NULL::${type}` : `pgml_proxy.missing_result(NULL::${type}, ${quoteString(site.schema)}, ${quoteString(site.name)})`;
  return (
    `(SELECT CASE WHEN pgml_proxy_r.pgml_proxy_id IS NOT NULL THEN pgml_proxy_r.pgml_proxy_value WHEN ${anyNull} THEN NULL ELSE ${missing} END` +
    ` FROM (SELECT) pgml_proxy_one LEFT JOIN ${table} pgml_proxy_r ON ${conditions})`
  );
}

/**
 * The type of a results table's value column: a set-returning call's rows are kept as one array per
 * key; a table's rows as an array of the row type `table` has beside it (rowTypeOf), when given.
 */
export function resultColumnType(site: CallSite, table?: string): string {
  const returns = site.signature.returns;
  if (returns.kind === 'table') return table === undefined ? 'record' : `${rowTypeOf(table)}[]`;
  return returns.kind === 'setof' ? `${returns.type}[]` : returns.type;
}

/** The temporary table whose row type holds one row of a table-returning call's results. */
export function rowTypeOf(table: string): string {
  return `${table}_row`;
}

/**
 * Whether a call in the scope's WHERE may read a miss as NULL: when every row the statement can
 * read was enumerated unless the WHERE's other conditions reject it. That holds when the
 * enumeration and the statement read the same rows and apply the same conditions to them the same
 * way: every table of the scope's FROM and of the conditions the enumeration keeps is a copy or a
 * temporary table (the target of an UPDATE or DELETE is locked), and nothing else is read there
 * (no LATERAL item, no function or subquery left in FROM). The conditions hold no volatile call
 * (rereadableConditions), nor do the JOINs' and the arguments (refused).
 */
function filteredByWhere(scope: Located['scopes'][number], kept: unknown, volatile: VolatileFunctions): boolean {
  if (scope.clause !== 'whereClause') return false;
  const from = list(scope.body[scope.type === 'DeleteStmt' ? 'usingClause' : 'fromClause']);
  // A JOIN's ON condition is applied again too.
  if (callsVolatile(from, volatile)) return false;
  let copied = true;
  const check = (node: unknown, top: boolean) =>
    walk(node, {
      enter(type, body) {
        if (type === 'RangeVar' && body.schemaname !== 'pg_temp') copied = false;
        if (top && (type === 'RangeFunction' || type === 'RangeSubselect')) copied = false;
        if (type === 'SubLink') {
          check(body.subselect, false);
          return false;
        }
        return copied;
      },
    });
  check(from, true);
  check(kept, false);
  return copied;
}

function toJsonb(node: unknown): unknown {
  return { FuncCall: { funcname: [{ String: { sval: 'to_jsonb' } }], args: [node], funcformat: 'COERCE_EXPLICIT_CALL' } };
}

/**
 * Calls in a scope's FROM (a LATERAL subquery) come first, then those in its WHERE, then those in
 * its HAVING: the enumerations of the scope's other clauses read its FROM and filter rows (and
 * groups) with them, so they must read lookups by then. An UPDATE's RETURNING comes after its SET,
 * whose expressions its enumeration reads (asUpdated).
 */
function clauseRank(found: Located): number {
  const clause = found.scopes[found.scopes.length - 1]?.clause;
  return clause === 'fromClause' ? 0 : clause === 'whereClause' ? 1 : clause === 'havingClause' ? 2 : clause === 'returningClause' ? 4 : 3;
}

/** How many intercepted calls enclose this one. */
function nestingDepth(site: CallSite, stmt: StatementAnalysis): number {
  let depth = 0;
  for (let id = site.parentId; id !== undefined; id = stmt.calls.find((c) => c.id === id)?.parentId) depth++;
  return depth;
}

/**
 * Plans every row-dependent call of the statement, and the per-row calls nested in their arguments.
 * Calls in deeper scopes come first, then (clauseRank) those of the WHERE and HAVING, then nested
 * calls before the calls around them: their lookups are spliced into the AST and into the argument
 * texts, so a later call's enumeration and lookup read their results instead of calling them again
 * (the upstream only knows pgml.* as stubs that refuse to run).
 */
export function planBatches(sql: string, stmt: StatementAnalysis, sites: readonly CallSite[], volatile: VolatileFunctions): BatchPlans {
  const text = stmt.sql;
  const tokens = significantTokens(scanTokens(text));
  const copiedScopes = new Set<AstBody>();
  const edits: SpanEdit[] = [];
  const root = parseStatements(text)[0]?.stmt;
  const byteOf = (index: number) => Buffer.byteLength(text.slice(0, index - stmt.span.start));
  const located = withNestedPerRowCalls(sites, stmt).map((site) => {
    const found = locate(root, byteOf(site.span.start));
    if (!found) throw new PgError(SqlState.InternalError, `could not find ${site.schema}.${site.name} in the parse tree`);
    return { site, found, depth: nestingDepth(site, stmt) };
  });
  located.sort(
    (a, b) => b.found.scopes.length - a.found.scopes.length || clauseRank(a.found) - clauseRank(b.found) || b.depth - a.depth,
  );
  const pending = located.map(({ found }) => found.call);
  const lookups = new Map<number, string>();
  const plans = located.map(({ site, found }) => {
    // The scope's FROM is read once, into copies that its enumeration and the statement both read.
    const scope = found.scopes.at(-1);
    let copies: ScopeCopy[] = [];
    if (scope !== undefined && !copiedScopes.has(scope.body)) {
      copiedScopes.add(scope.body);
      const withClause = withClauseInReach(found.scopes);
      const newTable = () => `pg_temp.pgml_proxy_rows_${process.pid}_${nextTable++}`;
      const cteNames = new Set(found.scopes.flatMap((s) => list((s.body.withClause as AstBody | undefined)?.ctes).map((c) => String(nodeOf(c, 'CommonTableExpr')?.ctename))));
      const scopeText = { text, tokens, start: stmt.span.start, newTable, cteNames, ...(withClause ? { withClause } : {}) };
      const read = readScopeOnce(scope.type, scope.body, scopeText);
      const subqueries = readWhereSubqueriesOnce(scope.body, scopeText, pending);
      copies = [...read.copies, ...subqueries.copies];
      edits.push(...read.edits, ...subqueries.edits);
      if (scope.type === 'UpdateStmt' || scope.type === 'DeleteStmt') {
        const locked = lockTargetRows(scope.type, scope.body, scopeText, rereadableConditions(scope.body.whereClause, pending, volatile));
        copies = [...copies, ...locked.copies];
        edits.push(...locked.edits);
      }
    }
    const argNodes = list(found.call.args).map((a) => nodeOf(a, 'NamedArgExpr')?.arg ?? a);
    const keys: BatchKey[] = [];
    const keyNodes: unknown[] = [];
    site.argList.forEach((arg, i) => {
      if (!isPerRowArg(arg.expr, stmt)) return;
      const name = [...site.args].find(([, a]) => a === arg.expr)?.[0] ?? `arg${i + 1}`;
      const node = argNodes[i];
      if (callsVolatile(node, volatile)) throw volatileArgument(site, arg.expr.sqlText);
      const json = bindsRow(site, arg.expr);
      // Nested per-row calls were planned already: the upstream must read their results, not call them.
      const sqlText = spliceText(sql, arg.expr.span, stmt.calls, lookups);
      keys.push({ name, sqlText, json, column: `pgml_proxy_key_${keys.length + 1}` });
      keyNodes.push(json ? toJsonb(node) : node);
    });
    const table = `pg_temp.pgml_proxy_results_${process.pid}_${nextTable++}`;
    const { sql: enumerationSql, ungroupedSql: ungroupedEnumerationSql } = enumeration(site, found, keyNodes, pending, volatile);
    const filtered = scope !== undefined && filteredByWhere(scope, rereadableConditions(scope.body.whereClause, pending, volatile), volatile);
    pending.splice(pending.indexOf(found.call), 1);
    const lookupSql = lookup(site, table, keys, filtered);
    lookups.set(site.id, lookupSql);
    // Later (outer) plans enumerate through this call's lookup, not the call.
    const lookupNode = (parseStatements(`SELECT ${lookupSql}`)[0]?.stmt as AstBody).SelectStmt as AstBody;
    found.holder[found.slot] = nodeOf(list(lookupNode.targetList)[0], 'ResTarget')?.val;
    return { site, table, keys, enumerationSql, ...(ungroupedEnumerationSql === undefined ? {} : { ungroupedEnumerationSql }), lookupSql, copies };
  });
  return { plans, edits };
}
