/**
 * The message sizes Postgres itself accepts from a client, per phase of the connection and per
 * message type (src/backend/tcop/postgres.c SocketBackend, libpq/auth.c, libpq/pqcomm.h). The
 * proxy applies them on the 5-byte header, before it buffers any of the body, so a client can
 * never make it hold more than Postgres would.
 */
import { ProtocolError } from '../errors/index.js';
import { FrontendCode } from './codes.js';

/** MAX_STARTUP_PACKET_LENGTH: the untyped first packet after its length word (Postgres subtracts it first). */
export const MAX_STARTUP_LENGTH = 10_000;
/** PG_MAX_AUTH_TOKEN_LENGTH: a password, SASL or GSS message before authentication completes. */
export const MAX_AUTH_MESSAGE_LENGTH = 65_535;
/** PQ_SMALL_MESSAGE_LIMIT: messages that carry no user data (Sync, Execute, Describe...). */
export const SMALL_MESSAGE_LIMIT = 10_000;
/** PQ_LARGE_MESSAGE_LIMIT (MaxAllocSize - 1): Query, Parse, Bind, CopyData, FunctionCall. */
export const LARGE_MESSAGE_LIMIT = 0x3fff_fffe;

/**
 * Checks a message header (type byte and length word, which counts itself) and throws a
 * ProtocolError for a message that must not be read.
 */
export type HeaderCheck = (code: number, length: number) => void;

/** Messages between the proxy and its upstream, and anything already checked: Postgres's 1 GB bound. */
export const anyMessage: HeaderCheck = (_code, length) => checkLength(length, LARGE_MESSAGE_LIMIT);

/** Before AuthenticationOk a client may only answer the server's authentication requests. */
export const beforeAuthentication: HeaderCheck = (code, length) => {
  if (code !== FrontendCode.PasswordMessage) {
    throw new ProtocolError(`expected password response, got message type ${code}`);
  }
  checkLength(length, MAX_AUTH_MESSAGE_LENGTH);
};

const LARGE = new Set<number>([
  FrontendCode.Query,
  FrontendCode.FunctionCall,
  FrontendCode.Parse,
  FrontendCode.Bind,
  FrontendCode.CopyData,
]);
const SMALL = new Set<number>([
  FrontendCode.Close,
  FrontendCode.Describe,
  FrontendCode.Execute,
  FrontendCode.Flush,
  FrontendCode.Sync,
  FrontendCode.Terminate,
  FrontendCode.CopyDone,
  FrontendCode.CopyFail,
]);

/** After authentication: Postgres's per-type limits; any other type closes the connection, as there. */
export const afterAuthentication: HeaderCheck = (code, length) => {
  if (LARGE.has(code)) return checkLength(length, LARGE_MESSAGE_LIMIT);
  if (SMALL.has(code)) return checkLength(length, SMALL_MESSAGE_LIMIT);
  throw new ProtocolError(`invalid frontend message type ${code}`);
};

function checkLength(length: number, limit: number): void {
  if (length < 4 || length > limit) throw new ProtocolError('invalid message length');
}
