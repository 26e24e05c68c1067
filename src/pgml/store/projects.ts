/** pgml.projects and the deployment history that hangs off them. */
import { PgError, SqlState } from '../../errors/index.js';
import type { Queryable } from '../../db/queryable.js';
import type { Project } from '../domain/project.js';
import type { DeploymentStrategy, Strategy } from '../domain/strategy.js';
import { keyMetric, type Task } from '../domain/task.js';

export async function findProject(db: Queryable, name: string): Promise<Project | null> {
  const result = await db.query<{ id: string; name: string; task: string }>(
    'SELECT id, name, task::text AS task FROM pgml.projects WHERE name = $1',
    [name],
  );
  const row = result.rows[0];
  return row ? { id: Number(row.id), name: row.name, task: row.task as Task } : null;
}

export async function requireProject(db: Queryable, name: string): Promise<Project> {
  const project = await findProject(db, name);
  if (!project) throw new PgError(SqlState.UndefinedObject, `Project named \`${name}\` does not exist.`);
  return project;
}

/**
 * The model a deployment strategy picks (PostgresML's deploy_strategy): best key metric, newest,
 * or the most recently deployed model other than the current one; optionally one algorithm only.
 * The key metric is compared as a number (PostgresML sorts its text, so 0.9 beats 0.10 there).
 */
export async function chooseModel(
  db: Queryable,
  project: Project,
  strategy: Strategy,
  algorithm: string | null,
): Promise<{ modelId: number; algorithm: string } | null> {
  const params: unknown[] = [project.id, algorithm];
  const filter = 'm.project_id = $1 AND ($2::text IS NULL OR m.algorithm = $2::text)';
  let sql: string;
  switch (strategy) {
    case 'best_score':
      params.push(keyMetric(project.task));
      sql = `SELECT m.id, m.algorithm FROM pgml.models m WHERE ${filter}
              ORDER BY (m.metrics->>$3::text)::float8 DESC NULLS LAST, m.id DESC LIMIT 1`;
      break;
    case 'most_recent':
      sql = `SELECT m.id, m.algorithm FROM pgml.models m WHERE ${filter} ORDER BY m.created_at DESC, m.id DESC LIMIT 1`;
      break;
    case 'rollback':
      sql = `SELECT m.id, m.algorithm FROM pgml.models m JOIN pgml.deployments d ON d.model_id = m.id AND d.project_id = m.project_id
              WHERE ${filter}
                AND m.id IS DISTINCT FROM (SELECT model_id FROM pgml.deployments WHERE project_id = $1
                                            ORDER BY created_at DESC, id DESC LIMIT 1)
              ORDER BY d.created_at DESC, d.id DESC LIMIT 1`;
      break;
  }
  const result = await db.query<{ id: string; algorithm: string }>(sql, params);
  const row = result.rows[0];
  return row ? { modelId: Number(row.id), algorithm: row.algorithm } : null;
}

/** Appends a deployment (deployments are append-only: a rollback is a new row). */
export async function insertDeployment(
  db: Queryable,
  projectId: number,
  modelId: number,
  strategy: DeploymentStrategy,
): Promise<void> {
  await db.query('INSERT INTO pgml.deployments (project_id, model_id, strategy) VALUES ($1, $2, $3::pgml.strategy)', [
    projectId,
    modelId,
    strategy,
  ]);
}
