/**
 * A bounded pool of client connections to the proxy's own listener, so every /rpc call runs
 * through the same statement pipeline as any SQL client's. Requests beyond the pool size wait in
 * FIFO order; a wait longer than the acquisition timeout is answered 503 (PGRST003).
 */
import pg from 'pg';
import { HttpError } from './errors.js';

export interface PoolOptions {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  size: number;
  acquireTimeoutMs: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class ProxyPool {
  private readonly pool: pg.Pool;
  private busy = 0;
  private readonly waiters: Waiter[] = [];
  private ended = false;

  constructor(private readonly options: PoolOptions) {
    this.pool = new pg.Pool({
      host: options.host,
      port: options.port,
      user: options.user,
      password: options.password,
      database: options.database,
      max: options.size,
      application_name: 'pgml-proxy-http',
      idleTimeoutMillis: 60_000,
    });
    // An idle connection dropped by the proxy is simply replaced on next use.
    this.pool.on('error', () => {});
  }

  get stats(): { size: number; busy: number; waiting: number } {
    return { size: this.options.size, busy: this.busy, waiting: this.waiters.length };
  }

  /** Runs `work` on one connection; a connection that failed below SQL level is discarded. */
  async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.acquireSlot();
    try {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw connectionError(error);
      }
      let broken: Error | undefined;
      try {
        return await work(client);
      } catch (error) {
        if (isConnectionLevel(error)) {
          broken = error instanceof Error ? error : new Error(String(error));
          throw connectionError(error);
        }
        throw error;
      } finally {
        client.release(broken);
      }
    } finally {
      this.releaseSlot();
    }
  }

  async end(): Promise<void> {
    this.ended = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new HttpError(503, 'PGRST000', 'The HTTP endpoint is shutting down'));
    }
    await this.pool.end();
  }

  private acquireSlot(): Promise<void> {
    if (this.ended) return Promise.reject(new HttpError(503, 'PGRST000', 'The HTTP endpoint is shutting down'));
    if (this.busy < this.options.size) {
      this.busy++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(
            new HttpError(
              503,
              'PGRST003',
              'Timed out acquiring connection from connection pool.',
              `All ${this.options.size} connections stayed busy for ${this.options.acquireTimeoutMs} ms`,
              'Retry later, or raise --http-pool-size',
            ),
          );
        }, this.options.acquireTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private releaseSlot(): void {
    const next = this.waiters.shift();
    if (next) {
      // The slot passes straight to the next waiter: `busy` stays the same.
      clearTimeout(next.timer);
      next.resolve();
    } else {
      this.busy--;
    }
  }
}

/** Errors Postgres reported keep the connection usable unless they were FATAL. */
function isConnectionLevel(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) return error.severity === 'FATAL' || error.severity === 'PANIC';
  return !(error instanceof HttpError);
}

function connectionError(error: unknown): Error {
  // A FATAL from the upstream (e.g. a restart, 57P01) keeps its SQLSTATE and PostgREST's mapping.
  if (error instanceof pg.DatabaseError) return error;
  const details = error instanceof Error ? error.message : String(error);
  return new HttpError(503, 'PGRST000', 'Could not connect with the database', details);
}
