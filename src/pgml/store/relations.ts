/**
 * The training relation: resolved like PostgresML (`schema.table`, unqualified names in `public`,
 * names taken as written) and read through the caller's own session, so the caller's privileges
 * and uncommitted rows apply. Identifiers are quoted by the server (format('%I')), never spliced.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { Queryable } from '../../db/queryable.js';
import type { SourceColumn } from '../domain/columns.js';

export interface Relation {
  schema: string;
  name: string;
  /** `"schema"."name"` as quoted by the server. */
  quoted: string;
  columns: (SourceColumn & { quoted: string })[];
}

/** PostgresML's split: one or two dot-separated parts, no quoting syntax. */
export function splitRelationName(relationName: string): { schema: string; name: string } {
  const parts = relationName.split('.');
  if (parts.length === 1) return { schema: 'public', name: parts[0] as string };
  if (parts.length === 2) return { schema: parts[0] as string, name: parts[1] as string };
  throw new PgError(
    SqlState.InvalidParameterValue,
    `Relation name "${relationName}" is not parsable into schema name and table name`,
  );
}

export async function resolveRelation(db: Queryable, relationName: string): Promise<Relation> {
  const { schema, name } = splitRelationName(relationName);
  const found = await db.query<{ oid: number; quoted: string }>(
    `SELECT c.oid::int4 AS oid, format('%I.%I', n.nspname, c.relname) AS quoted
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'v', 'm', 'p', 'f')`,
    [schema, name],
  );
  const relation = found.rows[0];
  if (!relation) {
    const qualified = relationName.includes('.');
    throw new PgError(
      SqlState.UndefinedTable,
      qualified
        ? `Relation "${relationName}" does not exist`
        : `Relation "${relationName}" could not be found in the public schema. Please specify the table schema, e.g. pgml.${relationName}`,
    );
  }
  const columns = await db.query<{ name: string; type: string; quoted: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type, quote_ident(a.attname) AS quoted
       FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [relation.oid],
  );
  return { schema, name, quoted: relation.quoted, columns: columns.rows };
}

/** Every row of the relation, its columns in catalog order. */
export async function readRelation(db: Queryable, relation: Relation): Promise<Record<string, unknown>[]> {
  const list = relation.columns.map((c) => c.quoted).join(', ');
  const result = await db.query(`SELECT ${list} FROM ${relation.quoted}`);
  return result.rows;
}

