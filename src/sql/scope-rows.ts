/**
 * Reads a query scope's FROM once. A keyed per-row call reads its scope twice: once to enumerate
 * the arguments it will meet, once when the statement runs and looks each row's result up. A FROM
 * that gives other rows the second time (ORDER BY random() LIMIT n, TABLESAMPLE, a volatile
 * function, a table a concurrent writer changes under READ COMMITTED) would meet arguments that
 * were never evaluated. So each FROM item is copied into a temporary table first, and both the
 * enumeration and the statement read the copy: the statement sees exactly the rows evaluated, as
 * if its FROM had been read once, when the copy was made.
 *
 * What is copied: every item of the FROM list (a table, a subquery, a TABLESAMPLE, a function
 * when it comes first) under its own name, and the tables inside a JOIN. Left as written: LATERAL
 * items and functions after other items (they may read the items before them, which are copies
 * by then) and other items inside a JOIN. The tables read by subqueries of the scope's WHERE are
 * copied as well (readWhereSubqueriesOnce). The target of
 * an UPDATE or DELETE must stay the table it writes: its rows are locked instead (lockTargetRows).
 */
import type { ScanToken } from 'libpg-query';
import type { Span } from './args.js';
import { list, nameList, nodeOf, num, str, walk, type AstBody } from './ast.js';
import { quoteIdent } from './render.js';
import { deparseStatement, parseStatements, TextOffsets } from './parser.js';

/** A text edit of the statement: the span (character indices into the query text) and its replacement. */
export interface SpanEdit {
  replaceSpan: Span;
  text: string;
}

export interface ScopeCopy {
  /** Temporary table name (schema-qualified) and the SELECT whose rows it holds. */
  table: string;
  selectSql: string;
  /** For the row identities of a locked UPDATE or DELETE target: the target's name. */
  locks?: string;
}

export interface ScopeRows {
  copies: ScopeCopy[];
  /** Edits of the statement text: each copied item replaced by its table, under the item's name. */
  edits: SpanEdit[];
}

export interface ScopeText {
  /** The statement's text, its significant tokens (byte offsets) and its start in the query text. */
  text: string;
  tokens: readonly ScanToken[];
  start: number;
  /** The CTEs a copy can see: those of the scope and its enclosing queries that only read. */
  withClause?: AstBody;
  /** Names of every CTE the scope sees, data-modifying ones included (those are not copied). */
  cteNames: ReadonlySet<string>;
  newTable(): string;
}

/** Clause keywords that end a FROM list at its own nesting level. */
const AFTER_FROM = new Set(['WHERE', 'GROUP', 'HAVING', 'WINDOW', 'ORDER', 'LIMIT', 'OFFSET', 'FETCH', 'FOR', 'UNION', 'INTERSECT', 'EXCEPT', 'RETURNING', ';']);

/**
 * Copies the scope's FROM items (see above): returns the copies to make and the statement edits,
 * and rewrites the scope's AST in place to read the copies (for the enumeration built from it).
 * Nothing is copied when the text cannot be matched to the AST item by item.
 */
export function readScopeOnce(type: string, body: AstBody, scope: ScopeText): ScopeRows {
  const key = type === 'DeleteStmt' ? 'usingClause' : 'fromClause';
  const items = list(body[key]);
  const none = { copies: [], edits: [] };
  // SELECT ... FOR UPDATE must lock the tables' rows, not a copy's: such a scope is read as written.
  if (items.length === 0 || list(body.lockingClause).length > 0) return none;
  const segments = fromSegments(type, body, scope.tokens);
  if (segments === undefined || segments.length !== items.length) return none;
  const out: ScopeRows = { copies: [], edits: [] };
  const maker = copier(scope, out);
  const rewritten = items.map((item, i) => {
    const alias = wholeItemAlias(item, scope, i === 0);
    if (alias !== undefined) {
      const [first, last] = segments[i] as [number, number];
      const replacement = maker.copy(item, alias);
      out.edits.push({ replaceSpan: maker.spanOf(first, last), text: `${tableOf(replacement)} AS ${quoteIdent(alias)}` });
      return replacement;
    }
    return copyJoinedTables(item, scope, maker, out.edits);
  });
  body[key] = rewritten;
  return out;
}

