/** Builders for messages the proxy sends to an upstream on its own behalf (frontend → backend). */
import { FrontendCode, StartupCode } from './codes.js';
import { Writer } from './writer.js';

export function startupMessage(parameters: Record<string, string>): Buffer {
  const w = new Writer(null).int32(StartupCode.ProtocolVersion3);
  for (const [name, value] of Object.entries(parameters)) w.cstring(name).cstring(value);
  return w.byte(0).finish();
}

export function cancelRequest(processId: number, secretKey: number): Buffer {
  return new Writer(null, 16).int32(StartupCode.CancelRequest).int32(processId).int32(secretKey).finish();
}

export function query(sql: string): Buffer {
  return new Writer(FrontendCode.Query, Buffer.byteLength(sql) + 6).cstring(sql).finish();
}

export function parse(name: string, sql: string, paramTypes: readonly number[] = []): Buffer {
  const w = new Writer(FrontendCode.Parse, Buffer.byteLength(sql) + 32).cstring(name).cstring(sql);
  w.int16(paramTypes.length);
  for (const oid of paramTypes) w.uint32(oid);
  return w.finish();
}

export interface BindArgs {
  portal?: string;
  statement?: string;
  paramFormats?: readonly number[];
  params?: readonly (Uint8Array | null)[];
  resultFormats?: readonly number[];
}

export function bind(args: BindArgs): Buffer {
  const w = new Writer(FrontendCode.Bind).cstring(args.portal ?? '').cstring(args.statement ?? '');
  const paramFormats = args.paramFormats ?? [];
  w.int16(paramFormats.length);
  for (const f of paramFormats) w.int16(f);
  const params = args.params ?? [];
  w.int16(params.length);
  for (const p of params) w.lengthPrefixed(p);
  const resultFormats = args.resultFormats ?? [];
  w.int16(resultFormats.length);
  for (const f of resultFormats) w.int16(f);
  return w.finish();
}

export function describe(kind: 'S' | 'P', name = ''): Buffer {
  return new Writer(FrontendCode.Describe).byte(kind.charCodeAt(0)).cstring(name).finish();
}

export function execute(portal = '', maxRows = 0): Buffer {
  return new Writer(FrontendCode.Execute).cstring(portal).int32(maxRows).finish();
}

export function close(kind: 'S' | 'P', name = ''): Buffer {
  return new Writer(FrontendCode.Close).byte(kind.charCodeAt(0)).cstring(name).finish();
}

const empty = (code: number): Buffer => new Writer(code, 8).finish();
export const sync = (): Buffer => empty(FrontendCode.Sync);
export const flush = (): Buffer => empty(FrontendCode.Flush);
export const terminate = (): Buffer => empty(FrontendCode.Terminate);
