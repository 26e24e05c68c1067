/**
 * Records a finished training in one statement (data-modifying CTEs): the project when new, the
 * snapshot when new, the model, its estimator parts with checksums, and the deployment when
 * auto-deployed. One statement is atomic even outside a transaction block, so a failure leaves
 * no half-registered model; inside the caller's transaction it rolls back with it.
 */
import type { Queryable } from '../../db/queryable.js';
import type { Task } from '../domain/task.js';
import type { LabelEncoding } from '../preparation/dataset.js';
import type { FeaturePipelineJson } from '../preparation/pipeline.js';
import { ESTIMATOR_PATH, partChecksum, splitParts } from './models.js';
import { snapshotInsert, type NewSnapshot } from './snapshots.js';

export interface NewModel {
  project: { id: number } | { name: string; task: Task };
  snapshot: { id: number } | NewSnapshot;
  algorithm: string;
  runtime: string;
  hyperparams: Record<string, unknown>;
  metrics: Record<string, unknown>;
  search: string | null;
  searchParams: Record<string, unknown>;
  searchArgs: Record<string, unknown>;
  numFeatures: number;
  pipeline: FeaturePipelineJson;
  labels: LabelEncoding | null;
  estimator: Uint8Array;
  /** The dashboard's plot data (pgml.model_test_results); null when nothing was held out. */
  testResults: TestResults | null;
  deploy: boolean;
}

/** A bounded sample of the held-out rows' labels and predictions, for the dashboard's plots. */
export interface TestResults {
  /** Rows in the held-out set; `results` describes at most a bounded number of them. */
  testRows: number;
  results: Record<string, unknown>;
}

export interface RegisteredModel {
  modelId: number;
  projectId: number;
  snapshotId: number;
}

export async function registerModel(db: Queryable, model: NewModel): Promise<RegisteredModel> {
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const ctes: string[] = [];

  if ('id' in model.project) {
    ctes.push(`project AS (SELECT ${param(model.project.id)}::int8 AS id)`);
  } else {
    ctes.push(
      `project AS (INSERT INTO pgml.projects (name, task) VALUES (${param(model.project.name)}::text, ${param(model.project.task)}::pgml.task) RETURNING id)`,
    );
  }
  if ('id' in model.snapshot) {
    ctes.push(`snapshot AS (SELECT ${param(model.snapshot.id)}::int8 AS id)`);
  } else {
    const insert = snapshotInsert(model.snapshot, params.length + 1);
    params.push(...insert.params);
    ctes.push(`snapshot AS (${insert.sql})`);
  }
  ctes.push(`model AS (
    INSERT INTO pgml.models (project_id, snapshot_id, num_features, algorithm, runtime, hyperparams, status, metrics,
                             search, search_params, search_args, pipeline, labels)
    SELECT project.id, snapshot.id, ${param(model.numFeatures)}::int4, ${param(model.algorithm)}::text,
           ${param(model.runtime)}::pgml.runtime, ${param(JSON.stringify(model.hyperparams))}::jsonb, 'successful',
           ${param(JSON.stringify(model.metrics))}::jsonb, ${param(model.search)}::text,
           ${param(JSON.stringify(model.searchParams))}::jsonb, ${param(JSON.stringify(model.searchArgs))}::jsonb,
           ${param(JSON.stringify(model.pipeline))}::jsonb, ${param(model.labels === null ? null : JSON.stringify(model.labels))}::jsonb
      FROM project, snapshot
    RETURNING id, project_id, snapshot_id)`);

  const parts = splitParts(model.estimator).map(
    (data, part) => `(${part}, ${param(Buffer.from(data.buffer, data.byteOffset, data.byteLength))}::bytea, ${param(partChecksum(data))}::bytea)`,
  );
  ctes.push(`files AS (
    INSERT INTO pgml.files (model_id, path, part, data, checksum)
    SELECT model.id, ${param(ESTIMATOR_PATH)}::text, v.part, v.data, v.checksum
      FROM model, (VALUES ${parts.join(', ')}) AS v(part, data, checksum))`);
  if (model.testResults !== null) {
    ctes.push(`test_results AS (
      INSERT INTO pgml.model_test_results (model_id, test_rows, results)
      SELECT model.id, ${param(model.testResults.testRows)}::int4, ${param(JSON.stringify(model.testResults.results))}::jsonb FROM model)`);
  }
  if (model.deploy) {
    ctes.push(`deployment AS (
      INSERT INTO pgml.deployments (project_id, model_id, strategy)
      SELECT model.project_id, model.id, 'new_score'::pgml.strategy FROM model)`);
  }

  const result = await db.query<{ id: string; project_id: string; snapshot_id: string }>(
    `WITH ${ctes.join(',\n')} SELECT id, project_id, snapshot_id FROM model`,
    params,
  );
  const row = result.rows[0];
  if (!row) throw new Error('registering the model returned no row');
  return { modelId: Number(row.id), projectId: Number(row.project_id), snapshotId: Number(row.snapshot_id) };
}
