/**
 * Streamed answers (src/sql/plan-stream.ts): the rows of a set-returning call that yields them
 * one at a time (pgml.transform_stream) go to the client as they are made, written by the proxy
 * as the server would write them, instead of all at once after the call has ended.
 *
 * - Simple protocol: RowDescription, a DataRow per row as it comes, CommandComplete, ReadyForQuery;
 *   an error after some rows is reported after them, as Postgres reports it.
 * - Extended protocol: Parse, Bind and Describe go upstream for a statement whose call is replaced
 *   by an empty set of the same column (the upstream checks and describes it); each Execute of the
 *   portal is answered here, up to its row limit (PortalSuspended), and the call starts at the
 *   portal's first Execute. The portal's call stops when the portal is closed, bound again, or its
 *   transaction ends.
 *
 * Rows are taken from the call only as fast as the client reads them (its socket drains), and the
 * call itself runs only a few rows ahead (embeddings' STREAM_WINDOW), so an unread stream holds a
 * few rows. Values are jsonb, written only to clients whose encoding is UTF8 (the server would
 * convert the text for any other); other clients get the rows all at once, through the upstream.
 */
import { PgError, SqlState } from '../errors/index.js';
import type { StatementAnalysis } from '../sql/index.js';
import type { StreamPlan } from '../sql/plan-stream.js';
import { backend, type TransactionStatus } from '../wire/index.js';
import { TypeOid } from '../wire/types.js';
import type { BoundParams, CallEvaluator } from './evaluate.js';

/** The parts of a client session a streamed answer needs. */
export interface StreamPort {
  readonly txStatus: TransactionStatus;
  writeClient(buffers: readonly Buffer[]): void;
  /** Resolves once the client has read what it was sent (or is gone). */
  clientDrained(): Promise<void>;
  endStatement(): void;
}

/** A portal bound to a streamed statement, and its call once an Execute started it. */
export class StreamPortal {
  private rows: Promise<AsyncIterator<unknown>> | undefined;
  /** The call has given its last row (or failed, or the portal closed). */
  done = false;

  constructor(
    readonly call: { plan: StreamPlan; stmt: StatementAnalysis; sql: string; params: BoundParams },
    /** The column's format, as the Bind asked for it. */
    readonly format: 0 | 1,
  ) {}

  start(evaluator: CallEvaluator): Promise<AsyncIterator<unknown>> {
    const { plan, stmt, sql, params } = this.call;
    return (this.rows ??= evaluator.stream(plan.site, stmt, sql, params));
  }

  /** Stops the call (its work with it) if it is still running. */
  close(): void {
    this.done = true;
    void this.rows?.then((rows) => rows.return?.()).catch(() => {});
    this.rows = undefined;
  }
}

export class StreamAnswers {
  private encoding: { epoch: number; utf8: boolean } | undefined;
  private readonly portals = new Map<string, StreamPortal>();

  constructor(
    private readonly session: StreamPort,
    private readonly evaluator: CallEvaluator,
  ) {}

  /** Whether the client's encoding is UTF8, read once per session epoch. */
  async canWrite(): Promise<boolean> {
    const epoch = this.evaluator.context.sessionEpoch;
    if (this.encoding?.epoch !== epoch) {
      const result = await this.evaluator.context.db.query<{ encoding: string }>(`SELECT current_setting('client_encoding') AS encoding`);
      this.encoding = { epoch, utf8: result.rows[0]?.encoding === 'UTF8' };
    }
    return this.encoding.utf8;
  }

  /**
   * Answers a simple Query of the one streamed statement, every earlier answer being out; false
   * when the rows must come through the upstream. An error is thrown after the rows sent before it.
   */
  async query(sql: string, stmt: StatementAnalysis, plan: StreamPlan): Promise<boolean> {
    if (this.session.txStatus === 'E' || !(await this.canWrite())) return false;
    const rows = await this.evaluator.stream(plan.site, stmt, sql, undefined);
    this.session.writeClient([backend.rowDescription([{ name: plan.column, typeOid: TypeOid.jsonb, typeSize: -1, format: 0 }])]);
    const sent = await this.send(rows, 0, 0);
    this.session.writeClient([backend.commandComplete(`SELECT ${sent.count}`), backend.readyForQuery(this.session.txStatus)]);
    this.session.endStatement();
    return true;
  }

  bind(name: string, portal: StreamPortal): void {
    this.forget(name);
    this.portals.set(name, portal);
  }

  portal(name: string): StreamPortal | undefined {
    return this.portals.get(name);
  }

  get hasPortals(): boolean {
    return this.portals.size > 0;
  }

  forget(name: string): void {
    this.portals.get(name)?.close();
    this.portals.delete(name);
  }

  /** The transaction ended: its portals are gone. */
  forgetAll(): void {
    for (const portal of this.portals.values()) portal.close();
    this.portals.clear();
  }

  /** Answers an Execute of a streamed portal: up to `maxRows` rows (0: all), then PortalSuspended or CommandComplete. */
  async execute(portal: StreamPortal, maxRows: number): Promise<void> {
    if (portal.done) {
      this.session.writeClient([backend.commandComplete('SELECT 0')]);
      return;
    }
    if (!(await this.canWrite())) {
      throw new PgError(SqlState.FeatureNotSupported, 'pgml-proxy streams rows only to clients whose encoding is UTF8', {
        hint: 'Prepare the statement again: it then returns its rows all at once.',
      });
    }
    let sent: { count: number; suspended: boolean };
    try {
      sent = await this.send(await portal.start(this.evaluator), maxRows, portal.format);
    } catch (error) {
      portal.close();
      throw error;
    }
    if (sent.suspended) {
      this.session.writeClient([backend.portalSuspended()]);
      return;
    }
    portal.done = true;
    this.session.writeClient([backend.commandComplete(`SELECT ${sent.count}`)]);
  }

  /** Writes rows as they come, at the client's pace, up to `limit` (0: all). */
  private async send(rows: AsyncIterator<unknown>, limit: number, format: 0 | 1): Promise<{ count: number; suspended: boolean }> {
    let count = 0;
    for (;;) {
      if (limit > 0 && count === limit) return { count, suspended: true };
      await this.session.clientDrained();
      const next = await rows.next();
      if (next.done === true) return { count, suspended: false };
      this.session.writeClient([backend.dataRow([jsonbValue(next.value, format)])]);
      count += 1;
    }
  }
}

/**
 * A row of strings as jsonb_out writes it (`["a", "b"]`: JSON's escapes, which are Postgres's,
 * and a space after each comma), or in binary (version 1, then the text). jsonb holds no NUL.
 */
function jsonbValue(value: unknown, format: 0 | 1): Buffer {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new PgError(SqlState.InternalError, 'pgml-proxy streams only rows that are lists of strings');
  }
  if (value.some((item) => item.includes('\u0000'))) {
    throw new PgError(SqlState.UntranslatableCharacter, 'unsupported Unicode escape sequence', { detail: '\\u0000 cannot be converted to text.' });
  }
  const text = Buffer.from(`[${value.map((item) => JSON.stringify(item)).join(', ')}]`, 'utf8');
  return format === 1 ? Buffer.concat([Buffer.from([1]), text]) : text;
}
