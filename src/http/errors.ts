/**
 * PostgREST's error surface: a JSON body `{code, message, details, hint}` and an HTTP status,
 * either from PostgREST's own PGRSTxxx codes or from a Postgres SQLSTATE through PostgREST's
 * documented mapping (docs/references/errors.rst).
 */
import { PgError, SqlState } from '../errors/index.js';

export interface ErrorBody {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string | null = null,
    readonly hint: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  body(): ErrorBody {
    return { code: this.code, message: this.message, details: this.details, hint: this.hint };
  }
}

/** PostgREST's SQLSTATE → HTTP status table; `authenticated` decides 42501 (403 vs 401). */
export function statusForSqlState(code: string, authenticated: boolean): number {
  switch (code) {
    case SqlState.ForeignKeyViolation:
    case SqlState.UniqueViolation:
      return 409;
    case SqlState.ReadOnlySqlTransaction:
      return 405;
    case SqlState.ConfigurationLimitExceeded:
      return 500;
    case SqlState.RaiseException:
      return 400;
    case SqlState.UndefinedFunction:
    case SqlState.UndefinedTable:
      return 404;
    case SqlState.InvalidObjectDefinition:
      return 500;
    case SqlState.InsufficientPrivilege:
      return authenticated ? 403 : 401;
  }
  // RAISE sqlstate 'PT402' picks the status itself.
  if (/^PT[1-5]\d\d$/.test(code)) return Number(code.slice(2));
  switch (code.slice(0, 2)) {
    case '08':
    case '53':
      return 503;
    case '0L':
    case '0P':
    case '28':
      return 403;
    case '09':
    case '25':
    case '2D':
    case '38':
    case '39':
    case '3B':
    case '40':
    case '54':
    case '55':
    case '57':
    case '58':
    case 'F0':
    case 'HV':
    case 'P0':
    case 'XX':
      return 500;
  }
  return 400;
}

/** The fields every Postgres error carries, whether it came from `pg` or from the proxy itself. */
interface PostgresLikeError {
  code: string;
  message: string;
  detail?: string | undefined;
  hint?: string | undefined;
}

function isPostgresLike(error: unknown): error is PostgresLikeError {
  if (error instanceof PgError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  // node-postgres' DatabaseError has a 5-character SQLSTATE; socket errors have codes like ECONNRESET.
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** Turns anything thrown while serving a request into the response PostgREST would give. */
export function toHttpError(error: unknown, authenticated: boolean): HttpError {
  if (error instanceof HttpError) return error;
  if (isPostgresLike(error)) {
    const status = statusForSqlState(error.code, authenticated);
    const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
    return new HttpError(status, error.code, error.message, error.detail ?? null, error.hint ?? null, headers);
  }
  // A fault of the proxy: its text goes to the proxy's log, not to the client (see PgError.internal).
  const internal = PgError.internal(error, 'serving an HTTP request');
  return new HttpError(500, 'PGRSTX00', 'Internal error', null, internal.hint ?? null);
}
