import net from 'node:net';
import type tls from 'node:tls';
import type { CallServices, FunctionRegistry } from '../functions/index.js';
import { SessionActivity } from './activity.js';
import { ClientSession, type SessionStats } from './session.js';
import type { UpstreamConnector } from './link.js';
import type { UpstreamFunctions } from './upstream-functions.js';

export interface ProxyServerOptions {
  connector: UpstreamConnector;
  registry: FunctionRegistry;
  functions: UpstreamFunctions;
  /** What every call's context carries (CallContext.services). */
  services: CallServices;
  onRoutineDdl?: () => Promise<void>;
  onPrivilegeChange?: () => void;
  tlsContext?: tls.SecureContext;
  /** How long a client may take to authenticate before the proxy closes its connection. */
  authTimeoutMs: number;
  /** Statements the planner marks `local` are answered by the proxy (false only to compare, in tests). */
  answerLocally: boolean;
  /** Called for every chunk a client sends (main.ts: the engine threads' warm-up waits for quiet clients). */
  onClientMessage?: () => void;
  log: (message: string) => void;
}

/** Accepts client connections; each gets a ClientSession. One failing connection never stops the rest. */
export class ProxyServer {
  private readonly server: net.Server;
  private readonly sessions = new Set<ClientSession>();
  readonly stats: SessionStats = { passedThrough: 0, intercepted: 0 };
  private readonly activity: SessionActivity;

  constructor(private readonly options: ProxyServerOptions) {
    this.activity = new SessionActivity(undefined, options.onClientMessage);
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.on('error', (error) => options.log(`listener error: ${error.message}`));
  }

  get connections(): number {
    return this.sessions.size;
  }

  listen(host: string, port: number): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => {});
    const session = new ClientSession(socket, {
      ...this.options,
      stats: this.stats,
      activity: this.activity,
      cancelSession: (processId, secretKey) => {
        for (const other of this.sessions) other.cancelIfKey(processId, secretKey);
      },
    });
    this.sessions.add(session);
    void session.closed.then(() => this.sessions.delete(session));
  }

  /**
   * Stops accepting; sessions close as soon as they are idle, and all are closed after the grace
   * period so running statements get a chance to finish.
   */
  async stop(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const deadline = Date.now() + graceMs;
    while (this.sessions.size > 0 && Date.now() < deadline) {
      for (const session of this.sessions) if (session.isIdle) session.shutdown();
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const session of this.sessions) session.shutdown();
    await closed;
  }
}
