/**
 * Argument checks shared by the cron.* functions, with pg_cron's messages. The permission checks
 * run in the upstream, in the cron.pgml_proxy_* functions of migration 0008.
 */
import { z } from 'zod';
import { PgError, SqlState } from '../../errors/index.js';
import type { Queryable } from '../../db/queryable.js';
import { parseSchedule } from '../schedule.js';

/**
 * pg_cron reports these with plain elog/ereport and no errcode, which Postgres sends as
 * internal_error (XX000); clients matching on SQLSTATE see what pg_cron would send them.
 */
export function cronError(message: string, fields: { hint?: string; detail?: string } = {}): PgError {
  return new PgError(SqlState.InternalError, message, fields);
}

export const text = z.string().nullable();
/** A bigint argument arrives as a number, a bigint, or text for values past 2^53. */
export const bigintArg = z
  .union([z.number().int(), z.bigint(), z.string().regex(/^[+-]?\d+$/)])
  .nullable()
  .transform((v) => (v === null ? null : String(v)));
export const bool = z.boolean().nullable();

/**
 * Postgres checks EXECUTE before calling a function; the proxy evaluates the call itself, so it
 * asks about the upstream's function of the same signature (alter_job and schedule_in_database
 * are revoked from PUBLIC, as in pg_cron). Asked here first so that, as in Postgres, this error
 * comes before any argument's; the functions of migration 0008 ask again for direct callers.
 */
export async function ensureExecute(db: Queryable, name: string, signature: string): Promise<void> {
  const r = await db.query<{ ok: boolean }>(`SELECT pg_catalog.has_function_privilege($1, 'EXECUTE') AS ok`, [
    `cron.${name}(${signature})`,
  ]);
  if (r.rows[0]?.ok !== true) throw new PgError(SqlState.InsufficientPrivilege, `permission denied for function ${name}`);
}

/**
 * Runs one of the cron.pgml_proxy_* functions (migrations 0008, 0010), which make pg_cron's
 * checks and write cron.job. pg_cron raises from C in the very function the user called, so its
 * errors carry no CONTEXT; raised from PL/pgSQL, ours carry frames such as `PL/pgSQL function
 * cron.pgml_proxy_unschedule(bigint,text) line 18 at RAISE`, naming functions the user never
 * called. So the proxy re-raises with the same SQLSTATE, message, detail and hint and without
 * those frames, and without a position, which would point into the proxy's own SELECT rather
 * than the user's statement. Stripping them here rather than moving the checks into TypeScript
 * keeps the checks in one place, where a direct call of the helpers (which shows the frames)
 * makes them too.
 */
export async function callCronWriter<Row = Record<string, unknown>>(db: Queryable, sql: string, params: readonly unknown[]) {
  try {
    return await db.query<Row>(sql, params);
  } catch (error) {
    if (!(error instanceof PgError)) throw error;
    throw new PgError(error.code, error.message, { ...error.fields(), where: undefined, position: undefined });
  }
}

/** Validates a schedule as cron.schedule does; throws pg_cron's message and hint. */
export function ensureSchedule(schedule: string): void {
  parseSchedule(schedule);
}
