/**
 * Reading stored models back: the registry row with its pipeline and label encoding, and the
 * estimator bytes reassembled from pgml.files and checked against their checksums.
 */
import { createHash } from 'node:crypto';
import { PgError, SqlState } from '../../errors/index.js';
import type { Queryable } from '../../db/queryable.js';
import type { Model } from '../domain/model.js';
import type { Task } from '../domain/task.js';
import type { LabelEncoding } from '../preparation/dataset.js';
import type { FeaturePipelineJson } from '../preparation/pipeline.js';

/** The file path of an estimator's bytes in pgml.files (PostgresML uses e.g. `estimator.rmp`). */
export const ESTIMATOR_PATH = 'estimator.pgml-proxy';

/** Parts are kept well under Postgres's 1 GB field limit and small enough to move as one message. */
export const FILE_PART_BYTES = 16 * 1024 * 1024;

interface ModelRow {
  id: string;
  project_id: string;
  project_name: string;
  task: string;
  algorithm: string;
  runtime: string | null;
  hyperparams: Record<string, unknown>;
  metrics: Record<string, unknown> | null;
  num_features: number;
  snapshot_id: string | null;
  pipeline: FeaturePipelineJson | null;
  labels: LabelEncoding | null;
}

const MODEL_COLUMNS = `m.id, m.project_id, p.name AS project_name, p.task::text AS task, m.algorithm,
  m.runtime::text AS runtime, m.hyperparams, m.metrics, m.num_features, m.snapshot_id, m.pipeline, m.labels`;

function toModel(row: ModelRow): Model {
  return {
    modelId: Number(row.id),
    projectId: Number(row.project_id),
    projectName: row.project_name,
    task: row.task as Task,
    algorithm: row.algorithm,
    runtime: row.runtime,
    hyperparams: row.hyperparams,
    metrics: row.metrics,
    numFeatures: row.num_features,
    snapshotId: row.snapshot_id === null ? null : Number(row.snapshot_id),
    pipeline: row.pipeline,
    labels: row.labels,
  };
}

/** A model by id; 42704 when there is none. */
export async function modelById(db: Queryable, modelId: number): Promise<Model> {
  const result = await db.query<ModelRow>(
    `SELECT ${MODEL_COLUMNS} FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE m.id = $1`,
    [modelId],
  );
  const row = result.rows[0];
  if (!row) throw new PgError(SqlState.UndefinedObject, `Model with id = ${modelId} does not exist`);
  return toModel(row);
}

/**
 * The model the project's latest deployment points at (what PostgresML's predict uses);
 * 42704 when the project does not exist or has nothing deployed.
 */
export async function deployedModel(db: Queryable, projectName: string): Promise<Model> {
  const result = await db.query<ModelRow>(
    `SELECT ${MODEL_COLUMNS}
       FROM pgml.deployments d
       JOIN pgml.projects p ON p.id = d.project_id
       JOIN pgml.models m ON m.id = d.model_id
      WHERE p.name = $1
      ORDER BY d.created_at DESC, d.id DESC
      LIMIT 1`,
    [projectName],
  );
  const row = result.rows[0];
  if (!row) {
    throw new PgError(SqlState.UndefinedObject, `No deployed model exists for the project named: \`${projectName}\``, {
      hint: 'train one with pgml.train(...) or deploy one with pgml.deploy(...)',
    });
  }
  return toModel(row);
}

export interface ModelVisibility {
  /** Every row the uncached call would read exists for the caller (row-level security may hide some). */
  visible: boolean;
  /** The caller's transaction has written nothing, so the answer holds beyond it. */
  settled: boolean;
}

/**
 * Whether the caller's role can read what serving model `modelId` (through `projectName`'s
 * deployment, when given) reads from the upstream: the same tables and columns as deployment
 * lookup, modelById and modelBytes, so Postgres raises its own 42501 where those would. The
 * columns are only named (EXISTS fetches nothing), which is what privileges are checked on.
 */
export async function modelVisibility(db: Queryable, modelId: number, projectName: string | null): Promise<ModelVisibility> {
  const result = await db.query<ModelVisibility>(
    `SELECT ($1::text IS NULL OR (
              SELECT d.model_id FROM pgml.projects p JOIN pgml.deployments d ON d.project_id = p.id
               WHERE p.name = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT 1) = $2)
        AND EXISTS (SELECT ${MODEL_COLUMNS} FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE m.id = $2)
        AND EXISTS (SELECT part, data, checksum FROM pgml.files WHERE model_id = $2 AND path = $3) AS visible,
            pg_current_xact_id_if_assigned() IS NULL AS settled`,
    [projectName, modelId, ESTIMATOR_PATH],
  );
  const row = result.rows[0];
  return { visible: row?.visible === true, settled: row?.settled === true };
}

/** SHA-256 of one part, as stored in pgml.files.checksum. */
export function partChecksum(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Splits estimator bytes into pgml.files parts (at least one, possibly empty). */
export function splitParts(bytes: Uint8Array, partBytes = FILE_PART_BYTES): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += partBytes) parts.push(bytes.subarray(offset, offset + partBytes));
  return parts.length === 0 ? [bytes] : parts;
}

/**
 * The model's estimator bytes: its parts in order, each verified against its checksum (XX001
 * when one differs, a part is missing, or the model has no file).
 */
export async function modelBytes(db: Queryable, modelId: number): Promise<Uint8Array> {
  const result = await db.query<{ part: number; data: Buffer; checksum: Buffer | null }>(
    'SELECT part, data, checksum FROM pgml.files WHERE model_id = $1 AND path = $2 ORDER BY part',
    [modelId, ESTIMATOR_PATH],
  );
  if (result.rows.length === 0) {
    throw new PgError(SqlState.DataCorrupted, `model ${modelId} has no stored estimator in pgml.files`);
  }
  result.rows.forEach((row, i) => {
    if (row.part !== i) {
      throw new PgError(SqlState.DataCorrupted, `model ${modelId} is missing part ${i} of its estimator in pgml.files`);
    }
    if (row.checksum !== null && !partChecksum(row.data).equals(row.checksum)) {
      throw new PgError(SqlState.DataCorrupted, `checksum mismatch in part ${i} of model ${modelId}: the stored estimator is damaged`, {
        hint: 'retrain the model, or deploy another one with pgml.deploy(...)',
      });
    }
  });
  return Buffer.concat(result.rows.map((row) => row.data));
}
