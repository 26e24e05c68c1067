/**
 * The permission and argument checks pg_cron's job_metadata.c makes before touching cron.job,
 * with its messages. They run on the caller's own session, so current_user is pg_cron's
 * GetUserId() and the catalogs answer as they would inside the extension.
 */
import { z } from 'zod';
import { PgError, SqlState } from '../../errors/index.js';
import type { Queryable } from '../../db/queryable.js';
import { parseSchedule } from '../schedule.js';

/** invalid_catalog_name: what get_database_oid(name, false) raises. Not in src/errors' list. */
const INVALID_CATALOG_NAME = '3D000';

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

export interface Caller {
  user: string;
  database: string;
  superuser: boolean;
}

export async function caller(db: Queryable): Promise<Caller> {
  const r = await db.query<{ user: string; database: string; superuser: boolean | null }>(
    `SELECT current_user AS "user", current_database() AS database,
            (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS superuser`,
  );
  const row = r.rows[0];
  if (!row) throw new PgError(SqlState.InternalError, 'could not determine the current user');
  return { user: row.user, database: row.database, superuser: row.superuser === true };
}

/**
 * Postgres checks EXECUTE before calling a function; the proxy evaluates the call itself, so it
 * asks about the upstream's function of the same signature (alter_job and schedule_in_database
 * are revoked from PUBLIC, as in pg_cron).
 */
export async function ensureExecute(db: Queryable, name: string, signature: string): Promise<void> {
  const r = await db.query<{ ok: boolean }>(`SELECT pg_catalog.has_function_privilege($1, 'EXECUTE') AS ok`, [
    `cron.${name}(${signature})`,
  ]);
  if (r.rows[0]?.ok !== true) throw new PgError(SqlState.InsufficientPrivilege, `permission denied for function ${name}`);
}

/** GetRoleOidIfCanLogin. */
export async function ensureRoleCanLogin(db: Queryable, username: string): Promise<void> {
  const r = await db.query<{ rolcanlogin: boolean }>('SELECT rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = $1', [
    username,
  ]);
  const row = r.rows[0];
  if (!row) throw cronError(`role "${username}" does not exist`);
  if (!row.rolcanlogin) {
    throw cronError(`role "${username}" can not log in`, {
      detail: 'Jobs may only be run by roles that have the LOGIN attribute.',
    });
  }
}

/** The database must exist and the job's user must be allowed to connect to it. */
export async function ensureCanConnect(db: Queryable, username: string, database: string): Promise<void> {
  const r = await db.query<{ ok: boolean | null }>(
    `SELECT pg_catalog.has_database_privilege($1, d.oid, 'CONNECT') AS ok FROM pg_catalog.pg_database d WHERE d.datname = $2`,
    [username, database],
  );
  const row = r.rows[0];
  if (!row) throw new PgError(INVALID_CATALOG_NAME, `database "${database}" does not exist`);
  if (row.ok !== true) throw cronError(`User ${username} does not have CONNECT privilege on ${database}`);
}

/** Validates a schedule as cron.schedule does; throws pg_cron's message and hint. */
export function ensureSchedule(schedule: string): void {
  parseSchedule(schedule);
}
