/**
 * A scripted upstream for unit tests of the session and the interceptor: an UpstreamConnector
 * that answers like a Postgres backend for the statements it is given (a map from SQL text to
 * rows or an error), keeps the transaction status, skips after an error until Sync as a backend
 * does, and records what the proxy sent it. Replies are built with the independent encoder
 * (BufferList in raw-wire.ts), never with src/wire's writer. Unknown SQL is a syntax error, as
 * the proxy's own refusal (a Parse of text that is not SQL) needs.
 */
import type { UpstreamConnector, UpstreamLink } from '../../src/proxy/link.js';
import { BufferList } from './raw-wire.js';

export type Answer =
  | { rows: (string | null)[][]; columns: { name: string; typeOid: number }[]; tag: string }
  | { tag: string }
  | { error: { code: string; message: string } };

export const reply = {
  authenticationOk: () => new BufferList().int32(0).join('R'),
  parameterStatus: (name: string, value: string) => new BufferList().cstring(name).cstring(value).join('S'),
  backendKeyData: (processId: number, secretKey: number) => new BufferList().int32(processId).int32(secretKey).join('K'),
  readyForQuery: (status: 'I' | 'T' | 'E') => new BufferList().byte(status).join('Z'),
  parseComplete: () => new BufferList().join('1'),
  bindComplete: () => new BufferList().join('2'),
  closeComplete: () => new BufferList().join('3'),
  noData: () => new BufferList().join('n'),
  parameterDescription: (oids: readonly number[]) => {
    const list = new BufferList().int16(oids.length);
    for (const oid of oids) list.uint32(oid);
    return list.join('t');
  },
  rowDescription: (columns: readonly { name: string; typeOid: number }[]) => {
    const list = new BufferList().int16(columns.length);
    for (const c of columns) list.cstring(c.name).int32(0).int16(0).uint32(c.typeOid).int16(-1).int32(-1).int16(0);
    return list.join('T');
  },
  dataRow: (values: readonly (string | null)[]) => {
    const list = new BufferList().int16(values.length);
    for (const v of values) {
      if (v === null) list.int32(-1);
      else list.int32(Buffer.byteLength(v)).raw(Buffer.from(v));
    }
    return list.join('D');
  },
  commandComplete: (tag: string) => new BufferList().cstring(tag).join('C'),
  errorResponse: (code: string, message: string) =>
    new BufferList().byte('S').cstring('ERROR').byte('V').cstring('ERROR').byte('C').cstring(code).byte('M').cstring(message).byte(0).join('E'),
};

export interface ReceivedMessage {
  type: string;
  body: Buffer;
}

/** The parameter types a Parse message declares (0: left to the server). */
export function declaredTypes(message: ReceivedMessage): number[] {
  const afterName = message.body.indexOf(0) + 1;
  const at = message.body.indexOf(0, afterName) + 1;
  const count = message.body.readInt16BE(at);
  return Array.from({ length: count }, (_, i) => message.body.readUInt32BE(at + 2 + 4 * i));
}

/** The SQL text of a Query or Parse message. */
export function sqlOf(message: ReceivedMessage): string {
  const body = message.type === 'P' ? message.body.subarray(message.body.indexOf(0) + 1) : message.body;
  return body.subarray(0, body.indexOf(0)).toString('utf8');
}

export class FakeUpstream implements UpstreamConnector {
  readonly kind = 'postgres' as const;
  /** Every frontend message the proxy sent on any link, in order, startup excluded. */
  readonly received: ReceivedMessage[] = [];

  constructor(private readonly answers: ReadonlyMap<string, Answer>) {}

  async connect(): Promise<UpstreamLink> {
    const backend = new FakeBackend(this.answers);
    let buffered = Buffer.alloc(0);
    const link: UpstreamLink = {
      write: (messages) => {
        buffered = Buffer.concat([buffered, ...messages]);
        const out: Buffer[] = [];
        while (buffered.length >= 5 && buffered.length >= buffered.readInt32BE(1) + 1) {
          const length = buffered.readInt32BE(1);
          const message = { type: String.fromCharCode(buffered[0]!), body: buffered.subarray(5, length + 1) };
          buffered = buffered.subarray(length + 1);
          this.received.push(message);
          out.push(...backend.answer(message));
        }
        if (out.length > 0) setImmediate(() => link.onData(Buffer.concat(out)));
        return true;
      },
      end: () => setImmediate(() => link.onClose()),
      destroy: () => setImmediate(() => link.onClose()),
      pause: () => {},
      resume: () => {},
      onData: () => {},
      onClose: () => {},
      onDrain: () => {},
      cancel: async () => {},
    };
    setImmediate(() =>
      link.onData(
        Buffer.concat([reply.authenticationOk(), reply.parameterStatus('server_version', '15.0'), reply.backendKeyData(42, 4242), reply.readyForQuery('I')]),
      ),
    );
    return link;
  }

  async cancel(): Promise<void> {}
  async close(): Promise<void> {}
}

/**
 * One backend session: its transaction status, the error that skips until Sync, its unnamed
 * statement and the parameter types declared for it (a Describe reports them, as Postgres does
 * when the client declared every type).
 */
class FakeBackend {
  private status: 'I' | 'T' | 'E' = 'I';
  private failed = false;
  private statement: string | undefined;
  private statementTypes: number[] = [];
  /** The statement the unnamed portal will execute. */
  private portal: string | undefined;

  constructor(private readonly answers: ReadonlyMap<string, Answer>) {}

  private run(sql: string, describe: boolean): Buffer[] {
    const answer = this.answers.get(sql.trim()) ?? { error: { code: '42601', message: `syntax error at or near "${sql.split(/\s/)[0]}"` } };
    if ('error' in answer) {
      this.failed = true;
      if (this.status === 'T') this.status = 'E';
      return [reply.errorResponse(answer.error.code, answer.error.message)];
    }
    const verb = answer.tag.split(' ')[0];
    if (verb === 'BEGIN') this.status = 'T';
    if (verb === 'COMMIT' || verb === 'ROLLBACK') this.status = 'I';
    const rows = 'rows' in answer ? [...(describe ? [reply.rowDescription(answer.columns)] : []), ...answer.rows.map(reply.dataRow)] : [];
    return [...rows, reply.commandComplete(answer.tag)];
  }

  answer(message: ReceivedMessage): Buffer[] {
    if (message.type === 'S') {
      this.failed = false;
      return [reply.readyForQuery(this.status)];
    }
    if (message.type === 'Q') {
      this.failed = false;
      return [...this.run(sqlOf(message), true), reply.readyForQuery(this.status)];
    }
    if (this.failed || message.type === 'H' || message.type === 'X') return [];
    switch (message.type) {
      case 'P': {
        const sql = sqlOf(message);
        if (!this.answers.has(sql.trim())) return this.run(sql, false);
        this.statement = sql;
        this.statementTypes = declaredTypes(message);
        return [reply.parseComplete()];
      }
      case 'B':
        this.portal = this.statement;
        return [reply.bindComplete()];
      case 'D': {
        const answer = this.answers.get((this.portal ?? this.statement ?? '').trim());
        const described = answer && 'rows' in answer ? reply.rowDescription(answer.columns) : reply.noData();
        return message.body[0] === 'S'.charCodeAt(0) ? [reply.parameterDescription(this.statementTypes), described] : [described];
      }
      case 'E':
        return this.run(this.portal ?? '', false);
      case 'C':
        return [reply.closeComplete()];
      default:
        return [];
    }
  }
}
