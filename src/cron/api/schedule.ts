/**
 * cron.schedule(schedule, command) and cron.schedule(job_name, schedule, command): pg_cron's
 * ScheduleCronJob, writing cron.job in the caller's session and transaction (also for
 * cron.schedule_in_database). The statement trigger on cron.job tells every proxy on commit.
 */
import { defineFunction, param, type CallContext } from '../../functions/index.js';
import { callCronWriter, cronError, ensureExecute, ensureSchedule, text } from './checks.js';

export interface NewJob {
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
export async function scheduleJob(job: NewJob, context: CallContext): Promise<string> {
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
export const schedule = defineFunction({
  schema: 'cron',
  name: 'schedule',
  params: { schedule: param('text', text), command: param('text', text) },
  returns: { kind: 'scalar', type: 'bigint' },
  async execute(args, context) {
    if (args.schedule === null || args.command === null) return null;
    return scheduleJob(
      { schedule: args.schedule, command: args.command, jobName: null, inDatabase: false, database: null, username: null, active: true },
      context,
    );
  },
});

export function requireNamed(args: { job_name: string | null; schedule: string | null; command: string | null }) {
  if (args.job_name === null) throw cronError('job_name can not be NULL');
  if (args.schedule === null) throw cronError('schedule can not be NULL');
  if (args.command === null) throw cronError('command can not be NULL');
  return { jobName: args.job_name, schedule: args.schedule, command: args.command };
}

/** cron.schedule(job_name text, schedule text, command text): upserts on (jobname, username). */
export const scheduleNamed = defineFunction({
  schema: 'cron',
  name: 'schedule',
  params: { job_name: param('text', text), schedule: param('text', text), command: param('text', text) },
  returns: { kind: 'scalar', type: 'bigint' },
  async execute(args, context) {
    return scheduleJob({ ...requireNamed(args), inDatabase: false, database: null, username: null, active: true }, context);
  },
});
