export { PgError, ProtocolError, SqlState } from './pg-error.js';
export type { PgErrorFields, Severity, SqlStateCode } from './pg-error.js';
