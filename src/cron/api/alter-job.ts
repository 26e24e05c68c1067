/**
 * cron.alter_job(job_id, schedule, command, database, username, active) → void: pg_cron's
 * AlterJob. Arguments left NULL are not changed; checks and messages are pg_cron's, except that
 * the schedule is validated first.
 */
import { defineFunction, optionalParam, param } from '../../functions/index.js';
import { bigintArg, bool, callCronWriter, cronError, ensureExecute, ensureSchedule, text } from './checks.js';

export const alterJob = defineFunction({
  schema: 'cron',
  name: 'alter_job',
  params: {
    job_id: param('bigint', bigintArg),
    schedule: optionalParam('text', text),
    command: optionalParam('text', text),
    database: optionalParam('text', text),
    username: optionalParam('text', text),
    active: optionalParam('boolean', bool),
  },
  returns: { kind: 'scalar', type: 'void' },
  async execute(args, context) {
    await ensureExecute(context.db, 'alter_job', 'bigint,text,text,text,text,boolean');
    if (args.job_id === null) throw cronError('job_id can not be NULL');
    if (args.schedule != null) ensureSchedule(args.schedule);
    // pg_cron's remaining checks and the update: cron.pgml_proxy_alter_job (migration 0008).
    await callCronWriter(context.db, 'SELECT cron.pgml_proxy_alter_job($1::bigint, $2, $3, $4, $5, $6)', [
      args.job_id,
      args.schedule ?? null,
      args.command ?? null,
      args.database ?? null,
      args.username ?? null,
      args.active ?? null,
    ]);
    // A void function's result is a non-NULL value whose text form is empty.
    return '';
  },
});
