/**
 * Reloading a cache by notification, as PostgREST reloads its schema cache
 * (docs/references/schema_cache.rst): a dedicated connection LISTENs on a channel (`pgrst`:
 * `NOTIFY pgrst` or `NOTIFY pgrst, 'reload schema'` from any session reloads the function cache).
 * After a lost connection the cache is reloaded on reconnect, since notifications sent meanwhile
 * were missed.
 */
import pg from 'pg';

export interface ReloadChannel {
  channel: string;
  /** Whether a notification with this payload asks for a reload. */
  accepts(payload: string): boolean;
  applicationName: string;
}

/** PostgREST's own channel, as the HTTP schema cache listens to it. */
export const PGRST_CHANNEL: ReloadChannel = {
  channel: 'pgrst',
  accepts: (payload) => payload === '' || payload === 'reload schema',
  applicationName: 'pgml-proxy-http-listener',
};
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

export class ReloadListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: ReloadChannel,
    private readonly reload: () => void,
    private readonly log: (message: string) => void,
  ) {}

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    this.retryTimer = undefined;
    if (this.stopped) return;
    const client = new pg.Client({ ...this.config, application_name: this.channel.applicationName });
    client.on('error', () => {});
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel === this.channel.channel && this.channel.accepts(message.payload ?? '')) this.reload();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel.channel}`);
    } catch (error) {
      this.log(`pgml-proxy: ${this.channel.channel} listener could not connect: ${error instanceof Error ? error.message : String(error)}`);
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
    this.reload();
  }

  private lost(client: pg.Client): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    if (this.client !== undefined && this.client !== client) return;
    this.client = undefined;
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }
}
