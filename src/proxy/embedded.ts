import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PgError, SqlState } from '../errors/index.js';
import { copyFromStdin } from '../sql/copy.js';
import { listenChanges } from '../sql/listen.js';
import {
  BackendCode,
  FrontendCode,
  MessageFramer,
  Writer,
  backend,
  decodeBind,
  decodeExecute,
  decodeNotification,
  decodeParse,
  decodeQuery,
  decodeTarget,
  frontend,
} from '../wire/index.js';
import type { UpstreamConnector, UpstreamLink } from './link.js';

/**
 * The embedded default upstream: one PGlite instance, which has a single backend session.
 * Clients are multiplexed onto it at transaction boundaries, like pgbouncer's transaction pooling:
 * a client owns the backend from its first message until the backend is idle outside a transaction
 * with no pipeline open. Named prepared statements and portals are renamed per client so clients
 * never see each other's. Session state (SET, temporary tables, the unnamed statement) is shared.
 */
export class EmbeddedConnector implements UpstreamConnector {
  readonly kind = 'embedded';
  private owner: EmbeddedLink | null = null;
  private readonly waiting: EmbeddedLink[] = [];
  private running = false;
  private nextId = 1;
  private readonly links = new Set<EmbeddedLink>();
  private serverVersion = '';

  private constructor(readonly db: PGlite) {}

  static async open(dataDir: string | undefined): Promise<EmbeddedConnector> {
    const db = await PGlite.create(dataDir ? `file://${dataDir}` : undefined, { extensions: { vector } });
    const connector = new EmbeddedConnector(db);
    const result = await db.query<{ server_version: string }>('SHOW server_version');
    connector.serverVersion = result.rows[0]?.server_version ?? '';
    return connector;
  }

  async connect(_startupPacket: Buffer, parameters: Record<string, string>): Promise<UpstreamLink> {
    const link = new EmbeddedLink(this, this.nextId++);
    this.links.add(link);
    // There is no authentication to relay: answer the startup as a trusting server would.
    const greeting = [
      backend.authenticationOk(),
      backend.parameterStatus('server_version', this.serverVersion),
      backend.parameterStatus('server_encoding', 'UTF8'),
      backend.parameterStatus('client_encoding', 'UTF8'),
      backend.parameterStatus('DateStyle', 'ISO, MDY'),
      backend.parameterStatus('integer_datetimes', 'on'),
      backend.parameterStatus('standard_conforming_strings', 'on'),
      backend.parameterStatus('TimeZone', 'UTC'),
      backend.parameterStatus('is_superuser', 'on'),
      backend.parameterStatus('session_authorization', parameters.user ?? 'postgres'),
      backend.parameterStatus('application_name', parameters.application_name ?? ''),
      backend.backendKeyData(link.id, 0),
      backend.readyForQuery('I'),
    ];
    // After the caller's await has attached its handlers (microtasks run first).
    setImmediate(() => link.onData(Buffer.concat(greeting)));
    return link;
  }

  /** Runs the proxy's own work on the backend between client transactions. */
  async exclusive<T>(work: (db: PGlite) => Promise<T>): Promise<T> {
    const link = new EmbeddedLink(this, 0);
    await new Promise<void>((resolve) => {
      link.onOwned = resolve;
      this.request(link);
    });
    try {
      return await work(this.db);
    } finally {
      this.release(link);
    }
  }

  /** PGlite runs statements to completion on its single thread: there is nothing to interrupt. */
  async cancel(): Promise<void> {}

  async close(): Promise<void> {
    await this.db.close();
  }

  /** A link with messages to run asks for the backend. */
  request(link: EmbeddedLink): void {
    if (this.owner === null) {
      this.owner = link;
      link.onOwned();
      this.pump();
    } else if (this.owner === link) {
      this.pump();
    } else if (!this.waiting.includes(link)) {
      this.waiting.push(link);
    }
  }

  release(link: EmbeddedLink): void {
    if (this.owner !== link) {
      const i = this.waiting.indexOf(link);
      if (i >= 0) this.waiting.splice(i, 1);
      return;
    }
    this.owner = null;
    const next = this.waiting.shift();
    if (next) this.request(next);
  }

  forget(link: EmbeddedLink): void {
    this.links.delete(link);
  }

  private pump(): void {
    if (this.running) return;
    this.running = true;
    void this.drainOwner().finally(() => {
      this.running = false;
      // Work may have arrived between the loop's last look and now.
      if (this.owner !== null && this.owner.inbox.length > 0) this.pump();
    });
  }

