/** pgml.snapshots: what was trained on, and the materialized copies PostgresML calls snapshots. */
import type { Queryable } from '../../db/queryable.js';
import type { Snapshot } from '../domain/snapshot.js';
import type { Sampling } from '../preparation/sampling.js';
import type { SnapshotColumn } from '../preparation/dataset.js';

export interface NewSnapshot {
  /** Taken ahead with reserveSnapshotId when the snapshot was materialized before training. */
  reservedId?: number;
  relationName: string;
  yColumnNames: readonly string[];
  testSize: number;
  testSampling: Sampling;
  columns: readonly SnapshotColumn[];
  analysis: Record<string, unknown>;
  materialized: boolean;
}

interface SnapshotRow {
  id: string;
  relation_name: string;
  y_column_name: string[] | null;
  test_size: number;
  test_sampling: string;
  materialized: boolean | null;
  columns: SnapshotColumn[] | null;
}

/** The snapshot of the project's most recent model: what a retrain without relation_name reuses. */
export async function lastSnapshot(db: Queryable, projectId: number): Promise<Snapshot | null> {
  const result = await db.query<SnapshotRow>(
    `SELECT s.id, s.relation_name, s.y_column_name, s.test_size, s.test_sampling::text AS test_sampling,
            s.materialized, s.columns
       FROM pgml.snapshots s JOIN pgml.models m ON m.snapshot_id = s.id
      WHERE m.project_id = $1
      ORDER BY m.created_at DESC, m.id DESC LIMIT 1`,
    [projectId],
  );
  const row = result.rows[0];
  if (!row) return null;
  return {
    id: Number(row.id),
    relationName: row.relation_name,
    yColumnNames: row.y_column_name ?? [],
    testSize: row.test_size,
    testSampling: row.test_sampling as Sampling,
    materialized: row.materialized === true,
    columns: row.columns,
  };
}

/** The column list of INSERT INTO pgml.snapshots, and its values as parameters from `first`. */
export function snapshotInsert(snapshot: NewSnapshot, first: number): { sql: string; params: unknown[] } {
  const p = (i: number): string => `$${first + i}`;
  const reserved = snapshot.reservedId !== undefined;
  return {
    sql: `INSERT INTO pgml.snapshots (relation_name, y_column_name, test_size, test_sampling, status, columns, analysis, materialized${reserved ? ', id' : ''})
          VALUES (${p(0)}::text, ${p(1)}::text[], ${p(2)}::float4, ${p(3)}::pgml.sampling, 'successful', ${p(4)}::jsonb, ${p(5)}::jsonb, ${p(6)}::boolean${reserved ? `, ${p(7)}::int8` : ''})
          RETURNING id`,
    params: [
      snapshot.relationName,
      [...snapshot.yColumnNames],
      snapshot.testSize,
      snapshot.testSampling,
      JSON.stringify(snapshot.columns),
      JSON.stringify(snapshot.analysis),
      snapshot.materialized,
      ...(reserved ? [snapshot.reservedId] : []),
    ],
  };
}

export async function insertSnapshot(db: Queryable, snapshot: NewSnapshot): Promise<number> {
  const { sql, params } = snapshotInsert(snapshot, 1);
  const result = await db.query<{ id: string }>(sql, params);
  return Number(result.rows[0]?.id);
}

/**
 * The id of a snapshot whose row is written later: PostgresML copies a materialized snapshot before
 * training, while this proxy registers the snapshot with its model, in one statement at the end.
 */
export async function reserveSnapshotId(db: Queryable): Promise<number> {
  const result = await db.query<{ id: string }>(`SELECT nextval(pg_get_serial_sequence('pgml.snapshots', 'id')) AS id`);
  return Number(result.rows[0]?.id);
}

/**
 * Copies the relation into `pgml.snapshot_<id>` (PostgresML's materialized snapshot), shuffled
 * for random sampling as PostgresML does. `relationQuoted` comes from resolveRelation.
 */
export async function materializeSnapshot(
  db: Queryable,
  snapshotId: number,
  relationQuoted: string,
  sampling: Sampling,
): Promise<string> {
  const name = snapshotTableName(snapshotId);
  await db.query(`CREATE TABLE ${name} AS SELECT * FROM ${relationQuoted}${sampling === 'random' ? ' ORDER BY random()' : ''}`);
  return name;
}

/** Undoes materializeSnapshot when the training it was for failed outside a transaction block. */
export async function dropSnapshotTable(db: Queryable, snapshotId: number): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS ${snapshotTableName(snapshotId)}`).catch(() => undefined);
}

/** Ids are integers from pgml.snapshots' sequence: the name needs no quoting (format('%I') gives the same). */
function snapshotTableName(snapshotId: number): string {
  return `pgml.snapshot_${snapshotId}`;
}
