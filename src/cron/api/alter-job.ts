/**
 * cron.alter_job(job_id, schedule, command, database, username, active) → void: pg_cron's
 * AlterJob. Arguments left NULL are not changed; checks and messages are pg_cron's, except that
 * the schedule is validated first.
 */
import { z } from 'zod';
import type { ProxyFunction } from '../../db/functions.js';
import { bigintArg, bool, callCronWriter, cronError, ensureExecute, ensureSchedule, text } from './checks.js';

type AlterJobArgs = {
  job_id: string | null;
  schedule?: string | null | undefined;
  command?: string | null | undefined;
  database?: string | null | undefined;
  username?: string | null | undefined;
  active?: boolean | null | undefined;
};

export const alterJob: ProxyFunction<AlterJobArgs> = {
  signature: {
    schema: 'cron',
    name: 'alter_job',
    params: [
      { name: 'job_id', type: 'bigint', hasDefault: false },
      { name: 'schedule', type: 'text', hasDefault: true },
      { name: 'command', type: 'text', hasDefault: true },
      { name: 'database', type: 'text', hasDefault: true },
      { name: 'username', type: 'text', hasDefault: true },
      { name: 'active', type: 'boolean', hasDefault: true },
    ],
    returns: { kind: 'scalar', type: 'void' },
  },
  args: z.object({
    job_id: bigintArg,
    schedule: text.optional(),
    command: text.optional(),
    database: text.optional(),
    username: text.optional(),
    active: bool.optional(),
  }),
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
};
