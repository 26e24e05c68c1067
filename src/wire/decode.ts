/** Decoders for the messages the proxy must inspect. Each takes the whole message (header included). */
import { PgError, ProtocolError, SqlState } from '../errors/index.js';
import type { Severity } from '../errors/index.js';
import { ErrorField, StartupCode, type TransactionStatus } from './codes.js';
import { Reader } from './reader.js';
import type { FieldDescription } from './backend.js';

const body = (message: Buffer): Reader => new Reader(message, 5);

export type StartupPacket =
  | { kind: 'startup'; protocol: number; parameters: Record<string, string> }
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel'; processId: number; secretKey: number };

/** Decodes the untyped first packet (length, request code, payload). */
export function decodeStartupPacket(packet: Buffer): StartupPacket {
  const r = new Reader(packet, 4);
  const code = r.int32();
  switch (code) {
    case StartupCode.SSLRequest:
      return { kind: 'ssl' };
    case StartupCode.GSSENCRequest:
      return { kind: 'gssenc' };
    case StartupCode.CancelRequest:
      return { kind: 'cancel', processId: r.int32(), secretKey: r.int32() };
  }
  if (code >> 16 !== 3) {
    throw new ProtocolError(`unsupported frontend protocol ${code >> 16}.${code & 0xffff}`);
  }
  const parameters: Record<string, string> = {};
  for (;;) {
    const name = r.cstring();
    if (name === '') break;
    parameters[name] = r.cstring();
  }
  return { kind: 'startup', protocol: code, parameters };
}

export function decodeQuery(message: Buffer): string {
  return body(message).cstring();
}

export interface ParseMessage {
  name: string;
  sql: string;
  paramTypes: number[];
}

/**
 * Whether a Parse names the unnamed statement (its name, the body's first string, is empty),
 * without decoding the statement's text: asked of every Parse after a local answer.
 */
export function parsesUnnamedStatement(message: Buffer): boolean {
  return message.length > 5 && message[5] === 0;
}

export function decodeParse(message: Buffer): ParseMessage {
  const r = body(message);
  const name = r.cstring();
  const sql = r.cstring();
  const count = r.int16();
  const paramTypes: number[] = [];
  for (let i = 0; i < count; i++) paramTypes.push(r.uint32());
  return { name, sql, paramTypes };
}

export interface BindMessage {
  portal: string;
  statement: string;
  paramFormats: number[];
  params: (Buffer | null)[];
  resultFormats: number[];
}

export function decodeBind(message: Buffer): BindMessage {
  const r = body(message);
  const portal = r.cstring();
  const statement = r.cstring();
  const paramFormats: number[] = [];
  for (let i = 0, n = r.int16(); i < n; i++) paramFormats.push(r.int16());
  const params: (Buffer | null)[] = [];
  for (let i = 0, n = r.int16(); i < n; i++) params.push(r.lengthPrefixed());
  const resultFormats: number[] = [];
  for (let i = 0, n = r.int16(); i < n; i++) resultFormats.push(r.int16());
  return { portal, statement, paramFormats, params, resultFormats };
}

/** Describe and Close share a layout: 'S' (statement) or 'P' (portal), then a name. */
export function decodeTarget(message: Buffer): { kind: 'S' | 'P'; name: string } {
  const r = body(message);
  const kind = String.fromCharCode(r.byte());
  if (kind !== 'S' && kind !== 'P') throw new ProtocolError(`invalid target type "${kind}"`);
  return { kind, name: r.cstring() };
}

export function decodeExecute(message: Buffer): { portal: string; maxRows: number } {
  const r = body(message);
  return { portal: r.cstring(), maxRows: r.int32() };
}

export function decodeReadyForQuery(message: Buffer): TransactionStatus {
  const status = String.fromCharCode(message[5] ?? 0);
  if (status !== 'I' && status !== 'T' && status !== 'E') throw new ProtocolError('invalid transaction status');
  return status;
}

/** ErrorResponse or NoticeResponse → PgError carrying every field the server sent (origin: upstream). */
export function decodeErrorResponse(message: Buffer): PgError {
  const r = body(message);
  const fields = new Map<string, string>();
  for (;;) {
    const id = r.byte();
    if (id === 0) break;
    fields.set(String.fromCharCode(id), r.cstring());
  }
  const position = fields.get(ErrorField.Position);
  return new PgError(fields.get(ErrorField.Code) ?? SqlState.InternalError, fields.get(ErrorField.Message) ?? '', {
    severity: (fields.get(ErrorField.SeverityNonLocalized) ?? fields.get(ErrorField.Severity) ?? 'ERROR') as Severity,
    detail: fields.get(ErrorField.Detail),
    hint: fields.get(ErrorField.Hint),
    position: position === undefined ? undefined : Number(position),
    where: fields.get(ErrorField.Where),
    schema: fields.get(ErrorField.Schema),
    table: fields.get(ErrorField.Table),
    column: fields.get(ErrorField.Column),
    origin: 'upstream',
  });
}

export function decodeRowDescription(message: Buffer): FieldDescription[] {
  const r = body(message);
  const fields: FieldDescription[] = [];
  for (let i = 0, n = r.int16(); i < n; i++) {
    fields.push({
      name: r.cstring(),
      tableOid: r.uint32(),
      columnNumber: r.int16(),
      typeOid: r.uint32(),
      typeSize: r.int16(),
      typeModifier: r.int32(),
      format: r.int16() === 1 ? 1 : 0,
    });
  }
  return fields;
}

export function decodeDataRow(message: Buffer): (Buffer | null)[] {
  const r = body(message);
  const values: (Buffer | null)[] = [];
  for (let i = 0, n = r.int16(); i < n; i++) values.push(r.lengthPrefixed());
  return values;
}

/** A DataRow as received, and where its values lie (dataRowStarts). */
export interface SentRow {
  message: Buffer;
  starts: Int32Array;
}

/**
 * Where each value of a DataRow lies, found without slicing the message: value i's length word is
 * at starts[i] (then -1 for NULL, or its bytes), and starts[count] is the end of the last value.
 */
export function dataRowStarts(message: Buffer): Int32Array {
  const count = message.readInt16BE(5);
  const starts = new Int32Array(count + 1);
  let at = 7;
  for (let i = 0; i < count; i++) {
    starts[i] = at;
    const length = message.readInt32BE(at);
    at += 4 + (length < 0 ? 0 : length);
  }
  starts[count] = at;
  return starts;
}

/** Value i of a DataRow whose starts are known (a view into the message), or null. */
export function dataRowValue(message: Buffer, starts: Int32Array, i: number): Buffer | null {
  const at = starts[i]!;
  return message.readInt32BE(at) < 0 ? null : message.subarray(at + 4, starts[i + 1]);
}

export function decodeCommandComplete(message: Buffer): string {
  return body(message).cstring();
}

/** The request code of an Authentication message (AuthenticationCode: 0 is AuthenticationOk). */
export function decodeAuthentication(message: Buffer): number {
  return body(message).int32();
}

export function decodeBackendKeyData(message: Buffer): { processId: number; secretKey: number } {
  const r = body(message);
  return { processId: r.int32(), secretKey: r.int32() };
}

export function decodeNotification(message: Buffer): { processId: number; channel: string; payload: string } {
  const r = body(message);
  return { processId: r.int32(), channel: r.cstring(), payload: r.cstring() };
}
