/**
 * The shape of an intercepted call used as a FROM item (`FROM pgml.train(...) AS t(a, b)`): which
 * alias and output column names Postgres would give it, so a replacement can reproduce them.
 */
import { PgError, SqlState } from '../errors/index.js';
import { list, nodeOf, str } from './ast.js';
import type { AstBody } from './ast.js';
import type { FunctionSignature } from './catalog.js';

export interface FromAlias {
  name?: string;
  colnames?: string[];
}

export interface FromColumn {
  name: string;
  type: string;
}

export interface FromItem {
  /** The alias as the user wrote it; empty when there was none. */
  alias: FromAlias;
  /** The range name Postgres uses without an alias: the function's name. */
  defaultAlias: string;
  /** The function's result columns; a scalar/setof function has one, named as Postgres names it. */
  columns: FromColumn[];
  ordinality: boolean;
  lateral: boolean;
}

export function describeFromItem(range: AstBody, signature: FunctionSignature, position: number): FromItem {
  if (list(range.coldeflist).length > 0) {
    throw new PgError(SqlState.SyntaxError, 'a column definition list is only allowed for functions returning "record"', {
      position,
    });
  }
  const aliasBody = range.alias as AstBody | undefined;
  const alias: FromAlias = {};
  const aliasName = str(aliasBody?.aliasname);
  if (aliasName !== undefined) alias.name = aliasName;
  const colnames = list(aliasBody?.colnames).map((c) => str(nodeOf(c, 'String')?.sval) ?? '');
  if (colnames.length > 0) alias.colnames = colnames;

  const returns = signature.returns;
  // Like addRangeTableEntryForFunction: a scalar result column takes the alias name, else the function's.
  const columns =
    returns.kind === 'table'
      ? returns.columns.map((c) => ({ ...c }))
      : [{ name: alias.name ?? signature.name, type: returns.type }];
  return {
    alias,
    defaultAlias: signature.name,
    columns,
    ordinality: range.ordinality === true,
    lateral: range.lateral === true,
  };
}

/** Output column names after the alias column list (and ORDINALITY) apply. */
export function outputColumnNames(from: FromItem): string[] {
  const names = from.columns.map((c) => c.name);
  if (from.ordinality) names.push('ordinality');
  const colnames = from.alias.colnames ?? [];
  if (colnames.length > names.length) {
    throw new PgError(
      SqlState.InvalidColumnReference,
      `table "${from.alias.name ?? from.defaultAlias}" has ${names.length} columns available but ${colnames.length} columns specified`,
    );
  }
  return names.map((name, i) => colnames[i] ?? name);
}
