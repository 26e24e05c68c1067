/**
 * What pgml.train reads before the data, in one statement on the caller's session: the session's
 * statement_timeout, the project, the metrics of its deployed model (for the automatic deployment's
 * comparison) and, when a relation is named, the relation, its columns and the planner's row estimate. Each was a round
 * trip of its own, and under load every round trip costs a wait for the upstream and for the loop.
 */
import type { Queryable } from '../../db/queryable.js';
import { millisecondsSetting, STATEMENT_TIMEOUT_SQL } from '../../functions/cancel.js';
import type { Project } from '../domain/project.js';
import type { Task } from '../domain/task.js';
import { relationFromRow, relationQuery, splitRelationName, type Relation, type RelationRow } from './relations.js';

export interface TrainingLookup {
  /** For withStatementLimits (functions/cancel.ts). */
  statementTimeoutMs: number;
  project: Project | null;
  /**
   * The metrics of the project's latest deployment's model: undefined without a deployment, null
   * for a deployed model without metrics. Read before the fit, where PostgresML reads them after
   * it: the same answer unless another session deploys a model of this project meanwhile.
   */
  deployedMetrics: Record<string, unknown> | null | undefined;
  /** Resolves the relation looked up with the project; throws PostgresML's 42P01 when it does not exist. */
  relation(): Relation;
}

interface LookupRow extends RelationRow {
  statement_timeout: string | null;
  id: string | null;
  name: string | null;
  task: string | null;
  deployed: string | { metrics: Record<string, unknown> | null } | null;
}

/**
 * `relationName` null (a retrain on the project's last snapshot) looks up the project only. The
 * relation's errors are raised when `relation()` is called, so the caller keeps PostgresML's order
 * of checks (project and task first).
 */
export async function lookupTraining(db: Queryable, projectName: string, relationName: string | null): Promise<TrainingLookup> {
  // A name that does not parse is refused by relation(), in its turn.
  const target = relationName === null || relationName.split('.').length > 2 ? null : splitRelationName(relationName);
  const result = await db.query<LookupRow>(
    `SELECT ${STATEMENT_TIMEOUT_SQL} AS statement_timeout, p.id, p.name, p.task::text AS task,
            (SELECT json_build_object('metrics', m.metrics)
               FROM pgml.deployments d JOIN pgml.models m ON m.id = d.model_id
              WHERE d.project_id = p.id ORDER BY d.created_at DESC, d.id DESC LIMIT 1) AS deployed,
            r.quoted, r.columns, r.estimated_rows
       FROM (SELECT) AS one
       LEFT JOIN pgml.projects p ON p.name = $1
       LEFT JOIN LATERAL (${relationQuery('$2', '$3')}) AS r ON true`,
    [projectName, target?.schema ?? null, target?.name ?? null],
  );
  const row = result.rows[0];
  const project = row?.id == null ? null : { id: Number(row.id), name: row.name as string, task: row.task as Task };
  const deployed = typeof row?.deployed === 'string' ? (JSON.parse(row.deployed) as { metrics: Record<string, unknown> | null }) : row?.deployed;
  return {
    statementTimeoutMs: millisecondsSetting(row?.statement_timeout),
    project,
    deployedMetrics: deployed == null ? undefined : (deployed.metrics ?? null),
    relation: () => relationFromRow(relationName ?? '', row),
  };
}