  private async drainOwner(): Promise<void> {
    for (;;) {
      const link = this.owner;
      if (link === null || link.inbox.length === 0) return;
      const head = link.inbox[0]!;
      let output: Buffer;
      try {
        if (typeof head === 'function') {
          link.inbox.shift();
          output = await head(this.db);
        } else {
          const n = link.inbox.findIndex((item) => typeof item === 'function');
          const batch = Buffer.concat(link.inbox.splice(0, n < 0 ? link.inbox.length : n) as Buffer[]);
          link.taken(batch.length);
          output = Buffer.from(await this.db.execProtocolRaw(new Uint8Array(batch)));
        }
      } catch (error) {
        link.fail(error instanceof Error ? error : new Error(pgErrorOf(error).message));
        this.release(link);
        continue;
      }
      link.deliver(this.routeNotifications(output));
      if (link.inbox.length === 0 && link.idleAtBoundary) this.release(link);
    }
  }

  /** Notifications raised on the shared backend go to every client listening on the channel. */
  private routeNotifications(output: Buffer): Buffer {
    if (!output.includes(BackendCode.NotificationResponse)) return output;
    const kept: Buffer[] = [];
    new MessageFramer().push(output, (code, message) => {
      if (code !== BackendCode.NotificationResponse) {
        kept.push(message);
        return;
      }
      const { channel } = decodeNotification(message);
      for (const link of this.links) {
        if (link.listensTo(channel)) link.notify(message, link === this.owner);
      }
    });
    return Buffer.concat(kept);
  }
}

/** Work the link does itself on the backend, producing the bytes the client is sent. */
type LocalStep = (db: PGlite) => Promise<Buffer>;

/** PGlite's errors carry the server's fields; keep its SQLSTATE and details. */
function pgErrorOf(error: unknown): PgError {
  const e = error as { code?: string; message?: string; detail?: string; hint?: string; position?: string };
  if (typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    return new PgError(e.code, e.message ?? 'error', {
      detail: e.detail,
      hint: e.hint,
      position: e.position ? Number(e.position) : undefined,
    });
  }
  return PgError.from(error);
}

/** Bytes of client messages a link queues for the backend before its session stops reading the client. */
const QUEUE_HIGH_WATER = 1 << 20;

class EmbeddedLink implements UpstreamLink {
  onData: (chunk: Buffer) => void = () => {};
  onClose: (error?: Error) => void = () => {};
  onDrain: () => void = () => {};
  onOwned: () => void = () => {};
  /** Messages for the backend, and steps the link runs itself (COPY FROM STDIN). */
  readonly inbox: (Buffer | LocalStep)[] = [];
  /** Bytes of the messages in the inbox. */
  private queuedBytes = 0;
  /** CopyData received while emulating COPY FROM STDIN; null when not in COPY. */
  private copyData: Buffer[] | null = null;
  private copySql = '';
  private readonly framer = new MessageFramer();
  /** True when the backend's last answer was ReadyForQuery 'I' and nothing was sent since. */
  idleAtBoundary = true;
  private readonly statements = new Set<string>();
  private readonly channels = new Set<string>();
  private pendingNotifications: Buffer[] = [];
  private paused = false;
  private heldOutput: Buffer[] = [];
  private closed = false;

  constructor(
    private readonly host: EmbeddedConnector,
    readonly id: number,
  ) {}

  write(messages: readonly Buffer[]): boolean {
    if (this.closed) return true;
    // A buffer may hold several messages (the session joins adjacent ones): look at each.
    let terminated = false;
    for (const buffer of messages) {
      this.framer.push(buffer, (code, message) => {
        if (code === FrontendCode.Terminate) terminated = true;
        else if (!terminated) {
          const item = this.rename(code, message);
          if (item !== null) this.enqueue(item);
        }
      });
    }
    if (terminated) {
      this.end();
      return true;
    }
    this.idleAtBoundary = false;
    this.host.request(this);
    return this.queuedBytes <= QUEUE_HIGH_WATER;
  }

  private enqueue(item: Buffer | LocalStep): void {
    this.inbox.push(item);
    if (typeof item !== 'function') this.queuedBytes += item.length;
  }

  /** The backend took `bytes` of queued messages. */
  taken(bytes: number): void {
    const wasFull = this.queuedBytes > QUEUE_HIGH_WATER;
    this.queuedBytes -= bytes;
    if (wasFull && this.queuedBytes <= QUEUE_HIGH_WATER) this.onDrain();
  }

  deliver(output: Buffer): void {
    // The backend finished everything sent so far when its answer ends with ReadyForQuery 'I'.
    const n = output.length;
    this.idleAtBoundary =
      n >= 6 && output[n - 6] === BackendCode.ReadyForQuery && output[n - 1] === 'I'.charCodeAt(0);
    if (this.pendingNotifications.length > 0) {
      output = Buffer.concat([output, ...this.pendingNotifications]);
      this.pendingNotifications = [];
    }
    if (output.length > 0) this.emit(output);
  }

  listensTo(channel: string): boolean {
    return this.channels.has(channel);
  }

  /** Queues a notification; the owner gets it after its current answer, others at once. */
  notify(message: Buffer, isOwner: boolean): void {
    if (isOwner) this.pendingNotifications.push(Buffer.from(message));
    else this.emit(Buffer.from(message));
  }

