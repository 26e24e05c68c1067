/**
 * The one client-facing error type. Every error that reaches a client as an ErrorResponse is a
 * PgError carrying a real SQLSTATE; FATAL is reserved for errors after which the connection closes.
 */
export type Severity = 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';

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
    };
  }

  /** Wraps anything thrown on a request path; unknown failures become internal_error (XX000). */
  static from(error: unknown): PgError {
    if (error instanceof PgError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new PgError(SqlState.InternalError, message);
  }
}

/** SQLSTATE codes used by the proxy (PostgreSQL Appendix A). */
export const SqlState = {
  SuccessfulCompletion: '00000',
  ConnectionException: '08000',
  ConnectionFailure: '08006',
  SqlclientUnableToEstablishSqlconnection: '08001',
  ProtocolViolation: '08P01',
  FeatureNotSupported: '0A000',
  InvalidParameterValue: '22023',
  InvalidTextRepresentation: '22P02',
  NullValueNotAllowed: '22004',
  DataException: '22000',
  NumericValueOutOfRange: '22003',
  InvalidDatetimeFormat: '22007',
  ArraySubscriptError: '2202E',
  InvalidTransactionState: '25000',
  InFailedSqlTransaction: '25P02',
  InvalidAuthorizationSpecification: '28000',
  InvalidPassword: '28P01',
  InvalidSqlStatementName: '26000',
  InvalidCursorName: '34000',
  SyntaxError: '42601',
  InsufficientPrivilege: '42501',
  UndefinedFunction: '42883',
  UndefinedTable: '42P01',
  UndefinedColumn: '42703',
  UndefinedObject: '42704',
  DuplicateObject: '42710',
  DatatypeMismatch: '42804',
  AmbiguousFunction: '42725',
  ObjectNotInPrerequisiteState: '55000',
  QueryCanceled: '57014',
  AdminShutdown: '57P01',
  CannotConnectNow: '57P03',
  TooManyConnections: '53300',
  OutOfMemory: '53200',
  InternalError: 'XX000',
  DataCorrupted: 'XX001',
  RaiseException: 'P0001',
  ConfigFileError: 'F0000',
} as const;
export type SqlStateCode = (typeof SqlState)[keyof typeof SqlState];

/** Malformed bytes from a peer: the connection that sent them is closed with 08P01. */
export class ProtocolError extends PgError {
  constructor(message: string) {
    super(SqlState.ProtocolViolation, message, { severity: 'FATAL' });
    this.name = 'ProtocolError';
  }
}
