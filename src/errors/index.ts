export { PgError, ProtocolError } from './pg-error.js';
export type { ErrorOrigin, PgErrorFields, Severity } from './pg-error.js';
export { SqlState, type SqlStateCode } from './sql-state.js';
