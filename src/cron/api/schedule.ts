/**
 * cron.schedule(schedule, command), cron.schedule(job_name, schedule, command) and
 * cron.schedule_in_database(...): pg_cron's ScheduleCronJob, writing cron.job in the caller's
 * session and transaction. The statement trigger on cron.job tells every proxy on commit.
 */
import { z } from 'zod';
import type { CallContext, ProxyFunction } from '../../db/functions.js';
import { bool, caller, cronError, ensureCanConnect, ensureExecute, ensureRoleCanLogin, ensureSchedule, text } from './checks.js';

interface NewJob {
  schedule: string;
  command: string;
  jobName: string | null;
  database: string | null;
  username: string | null;
  active: boolean;
}

/** pg_cron's port column; PGlite has no TCP port, so fall back to the configured one. */
const NODE_PORT = `COALESCE(pg_catalog.inet_server_port(), pg_catalog.current_setting('port')::int)`;

async function scheduleJob(job: NewJob, context: CallContext): Promise<string> {
  ensureSchedule(job.schedule);
  const me = await caller(context.db);
  let username = me.user;
  if (job.username !== null) {
    if (!me.superuser) throw cronError('must be superuser to create a job for another role');
    await ensureRoleCanLogin(context.db, job.username);
    username = job.username;
  }
  const database = job.database ?? me.database;
  await ensureCanConnect(context.db, username, database);

  const columns = 'schedule, command, nodename, nodeport, database, username, active';
  const values = `$1, $2, 'localhost', ${NODE_PORT}, $3, $4, $5`;
  const params: unknown[] = [job.schedule, job.command, database, username, job.active];
  const sql =
    job.jobName === null
      ? `INSERT INTO cron.job (${columns}) VALUES (${values}) RETURNING jobid`
      : `INSERT INTO cron.job (${columns}, jobname) VALUES (${values}, $6)
         ON CONFLICT ON CONSTRAINT jobname_username_uniq
         DO UPDATE SET schedule = EXCLUDED.schedule, command = EXCLUDED.command, database = EXCLUDED.database
         RETURNING jobid`;
  if (job.jobName !== null) params.push(job.jobName);
  const r = await context.db.query<{ jobid: string }>(sql, params);
  const jobid = r.rows[0]?.jobid;
  if (jobid === undefined) throw cronError(`query did not return any rows: ${sql}`);
  return String(jobid);
}

/** cron.schedule(schedule text, command text): STRICT in pg_cron, so a NULL argument yields NULL. */
export const schedule: ProxyFunction<{ schedule: string | null; command: string | null }> = {
  signature: {
    schema: 'cron',
    name: 'schedule',
    params: [
      { name: 'schedule', type: 'text', hasDefault: false },
      { name: 'command', type: 'text', hasDefault: false },
    ],
    returns: { kind: 'scalar', type: 'bigint' },
  },
  args: z.object({ schedule: text, command: text }),
  async execute(args, context) {
    if (args.schedule === null || args.command === null) return null;
    return scheduleJob(
      { schedule: args.schedule, command: args.command, jobName: null, database: null, username: null, active: true },
      context,
    );
  },
};

function requireNamed(args: { job_name: string | null; schedule: string | null; command: string | null }) {
  if (args.job_name === null) throw cronError('job_name can not be NULL');
  if (args.schedule === null) throw cronError('schedule can not be NULL');
  if (args.command === null) throw cronError('command can not be NULL');
  return { jobName: args.job_name, schedule: args.schedule, command: args.command };
}

/** cron.schedule(job_name text, schedule text, command text): upserts on (jobname, username). */
export const scheduleNamed: ProxyFunction<{ job_name: string | null; schedule: string | null; command: string | null }> = {
  signature: {
    schema: 'cron',
    name: 'schedule',
    params: [
      { name: 'job_name', type: 'text', hasDefault: false },
      { name: 'schedule', type: 'text', hasDefault: false },
      { name: 'command', type: 'text', hasDefault: false },
    ],
    returns: { kind: 'scalar', type: 'bigint' },
  },
  args: z.object({ job_name: text, schedule: text, command: text }),
  async execute(args, context) {
    return scheduleJob({ ...requireNamed(args), database: null, username: null, active: true }, context);
  },
};

type InDatabaseArgs = {
  job_name: string | null;
  schedule: string | null;
  command: string | null;
  database: string | null;
  username?: string | null | undefined;
  active?: boolean | null | undefined;
};

/** cron.schedule_in_database(job_name, schedule, command, database, username DEFAULT NULL, active DEFAULT true). */
export const scheduleInDatabase: ProxyFunction<InDatabaseArgs> = {
  signature: {
    schema: 'cron',
    name: 'schedule_in_database',
    params: [
      { name: 'job_name', type: 'text', hasDefault: false },
      { name: 'schedule', type: 'text', hasDefault: false },
      { name: 'command', type: 'text', hasDefault: false },
      { name: 'database', type: 'text', hasDefault: false },
      { name: 'username', type: 'text', hasDefault: true },
      { name: 'active', type: 'boolean', hasDefault: true },
    ],
    returns: { kind: 'scalar', type: 'bigint' },
  },
  args: z.object({
    job_name: text,
    schedule: text,
    command: text,
    database: text,
    username: text.optional(),
    active: bool.optional(),
  }),
  async execute(args, context) {
    await ensureExecute(context.db, 'schedule_in_database', 'text,text,text,text,text,boolean');
    return scheduleJob(
      {
        ...requireNamed(args),
        database: args.database,
        username: args.username ?? null,
        // pg_cron: a NULL `active` keeps the default, true.
        active: args.active ?? true,
      },
      context,
    );
  },
};