  fail(error: Error): void {
    this.closed = true;
    this.host.forget(this);
    this.onClose(error);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.forget(this);
    this.onData = () => {};
    // Leave the shared backend as the next client expects it: no open transaction or pipeline,
    // none of this client's statements, no listens. Sync first ends any failed pipeline.
    const cleanup: Buffer[] = [frontend.sync()];
    if (!this.idleAtBoundary) cleanup.push(frontend.query('ROLLBACK'));
    for (const name of this.statements) cleanup.push(frontend.close('S', name));
    cleanup.push(frontend.sync());
    for (const channel of this.channels) cleanup.push(frontend.query(`UNLISTEN "${channel.replaceAll('"', '""')}"`));
    for (const message of cleanup) this.enqueue(message);
    this.idleAtBoundary = false;
    this.host.request(this);
    queueMicrotask(() => this.onClose());
  }

  destroy(): void {
    this.end();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = this.heldOutput;
    this.heldOutput = [];
    for (const chunk of held) this.onData(chunk);
  }

  cancel(): Promise<void> {
    return this.host.cancel();
  }

  private emit(chunk: Buffer): void {
    if (this.paused) this.heldOutput.push(chunk);
    else this.onData(chunk);
  }

  private scoped(name: string): string {
    return name === '' ? '' : `c${this.id}_${name}`;
  }

  /**
   * PGlite cannot take CopyData through its protocol entry point, but reads COPY input from a
   * blob: answer CopyInResponse here, gather the client's CopyData, then run COPY FROM '/dev/blob'.
   */
  private startCopy(sql: string, binary: boolean): LocalStep {
    this.copyData = [];
    this.copySql = sql;
    return async () => new Writer(BackendCode.CopyInResponse).byte(binary ? 1 : 0).int16(0).finish();
  }

  private copyMessage(code: number, message: Buffer): LocalStep | null {
    const data = this.copyData!;
    if (code === FrontendCode.CopyData) {
      data.push(Buffer.from(message.subarray(5)));
      return null;
    }
    if (code !== FrontendCode.CopyDone && code !== FrontendCode.CopyFail) return null;
    this.copyData = null;
    const failed = code === FrontendCode.CopyFail ? message.subarray(5, message.length - 1).toString('utf8') : null;
    return async (db) => {
      const answer = (error: PgError | null, tag: string): Buffer => {
        const status = db.isInTransaction() ? (error ? 'E' : 'T') : 'I';
        const head = error ? backend.errorResponse(error) : backend.commandComplete(tag);
        return Buffer.concat([head, backend.readyForQuery(status)]);
      };
      if (failed !== null) return answer(new PgError(SqlState.QueryCanceled, `COPY from stdin failed: ${failed}`), '');
      try {
        const result = await db.query(this.copySql, [], { blob: new Blob(data) });
        return answer(null, `COPY ${result.affectedRows ?? 0}`);
      } catch (error) {
        return answer(pgErrorOf(error), '');
      }
    };
  }

  /** Renames this client's named statements and portals into its own namespace. */
  private rename(code: number, message: Buffer): Buffer | LocalStep | null {
    if (this.copyData !== null) return this.copyMessage(code, message);
    switch (code) {
      case FrontendCode.Query: {
        const sql = decodeQuery(message);
        // Cheap filters before the real parser looks for LISTEN/UNLISTEN and COPY statements.
        if (/listen/i.test(sql)) this.trackListen(sql);
        if (/copy/i.test(sql)) {
          const copy = copyFromStdin(sql, '/dev/blob');
          if (copy) return this.startCopy(copy.sql, copy.binary);
        }
        return message;
      }
      case FrontendCode.Parse: {
        const p = decodeParse(message);
        if (/listen/i.test(p.sql)) this.trackListen(p.sql);
        if (p.name === '') return message;
        this.statements.add(this.scoped(p.name));
        return frontend.parse(this.scoped(p.name), p.sql, p.paramTypes);
      }
      case FrontendCode.Bind: {
        const b = decodeBind(message);
        if (b.portal === '' && b.statement === '') return message;
        return frontend.bind({ ...b, portal: this.scoped(b.portal), statement: this.scoped(b.statement) });
      }
      case FrontendCode.Describe:
      case FrontendCode.Close: {
        const t = decodeTarget(message);
        if (t.name === '') return message;
        if (code === FrontendCode.Close && t.kind === 'S') this.statements.delete(this.scoped(t.name));
        return code === FrontendCode.Close
          ? frontend.close(t.kind, this.scoped(t.name))
          : frontend.describe(t.kind, this.scoped(t.name));
      }
      case FrontendCode.Execute: {
        const e = decodeExecute(message);
        return e.portal === '' ? message : frontend.execute(this.scoped(e.portal), e.maxRows);
      }
      default:
        return message;
    }
  }

  private trackListen(sql: string): void {
    for (const change of listenChanges(sql)) {
      if (change.kind === 'listen' && change.channel !== null) this.channels.add(change.channel);
      else if (change.channel === null) this.channels.clear();
      else this.channels.delete(change.channel);
    }
  }
}
