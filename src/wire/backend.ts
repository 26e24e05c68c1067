/** Builders for messages the proxy itself sends to clients (backend → frontend). */
import type { PgError } from '../errors/index.js';
import { AuthenticationCode, BackendCode, ErrorField, type TransactionStatus } from './codes.js';
import type { SentRow } from './decode.js';
import { Writer } from './writer.js';

export interface FieldDescription {
  name: string;
  tableOid?: number;
  columnNumber?: number;
  typeOid: number;
  typeSize?: number;
  typeModifier?: number;
  format?: 0 | 1;
}

export function authenticationOk(): Buffer {
  return new Writer(BackendCode.Authentication, 16).int32(AuthenticationCode.Ok).finish();
}

export function parameterStatus(name: string, value: string): Buffer {
  return new Writer(BackendCode.ParameterStatus).cstring(name).cstring(value).finish();
}

export function backendKeyData(processId: number, secretKey: number): Buffer {
  return new Writer(BackendCode.BackendKeyData, 16).int32(processId).int32(secretKey).finish();
}

export function readyForQuery(status: TransactionStatus): Buffer {
  return new Writer(BackendCode.ReadyForQuery, 8).byte(status.charCodeAt(0)).finish();
}

function errorOrNotice(code: number, error: PgError): Buffer {
  const w = new Writer(code);
  const field = (id: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    w.byte(id.charCodeAt(0)).cstring(String(value));
  };
  field(ErrorField.Severity, error.severity);
  field(ErrorField.SeverityNonLocalized, error.severity);
  field(ErrorField.Code, error.code);
  field(ErrorField.Message, error.message);
  field(ErrorField.Detail, error.detail);
  field(ErrorField.Hint, error.hint);
  field(ErrorField.Position, error.position);
  field(ErrorField.Where, error.where);
  field(ErrorField.Schema, error.schema);
  field(ErrorField.Table, error.table);
  field(ErrorField.Column, error.column);
  return w.byte(0).finish();
}

export function errorResponse(error: PgError): Buffer {
  return errorOrNotice(BackendCode.ErrorResponse, error);
}

/** A NoticeResponse; the PgError's severity says which kind (NOTICE, INFO, WARNING...). */
export function noticeResponse(notice: PgError): Buffer {
  return errorOrNotice(BackendCode.NoticeResponse, notice);
}

export function rowDescription(fields: readonly FieldDescription[]): Buffer {
  const w = new Writer(BackendCode.RowDescription).int16(fields.length);
  for (const f of fields) {
    w.cstring(f.name)
      .uint32(f.tableOid ?? 0)
      .int16(f.columnNumber ?? 0)
      .uint32(f.typeOid)
      .int16(f.typeSize ?? -1)
      .int32(f.typeModifier ?? -1)
      .int16(f.format ?? 0);
  }
  return w.finish();
}

export function dataRow(values: readonly (Uint8Array | null)[]): Buffer {
  const w = new Writer(BackendCode.DataRow).int16(values.length);
  for (const v of values) w.lengthPrefixed(v);
  return w.finish();
}

/**
 * The messages `before`, a DataRow of `values` and the messages `after`, in one buffer of their
 * exact size: a reply written at once (a locally answered statement's) without the DataRow's own
 * growing buffer and a concatenation copying it again.
 */
export function withDataRow(before: readonly Uint8Array[], values: readonly (Uint8Array | null)[], after: readonly Uint8Array[]): Buffer {
  let rowLength = 4 + 2;
  for (const v of values) rowLength += 4 + (v === null ? 0 : v.length);
  let size = 1 + rowLength;
  for (const m of before) size += m.length;
  for (const m of after) size += m.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const m of before) {
    out.set(m, at);
    at += m.length;
  }
  out[at] = BackendCode.DataRow;
  out.writeInt32BE(rowLength, at + 1);
  at = out.writeInt16BE(values.length, at + 5);
  for (const v of values) {
    at = out.writeInt32BE(v === null ? -1 : v.length, at);
    if (v === null) continue;
    out.set(v, at);
    at += v.length;
  }
  for (const m of after) {
    out.set(m, at);
    at += m.length;
  }
  return out;
}

/**
 * DataRows written one after another into one buffer (a batch of rows goes out in one write):
 * each sent row's first `width` values copied as they came, except the values at `indexes`
 * (ascending), which become `replacements[row][k]`.
 */
export function dataRowsReplacing(
  rows: readonly SentRow[],
  width: number,
  indexes: readonly number[],
  replacements: readonly (readonly (Uint8Array | null)[])[],
): Buffer {
  let size = 0;
  rows.forEach(({ starts }, r) => {
    size += starts[width]!;
    indexes.forEach((index, k) => (size += 4 + (replacements[r]![k]?.length ?? 0) - (starts[index + 1]! - starts[index]!)));
  });
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  rows.forEach(({ message, starts }, r) => {
    const start = at;
    out[start] = BackendCode.DataRow;
    at = out.writeInt16BE(width, start + 5);
    let copied = 7;
    indexes.forEach((index, k) => {
      at += message.copy(out, at, copied, starts[index]);
      const value = replacements[r]![k] ?? null;
      at = out.writeInt32BE(value === null ? -1 : value.length, at);
      if (value !== null) {
        out.set(value, at);
        at += value.length;
      }
      copied = starts[index + 1]!;
    });
    at += message.copy(out, at, copied, starts[width]);
    out.writeInt32BE(at - start - 1, start + 1);
  });
  return out;
}

export function commandComplete(tag: string): Buffer {
  return new Writer(BackendCode.CommandComplete).cstring(tag).finish();
}

export function parameterDescription(typeOids: readonly number[]): Buffer {
  const w = new Writer(BackendCode.ParameterDescription).int16(typeOids.length);
  for (const oid of typeOids) w.uint32(oid);
  return w.finish();
}

const empty = (code: number): Buffer => new Writer(code, 8).finish();
export const parseComplete = (): Buffer => empty(BackendCode.ParseComplete);
export const bindComplete = (): Buffer => empty(BackendCode.BindComplete);
export const portalSuspended = (): Buffer => empty(BackendCode.PortalSuspended);

/** The single byte answering SSLRequest or GSSENCRequest. */
export const sslRefused = (): Buffer => Buffer.from('N');
export const sslAccepted = (): Buffer => Buffer.from('S');