/** The name an item is read under, when the item is copied whole; undefined when it is not copied. */
function wholeItemAlias(item: unknown, scope: ScopeText, first: boolean): string | undefined {
  const range = nodeOf(item, 'RangeVar');
  if (range !== undefined) return copiable(range, scope) ? (aliasOf(range) ?? str(range.relname)) : undefined;
  const sample = nodeOf(item, 'RangeTableSample');
  if (sample !== undefined) {
    const relation = nodeOf(sample.relation, 'RangeVar');
    return relation !== undefined && copiable(relation, scope) ? (aliasOf(relation) ?? str(relation.relname)) : undefined;
  }
  const subquery = nodeOf(item, 'RangeSubselect');
  if (subquery !== undefined) return subquery.lateral === true ? undefined : (aliasOf(subquery) ?? 'pgml_proxy_subquery');
  // A function in FROM may read the items before it (as if LATERAL): only the first is read alone.
  const fn = nodeOf(item, 'RangeFunction');
  if (fn !== undefined && fn.lateral !== true && first) {
    const calls = list(fn.functions);
    const call = nodeOf(list(nodeOf(calls[0], 'List')?.items)[0], 'FuncCall');
    // A single function names its item after itself; ROWS FROM(...) without an alias has no usable name.
    return aliasOf(fn) ?? (calls.length === 1 && fn.is_rowsfrom !== true ? nameList(call?.funcname).at(-1) : undefined);
  }
  return undefined;
}

/** Makes copies for a scope: `copy` records one and returns the RangeVar reading it; `spanOf` turns tokens into text spans. */
interface Copier {
  copy(item: unknown, alias: string): AstBody;
  spanOf(first: number, last: number): Span;
}

function copier(scope: ScopeText, out: ScopeRows): Copier {
  const offsets = new TextOffsets(scope.text);
  const spanOf = (first: number, last: number): Span => ({
    start: scope.start + offsets.charIndex((scope.tokens[first] as ScanToken).start),
    end: scope.start + offsets.charIndex((scope.tokens[last] as ScanToken).end),
  });
  const copy = (item: unknown, alias: string): AstBody => {
    const table = scope.newTable();
    out.copies.push({ table, selectSql: selectAll(item, scope.withClause) });
    const [schemaname, relname] = table.split('.') as [string, string];
    return { RangeVar: { schemaname, relname, inh: true, relpersistence: 'p', alias: { aliasname: alias } } };
  };
  return { copy, spanOf };
}

/** Tables inside a JOIN, copied under their names; the JOIN's text around them stays. */
function copyJoinedTables(item: unknown, scope: ScopeText, copier: Copier, edits: SpanEdit[]): unknown {
  const join = nodeOf(item, 'JoinExpr');
  if (join !== undefined) {
    return { JoinExpr: { ...join, larg: copyJoinedTables(join.larg, scope, copier, edits), rarg: copyJoinedTables(join.rarg, scope, copier, edits) } };
  }
  const range = nodeOf(item, 'RangeVar');
  return (range !== undefined && copyTable(range, scope, copier, edits)) || item;
}

/** A table read under its name (or alias) from a copy: the edit of its text, and the RangeVar reading the copy (undefined if not copied). */
function copyTable(range: AstBody, scope: ScopeText, { copy, spanOf }: Copier, edits: SpanEdit[]): AstBody | undefined {
  const location = num(range.location);
  if (location === undefined || !copiable(range, scope)) return undefined;
  const first = scope.tokens.findIndex((t) => t.start === location);
  const parts = [range.catalogname, range.schemaname, range.relname].filter((p) => p !== undefined).length;
  const last = first + 2 * (parts - 1);
  if (first < 0 || scope.tokens[last] === undefined) return undefined;
  const alias = aliasOf(range);
  const replacement = copy({ RangeVar: { ...range, alias: undefined } }, alias ?? (str(range.relname) as string));
  edits.push({ replaceSpan: spanOf(first, last), text: alias === undefined ? `${tableOf(replacement)} AS ${quoteIdent(str(range.relname) as string)}` : tableOf(replacement) });
  // The user's alias and column list stay in the text: keep them in the AST too.
  return range.alias === undefined ? replacement : { RangeVar: { ...(replacement.RangeVar as AstBody), alias: range.alias } };
}

/**
 * The tables read by the subqueries of a scope's WHERE (`WHERE id IN (SELECT id FROM u)`, `EXISTS
 * (...)`) are copied too: the enumeration, the lock of an UPDATE or DELETE target and the statement
 * evaluate the WHERE each, and must see the same rows in those tables however they are written
 * meanwhile. Left as written: the calls still to be planned (`pending`: their arguments are read
 * from their own text), subqueries of a scope already read from copies, and temporary tables (no
 * other session writes them). A table inside a subquery that defines CTEs might name one of them:
 * such a subquery is left as written.
 */
