/**
 * Splices replacement text for intercepted calls into the original statement text. Everything
 * outside the replaced spans stays byte-identical, so the upstream sees the user's SQL.
 */
import { PgError, SqlState } from '../errors/index.js';
import type { Span } from './args.js';
import type { CallSite, ExpressionCallSite, FromCallSite, StatementAnalysis } from './analyze.js';
import type { FromAlias, FromColumn } from './from-item.js';
import { outputColumnNames } from './from-item.js';
import { literalText, quoteIdent, renderLiteral } from './render.js';
import type { SpanEdit } from './scope-rows.js';

/**
 * The statement's text with each call in `replacements` (by call id) replaced, and the other
 * `edits` made (calls inside an edited span go with it).
 */
export function spliceStatement(
  sql: string,
  stmt: StatementAnalysis,
  replacements: ReadonlyMap<number, string>,
  edits: readonly SpanEdit[] = [],
): string {
  if (edits.length === 0) return spliceText(sql, stmt.span, stmt.calls, replacements);
  // Edits take ids no call has: call ids are positive.
  const all = new Map(replacements);
  const sites = [...stmt.calls, ...edits.map((edit, i) => ({ id: -1 - i, replaceSpan: edit.replaceSpan }))];
  edits.forEach((edit, i) => all.set(-1 - i, edit.text));
  return spliceText(sql, stmt.span, sites, all);
}

/**
 * The text of `span` with the replaced call sites inside it substituted. A call nested inside
 * another replaced call disappears with it. Also serves argument texts (ArgExpr spans).
 */
export function spliceText(
  sql: string,
  span: Span,
  sites: readonly Pick<CallSite, 'id' | 'replaceSpan'>[],
  replacements: ReadonlyMap<number, string>,
): string {
  const chosen = sites
    .filter((s) => replacements.has(s.id) && s.replaceSpan.start >= span.start && s.replaceSpan.end <= span.end)
    .sort((a, b) => a.replaceSpan.start - b.replaceSpan.start || b.replaceSpan.end - a.replaceSpan.end);
  let out = '';
  let cursor = span.start;
  for (const site of chosen) {
    if (site.replaceSpan.start < cursor) continue; // inside an earlier (outer) replacement
    const text = replacements.get(site.id) as string;
    const before = sql.slice(cursor, site.replaceSpan.start);
    out += before;
    if (needsSpace(out.at(-1) ?? '', text[0] ?? '')) out += ' ';
    out += text;
    if (needsSpace(text.at(-1) ?? '', sql[site.replaceSpan.end] ?? '')) out += ' ';
    cursor = site.replaceSpan.end;
  }
  return out + sql.slice(cursor, span.end);
}

const OPERATOR_CHARS = '+-*/<>=~!@#%^&|`?';

/** Would these neighbouring characters fuse into one token (identifier, number, operator, comment)? */
function needsSpace(left: string, right: string): boolean {
  if (left === '' || right === '') return false;
  const word = (c: string) => /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) >= 0x80;
  return (word(left) && word(right)) || (OPERATOR_CHARS.includes(left) && OPERATOR_CHARS.includes(right));
}

/**
 * Replacement for an expression call given its value as SQL (usually renderLiteral's output). When
 * the call named an output column, a scalar subquery keeps the name: Postgres names
 * `(SELECT x AS version)` "version", where a bare literal would be named after its type.
 */
export function renderExpressionReplacement(site: ExpressionCallSite, valueSql: string): string {
  return site.columnName === undefined ? valueSql : `(SELECT ${valueSql} AS ${quoteIdent(site.columnName)})`;
}

/**
 * Replacement for an expression call returning a set, given the set-returning SQL (unnest(...)):
 * in the select list it returns its rows, as the function would. A scalar subquery cannot keep
 * the column's name here (it would return several rows), so a call that is a whole unaliased
 * column takes the name with AS.
 */
export function renderSetReplacement(site: ExpressionCallSite, setSql: string): string {
  return site.columnName !== undefined && site.isWholeColumn === true ? `${setSql} AS ${quoteIdent(site.columnName)}` : setSql;
}

