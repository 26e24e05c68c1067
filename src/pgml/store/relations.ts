/**
 * The training relation: resolved like PostgresML (`schema.table`, unqualified names in `public`,
 * names taken as written) and read through the caller's own session, so the caller's privileges
 * and uncommitted rows apply. Identifiers are quoted by the server (format('%I')), never spliced.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { Queryable } from '../../db/queryable.js';
import type { SourceColumn } from '../preparation/columns.js';
import type { DatasetPlan } from '../preparation/dataset.js';
import { MAX_MATRIX_BYTES, type RawMatrix } from '../preparation/raw-matrix.js';
import { relationDecoder, relationTooLarge } from './decode-job.js';
import { OffThreadRowSink } from './off-thread-rows.js';
import type { PaceSettings } from './read-pacer.js';

export interface Relation {
  schema: string;
  name: string;
  /** `"schema"."name"` as quoted by the server. */
  quoted: string;
  columns: (SourceColumn & { quoted: string })[];
  /** The planner's estimate of the relation's rows (pg_class.reltuples for a table, its guess for a view). */
  estimatedRows: number;
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

/**
 * The relation named by the parameters `$schema` and `$name` (placeholders as given), its columns
 * (json, so that it works the same on PGlite) and the planner's row estimate (migration 0038: the
 * EXPLAIN runs inside the same statement, with the caller's privileges); no row when it does not
 * exist. A subquery, so a caller can ask for more in the same round trip (store/training-lookup.ts).
 */
export function relationQuery(schema: string, name: string): string {
  return `SELECT format('%I.%I', n.nspname, c.relname) AS quoted,
                 (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, NULL), 'quoted', quote_ident(a.attname))
                                           ORDER BY a.attnum), '[]')
                    FROM pg_catalog.pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
                 pgml_proxy.estimated_rows(c.oid) AS estimated_rows
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = ${schema} AND c.relname = ${name} AND c.relkind IN ('r', 'v', 'm', 'p', 'f')`;
}

/** A row of relationQuery; its fields are null when the relation was not found. */
export interface RelationRow {
  quoted: string | null;
  columns: string | Relation['columns'] | null;
  estimated_rows: string | number | null;
}

export async function resolveRelation(db: Queryable, relationName: string): Promise<Relation> {
  const { schema, name } = splitRelationName(relationName);
  const found = await db.query<RelationRow>(relationQuery('$1', '$2'), [schema, name]);
  return relationFromRow(relationName, found.rows[0]);
}

/** The Relation of a relationQuery row, or PostgresML's error for a relation that does not exist. */
export function relationFromRow(relationName: string, row: RelationRow | undefined): Relation {
  if (!row || row.quoted === null || row.columns === null) {
    const qualified = relationName.includes('.');
    throw new PgError(
      SqlState.UndefinedTable,
      qualified
        ? `Relation "${relationName}" does not exist`
        : `Relation "${relationName}" could not be found in the public schema. Please specify the table schema, e.g. pgml.${relationName}`,
    );
  }
  const { schema, name } = splitRelationName(relationName);
  const columns = typeof row.columns === 'string' ? (JSON.parse(row.columns) as Relation['columns']) : row.columns;
  return { schema, name, quoted: row.quoted, columns, estimatedRows: Math.max(0, Math.round(Number(row.estimated_rows ?? 0))) };
}

/**
 * Every row of the relation into one float32 matrix, streamed in binary where the session can.
 * A relation the planner expects to need more than `maxBytes` for its features is refused before
 * a row is read; one that turns out larger (array columns, a stale estimate) is refused as its
 * rows cross the limit. Either way with 53200, the sizes, and what to do instead. `copy`, when
 * given, runs once the size is accepted: it copies the relation (a materialized snapshot) and
 * returns the copy's quoted name, which is then read instead of the relation. `pace`, when given,
 * holds a streamed read to its byte budget while other sessions are active (read-pacer.ts).
 */
export async function readRelationMatrix(
  db: Queryable,
  relation: Relation,
  plan: DatasetPlan,
  limitBytes: number,
  copy?: () => Promise<string>,
  pace?: PaceSettings,
): Promise<RawMatrix> {
  const maxBytes = Math.min(limitBytes, MAX_MATRIX_BYTES);
  const columns = relation.columns.map((c) => c.quoted).join(', ');
  const rows = relation.estimatedRows;
  const features = plan.specs.length - plan.yColumnNames.length;
  const estimated = rows * features * 4;
  if (estimated > maxBytes) throw relationTooLarge(relation, `an estimated ${rows} rows × ${features} features`, estimated, maxBytes);

  const select = `SELECT ${columns} FROM ${copy ? await copy() : relation.quoted}`;
  const job = { specs: plan.specs, labelNames: plan.yColumnNames, relation: { schema: relation.schema, name: relation.name }, maxBytes };
  if (db.streamBinary) {
    // The event loop only copies the rows into chunks; an engine thread decodes them (off-thread-rows.ts).
    const sink = new OffThreadRowSink(job, pace);
    try {
      await db.streamBinary(select, [], sink);
    } catch (error) {
      sink.abandon();
      throw error;
    }
    return sink.finish();
  }
  const { builder } = relationDecoder(job);
  const result = await db.query(select);
  for (const row of result.rows) builder.addValues((c) => row[plan.specs[c]!.name]);
  return builder.finish();
}

