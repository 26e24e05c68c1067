/**
 * cron.unschedule(job_id bigint) and cron.unschedule(job_name text), both STRICT in pg_cron. The
 * lookup, pg_cron's EnsureDeletePermission and the delete are cron.pgml_proxy_unschedule's
 * (migration 0008, its owner check made exact in 0010): another user's job is `permission denied for
 * table job`, not missing.
 */
import { defineFunction, param } from '../../functions/index.js';
import type { Queryable } from '../../db/queryable.js';
import { bigintArg, callCronWriter, text } from './checks.js';

async function unschedule(db: Queryable, jobId: string | null, jobName: string | null): Promise<boolean> {
  await callCronWriter(db, 'SELECT cron.pgml_proxy_unschedule($1::bigint, $2)', [jobId, jobName]);
  return true;
}

export const unscheduleById = defineFunction({
  schema: 'cron',
  name: 'unschedule',
  params: { job_id: param('bigint', bigintArg) },
  returns: { kind: 'scalar', type: 'boolean' },
  async execute(args, context) {
    if (args.job_id === null) return null;
    return unschedule(context.db, args.job_id, null);
  },
});

export const unscheduleByName = defineFunction({
  schema: 'cron',
  name: 'unschedule',
  params: { job_name: param('text', text) },
  returns: { kind: 'scalar', type: 'boolean' },
  async execute(args, context) {
    if (args.job_name === null) return null;
    return unschedule(context.db, null, args.job_name);
  },
});
