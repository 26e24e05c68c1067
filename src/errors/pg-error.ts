/**
 * The one client-facing error type. Every error that reaches a client as an ErrorResponse is a
 * PgError carrying a real SQLSTATE; FATAL is reserved for errors after which the connection closes.
 */
import { SqlState } from './sql-state.js';

export type Severity = 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';

/**
 * Who raised the error. The upstream's own errors (decoded from its ErrorResponse) are already
 * reflected in its transaction and pipeline state; the proxy's are not, and the proxy must make
 * the upstream agree before it tells the client (a failed transaction block, skipping until Sync).
 */
export type ErrorOrigin = 'proxy' | 'upstream';

export interface PgErrorFields {
  detail?: string;
  hint?: string;
  /** 1-based character position in the original query string. */
  position?: number;
  severity?: Severity;
  schema?: string;
  table?: string;
  column?: string;
  where?: string;
  /** 'proxy' unless said otherwise. */
  origin?: ErrorOrigin;
}

export class PgError extends Error {
  readonly code: string;
  readonly severity: Severity;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  readonly position: number | undefined;
  readonly where: string | undefined;
  readonly schema: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
  readonly origin: ErrorOrigin;

  constructor(code: string, message: string, fields: PgErrorFields = {}) {
    super(message);
    this.name = 'PgError';
    this.code = code;
    this.severity = fields.severity ?? 'ERROR';
    this.detail = fields.detail;
    this.hint = fields.hint;
    this.position = fields.position;
    this.where = fields.where;
    this.schema = fields.schema;
    this.table = fields.table;
    this.column = fields.column;
    this.origin = fields.origin ?? 'proxy';
  }

  withPosition(position: number): PgError {
    return new PgError(this.code, this.message, { ...this.fields(), position });
  }

  fields(): PgErrorFields {
    return {
      severity: this.severity,
      detail: this.detail,
      hint: this.hint,
      position: this.position,
      where: this.where,
      schema: this.schema,
      table: this.table,
      column: this.column,
      origin: this.origin,
    };
  }

  /**
   * Wraps anything thrown on a request path. A PgError is itself. Anything else is a fault of the
   * proxy or of a library it calls that no source turned into a PgError: its text ("Cannot read
   * properties of undefined", a library's wording) would tell the client about the proxy's
   * internals, not about the statement, so the client gets Postgres's kind of internal error and
   * the original goes to the proxy's log (stderr), where whoever runs the proxy can read it.
   */
  static from(error: unknown): PgError {
    if (error instanceof PgError) return error;
    process.stderr.write(`pgml-proxy: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return new PgError(SqlState.InternalError, 'internal error in pgml-proxy', {
      hint: "The proxy's log has the cause.",
    });
  }

  /**
   * An error raised while a library did `what` ("training kmeans", "loading model m"). A library's
   * own Error says what went wrong in words a user can act on (too few rows for the clusters asked
   * for, a model file that is missing): it is raised as the SQL standard's external routine
   * exception (38000), after `what`. JavaScript's own exceptions (TypeError, ...) are faults: from().
   */
  static fromLibrary(error: unknown, what: string): PgError {
    if (error instanceof PgError) return error;
    if (!(error instanceof Error) || JS_FAULTS.some((fault) => error instanceof fault)) return PgError.from(error);
    return new PgError(SqlState.ExternalRoutineException, `${what} failed: ${error.message}`);
  }
}

/** JavaScript's own exceptions: faults in code, never words for a client. */
const JS_FAULTS = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError];

/** Malformed bytes from a peer: the connection that sent them is closed with 08P01. */
export class ProtocolError extends PgError {
  constructor(message: string) {
    super(SqlState.ProtocolViolation, message, { severity: 'FATAL' });
    this.name = 'ProtocolError';
  }
}
