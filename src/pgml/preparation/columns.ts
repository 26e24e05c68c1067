/**
 * Column typing and value reading for training data, as PostgresML's snapshot does it
 * (`orm/snapshot.rs`): numeric and boolean columns give one feature each, arrays of numbers give
 * one feature per element (an embedding), and text columns are categorical. Values arrive as
 * node-postgres parses them: int8/numeric as strings, arrays as JS arrays, NULL as null.
 */
import { PgError, SqlState } from '../../errors/index.js';

/** A column of the training relation as the caller read it from the catalog. */
export interface SourceColumn {
  name: string;
  /** Postgres type name: `float4`, `int8`, `bool`, `text`, `numeric`, `float4[]` or `_float4`... */
  type: string;
}

export type ColumnKind = 'quantitative' | 'categorical';

export interface ColumnSpec {
  name: string;
  /** Canonical udt name, arrays spelled `elem[]` (PostgresML's form). */
  pgType: string;
  kind: ColumnKind;
  array: boolean;
}

const QUANTITATIVE = new Set(['bool', 'int2', 'int4', 'int8', 'float4', 'float8', 'numeric']);
// PostgresML treats exactly these as nominal (Column::nominal_type); their arrays it cannot read.
const CATEGORICAL = new Set(['text', 'varchar', 'bpchar']);

// SQL-standard spellings that information_schema.data_type or format_type may hand us.
const ALIASES: Record<string, string> = {
  boolean: 'bool',
  smallint: 'int2',
  integer: 'int4',
  int: 'int4',
  bigint: 'int8',
  real: 'float4',
  'double precision': 'float8',
  decimal: 'numeric',
  'character varying': 'varchar',
  character: 'bpchar',
  char: 'bpchar',
};

/** `_float4`, `real[]`, `REAL []`, `numeric(10,2)` → `float4[]`, `float4[]`, `float4[]`, `numeric`. */
export function normalizePgType(type: string): string {
  let t = type.trim().toLowerCase().replace(/^pg_catalog\./, '');
  let array = false;
  if (t.startsWith('_')) {
    array = true;
    t = t.slice(1);
  } else if (t.endsWith('[]')) {
    array = true;
    t = t.slice(0, -2).trim();
  }
  t = t.replace(/\s*\(.*\)$/, '');
  t = ALIASES[t] ?? t;
  return array ? `${t}[]` : t;
}

export function describeColumn(column: SourceColumn): ColumnSpec {
  const pgType = normalizePgType(column.type);
  const array = pgType.endsWith('[]');
  const element = array ? pgType.slice(0, -2) : pgType;
  if (QUANTITATIVE.has(element)) return { name: column.name, pgType, kind: 'quantitative', array };
  if (CATEGORICAL.has(element) && !array) {
    return { name: column.name, pgType, kind: 'categorical', array: false };
  }
  throw new PgError(
    SqlState.FeatureNotSupported,
    `column "${column.name}" has type ${pgType}, which cannot be used for training`,
    {
      column: column.name,
      hint: 'use numeric, boolean or text columns, or numeric arrays; cast other types in a view',
    },
  );
}

/** One scalar as float; NULL (and a NaN float) becomes NaN, PostgresML's marker for missing. */
export function readScalar(value: unknown, column: ColumnSpec): number {
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    const n = parseNumeric(value);
    if (n !== undefined) return n;
  }
  throw new PgError(
    SqlState.InvalidTextRepresentation,
    `column "${column.name}" (${column.pgType}) holds a value that is not a number: ${preview(value)}`,
    { column: column.name },
  );
}

/** One numeric array, all elements present; the caller checks the width across rows. */
export function readArray(value: unknown, column: ColumnSpec): number[] {
  if (value === null || value === undefined) {
    throw new PgError(SqlState.NullValueNotAllowed, `column "${column.name}" has a NULL array`, {
      column: column.name,
      hint: 'filter out rows with NULL arrays, e.g. WHERE column IS NOT NULL in a view',
    });
  }
  if (!Array.isArray(value)) {
    throw new PgError(
      SqlState.DatatypeMismatch,
      `column "${column.name}" (${column.pgType}) did not arrive as an array: ${preview(value)}`,
      { column: column.name },
    );
  }
  // A multidimensional array reads as nested arrays; its features are its elements in row order.
  const flat = value.flat(Infinity) as unknown[];
  return flat.map((element) => {
    if (element === null || element === undefined) {
      throw new PgError(SqlState.NullValueNotAllowed, `column "${column.name}" has an array with a NULL element`, {
        column: column.name,
      });
    }
    return readScalar(element, column);
  });
}

/** Category key of a categorical value; null stays null (PostgresML's `__NULL__` category). */
export function readCategory(value: unknown, column: ColumnSpec): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  throw new PgError(
    SqlState.DatatypeMismatch,
    `column "${column.name}" (${column.pgType}) holds a value that is not text: ${preview(value)}`,
    { column: column.name },
  );
}

function parseNumeric(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return Number.NaN;
  if (t === 't' || t === 'true') return 1;
  if (t === 'f' || t === 'false') return 0;
  const n = Number(t);
  return Number.isNaN(n) ? undefined : n;
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
