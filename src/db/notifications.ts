/**
 * The proxy's one LISTEN connection to a real upstream, shared by every cache that is told about
 * changes by NOTIFY (deployments, privileges, the function catalog, PostgREST's `pgrst`, cron jobs).
 * While it is down a notification may be missed, so subscribers hear `lost` (stop trusting what
 * they cached) and, once it is back and listening again, `restored` (reload what they cached).
 */
import pg from 'pg';

export interface Subscription {
  /** A notification on the channel, with its payload ('' when none was given). */
  notify(payload: string): void;
  /** The connection broke: notifications may be missed until `restored`. */
  lost?(): void;
  /** LISTEN holds again (also after the first connection): whatever was cached may be stale. */
  restored?(): void;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

export class NotificationService {
  private readonly subscriptions = new Map<string, Subscription[]>();
  private client: pg.Client | undefined;
  private stopped = false;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    /** A URL, or pg's settings (the HTTP listener reaches the upstream through the proxy itself). */
    private readonly connection: string | pg.ClientConfig,
    private readonly log: (message: string) => void,
  ) {}

  /**
   * Channels are listened to on every (re)connection. A subscription made while connected listens
   * at once; if that fails, the connection is replaced, which listens again and says `restored`.
   */
  subscribe(channel: string, subscription: Subscription): void {
    const isNew = !this.subscriptions.has(channel);
    this.subscriptions.set(channel, [...(this.subscriptions.get(channel) ?? []), subscription]);
    const client = this.client;
    if (isNew && client) {
      client.query(`LISTEN ${pg.escapeIdentifier(channel)}`).catch((error: Error) => {
        this.lost(client, error);
        void client.end().catch(() => {});
      });
    }
  }

  /** Connects and listens; resolves after the first attempt, reconnecting in the background. */
  start(): Promise<void> {
    return this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private all(): Subscription[] {
    return [...this.subscriptions.values()].flat();
  }

  private async connect(): Promise<void> {
    this.retryTimer = undefined;
    if (this.stopped) return;
    const settings = typeof this.connection === 'string' ? { connectionString: this.connection } : this.connection;
    const client = new pg.Client({ application_name: 'pgml-proxy listener', ...settings });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      for (const subscription of this.subscriptions.get(message.channel) ?? []) subscription.notify(message.payload ?? '');
    });
    try {
      await client.connect();
      for (const channel of this.subscriptions.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      this.log(`pgml-proxy: the LISTEN connection could not connect: ${error instanceof Error ? error.message : String(error)}`);
      await client.end().catch(() => {});
      this.lost(client);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.retryMs = RETRY_MIN_MS;
    for (const subscription of this.all()) subscription.restored?.();
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== undefined && this.client !== client) return;
    const wasListening = this.client === client;
    this.client = undefined;
    if (wasListening) {
      if (error) this.log(`pgml-proxy: the LISTEN connection was lost: ${error.message}`);
      for (const subscription of this.all()) subscription.lost?.();
    }
    if (this.stopped || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }
}