export function readWhereSubqueriesOnce(body: AstBody, scope: ScopeText, pending: readonly AstBody[]): ScopeRows {
  const out: ScopeRows = { copies: [], edits: [] };
  if (list(body.lockingClause).length > 0) return out;
  const maker = copier(scope, out);
  const tables: AstBody[] = [];
  walk(body.whereClause, {
    enter(type, node) {
      if (type === 'FuncCall' && pending.includes(node)) return false;
      if (type !== 'SubLink') return;
      let definesCtes = false;
      const read: AstBody[] = [];
      walk(node.subselect, {
        enter(inner, innerNode) {
          if (inner === 'FuncCall' && pending.includes(innerNode)) return false;
          if (inner === 'CommonTableExpr') definesCtes = true;
          if (inner === 'RangeVar' && innerNode.schemaname !== 'pg_temp') read.push(innerNode);
        },
      });
      if (!definesCtes) tables.push(...read);
      return false;
    },
  });
  for (const range of tables) {
    const replacement = copyTable(range, scope, maker, out.edits);
    if (replacement === undefined) continue;
    for (const key of Object.keys(range)) delete range[key];
    Object.assign(range, replacement.RangeVar);
  }
  return out;
}

function tableOf(rangeVar: AstBody): string {
  const range = rangeVar.RangeVar as AstBody;
  return `${str(range.schemaname)}.${str(range.relname)}`;
}

function aliasOf(item: AstBody): string | undefined {
  return str((item.alias as AstBody | undefined)?.aliasname);
}

/** A table, or a CTE the copy can see; not a data-modifying CTE, which would run again. */
function copiable(range: AstBody, scope: ScopeText): boolean {
  const name = str(range.relname);
  if (range.schemaname !== undefined || name === undefined || !scope.cteNames.has(name)) return true;
  return list(scope.withClause?.ctes).some((cte) => str(nodeOf(cte, 'CommonTableExpr')?.ctename) === name);
}

function selectAll(item: unknown, withClause: AstBody | undefined): string {
  const select: AstBody = {
    targetList: [{ ResTarget: { val: { ColumnRef: { fields: [{ A_Star: {} }] } } } }],
    fromClause: [item],
    limitOption: 'LIMIT_OPTION_DEFAULT',
    op: 'SETOP_NONE',
  };
  if (withClause !== undefined) select.withClause = withClause;
  return deparseStatement({ SelectStmt: select });
}

/**
 * Token ranges [first, last] of the scope's FROM (USING for DELETE) items, split at the commas of
 * its own nesting level; undefined if the clause cannot be found from the AST's anchors.
 */
function fromSegments(type: string, body: AstBody, tokens: readonly ScanToken[]): [number, number][] | undefined {
  const anchor =
    type === 'DeleteStmt'
      ? num(nodeOf({ RangeVar: body.relation }, 'RangeVar')?.location)
      : num(nodeOf(list(body.targetList).at(-1), 'ResTarget')?.location);
  if (anchor === undefined) return undefined;
  const keyword = type === 'DeleteStmt' ? 'USING' : 'FROM';
  let i = tokens.findIndex((t) => t.start === anchor);
  if (i < 0) return undefined;
  let depth = 0;
  for (; i < tokens.length; i++) {
    const text = (tokens[i] as ScanToken).text;
    if (text === '(' || text === '[') depth++;
    else if (text === ')' || text === ']') depth--;
    if (depth < 0) return undefined;
    if (depth === 0 && text.toUpperCase() === keyword) break;
  }
  const segments: [number, number][] = [];
  let first = i + 1;
  for (i = first; i <= tokens.length; i++) {
    const text = tokens[i]?.text ?? ';';
    if (text === '(' || text === '[') depth++;
    else if (text === ')' || text === ']') depth--;
    const ends = depth < 0 || (depth === 0 && AFTER_FROM.has(text.toUpperCase()));
    if (ends || (depth === 0 && text === ',')) {
      if (i - 1 < first) return undefined;
      segments.push([first, i - 1]);
      first = i + 1;
      if (ends) return segments;
    }
  }
  return undefined;
}

