/**
 * The scheduler's SQL, on its own connection: job definitions (cron.job), the run history
 * (cron.job_run_details), settings, and the cross-process coordination (tick claims, advisory
 * locks). Kept apart as pg_cron keeps job_metadata.c apart from its scheduler loop.
 */
import type { Queryable } from '../db/queryable.js';
import type { FinalStatus } from './run-counts.js';

export interface JobRow {
  jobid: string;
  schedule: string;
  command: string;
  database: string;
  username: string;
  active: boolean;
  jobname: string | null;
  /** From cron.job_timeout; null = no limit. */
  timeoutMs: number | null;
}

export interface CronSettings {
  timezone: string | undefined;
  maxRunHistory: number | undefined;
}

interface SettingRow {
  name: string;
  value: string;
}

/** cron.settings as the scheduler reads it; a max_run_history that is not a whole number is ignored. */
export function parseSettings(rows: readonly SettingRow[]): CronSettings {
  const byName = new Map(rows.map((row) => [row.name, row.value]));
  const history = byName.get('max_run_history');
  return {
    timezone: byName.get('timezone'),
    maxRunHistory: history === undefined || !/^\d+$/.test(history) ? undefined : Number(history),
  };
}

/**
 * Among a job's runs newest first, the position of the oldest one kept: runs older than it are
 * deleted. The run just recorded always stays, even with a limit of 0.
 */
export function oldestKeptOffset(keep: number): number {
  return Math.max(keep - 1, 0);
}

/**
 * Advisory locks held while a job runs, in the two-int4 key space so they never collide with the
 * migration lock (one bigint key). 0x70676d6c is 'pgml'.
 */
const LOCK_CLASS = 0x70676d6c;
const lockKey = `($1::bigint % 2147483647)::int`;

export class CronStore {
  constructor(private readonly db: Queryable) {}

  async jobs(): Promise<JobRow[]> {
    // Columns named as JobRow's fields; pg and PGlite both return float8 as a number.
    const r = await this.db.query<JobRow>(
      `SELECT j.jobid::text AS jobid, j.schedule, j.command, j.database, j.username, j.active, j.jobname,
              (EXTRACT(EPOCH FROM t.timeout) * 1000)::float8 AS "timeoutMs"
         FROM cron.job j LEFT JOIN cron.job_timeout t ON t.jobid = j.jobid
        ORDER BY j.jobid`,
    );
    return r.rows;
  }

  async settings(): Promise<CronSettings> {
    const r = await this.db.query<SettingRow>('SELECT name, value FROM cron.settings');
    return parseSettings(r.rows);
  }

  /** True when this process is the first to claim the job's tick. */
  async claimTick(jobid: string, tick: Date): Promise<boolean> {
    const r = await this.db.query(
      'INSERT INTO cron.pgml_proxy_ticks (jobid, tick) VALUES ($1::bigint, $2) ON CONFLICT DO NOTHING RETURNING jobid',
      [jobid, tick],
    );
    return r.rows.length > 0;
  }

  async pruneTicks(): Promise<void> {
    await this.db.query(`DELETE FROM cron.pgml_proxy_ticks WHERE tick < now() - interval '1 hour'`);
  }

  /** One run of a job at a time across every proxy on the upstream. */
  async tryLock(jobid: string): Promise<boolean> {
    const r = await this.db.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_CLASS}, ${lockKey}) AS ok`, [jobid]);
    return r.rows[0]?.ok === true;
  }

  async unlock(jobid: string): Promise<void> {
    await this.db.query(`SELECT pg_advisory_unlock(${LOCK_CLASS}, ${lockKey})`, [jobid]);
  }

  /** start_time is the server's clock, with microseconds as pg_cron's GetCurrentTimestamp (a JS Date has milliseconds). */
  async startRun(job: JobRow): Promise<string> {
    const r = await this.db.query<{ runid: string }>(
      `INSERT INTO cron.job_run_details (jobid, database, username, command, status, start_time)
       VALUES ($1::bigint, $2, $3, $4, 'starting', clock_timestamp()) RETURNING runid::text AS runid`,
      [job.jobid, job.database, job.username, job.command],
    );
    const runid = r.rows[0]?.runid;
    if (runid === undefined) throw new Error('cron.job_run_details returned no runid');
    return String(runid);
  }

  async markRunning(runid: string, pid: number | null): Promise<void> {
    await this.db.query(`UPDATE cron.job_run_details SET status = 'running', job_pid = $2 WHERE runid = $1::bigint`, [runid, pid]);
  }

  async finishRun(runid: string, status: FinalStatus, message: string): Promise<void> {
    await this.db.query(
      `UPDATE cron.job_run_details SET status = $2, return_message = $3, end_time = clock_timestamp() WHERE runid = $1::bigint`,
      [runid, status, message],
    );
  }

  /** Keeps the newest `keep` runs of the job (cron.max_run_history). */
  async pruneHistory(jobid: string, keep: number): Promise<void> {
    await this.db.query(
      `DELETE FROM cron.job_run_details
        WHERE jobid = $1::bigint
          AND runid < (SELECT runid FROM cron.job_run_details WHERE jobid = $1::bigint ORDER BY runid DESC OFFSET $2 LIMIT 1)`,
      [jobid, oldestKeptOffset(keep)],
    );
  }

  /**
   * pg_cron's MarkPendingRunsAsFailed, made safe for several proxies: a run still starting or
   * running whose job lock nobody holds belongs to a proxy that died.
   */
  async failAbandonedRuns(): Promise<number> {
    const r = await this.db.query(
      `UPDATE cron.job_run_details d SET status = 'failed', return_message = 'server restarted'
        WHERE d.status IN ('starting', 'running')
          AND NOT EXISTS (
            SELECT 1 FROM pg_catalog.pg_locks l
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
               AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
               AND l.classid = ${LOCK_CLASS}::oid
               AND l.objid::bigint = d.jobid % 2147483647)
        RETURNING d.runid`,
    );
    return r.rows.length;
  }
}
