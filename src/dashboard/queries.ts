/**
 * What the dashboard's pages show, read on the viewer's own session: whatever their role may not
 * read fails with Postgres's own error, and rows that row-level security hides are simply absent.
 * Metrics are cut to their numbers here (search_results stays on the model page only).
 */
import type pg from 'pg';
import { nextRun, parseSchedule, DEFAULT_TIME_ZONE } from '../cron/schedule.js';

/** A project's key metric, as PostgresML's dashboard and pgml.deploy's best_score pick it. */
export const KEY_METRICS: Record<string, string> = {
  classification: 'f1',
  regression: 'r2',
  clustering: 'silhouette',
  decomposition: 'cumulative_explained_variance',
};

const NUMERIC_METRICS = `(SELECT coalesce(jsonb_object_agg(k, v), '{}') FROM jsonb_each(m.metrics) AS e(k, v) WHERE jsonb_typeof(v) = 'number')`;
const RUNS_PER_JOB = 50;

export async function projects(db: pg.Client): Promise<unknown[]> {
  const { rows } = await db.query(`
    SELECT p.id, p.name, p.task::text AS task, p.created_at,
           (SELECT d.model_id FROM pgml.deployments d WHERE d.project_id = p.id ORDER BY d.created_at DESC, d.id DESC LIMIT 1) AS deployed_model_id,
           coalesce((SELECT json_agg(json_build_object('id', m.id, 'algorithm', m.algorithm, 'metrics', ${NUMERIC_METRICS}) ORDER BY m.id)
                       FROM pgml.models m WHERE m.project_id = p.id), '[]') AS models
      FROM pgml.projects p
     ORDER BY p.name`);
  return rows.map((row) => ({ ...row, key_metric: KEY_METRICS[row.task as string] ?? null }));
}

/** Null when no project of that name is visible to the viewer. */
export async function project(db: pg.Client, name: string): Promise<unknown | null> {
  const found = await db.query(`SELECT id, name, task::text AS task, created_at, updated_at FROM pgml.projects WHERE name = $1`, [name]);
  const row = found.rows[0];
  if (row === undefined) return null;
  const models = await db.query(
    `SELECT m.id, m.algorithm, m.runtime::text AS runtime, m.hyperparams, m.status, m.search, m.snapshot_id, m.created_at,
            ${NUMERIC_METRICS} AS metrics
       FROM pgml.models m WHERE m.project_id = $1 ORDER BY m.id`,
    [row.id],
  );
  const deployments = await db.query(
    `SELECT d.id, d.model_id, d.strategy::text AS strategy, d.created_at, m.algorithm
       FROM pgml.deployments d LEFT JOIN pgml.models m ON m.id = d.model_id
      WHERE d.project_id = $1 ORDER BY d.created_at, d.id`,
    [row.id],
  );
  const deployed = deployments.rows.at(-1)?.model_id ?? null;
  return { ...row, key_metric: KEY_METRICS[row.task as string] ?? null, deployed_model_id: deployed, models: models.rows, deployments: deployments.rows };
}

export async function model(db: pg.Client, id: number): Promise<unknown | null> {
  const found = await db.query(
    `SELECT m.id, m.project_id, p.name AS project, p.task::text AS task, m.snapshot_id, m.num_features, m.algorithm,
            m.runtime::text AS runtime, m.hyperparams, m.status, m.metrics, m.search, m.search_params, m.search_args, m.created_at,
            m.id = (SELECT d.model_id FROM pgml.deployments d WHERE d.project_id = m.project_id ORDER BY d.created_at DESC, d.id DESC LIMIT 1) AS deployed
       FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE m.id = $1`,
    [id],
  );
  const row = found.rows[0];
  if (row === undefined) return null;
  const snapshot = await db.query(
    `SELECT id, relation_name, y_column_name, test_size, test_sampling::text AS test_sampling, status, created_at
       FROM pgml.snapshots WHERE id = $1`,
    [row.snapshot_id],
  );
  const results = await db.query(`SELECT test_rows, results FROM pgml.model_test_results WHERE model_id = $1`, [id]);
  return { ...row, key_metric: KEY_METRICS[row.task as string] ?? null, snapshot: snapshot.rows[0] ?? null, test_results: results.rows[0] ?? null };
}

export async function jobs(db: pg.Client, now: Date = new Date()): Promise<unknown[]> {
  const zone = await db.query<{ value: string }>(`SELECT value FROM cron.settings WHERE name = 'timezone'`);
  const timeZone = zone.rows[0]?.value ?? DEFAULT_TIME_ZONE;
  const { rows } = await db.query(`
    SELECT j.jobid, j.jobname, j.schedule, j.command, j.database, j.username, j.active,
           coalesce((SELECT json_agg(r ORDER BY r.start_time)
                       FROM (SELECT d.runid, d.status, d.return_message, d.start_time, d.end_time,
                                    extract(epoch FROM d.end_time - d.start_time) AS seconds
                               FROM cron.job_run_details d WHERE d.jobid = j.jobid
                              ORDER BY d.start_time DESC NULLS LAST LIMIT ${RUNS_PER_JOB}) r), '[]') AS runs
      FROM cron.job j ORDER BY j.jobid`);
  return rows.map((job) => ({ ...job, time_zone: timeZone, next_run: nextRunText(job, timeZone, now) }));
}

/** The scheduler's own answer: when an active job next fires (ISO text), or why it has no time. */
function nextRunText(job: { schedule: string; active: boolean; runs: { start_time: string | null }[] }, timeZone: string, now: Date): string | null {
  if (!job.active) return null;
  const schedule = parseSchedule(job.schedule);
  if (schedule.kind === 'interval') {
    // pg_cron starts an interval job N seconds after its last start, or at once if it never started.
    const last = job.runs.at(-1)?.start_time;
    if (last == null) return now.toISOString();
    const next = nextRun(schedule, new Date(last), timeZone);
    return next === null ? null : new Date(Math.max(next.getTime(), now.getTime())).toISOString();
  }
  return nextRun(schedule, now, timeZone)?.toISOString() ?? null;
}

/** pgml.deploy(model_id) as the viewer: that model for its project (strategy `specific`). */
export async function deployModel(db: pg.Client, modelId: number): Promise<unknown> {
  return (await db.query(`SELECT * FROM pgml.deploy($1::bigint)`, [modelId])).rows[0] ?? null;
}

/** pgml.deploy(project, 'rollback') as the viewer: back to the model deployed before the current one. */
export async function rollback(db: pg.Client, projectName: string): Promise<unknown> {
  return (await db.query(`SELECT * FROM pgml.deploy($1::text, 'rollback')`, [projectName])).rows[0] ?? null;
}

/** cron.alter_job as the viewer: pause (active false) or resume. */
export async function setJobActive(db: pg.Client, jobId: number, active: boolean): Promise<void> {
  // Written as literals (an integer and a boolean, nothing else can reach here): through the
  // proxy, this call with bind parameters answered no rows instead of raising when the job was
  // not the caller's (seen on 2026-12-06; reported in issue 19's notes).
  if (!Number.isSafeInteger(jobId)) throw new RangeError('job id must be an integer');
  await db.query(`SELECT cron.alter_job(job_id => ${jobId}, active => ${active ? 'true' : 'false'})`);
}
