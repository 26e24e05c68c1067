/**
 * cron.alter_job(job_id, schedule, command, database, username, active) → void: pg_cron's
 * AlterJob. Arguments left NULL are not changed; checks and messages in pg_cron's order.
 */
import { z } from 'zod';
import type { ProxyFunction } from '../../db/functions.js';
import { bigintArg, bool, caller, cronError, ensureCanConnect, ensureExecute, ensureRoleCanLogin, ensureSchedule, text } from './checks.js';

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
    const db = context.db;
    await ensureExecute(db, 'alter_job', 'bigint,text,text,text,text,boolean');
    if (args.job_id === null) throw cronError('job_id can not be NULL');
    const me = await caller(db);

    const sets: string[] = [];
    const params: unknown[] = [];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };

    let owner = me.user;
    if (args.username != null) {
      if (!me.superuser) throw cronError('must be superuser to alter username');
      await ensureRoleCanLogin(db, args.username);
      owner = args.username;
    }
    if (args.database != null) {
      await ensureCanConnect(db, owner, args.database);
      set('database', args.database);
    }
    if (args.schedule != null) {
      ensureSchedule(args.schedule);
      set('schedule', args.schedule);
    }
    if (args.command != null) set('command', args.command);
    if (args.username != null) set('username', args.username);
    if (args.active != null) set('active', args.active);
    if (sets.length === 0) {
      throw cronError('no updates specified', {
        hint: 'You must specify at least one job attribute to change when calling alter_job',
      });
    }

    params.push(args.job_id);
    let sql = `UPDATE cron.job SET ${sets.join(', ')} WHERE jobid = $${params.length}::bigint`;
    if (!me.superuser) {
      params.push(me.user);
      sql += ` AND username = $${params.length}`;
    }
    const r = await db.query(`${sql} RETURNING jobid`, params);
    if (r.rows.length === 0) throw cronError(`Job ${args.job_id} does not exist or you don't own it`);
    // A void function's result is a non-NULL value whose text form is empty.
    return '';
  },
};
