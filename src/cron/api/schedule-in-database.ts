import { defineFunction, optionalParam, param } from '../../functions/index.js';
import { bool, ensureExecute, text } from './checks.js';
import { requireNamed, scheduleJob } from './schedule.js';

/** cron.schedule_in_database(job_name, schedule, command, database, username DEFAULT NULL, active DEFAULT true). */
export const scheduleInDatabase = defineFunction({
  schema: 'cron',
  name: 'schedule_in_database',
  params: {
    job_name: param('text', text),
    schedule: param('text', text),
    command: param('text', text),
    database: param('text', text),
    username: optionalParam('text', text),
    active: optionalParam('boolean', bool),
  },
  returns: { kind: 'scalar', type: 'bigint' },
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
});
