import type net from 'node:net';
import tls from 'node:tls';
import { PgError, ProtocolError, SqlState } from '../errors/index.js';
import { canceledByUser } from '../functions/cancel.js';
import type { CallServices, FunctionRegistry } from '../functions/index.js';
import {
  AuthenticationCode,
  BackendCode,
  FrontendCode,
  MessageFramer,
  type MessageRuns,
  afterAuthentication,
  backend,
  beforeAuthentication,
  decodeAuthentication,
  decodeBackendKeyData,
  decodeBind,
  decodeExecute,
  decodeErrorResponse,
  decodeParse,
  decodeQuery,
  decodeReadyForQuery,
  decodeStartupPacket,
  decodeTarget,
  frontend,
  parsesUnnamedStatement,
  type BindMessage,
  type TransactionStatus,
} from '../wire/index.js';
import { CallEvaluator } from './evaluate.js';
import { Interceptor, type MessageOutcome, type RewrittenStatement } from './intercept.js';
import type { SessionActivity } from './activity.js';
import { LocalAnswers } from './local-answer.js';
import { SessionQueryRunner } from './internal-query.js';
import type { UpstreamConnector, UpstreamLink } from './link.js';
import { coalesce } from './coalesce.js';
import { FunctionInliner } from './inline.js';
import { changesPrivileges, changesSessionSettings, changesTables, deallocates, isRoutineDdl, Mentions, mentionsSetConfig } from './sniff.js';
import type { UpstreamFunctions } from './upstream-functions.js';
import { StartupReader } from './startup.js';
import { isAnswered, ResponseTracker, type ResponseHandler } from './tracker.js';

export interface SessionOptions {
  connector: UpstreamConnector;
  registry: FunctionRegistry;
  /** Upstream SQL functions that are inlined: their names are sniffed for too. */
  functions: UpstreamFunctions;
  /** What every call's context carries (CallContext.services). */
  services: CallServices;
  /**
   * Called once a transaction that created, changed or dropped functions has ended; the
   * session reads no further client message until it has settled, so the client's next
   * statement already sees the new functions.
   */
  onRoutineDdl?: () => Promise<void>;
  /**
   * Called once a transaction that may have changed privileges (GRANT, REVOKE, ...) has ended,
   * so access decisions cached by every session are made again.
   */
  onPrivilegeChange?: () => void;
  /** Stops the proxy-evaluated work of the session a CancelRequest names by its backend key. */
  cancelSession?: (processId: number, secretKey: number) => void;
  tlsContext?: tls.SecureContext;
  /** How long a client may take from connecting to AuthenticationOk (Postgres's authentication_timeout). */
  authTimeoutMs: number;
  /** Statements the planner marks `local` are answered by the proxy (on a real upstream only). */
  answerLocally: boolean;
  stats: SessionStats;
  /** Shared by the server's sessions: who sent something when (CallContext.othersActive). */
  activity: SessionActivity;
  log: (message: string) => void;
}

export interface SessionStats {
  passedThrough: number;
  intercepted: number;
}

type Phase = 'startup' | 'connecting' | 'ready' | 'closed';

/**
 * Client messages (and their bytes) waiting behind an intercepted message that is being
 * evaluated, beyond which the client's socket is no longer read. The byte bound keeps at most one
 * large message waiting.
 */
const INBOX_HIGH_WATER = 4096;
const INBOX_HIGH_WATER_BYTES = 1 << 20;

/** How long a closed session's socket lingers before it is dropped, for clients that do not close it. */
const CLOSE_LINGER_MS = 2000;

/**
 * One client connection and its upstream session. Bytes pass through untouched; only Query and
 * Parse messages that mention pgml or cron (and the Bind/Describe of statements rewritten from
 * them) are decoded and handed to the Interceptor. Responses are paired with requests by the
 * ResponseTracker so the proxy can run its own statements in between.
 */
