/**
 * The cron subsystem as main.ts sees it: the pg_cron SQL functions, and one scheduler per process
 * that runs jobs through the proxy's own listener.
 */
import type { PGlite } from '@electric-sql/pglite';
import { PGliteAdminDatabase } from '../db/admin.js';
import type { NotificationService } from '../db/notifications.js';
// Only the catalog's type: jobs are expanded with the proxy's parser and functions (src/sql/expand-call.ts).
import type { FunctionCatalog } from '../sql/index.js';
import { BorrowedConnection, PgConnection, type CronConnection } from './connection.js';
import { ProxyJobRunner, type JobLogin } from './runner.js';
import type { RunCounts } from './run-counts.js';
import { CronScheduler } from './scheduler.js';

export { registerCronFunctions } from './api/index.js';
export { RunCounts } from './run-counts.js';

export interface CronOptions {
  /** postgres:// URL of a real upstream; absent for embedded PGlite. */
  upstream?: string | undefined;
  /** Embedded PGlite (EmbeddedConnector): lends the backend between client transactions. */
  embedded?: { exclusive<T>(work: (db: PGlite) => Promise<T>): Promise<T> } | undefined;
  /** Where this proxy listens: jobs connect there. */
  listen: { host: string; port: number };
  catalog: FunctionCatalog;
  /** Where finished runs are counted (read by /metrics). */
  runCounts: RunCounts;
  /** The LISTEN connection to the real upstream (with `upstream`). */
  notifications?: NotificationService | undefined;
  log: (message: string) => void;
}

export interface CronService {
  stop(graceMs: number): Promise<void>;
}

/** Without LISTEN (embedded), polling is how changes are noticed within a second. */
const POLL_MS_EMBEDDED = 1000;
/** With LISTEN, polling only backs up missed notifications. */
const POLL_MS_LISTENING = 10_000;
const EMBEDDED_USER = 'postgres';

export async function startCron(options: CronOptions): Promise<CronService> {
  const host = reachable(options.listen.host);
  let connection: CronConnection;
  let runner: ProxyJobRunner;
  if (options.upstream) {
    connection = new PgConnection(options.upstream, () => options.log('pgml-proxy cron: reconnected to the upstream'));
    runner = new ProxyJobRunner({ host, port: options.listen.port, loginFor: upstreamLogin(options.upstream) }, options.catalog);
  } else {
    const embedded = options.embedded;
    if (!embedded) throw new Error('startCron: neither an upstream URL nor an embedded database');
    connection = new BorrowedConnection((work) => embedded.exclusive((db) => work(new PGliteAdminDatabase(db))));
    // PGlite has one session and no logins: every client, and so every job, is its one superuser.
    // Switching to the job owner (SET SESSION AUTHORIZATION) would leak to the clients that share
    // the session, and the job could switch back anyway; the README says jobs run as that user.
    runner = new ProxyJobRunner({ host, port: options.listen.port, loginFor: () => ({ user: EMBEDDED_USER }) }, options.catalog);
  }
  const scheduler = new CronScheduler({
    connection,
    runner,
    log: options.log,
    reloadIntervalMs: options.notifications ? POLL_MS_LISTENING : POLL_MS_EMBEDDED,
    runCounts: options.runCounts,
    notifications: options.notifications,
  });
  await scheduler.start();
  return { stop: (graceMs) => scheduler.stop(graceMs) };
}

/**
 * A job logs in as its owner, as pg_cron's libpq connection does. The upstream URL's password
 * belongs to the URL's user; any other user's comes from where libpq would look: PGPASSWORD, or
 * a PGPASSFILE / ~/.pgpass line matching the proxy's address (trust or peer rules need none).
 */
function upstreamLogin(upstream: string): (username: string) => JobLogin {
  const url = new URL(upstream);
  const urlUser = decodeURIComponent(url.username);
  const urlPassword = url.password === '' ? undefined : decodeURIComponent(url.password);
  return (username) => ({ user: username, password: username === urlUser ? urlPassword : undefined });
}

/** A wildcard listen address is not one to connect to. */
function reachable(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}
