/**
 * The scheduler's own connection to the upstream, apart from any client's session: a `pg`
 * client that reconnects after a failure, or (embedded PGlite) the backend borrowed between
 * client transactions. Notifications come through the proxy's notification service instead
 * (db/notifications.ts).
 */
import pg from 'pg';
import { fromPgResult } from '../db/pg-result.js';
import type { QueryResult, Queryable } from '../db/queryable.js';

export interface CronConnection extends Queryable {
  close(): Promise<void>;
}

/** Runs work on a borrowed database handle, e.g. EmbeddedConnector.exclusive. */
export type Borrow = <T>(work: (db: Queryable) => Promise<T>) => Promise<T>;

export class BorrowedConnection implements CronConnection {
  constructor(private readonly borrow: Borrow) {}

  query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    return this.borrow((db) => db.query<Row>(sql, params));
  }

  async close(): Promise<void> {}
}

export class PgConnection implements CronConnection {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private closed = false;
  /** Set once a connection was made: a later one is a reconnect. */
  private hadClient = false;

  constructor(
    private readonly url: string,
    /** Called when a broken connection was replaced: session state such as advisory locks is gone. */
    private readonly onReconnect: () => void = () => {},
  ) {}

  /** pg queues concurrent queries itself but deprecates relying on it: keep an explicit queue. */
  private tail: Promise<unknown> = Promise.resolve();

  query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    const result = this.tail.then(() => this.send<Row>(sql, params));
    this.tail = result.catch(() => {});
    return result;
  }

  private async send<Row>(sql: string, params: readonly unknown[]): Promise<QueryResult<Row>> {
    const client = await this.connection();
    return fromPgResult<Row>(await client.query(sql, params as unknown[]));
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private connection(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error('cron connection closed'));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'pgml-proxy cron' });
    const reconnecting = this.hadClient;
    client.on('error', () => this.drop(client));
    client.on('end', () => this.drop(client));
    await client.connect();
    this.client = client;
    this.hadClient = true;
    if (reconnecting) this.onReconnect();
    return client;
  }

  private drop(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
  }
}
