/**
 * The one client-facing error type. Every error that reaches a client as an ErrorResponse is a
 * PgError carrying a real SQLSTATE; FATAL is reserved for errors after which the connection closes.
 */
import { AssertionError } from 'node:assert';
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
   * Wraps anything thrown on a request path. A PgError is itself; anything else no source turned
   * into a PgError is internal(): a fault of the proxy.
   */
  static from(error: unknown): PgError {
    if (error instanceof PgError) return error;
    return PgError.internal(error);
  }

  /**
   * An error raised while a library did `what` ("training kmeans", "loading model m"). See
   * isLibraryError for which keep their words: those are raised as the SQL standard's external
   * routine exception (38000), after `what`; the others are internal(error, what).
   */
  static fromLibrary(error: unknown, what: string): PgError {
    if (error instanceof PgError) return error;
    if (!isLibraryError(error)) return PgError.internal(error, what);
    return new PgError(SqlState.ExternalRoutineException, `${what} failed: ${error.message}`);
  }

  /**
   * A fault of the proxy while it was doing `what`. Its text ("Cannot read properties of
   * undefined") would tell the client about the proxy's internals, not about the statement, so the
   * client gets Postgres's kind of internal error (XX000) and the original (name, message, stack)
   * goes to the proxy's log (stderr; a worker thread's stderr is the proxy's), where whoever runs
   * the proxy can read it.
   */
  static internal(error: unknown, what?: string): PgError {
    const doing = what === undefined ? '' : ` while ${what}`;
    process.stderr.write(`pgml-proxy: internal error${doing}: ${describe(error)}\n`);
    return new PgError(SqlState.InternalError, `internal error in pgml-proxy${doing}`, {
      hint: "The proxy's log has the cause.",
    });
  }
}

/**
 * The rule for what a library throws. A library's own Error (ONNX Runtime's, a koffi-bound native
 * library's message, transformers.js refusing an unknown task) says what went wrong in words a user
 * can act on: it keeps them. JavaScript's own exceptions (TypeError, RangeError, ReferenceError,
 * SyntaxError, ...) and failed assertions are programming errors, ours or a library's, whose text
 * means nothing to a user: internal. Anything thrown that is not an Error at all is internal too.
 * A library's plain Error that complains about how our code called it (transformers.js's "token_ids
 * must be a non-empty array of integers") cannot be told apart by its type: such a call is a bug
 * to mend where it is made.
 */
function isLibraryError(error: unknown): error is Error {
  return error instanceof Error && !JS_FAULTS.some((fault) => error instanceof fault);
}

/** JavaScript's own exceptions and node:assert's: faults in code, never words for a client. */
const JS_FAULTS = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError, AssertionError];

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // The stack starts with "Name: message" where V8 made it; say both when it did not.
  const head = `${error.name}: ${error.message}`;
  return error.stack?.startsWith(head) ? error.stack : `${head}\n${error.stack ?? ''}`;
}

/** Malformed bytes from a peer: the connection that sent them is closed with 08P01. */
export class ProtocolError extends PgError {
  constructor(message: string) {
    super(SqlState.ProtocolViolation, message, { severity: 'FATAL' });
    this.name = 'ProtocolError';
  }
}
