/**
 * cron.unschedule(job_id bigint) and cron.unschedule(job_name text), both STRICT in pg_cron.
 * Row-level security on cron.job limits a user to their own jobs (superusers bypass it), so a
 * job of another user reads as missing: pg_cron would instead allow it to anyone holding DELETE
 * on cron.job, which here every user has for their own rows.
 */
import { z } from 'zod';
import type { ProxyFunction } from '../../db/functions.js';
import { bigintArg, cronError, text } from './checks.js';

export const unscheduleById: ProxyFunction<{ job_id: string | null }> = {
  signature: {
    schema: 'cron',
    name: 'unschedule',
    params: [{ name: 'job_id', type: 'bigint', hasDefault: false }],
    returns: { kind: 'scalar', type: 'boolean' },
  },
  args: z.object({ job_id: bigintArg }),
  async execute(args, context) {
    if (args.job_id === null) return null;
    const r = await context.db.query('DELETE FROM cron.job WHERE jobid = $1::bigint RETURNING jobid', [args.job_id]);
    if (r.rows.length === 0) throw cronError(`could not find valid entry for job ${args.job_id}`);
    return true;
  },
};

export const unscheduleByName: ProxyFunction<{ job_name: string | null }> = {
  signature: {
    schema: 'cron',
    name: 'unschedule',
    params: [{ name: 'job_name', type: 'text', hasDefault: false }],
    returns: { kind: 'scalar', type: 'boolean' },
  },
  args: z.object({ job_name: text }),
  async execute(args, context) {
    if (args.job_name === null) return null;
    const r = await context.db.query(
      'DELETE FROM cron.job WHERE jobname = $1 AND username = current_user RETURNING jobid',
      [args.job_name],
    );
    if (r.rows.length === 0) throw cronError(`could not find valid entry for job '${args.job_name}'`);
    return true;
  },
};
