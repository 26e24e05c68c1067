// Protocol bytes written independently of src/wire, so protocol tests don't grade the proxy's
// encoder and decoders with themselves: a minimal raw frontend, and BufferList (after
// node-postgres' testing/buffer-list.ts) for building any message by hand.
import { connect, type Socket } from 'node:net';

const PROTOCOL_3_0 = 196608;
const CANCEL_REQUEST_CODE = 80877102;

export function startupMessage(params: Record<string, string>): Buffer {
  const pairs = Object.entries(params).flatMap(([k, v]) => [Buffer.from(`${k}\0`), Buffer.from(`${v}\0`)]);
  const body = Buffer.concat([int32(PROTOCOL_3_0), ...pairs, Buffer.from([0])]);
  return Buffer.concat([int32(body.length + 4), body]);
}

export function cancelRequest(processId: number, secretKey: number): Buffer {
  return Buffer.concat([int32(16), int32(CANCEL_REQUEST_CODE), int32(processId), int32(secretKey)]);
}

export function frontendMessage(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type, 'latin1'), int32(body.length + 4), body]);
}

export function queryMessage(sql: string): Buffer {
  return frontendMessage('Q', Buffer.from(`${sql}\0`));
}

/** Parse, Bind and Execute of an unnamed statement without parameters (text results). */
export function extendedQueryMessages(sql: string): Buffer {
  const none = Buffer.alloc(2);
  return Buffer.concat([
    frontendMessage('P', Buffer.concat([Buffer.from(`\0${sql}\0`), none])),
    frontendMessage('B', Buffer.concat([Buffer.from('\0\0'), none, none, none])),
    frontendMessage('E', Buffer.concat([Buffer.from('\0'), int32(0)])),
  ]);
}

/** Parse of a statement, with parameter type OIDs (0: let the server infer it). */
export function parseMessage(name: string, sql: string, types: readonly number[] = []): Buffer {
  const list = new BufferList().cstring(name).cstring(sql).int16(types.length);
  for (const oid of types) list.uint32(oid);
  return list.join('P');
}

/** Bind of a portal: parameters as given (null: SQL NULL), their formats and the result formats. */
export function bindMessage(
  portal: string,
  statement: string,
  { paramFormats = [], params = [], resultFormats = [] }: { paramFormats?: number[]; params?: (Buffer | null)[]; resultFormats?: number[] },
): Buffer {
  const list = new BufferList().cstring(portal).cstring(statement).int16(paramFormats.length);
  for (const format of paramFormats) list.int16(format);
  list.int16(params.length);
  for (const param of params) {
    if (param === null) list.int32(-1);
    else list.int32(param.length).raw(param);
  }
  list.int16(resultFormats.length);
  for (const format of resultFormats) list.int16(format);
  return list.join('B');
}

export const describeMessage = (kind: 'S' | 'P', name: string): Buffer => new BufferList().byte(kind).cstring(name).join('D');
export const executeMessage = (portal: string, maxRows = 0): Buffer => new BufferList().cstring(portal).int32(maxRows).join('E');
export const closeMessage = (kind: 'S' | 'P', name: string): Buffer => new BufferList().byte(kind).cstring(name).join('C');

export const syncMessage = (): Buffer => frontendMessage('S', Buffer.alloc(0));
export const flushMessage = (): Buffer => frontendMessage('H', Buffer.alloc(0));

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n | 0);
  return b;
}

export interface BackendMessage {
  type: string;
  body: Buffer;
}

/** Error/Notice fields keyed by their one-letter code (C = SQLSTATE, M = message, S = severity). */
export function errorFields(message: BackendMessage): Record<string, string> {
  const fields: Record<string, string> = {};
  let at = 0;
  while (at < message.body.length && message.body[at] !== 0) {
    const code = String.fromCharCode(message.body[at]!);
    const end = message.body.indexOf(0, at + 1);
    fields[code] = message.body.subarray(at + 1, end).toString('utf8');
    at = end + 1;
  }
  return fields;
}

/** The values of a DataRow body, in order (null for NULL). */
export function dataRowValues(body: Buffer): (Buffer | null)[] {
  const values: (Buffer | null)[] = [];
  let at = 2;
  for (let i = 0; i < body.readInt16BE(0); i++) {
    const length = body.readInt32BE(at);
    values.push(length < 0 ? null : body.subarray(at + 4, at + 4 + length));
    at += 4 + Math.max(length, 0);
  }
  return values;
}

export class RawConnection {
  private buffered = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    // A reset from the server is one of the outcomes the tests inspect, not a crash.
    socket.on('error', () => undefined);
  }

  static open(host: string, port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next complete backend message, or undefined once the server closed the connection. */
  async next(): Promise<BackendMessage | undefined> {
    for (;;) {
      if (this.buffered.length >= 5) {
        const length = this.buffered.readInt32BE(1);
        if (this.buffered.length >= length + 1) {
          const message = { type: String.fromCharCode(this.buffered[0]!), body: this.buffered.subarray(5, length + 1) };
          this.buffered = this.buffered.subarray(length + 1);
          return message;
        }
      }
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Reads until a message of `type` arrives; returns everything read, throwing if the server closed first. */
  async readUntil(type: string): Promise<BackendMessage[]> {
    const seen: BackendMessage[] = [];
    for (;;) {
      const message = await this.next();
      if (!message) throw new Error(`connection closed before '${type}'; got ${seen.map((m) => m.type).join(',')}`);
      seen.push(message);
      if (message.type === type) return seen;
    }
  }

  /** Drains until the server closes the connection; returns what it sent meanwhile. */
  async readToEnd(): Promise<BackendMessage[]> {
    const seen: BackendMessage[] = [];
    for (let message = await this.next(); message; message = await this.next()) seen.push(message);
    return seen;
  }

  /** Startup as a trusted role, up to the first ReadyForQuery. */
  async startup(user: string, database: string): Promise<{ processId: number; secretKey: number }> {
    this.write(startupMessage({ user, database }));
    const messages = await this.readUntil('Z');
    const error = messages.find((m) => m.type === 'E');
    if (error) throw new Error(`startup failed: ${JSON.stringify(errorFields(error))}`);
    const keyData = messages.find((m) => m.type === 'K');
    return { processId: keyData?.body.readInt32BE(0) ?? 0, secretKey: keyData?.body.readInt32BE(4) ?? 0 };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Builds a message field by field: `new BufferList().int32(0).join('R')` is AuthenticationOk. */
export class BufferList {
  private readonly parts: Buffer[] = [];

  int16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.parts.push(b);
    return this;
  }

  int32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    this.parts.push(b);
    return this;
  }

  uint32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    this.parts.push(b);
    return this;
  }

  cstring(s: string): this {
    this.parts.push(Buffer.from(s, 'utf8'), Buffer.from([0]));
    return this;
  }

  byte(c: string | number): this {
    this.parts.push(Buffer.from([typeof c === 'string' ? c.charCodeAt(0) : c]));
    return this;
  }

  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  body(): Buffer {
    return Buffer.concat(this.parts);
  }

  /** The message with its type byte and length header. */
  join(type: string): Buffer {
    const body = this.body();
    const header = Buffer.alloc(5);
    header.write(type, 0, 'latin1');
    header.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([header, body]);
  }
}