/**
 * A FROM item holding `rows` (each one value per column), named as the original function item
 * would be: the user's alias and column aliases, else `defaultAlias` and the column names.
 */
export function renderRowsAsFromItem(
  rows: readonly (readonly unknown[])[],
  columns: readonly FromColumn[],
  alias: FromAlias,
  defaultAlias: string,
  options: { ordinality?: boolean; check?: string } = {},
): string {
  const ordinality = options.ordinality === true;
  const { check } = options;
  const names = outputColumnNames({ alias, defaultAlias, columns: [...columns], ordinality, lateral: false });
  const types = columns.map((c) => c.type);
  if (ordinality) types.push('bigint');
  const aliasSql = `${quoteIdent(alias.name ?? defaultAlias)}(${names.map(quoteIdent).join(', ')})`;
  if (rows.length === 0) {
    const nulls = types.map((type, i) => `${renderLiteral(null, type)} AS ${quoteIdent(names[i] as string)}`);
    // The check runs even with no rows to give (it returns true or fails).
    return `(SELECT ${nulls.join(', ')} WHERE ${check === undefined ? 'false' : `NOT ${check}`}) AS ${aliasSql}`;
  }
  const tuples = rows.map((row, r) => {
    if (row.length !== columns.length) {
      throw new PgError(SqlState.InternalError, `row ${r + 1} has ${row.length} values for ${columns.length} columns`);
    }
    const values = ordinality ? [...row, r + 1] : [...row];
    return `(${values.map((v, i) => renderLiteral(v, types[i] as string)).join(', ')})`;
  });
  const values = `VALUES ${tuples.join(', ')}`;
  return check === undefined ? `(${values}) AS ${aliasSql}` : `(SELECT * FROM (${values}) AS pgml_proxy_rows WHERE ${check}) AS ${aliasSql}`;
}

/** A FROM call's rows from a set-returning expression (`unnest(...)` of its rows), named as the call's item would be. */
export function renderSetAsFromItem(site: FromCallSite, setSql: string): string {
  const { from } = site;
  const names = outputColumnNames(from);
  return `${setSql}${from.ordinality ? ' WITH ORDINALITY' : ''} AS ${quoteIdent(from.alias.name ?? from.defaultAlias)}(${names.map(quoteIdent).join(', ')})`;
}

/**
 * A FROM call's rows read from a bound parameter (`$n`, jsonb) at Bind: each row a JSON array of
 * the values' text forms, cast back to the columns' types, so every type (void included) round-trips
 * as its input function reads it. The value comes from fromRowsParamValue; `param` is SQL of type jsonb.
 */
export function renderFromParam(site: FromCallSite, param: string): string {
  const { from } = site;
  const names = outputColumnNames(from);
  const columns = from.columns.map((c, i) => `(r.v->>${i})::${c.type} AS ${quoteIdent(names[i] as string)}`);
  if (from.ordinality) columns.push(`r.n AS ${quoteIdent(names[from.columns.length] as string)}`);
  const alias = `${quoteIdent(from.alias.name ?? from.defaultAlias)}(${names.map(quoteIdent).join(', ')})`;
  return `(SELECT ${columns.join(', ')} FROM jsonb_array_elements(${param}) WITH ORDINALITY AS r(v, n) ORDER BY r.n) AS ${alias}`;
}

/** The jsonb text renderFromParam reads: the rows as arrays of the values' text forms. */
export function fromRowsParamValue(site: FromCallSite, rows: readonly (readonly unknown[])[]): string {
  const types = site.from.columns.map((c) => c.type);
  return JSON.stringify(rows.map((row) => row.map((v, i) => literalText(v, types[i] as string))));
}

/**
 * renderRowsAsFromItem with the alias, columns and ORDINALITY of a FROM call site; `check`, a
 * boolean expression that is true or fails the statement, is evaluated before any row is read.
 */
export function renderFromReplacement(site: FromCallSite, rows: readonly (readonly unknown[])[], check?: string): string {
  const { from } = site;
  return renderRowsAsFromItem(rows, from.columns, from.alias, from.defaultAlias, { ordinality: from.ordinality, ...(check === undefined ? {} : { check }) });
}
