/**
 * cron.schedule(schedule, command), cron.schedule(job_name, schedule, command) and
 * cron.schedule_in_database(...): pg_cron's ScheduleCronJob, writing cron.job in the caller's
 * session and transaction. The statement trigger on cron.job tells every proxy on commit.
 */
import { z } from 'zod';
import type { CallContext, ProxyFunction } from '../../db/functions.js';
import { bool, callCronWriter, cronError, ensureExecute, ensureSchedule, text } from './checks.js';

interface NewJob {
  schedule: string;
  command: string;
  jobName: string | null;
  /** Called as cron.schedule_in_database, whose EXECUTE privilege is checked instead. */
  inDatabase: boolean;
  database: string | null;
  username: string | null;
  active: boolean;
}

/**
 * The schedule is validated here, with the proxy's parser; pg_cron's remaining checks and the
 * write happen in cron.pgml_proxy_schedule (migration 0008), which writes cron.job with the
 * privileges users do not have.
 */
async function scheduleJob(job: NewJob, context: CallContext): Promise<string> {
  ensureSchedule(job.schedule);
  const r = await callCronWriter<{ jobid: string }>(context.db, 'SELECT cron.pgml_proxy_schedule($1, $2, $3, $4, $5, $6, $7)::text AS jobid', [
    job.inDatabase,
    job.jobName,
    job.schedule,
    job.command,
    job.database,
    job.username,
    job.active,
  ]);
  const jobid = r.rows[0]?.jobid;
  if (jobid === undefined) throw cronError('cron.pgml_proxy_schedule returned no job id');
  return jobid;
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
      { schedule: args.schedule, command: args.command, jobName: null, inDatabase: false, database: null, username: null, active: true },
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
    return scheduleJob({ ...requireNamed(args), inDatabase: false, database: null, username: null, active: true }, context);
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
        inDatabase: true,
        database: args.database,
        username: args.username ?? null,
        // pg_cron: a NULL `active` keeps the default, true.
        active: args.active ?? true,
      },
      context,
    );
  },
};