export class ClientSession {
  private socket: net.Socket;
  private phase: Phase = 'startup';
  private readonly startup = new StartupReader();
  /** The upstream has sent AuthenticationOk: until then only authentication messages are read. */
  private authenticated = false;
  private authTimer: NodeJS.Timeout | undefined;
  private readonly clientFramer = new MessageFramer((code, length) =>
    (this.authenticated ? afterAuthentication : beforeAuthentication)(code, length),
  );
  private readonly upstreamFramer = new MessageFramer();
  /**
   * DataRows for a handler that takes them in runs (the proxy's own streamed reads) skip the
   * per-message path: none of them reaches the client, and none changes the session's state.
   */
  private readonly dataRowRuns: MessageRuns = {
    code: BackendCode.DataRow,
    wanted: () => this.tracker.takesRowRuns,
    run: (chunk, start, end) => {
      this.rowRunTaken = true;
      this.tracker.routeRowRun(chunk, start, end);
    },
  };
  /** A run of DataRows of the chunk being framed went to a handler: the chunk is not forwarded whole. */
  private rowRunTaken = false;
  private upstream: UpstreamLink | undefined;
  readonly tracker = new ResponseTracker();
  txStatus: TransactionStatus = 'I';
  private inbox: [number, Buffer][] = [];
  private inboxBytes = 0;
  /** A client message the framer refused: the session ends once what came before it is answered. */
  private framingError: PgError | undefined;
  /** The upstream link holds more than it accepts at once: stop reading the client until it drains. */
  private upstreamBacklogged = false;
  /** The proxy's own flow control (a streamed read's sink, a one-pass batch) holds the upstream paused until it resumes it. */
  private upstreamHeld = false;
  private busy = false;
  /** After an error in the extended protocol, client messages are dropped until Sync. */
  private skipUntilSync = false;
  /** The client sent extended-protocol messages since its last Sync. */
  private extendedOpen = false;
  /**
   * The Parse of the unnamed statement the proxy last answered locally (answerBound): the
   * upstream still holds the unnamed statement before it, so a Bind or Describe of the unnamed
   * statement without a new Parse (or a Query or Close, which drop it) has this one sent first.
   */
  private locallyParsed: Buffer | undefined;
  /** The Parse being sent is locallyParsed again: the client saw its ParseComplete already. */
  private reparsing = false;
  /**
   * A simple Query destroys the unnamed statement and portal, but one the proxy answered itself
   * never reached the upstream, which may still hold them: the next message naming them (without
   * a new Parse or Bind) has the upstream close its own first, so that it fails as it would have
   * (26000, 34000). Closing what is not there is no error, so a Query that did go upstream may set them too.
   */
  private unnamedStatementStale = false;
  private unnamedPortalStale = false;
  private backendKey: { processId: number; secretKey: number } | undefined;
  private user = '';
  private database = '';
  private readonly interceptor: Interceptor;
  private closing = false;
  private upstreamSaidFatal = false;
  /** The current transaction ran DDL on functions. */
  private routineDdl = false;
  /** onRoutineDdl's work, which the next client message waits for. */
  private settling: Promise<void> | undefined;
  /** Aborted by a CancelRequest or the client going away; a new one once the client is told the statement ended. */
  private callAbort = new AbortController();
  private statementStartedAt = 0;
  /** See CallContext.sessionEpoch. */
  private sessionEpoch = 0;
  /** See CallContext.afterTransaction: run at the next ReadyForQuery outside a transaction. */
  private readonly transactionEndWork: (() => void)[] = [];
  /** Settings changed in the current transaction: its end (or a rollback) may undo them. */
  private settingsChanged = false;
  /** Privileges changed in the current transaction: other sessions re-check once it ends. */
  private privilegesChanged = false;
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    socket: net.Socket,
    private readonly options: SessionOptions,
  ) {
    this.socket = socket;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const runner = new SessionQueryRunner({
      tracker: this.tracker,
      send: (messages) => this.sendUpstream(messages),
      pipelineOpen: () => this.extendedOpen,
      pauseUpstream: () => this.pauseUpstream(),
      resumeUpstream: () => this.resumeUpstream(),
    });
    const evaluator = new CallEvaluator(options.registry, {
      db: runner,
      get user() {
        return session.user;
      },
      get database() {
        return session.database;
      },
      notice: (message, severity = 'INFO') => this.notice(message, severity),
      get signal() {
        return session.callAbort.signal;
      },
      get statementStartedAt() {
        return session.statementStartedAt;
      },
      get sessionEpoch() {
        return session.sessionEpoch;
      },
      services: options.services,
      afterTransaction: (work) => this.transactionEndWork.push(work),
      othersActive: (withinMs) => options.activity.othersActiveWithin(this, withinMs),
    });
    const session = this;
    // The embedded backend's settings and transaction are shared between clients: it answers itself.
    const local = options.answerLocally && options.connector.kind === 'postgres' ? new LocalAnswers(this, evaluator) : undefined;
    this.interceptor = new Interceptor(this, options.registry, evaluator, new FunctionInliner(options.functions, options.registry), options.functions, local);
    this.authTimer = setTimeout(() => this.authenticationTimedOut(), options.authTimeoutMs);
    this.attach(socket);
  }

  get isIdle(): boolean {
    return this.phase !== 'ready' || (!this.busy && this.tracker.pending === 0 && this.txStatus === 'I');
  }

  private attach(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onClientData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    // The client has caught up: read the upstream again, unless the proxy's own flow control holds it back.
    socket.on('drain', () => {
      if (!this.upstreamHeld) this.upstream?.resume();
    });
  }

  // ---- client → proxy ----

  private onClientData(chunk: Buffer): void {
    this.options.activity.heard(this);
    try {
      switch (this.phase) {
        case 'startup':
          return this.onStartupData(chunk);
        case 'connecting':
        case 'ready':
          return this.onMessageData(chunk);
        case 'closed':
          return;
      }
    } catch (error) {
      this.fatal(PgError.from(error));
    }
  }

  private onStartupData(chunk: Buffer): void {
    const complete = this.startup.push(chunk);
    if (!complete) return;
    const packet = decodeStartupPacket(complete.packet);
    switch (packet.kind) {
      case 'ssl':
        if (this.options.tlsContext && !(this.socket instanceof tls.TLSSocket)) {
          this.socket.write(backend.sslAccepted());
          this.upgradeToTls();
        } else {
          this.socket.write(backend.sslRefused());
        }
        return;
      case 'gssenc':
        this.socket.write(backend.sslRefused());
        return;
      case 'cancel':
        this.options.cancelSession?.(packet.processId, packet.secretKey);
        void this.options.connector.cancel(packet.processId, packet.secretKey);
        this.socket.end();
        return;
      case 'startup':
        this.user = packet.parameters.user ?? '';
        this.database = packet.parameters.database ?? this.user;
        if (this.user === '') {
          throw new PgError(SqlState.InvalidAuthorizationSpecification, 'no PostgreSQL user name specified in startup packet', {
            severity: 'FATAL',
          });
        }
        this.phase = 'connecting';
        // Bytes sent along with the startup packet are checked first: refused ones cost no upstream connection.
        if (complete.rest.length > 0) this.onMessageData(complete.rest);
        if (this.phase === 'connecting') void this.connectUpstream(complete.packet, packet.parameters);
        return;
    }
  }

  /**
   * Frames client messages into the inbox, which is forwarded once the upstream is connected.
   * The framer refuses what Postgres would refuse in the current phase on the header alone.
   */
  private onMessageData(chunk: Buffer): void {
    try {
      this.clientFramer.push(chunk, (code, message) => {
        this.inbox.push([code, message]);
        this.inboxBytes += message.length;
      });
    } catch (error) {
      this.framingError = PgError.from(error);
    }
    if (this.framingError && this.phase === 'connecting') return this.fatal(this.framingError);
    this.pump();
  }

  private authenticationTimedOut(): void {
    const seconds = this.options.authTimeoutMs / 1000;
    this.fatal(
      new PgError(SqlState.InvalidAuthorizationSpecification, `authentication did not complete within ${seconds} s`, {
        severity: 'FATAL',
        hint: 'pgml-proxy closes connections that do not authenticate in time (--auth-timeout).',
      }),
    );
  }

  private upgradeToTls(): void {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    plain.removeAllListeners('drain');
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: this.options.tlsContext });
    this.socket = secure as unknown as net.Socket;
    this.attach(this.socket);
  }

  private async connectUpstream(packet: Buffer, parameters: Record<string, string>): Promise<void> {
    let link: UpstreamLink;
    try {
      link = await this.options.connector.connect(packet, parameters);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.fatal(
        new PgError(SqlState.SqlclientUnableToEstablishSqlconnection, `pgml-proxy could not connect to the upstream: ${reason}`, {
          severity: 'FATAL',
        }),
      );
      return;
    }
    if (this.phase === 'closed') {
      link.destroy();
      return;
    }
    this.upstream = link;
    link.onData = (chunk, lent) => this.onUpstreamData(chunk, lent === true);
    link.onClose = (error) => this.onUpstreamClosed(error);
    link.onDrain = () => {
      this.upstreamBacklogged = false;
      this.updateReading();
    };
    // Authentication messages are relayed like any other: the upstream decides who gets in.
    this.phase = 'ready';
    try {
      this.pump();
    } catch (error) {
      this.fatal(PgError.from(error));
    }
  }

  /** Forwards client messages in order, stopping at one that must be intercepted. */
  private pump(): void {
    const batch: Buffer[] = [];
    while (!this.busy && !this.settling && this.inbox.length > 0 && this.phase === 'ready') {
      const [code, message] = this.inbox.shift()!;
      this.inboxBytes -= message.length;
      let task: ReturnType<ClientSession['classify']>;
      try {
        task = this.classify(code, message);
      } catch (error) {
        this.sendBatch(batch);
        return this.failAfterAnswers(PgError.from(error));
      }
      if (task === 'drop') continue;
      if (task === 'forward') {
        batch.push(message);
        continue;
      }
      this.sendBatch(batch);
      batch.length = 0;
      this.busy = true;
      this.options.stats.intercepted++;
      this.beginStatement();
      void this.run(task);
    }
    this.sendBatch(batch);
    if (this.framingError && !this.busy && this.inbox.length === 0 && this.phase === 'ready') {
      return this.failAfterAnswers(this.framingError);
    }
    this.updateReading();
  }

  /**
   * Runs an intercepted message's task, then forwards what came after it. One async function rather
   * than a then/catch/finally chain: three promises and their closures less at every statement.
   */
  private async run(task: () => Promise<MessageOutcome>): Promise<void> {
    try {
      this.follow(await task());
    } catch (error) {
      this.fatal(PgError.from(error));
    } finally {
      this.busy = false;
      try {
        this.pump();
      } catch (error) {
        this.fatal(PgError.from(error));
      }
    }
  }

  /** Does what an intercepted message's handling left for the session to do. */
  private follow(outcome: MessageOutcome): void {
    switch (outcome) {
      case 'done':
        return;
      case 'skipToSync':
        this.skipUntilSync = true;
        return;
    }
  }

  /** Answers what came before a bad message, then closes, as a server reading the stream would. */
  private failAfterAnswers(error: PgError): void {
    this.busy = true;
    this.inbox = [];
    this.inboxBytes = 0;
    if (this.tracker.pending > 0) this.sendUpstream([frontend.flush()]);
    void this.tracker.whenIdle().then(() => this.fatal(error));
  }

  /** Reads the client only while the upstream keeps up and the inbox is small. */
  private updateReading(): void {
    const hold =
      this.upstreamBacklogged ||
      this.framingError !== undefined ||
      this.inbox.length > INBOX_HIGH_WATER ||
      this.inboxBytes > INBOX_HIGH_WATER_BYTES;
    if (hold) this.socket.pause();
    else if (this.socket.isPaused()) this.socket.resume();
  }

  private beginStatement(): void {
    this.statementStartedAt = performance.now();
  }

  /**
   * The CancelRequest names this session: stop what the proxy evaluates for it, up to the next
   * ReadyForQuery (Parse, Bind and Execute of one statement are separate tasks here). A cancel
   * that comes while nothing runs stops nothing, as in Postgres.
   */
  cancelIfKey(processId: number, secretKey: number): void {
    const key = this.backendKey;
    const running = this.busy || this.tracker.pending > 0;
    if (running && key && key.processId === processId && key.secretKey === secretKey) this.callAbort.abort(canceledByUser());
  }

  private sendBatch(batch: Buffer[]): void {
    if (batch.length === 0) return;
    this.options.stats.passedThrough += batch.length;
    this.sendUpstream(coalesce(batch));
  }

  private sendUpstream(messages: readonly Buffer[]): void {
    if (this.upstream && !this.upstream.write(messages)) {
      this.upstreamBacklogged = true;
      this.socket.pause();
    }
  }

  /**
   * Decides what happens to one client message: forwarded (after recording what answer it
   * expects), dropped, or handled by an async task that owns the pipeline until it finishes.
   */
  private classify(code: number, message: Buffer): 'forward' | 'drop' | (() => Promise<MessageOutcome>) {
    if (this.skipUntilSync) {
      if (code !== FrontendCode.Sync) return 'drop';
      this.skipUntilSync = false;
    }
    switch (code) {
      case FrontendCode.Query: {
        // A simple Query drops the unnamed statement and portal (on the upstream too, if it gets there).
        this.locallyParsed = undefined;
        if (this.interceptor.hasRewritten) this.interceptor.forget('');
        // A Query after extended messages without their Sync ends their implicit transaction.
        const endsPipeline = this.extendedOpen;
        this.extendedOpen = false;
        this.noteSetConfig(message);
        const mentions = this.options.functions.sniffer.sniff(message) | this.interceptor.cursors.sniff(message);
        this.unnamedStatementStale = this.unnamedPortalStale = mentions !== Mentions.none;
        if (mentions !== Mentions.none) {
          return this.evaluating(() => this.interceptor.query(decodeQuery(message), message, { endsPipeline, mentions }).then(() => 'done' as const));
        }
        break;
      }
      case FrontendCode.Parse: {
        const pipelineOpen = this.extendedOpen;
        this.extendedOpen = true;
        this.noteSetConfig(message);
        if ((this.locallyParsed !== undefined || this.unnamedStatementStale) && parsesUnnamedStatement(message)) {
          this.locallyParsed = undefined;
          this.unnamedStatementStale = false;
        }
        const mentions = this.options.functions.sniffer.sniff(message) | this.interceptor.cursors.sniff(message);
        const bound = mentions !== Mentions.none && !pipelineOpen ? this.boundTogether() : undefined;
        if (bound !== undefined) return this.evaluating(() => this.answerBound(message, bound, mentions));
        if (mentions !== Mentions.none) return this.evaluating(() => this.interceptor.parse(decodeParse(message), message, mentions));
        if (this.interceptor.hasRewritten) this.interceptor.forget(decodeParse(message).name);
        break;
      }
      case FrontendCode.Bind: {
        if ((this.locallyParsed !== undefined || this.unnamedStatementStale) && decodeBind(message).statement === '') {
          return this.locallyParsed !== undefined ? this.reparse(code, message) : this.closeFirst('S', code, message);
        }
        if (this.unnamedPortalStale && decodeBind(message).portal === '') this.unnamedPortalStale = false;
        const pipelineOpen = this.extendedOpen;
        this.extendedOpen = true;
        if (this.interceptor.hasOnePassPortals) this.interceptor.forgetPortal(decodeBind(message).portal);
        if (this.interceptor.streams.hasPortals) this.interceptor.streams.forget(decodeBind(message).portal);
        if (this.interceptor.hasRewritten) {
          const bind = decodeBind(message);
          const statement = this.interceptor.rewritten(bind.statement);
          const together = statement?.localAnswer !== undefined && !pipelineOpen ? this.executedTogether(bind, 0) : undefined;
          if (statement && together) return this.evaluating(() => this.answerPrepared(bind, statement, together));
          if (statement) return this.evaluating(() => this.interceptor.bind(bind, statement));
        }
        break;
      }
      case FrontendCode.Describe:
        if (this.locallyParsed !== undefined && isUnnamedStatement(message)) return this.reparse(code, message);
        if (this.unnamedStatementStale && isUnnamedStatement(message)) return this.closeFirst('S', code, message);
        if (this.unnamedPortalStale && isUnnamedPortal(message)) return this.closeFirst('P', code, message);
        this.extendedOpen = true;
        if (this.interceptor.hasRewritten) {
          const target = decodeTarget(message);
          const statement = target.kind === 'S' ? this.interceptor.rewritten(target.name) : undefined;
          const portal = target.kind === 'P' ? this.interceptor.onePassPortal(target.name) : undefined;
          if (statement || portal) {
            this.expectAndSend(code, message, this.interceptor.describeHandler(statement, portal));
            return 'drop';
          }
        }
        break;
      case FrontendCode.Close:
        // Closing the upstream's older unnamed statement (or portal) leaves what closing this one would.
        if (this.locallyParsed !== undefined && isUnnamedStatement(message)) this.locallyParsed = undefined;
        if (this.unnamedStatementStale && isUnnamedStatement(message)) this.unnamedStatementStale = false;
        if (this.unnamedPortalStale && isUnnamedPortal(message)) this.unnamedPortalStale = false;
        this.extendedOpen = true;
        if (this.interceptor.hasRewritten) {
          const target = decodeTarget(message);
          if (target.kind === 'S') this.interceptor.forget(target.name);
          else this.interceptor.forgetPortal(target.name);
        }
        if (this.interceptor.streams.hasPortals) {
          const target = decodeTarget(message);
          if (target.kind === 'P') this.interceptor.streams.forget(target.name);
        }
        break;
      case FrontendCode.Execute: {
        if (this.unnamedPortalStale && decodeExecute(message).portal === '') return this.closeFirst('P', code, message);
        this.extendedOpen = true;
        const portal = this.interceptor.hasOnePassPortals ? this.interceptor.onePassPortal(decodeExecute(message).portal) : undefined;
        if (portal) return this.evaluating(() => this.interceptor.execute(message, portal));
        const streamed = this.interceptor.streams.hasPortals ? this.interceptor.streams.portal(decodeExecute(message).portal) : undefined;
        if (streamed) return this.evaluating(() => this.interceptor.executeStream(message, streamed));
        break;
      }
      case FrontendCode.Flush:
        this.extendedOpen = true;
        break;
      case FrontendCode.Sync: {
        this.extendedOpen = false;
        const sync = this.interceptor.syncTask(message);
        if (sync !== undefined) return sync;
        break;
      }
      case FrontendCode.Terminate:
        this.close();
        return 'drop';
    }
    if (isAnswered(code)) this.tracker.expect(code);
    return 'forward';
  }

  /**
   * When the Parse being classified (of a statement with calls, after a Sync) comes with the
   * unnamed statement's Bind and what executedTogether() accepts, already read, as pg with values
   * and psycopg send a statement (postgres.js without prepare: with the unnamed statement's
   * Describe between them): the proxy may answer them all itself.
   */
  private boundTogether(): BoundTogether | undefined {
    const first = this.inbox[0];
    const statementDescribed = first?.[0] === FrontendCode.Describe && isUnnamedStatement(first[1]);
    const at = statementDescribed ? 1 : 0;
    const bind = this.inbox[at];
    if (bind?.[0] !== FrontendCode.Bind) return undefined;
    const decoded = decodeBind(bind[1]);
    const together = decoded.statement === '' ? this.executedTogether(decoded, at + 1) : undefined;
    return together && { bind: decoded, together: { ...together, count: at + together.count }, statementDescribed };
  }

  /**
   * The messages after a Bind, from the inbox's `from`-th, when they are its portal's Describe (or
   * none), its Execute of all rows and a Sync, already read (pg, psycopg and postgres.js send a
   * statement so); undefined for any other shape.
   */
  private executedTogether(bind: BindMessage, from: number): Together | undefined {
    const described = this.inbox[from]?.[0] === FrontendCode.Describe;
    if (described) {
      const target = decodeTarget(this.inbox[from]![1]);
      if (target.kind !== 'P' || target.name !== bind.portal) return undefined;
    }
    const at = described ? from + 1 : from;
    const [execute, sync] = [this.inbox[at], this.inbox[at + 1]];
    if (execute?.[0] !== FrontendCode.Execute || sync?.[0] !== FrontendCode.Sync) return undefined;
    const { portal, maxRows } = decodeExecute(execute[1]);
    return portal === bind.portal && maxRows === 0 ? { described, count: at + 2 - from } : undefined;
  }

  /** Answers the Parse and the messages after it locally, or goes on with the Parse alone. */
  private async answerBound(parse: Buffer, { bind, together, statementDescribed }: BoundTogether, mentions: number): Promise<MessageOutcome> {
    const decoded = decodeParse(parse);
    // Nothing of them has reached the upstream: the proxy's own queries end with their Sync.
    this.extendedOpen = false;
    if (decoded.name === '' && (await this.interceptor.answerBound(decoded, bind, { described: together.described, statementDescribed }, mentions))) {
      this.answered(1 + together.count, bind.portal);
      this.locallyParsed = parse;
      return 'done';
    }
    this.extendedOpen = true;
    return this.interceptor.parse(decoded, parse, mentions);
  }

  /** Answers a named statement's Bind and the messages after it locally, or goes on with the Bind alone. */
  private async answerPrepared(bind: BindMessage, statement: RewrittenStatement, together: Together): Promise<MessageOutcome> {
    // Nothing of them has reached the upstream: the proxy's own queries end with their Sync.
    this.extendedOpen = false;
    if (await this.interceptor.answerPrepared(bind, statement, together.described)) {
      this.answered(together.count, bind.portal);
      return 'done';
    }
    this.extendedOpen = true;
    return this.interceptor.bind(bind, statement);
  }

  /**
   * Drops the `count` messages answered locally with the one being handled (still the first ones:
   * the inbox only grows at its end meanwhile); the portal they bound is gone with their Sync.
   */
  private answered(count: number, portal: string): void {
    for (const [, message] of this.inbox.splice(0, count)) this.inboxBytes -= message.length;
    if (portal === '') this.unnamedPortalStale = false;
    if (this.interceptor.hasOnePassPortals) this.interceptor.forgetPortal(portal);
    if (this.interceptor.streams.hasPortals) this.interceptor.streams.forget(portal);
  }

  /**
   * The upstream closes its stale unnamed statement or portal (its CloseComplete hidden from the
   * client), then the message goes on as any other.
   */
  private closeFirst(kind: 'S' | 'P', code: number, message: Buffer): () => Promise<MessageOutcome> {
    if (kind === 'S') this.unnamedStatementStale = false;
    else this.unnamedPortalStale = false;
    this.inbox.unshift([code, message]);
    this.inboxBytes += message.length;
    this.extendedOpen = true;
    return async () => {
      this.expectAndSend(FrontendCode.Close, frontend.close(kind, ''), { message: (reply) => reply === BackendCode.CloseComplete });
      return 'done';
    };
  }

  /**
   * A Bind or Describe of the unnamed statement the proxy answered locally: the upstream prepares
   * it first (its ParseComplete hidden), then the message goes on as any other.
   */
  private reparse(code: number, message: Buffer): () => Promise<MessageOutcome> {
    const parse = this.locallyParsed!;
    this.locallyParsed = undefined;
    this.inbox.unshift([code, message]);
    this.inboxBytes += message.length;
    this.extendedOpen = true;
    const mentions = this.options.functions.sniffer.sniff(parse) | this.interceptor.cursors.sniff(parse);
    return this.evaluating(async () => {
      this.reparsing = true;
      try {
        return await this.interceptor.parse(decodeParse(parse), parse, mentions);
      } finally {
        this.reparsing = false;
      }
    });
  }

  /**
   * A task that may evaluate calls. A statement sent upstream before it and not answered yet (an
   * earlier Execute of the client's pipeline) may change the role or settings when it runs, after
   * the proxy has read the client's next messages: the epoch moves first, so nothing remembered of
   * the session is used, and the checks then made queue behind that statement upstream.
   */
  private evaluating(task: () => Promise<MessageOutcome>): () => Promise<MessageOutcome> {
    return () => {
      if (this.tracker.statementPending) this.sessionEpoch++;
      return task();
    };
  }

  /**
   * set_config() changes settings (or the role) in a statement whose tag does not say so: what is
   * known of the session's settings is read again after it (local answers' extra_float_digits).
   */
  private noteSetConfig(message: Buffer): void {
    if (mentionsSetConfig(message)) this.sessionEpoch++;
  }

  /** Sends one message upstream now, with a handler for its answer. */
  expectAndSend(code: number, message: Buffer, handler?: ResponseHandler): void {
    if (this.reparsing && code === FrontendCode.Parse) {
      this.reparsing = false;
      const inner = handler;
      handler = { message: (reply, answer) => reply === BackendCode.ParseComplete || (inner?.message(reply, answer) ?? false), done: inner?.done };
    }
    if (isAnswered(code)) this.tracker.expect(code, handler);
    this.sendUpstream([message]);
  }

  // ---- upstream → client ----

  /**
   * `lent`: `read` is the link's reused read buffer (see UpstreamLink.onData). While the proxy's own
   * streamed read takes the DataRows in runs, which copy them and keep nothing, the read is framed
   * in place and only what may outlive this call (a message handed to a handler or the client, the
   * read forwarded whole) is copied; otherwise the read is copied first and everything is as before.
   */
  private onUpstreamData(read: Buffer, lent: boolean): void {
    const inPlace = lent && this.tracker.takesRowRuns;
    const chunk = lent && !inPlace ? Buffer.from(read) : read;
    const out: Buffer[] = [];
    let whole = !this.upstreamFramer.hasPartial;
    this.rowRunTaken = false;
    try {
      this.upstreamFramer.push(chunk, (code, view) => {
        // A reassembled message is the framer's own buffer; a view of the lent read is copied.
        const message = inPlace && view.buffer === read.buffer ? Buffer.from(view) : view;
        if (!this.authenticated && code === BackendCode.Authentication) this.onAuthentication(message);
        if (code === BackendCode.ReadyForQuery) {
          this.txStatus = decodeReadyForQuery(message);
          // Before this ReadyForQuery reaches the client: its next statement must find the caches dropped.
          if (this.txStatus === 'I' && this.transactionEndWork.length > 0) this.runTransactionEndWork();
          // Outside a transaction no portal lives on: streamed ones stop their calls.
          if (this.txStatus === 'I' && this.interceptor.streams.hasPortals) this.interceptor.streams.forgetAll();
          if (this.txStatus === 'I' && !this.interceptor.cursors.isEmpty) this.interceptor.cursors.transactionEnded();
          if (this.routineDdl && this.txStatus === 'I') this.settleRoutineDdl();
          if (this.settingsChanged || this.privilegesChanged) this.transactionMayHaveEnded();
        } else if (code === BackendCode.CommandComplete) this.noteCommand(message);
        else if (code === BackendCode.BackendKeyData) this.backendKey = decodeBackendKeyData(message);
        else if (code === BackendCode.ErrorResponse && decodeErrorResponse(message).severity === 'FATAL') {
          // The upstream explained why it is closing: that is the client's last word.
          this.upstreamSaidFatal = true;
        }
        const forward = this.tracker.route(code, message);
        if (forward !== null && (code === BackendCode.CommandComplete || code === BackendCode.ReadyForQuery)) this.clientStatementRan();
        // The client's statement is over (the proxy's own statements' answers are not forwarded).
        if (code === BackendCode.ReadyForQuery && forward !== null && this.callAbort.signal.aborted) this.callAbort = new AbortController();
        if (forward === message) out.push(message);
        else {
          whole = false;
          if (forward !== null) out.push(forward);
        }
      }, this.dataRowRuns);
    } catch (error) {
      // Malformed bytes from the upstream: this session cannot continue.
      this.fatal(PgError.from(error));
      return;
    }
    if (whole && !this.rowRunTaken && !this.upstreamFramer.hasPartial) this.writeClient([inPlace ? Buffer.from(chunk) : chunk]);
    else this.writeClient(coalesce(out));
  }

  /**
   * A client's statement ran on the upstream: whatever it called (a function whose body runs
   * set_config('role', ...) or SET, a trigger) may have changed the role or settings without its
   * tag saying so, so what is known of them is read again before a call relies on it.
   */
  private clientStatementRan(): void {
    this.sessionEpoch++;
  }

  /** AuthenticationOk ends the phase in which only authentication messages are accepted. */
  private onAuthentication(message: Buffer): void {
    if (decodeAuthentication(message) !== AuthenticationCode.Ok) return;
    this.authenticated = true;
    clearTimeout(this.authTimer);
  }

  private noteCommand(commandComplete: Buffer): void {
    if (this.interceptor.hasRewritten && deallocates(commandComplete)) this.interceptor.forgetLocalAnswers();
    if (isRoutineDdl(commandComplete)) this.routineDdl = true;
    // Altering or dropping a table may change the columns the proxy computes (generated-columns.ts).
    else if (!this.options.functions.generated.isEmpty && changesTables(commandComplete)) this.routineDdl = true;
    if (changesSessionSettings(commandComplete)) {
      this.sessionEpoch++;
      this.settingsChanged = true;
    } else if (changesPrivileges(commandComplete)) {
      this.sessionEpoch++;
      this.privilegesChanged = true;
    }
  }

  /**
   * After any ReadyForQuery in a transaction that changed settings or privileges: COMMIT and
   * ROLLBACK undo SET LOCAL, ROLLBACK undoes SET. Other sessions hear of changed privileges once
   * the transaction is over (before, they could only read the old ones again). The embedded
   * backend's settings are shared by every client, so there a changed role is everyone's news.
   */
  private transactionMayHaveEnded(): void {
    this.sessionEpoch++;
    if (this.txStatus !== 'I') return;
    const everyone = this.privilegesChanged || this.options.connector.kind === 'embedded';
    this.settingsChanged = false;
    this.privilegesChanged = false;
    if (everyone) this.options.onPrivilegeChange?.();
  }

  private runTransactionEndWork(): void {
    for (const work of this.transactionEndWork.splice(0)) {
      try {
        work();
      } catch (error) {
        this.options.log(`pgml-proxy: work after a transaction failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private settleRoutineDdl(): void {
    this.routineDdl = false;
    const work = this.options.onRoutineDdl;
    if (work === undefined) return;
    const settling = work()
      .catch((error: unknown) => this.options.log(`pgml-proxy: reloading functions after DDL failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        if (this.settling === settling) this.settling = undefined;
        this.pump();
      });
    this.settling = settling;
  }

  /** The interceptor ran DDL whose tag does not say it changes what the proxy catalogs: reload once its transaction ends. */
  noteCatalogDdl(): void {
    this.routineDdl = true;
  }

  /**
   * The proxy told the client its statement ended with a ReadyForQuery of its own: a cancel that
   * came during the statement is spent (as when the upstream's ReadyForQuery passes, below).
   */
  endStatement(): void {
    if (this.callAbort.signal.aborted) this.callAbort = new AbortController();
  }

  writeClient(buffers: readonly Buffer[]): void {
    if (this.phase === 'closed' || buffers.length === 0) return;
    let ok = true;
    if (buffers.length === 1) ok = this.socket.write(buffers[0]!);
    else {
      this.socket.cork();
      for (const b of buffers) ok = this.socket.write(b);
      this.socket.uncork();
    }
    // Backpressure: stop reading the upstream until the client drains what it was sent.
    if (!ok) this.upstream?.pause();
  }

  clientDrained(): Promise<void> {
    if (this.phase === 'closed' || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  pauseUpstream(): void {
    this.upstreamHeld = true;
    this.upstream?.pause();
  }

  /** Resumes the upstream unless the client is the one not keeping up (writeClient paused it). */
  resumeUpstream(): void {
    this.upstreamHeld = false;
    if (!this.socket.writableNeedDrain) this.upstream?.resume();
  }

  notice(message: string, severity: 'INFO' | 'NOTICE' | 'WARNING'): void {
    this.writeClient([backend.noticeResponse(new PgError(SqlState.SuccessfulCompletion, message, { severity }))]);
  }

  private onUpstreamClosed(error?: Error): void {
    this.tracker.abandon();
    if (this.phase === 'closed') return;
    if (!this.closing && !this.upstreamSaidFatal) {
      const detail = error?.message;
      this.fatal(
        new PgError(SqlState.ConnectionFailure, 'the upstream server closed the connection unexpectedly', {
          severity: 'FATAL',
          detail,
          hint: 'The upstream Postgres may have restarted; reconnect to pgml-proxy.',
        }),
      );
    } else {
      this.close();
    }
  }

  // ---- endings ----

  /** Sends a final ErrorResponse (08P01 for malformed bytes) and closes only this connection. */
  fatal(error: PgError): void {
    if (this.phase === 'closed') return;
    const final = error.severity === 'FATAL' ? error : new PgError(error.code, error.message, { ...error.fields(), severity: 'FATAL' });
    if (!(error instanceof ProtocolError) && error.severity !== 'FATAL') this.options.log(`session error: ${error.message}`);
    this.socket.end(backend.errorResponse(final));
    this.close();
  }

  /** Graceful shutdown: tell an idle client why, then close. */
  shutdown(): void {
    this.closing = true;
    this.fatal(new PgError(SqlState.AdminShutdown, 'terminating connection due to administrator command', { severity: 'FATAL' }));
  }

  close(): void {
    if (this.phase === 'closed') return;
    const pendingWork = this.tracker.pending > 0;
    this.phase = 'closed';
    this.closing = true;
    this.callAbort.abort(new PgError(SqlState.QueryCanceled, 'canceling statement: the client closed the connection'));
    clearTimeout(this.authTimer);
    if (!this.socket.destroyed) {
      // Stop reading: a client that keeps sending must not cost the proxy any work. The socket
      // lingers so the last ErrorResponse reaches the client before the connection is dropped.
      this.socket.end();
      this.socket.pause();
      const socket = this.socket;
      setTimeout(() => socket.destroy(), CLOSE_LINGER_MS).unref();
    }
    const link = this.upstream;
    if (link) {
      // A client that vanished mid-statement should not leave the statement running upstream.
      if (pendingWork && this.backendKey) void link.cancel(this.backendKey.processId, this.backendKey.secretKey);
      link.end();
    }
    this.resolveClosed();
  }
}

/** A Describe or Close of the unnamed statement. */
function isUnnamedStatement(message: Buffer): boolean {
  const target = decodeTarget(message);
  return target.kind === 'S' && target.name === '';
}

/** A Describe or Close of the unnamed portal. */
function isUnnamedPortal(message: Buffer): boolean {
  const target = decodeTarget(message);
  return target.kind === 'P' && target.name === '';
}

/** What executedTogether() found after a Bind: whether the portal is described, and how many messages in all. */
interface Together {
  described: boolean;
  count: number;
}

/** What boundTogether() found after a Parse: the Bind, what came after it, and whether the statement is described first. */
interface BoundTogether {
  bind: BindMessage;
  /** Its count: the messages after the Parse, the Bind and the statement's Describe included. */
  together: Together;
  statementDescribed: boolean;
}