/**
 * The target of an UPDATE or DELETE cannot be replaced by a copy: its rows are locked instead
 * (SELECT ... FOR UPDATE, their tableoid and ctid kept in a temporary table), and both the
 * enumeration and the statement are limited to the rows locked. Locked rows cannot change until
 * the transaction ends, and rows written after the lock are not the statement's: it writes
 * exactly the rows it evaluated, as if it had run when they were locked. The caller runs the
 * statement in the transaction that took the locks. `where` is the scope's WHERE without the calls
 * still to be evaluated (a superset of the rows is locked; the statement's WHERE still applies).
 */
export function lockTargetRows(type: string, body: AstBody, scope: ScopeText, where: unknown): ScopeRows {
  const relation = body.relation as AstBody | undefined;
  const name = aliasOf(relation ?? {}) ?? str(relation?.relname);
  if (relation === undefined || name === undefined || nodeOf(body.whereClause, 'CurrentOfExpr') !== undefined) return { copies: [], edits: [] };
  const whereAt = whereClauseTokens(type, body, scope.tokens);
  if (whereAt === undefined) return { copies: [], edits: [] };
  const table = scope.newTable();
  const alias = quoteIdent(name);
  const lock: AstBody = {
    targetList: [
      { ResTarget: { name: 'pgml_proxy_tableoid', val: { ColumnRef: { fields: [{ String: { sval: name } }, { String: { sval: 'tableoid' } }] } } } },
      { ResTarget: { name: 'pgml_proxy_ctid', val: { ColumnRef: { fields: [{ String: { sval: name } }, { String: { sval: 'ctid' } }] } } } },
    ],
    fromClause: [{ RangeVar: relation }, ...list(body[type === 'DeleteStmt' ? 'usingClause' : 'fromClause'])],
    limitOption: 'LIMIT_OPTION_DEFAULT',
    op: 'SETOP_NONE',
  };
  if (where !== undefined) lock.whereClause = where;
  if (scope.withClause !== undefined) lock.withClause = scope.withClause;
  const selectSql = `${deparseStatement({ SelectStmt: lock })} FOR UPDATE OF ${alias}`;
  const restriction = `(${alias}.tableoid, ${alias}.ctid) IN (SELECT pgml_proxy_tableoid, pgml_proxy_ctid FROM ${table})`;
  const restrictionNode = nodeOf(parseStatements(`SELECT WHERE ${restriction}`)[0]?.stmt, 'SelectStmt')?.whereClause;
  const conjuncts = nodeOf(body.whereClause, 'BoolExpr')?.boolop === 'AND_EXPR' ? list(nodeOf(body.whereClause, 'BoolExpr')?.args) : body.whereClause === undefined ? [] : [body.whereClause];
  body.whereClause = conjuncts.length === 0 ? restrictionNode : { BoolExpr: { boolop: 'AND_EXPR', args: [...conjuncts, restrictionNode] } };
  const offsets = new TextOffsets(scope.text);
  const at = (byte: number) => scope.start + offsets.charIndex(byte);
  const point = (byte: number): Span => ({ start: at(byte), end: at(byte) });
  const edits: SpanEdit[] =
    whereAt.where === undefined
      ? [{ replaceSpan: point(whereAt.end), text: ` WHERE ${restriction} ` }]
      : [
          { replaceSpan: point(whereAt.where), text: ' (' },
          { replaceSpan: point(whereAt.end), text: `) AND ${restriction} ` },
        ];
  return { copies: [{ table, selectSql, locks: name }], edits };
}

/**
 * Byte offsets in the statement: just after its WHERE keyword (absent without a WHERE), and where
 * the WHERE clause ends (or would stand): before RETURNING, or at the end.
 */
function whereClauseTokens(type: string, body: AstBody, tokens: readonly ScanToken[]): { where?: number; end: number } | undefined {
  const anchor =
    type === 'DeleteStmt'
      ? num((body.relation as AstBody | undefined)?.location)
      : num(nodeOf(list(body.targetList).at(-1), 'ResTarget')?.location);
  let i = tokens.findIndex((t) => t.start === anchor);
  if (anchor === undefined || i < 0) return undefined;
  let depth = 0;
  let where: number | undefined;
  for (; i < tokens.length; i++) {
    const token = tokens[i] as ScanToken;
    if (token.text === '(' || token.text === '[') depth++;
    else if (token.text === ')' || token.text === ']') depth--;
    if (depth !== 0) continue;
    const word = token.text.toUpperCase();
    if (word === 'WHERE') where = token.end;
    if (word === 'RETURNING') return { ...(where === undefined ? {} : { where }), end: token.start };
  }
  const last = tokens.at(-1);
  if (last === undefined) return undefined;
  return { ...(where === undefined ? {} : { where }), end: last.end };
}
