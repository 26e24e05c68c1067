/**
 * The dashboard at /dashboard on the HTTP listener: the pages (static.ts), and the JSON API they
 * read (/dashboard/api/...), every call on the viewer's own Postgres session (sessions.ts).
 * Embedded Postgres has no authentication: there a request from a loopback address, naming a
 * loopback host (so a rebinding DNS name cannot pass), gets a session as `postgres` without a
 * login, as psql does on the same machine.
 */
import type http from 'node:http';
import { isIP } from 'node:net';
import pg from 'pg';
import * as queries from './queries.js';
import { LoginError, Sessions, type ListenerAddress, type Session } from './sessions.js';
import { snapshot } from './snapshot.js';
import { StaticFiles } from './static.js';
import { serveLive, type WatchTraining } from './live.js';

export const DASHBOARD_PREFIX = '/dashboard';
const MAX_BODY = 16 * 1024;
const PAGE = /^\/dashboard(\/|\/jobs|\/projects\/[^/]+|\/models\/\d+|\/snapshots\/\d+)?$/;

export interface DashboardOptions {
  /** The proxy's own listener: logins connect there, as any client. */
  listener: ListenerAddress;
  /** The database a login opens when the form names none. */
  database: string;
  /** Embedded Postgres: no logins, loopback requests open as `postgres`. */
  embedded: boolean;
  watchTraining: WatchTraining;
  log: (message: string) => void;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export class Dashboard {
  readonly prefix = DASHBOARD_PREFIX;
  private readonly sessions: Sessions;
  private readonly files = new StaticFiles();
  /** Open live streams, ended on close so the HTTP server can stop. */
  private readonly streams = new Set<http.ServerResponse>();

  constructor(private readonly options: DashboardOptions) {
    this.sessions = new Sessions(options.listener, options.database);
    if (!this.files.built) options.log('pgml-proxy dashboard: dist/web is missing (run `npm run build`); /dashboard answers 503');
  }

  async close(): Promise<void> {
    for (const stream of this.streams) stream.end();
    await this.sessions.close();
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    try {
      if (url.pathname.startsWith('/dashboard/api/')) return await this.api(req, res, method, url.pathname.slice('/dashboard/api/'.length));
      if (method !== 'GET' && method !== 'HEAD') throw new ApiError(405, `Cannot use the ${method} method here`);
      if (url.pathname.startsWith('/dashboard/assets/')) {
        const file = this.files.asset(url.pathname.slice('/dashboard/assets/'.length));
        if (file === undefined) throw new ApiError(404, 'No such file');
        return void res.writeHead(200, file.headers).end(method === 'HEAD' ? undefined : file.body);
      }
      if (!PAGE.test(url.pathname)) throw new ApiError(404, 'No such dashboard page');
      const page = this.files.page();
      if (page === undefined) throw new ApiError(503, 'The dashboard was not built: run `npm run build`');
      if (req.headers['if-none-match'] === page.headers.ETag) return void res.writeHead(304, page.headers).end();
      res.writeHead(200, page.headers).end(method === 'HEAD' ? undefined : page.body);
    } catch (error) {
      this.fail(res, error);
    }
  }

  private async api(req: http.IncomingMessage, res: http.ServerResponse, method: string, path: string): Promise<void> {
    const parts = path.split('/').map((p) => decodeURIComponent(p));
    const route = `${method} ${parts[0]}${parts.length > 2 ? `/:/${parts[2]}` : parts.length > 1 ? '/:' : ''}`;
    if (method === 'POST') checkOrigin(req);

    if (route === 'GET session') return this.sessionInfo(req, res);
    if (route === 'POST login') return this.login(req, res);

    const session = this.sessions.fromCookie(req.headers.cookie);
    if (session === undefined) throw new ApiError(401, 'Log in to see the dashboard');
    if (method === 'POST' && !Sessions.csrfMatches(session, req.headers['x-csrf-token'])) {
      throw new ApiError(403, 'Missing or wrong CSRF token: reload the page');
    }
    const arg = parts[1] ?? '';
    switch (route) {
      case 'POST logout':
        await this.sessions.logout(session);
        return void res.writeHead(204, { 'Set-Cookie': this.sessions.cookie(undefined) }).end();
      case 'GET projects':
        return this.json(res, await this.read(session, queries.projects));
      case 'GET projects/:':
        return this.json(res, found(await this.read(session, (db) => queries.project(db, arg)), 'project'));
      case 'GET projects/:/live':
        found(await this.read(session, (db) => queries.project(db, arg)), 'project');
        this.streams.add(res);
        res.on('close', () => this.streams.delete(res));
        return serveLive(req, res, this.options.watchTraining, { database: session.database, project: arg });
      case 'GET models/:':
        return this.json(res, found(await this.read(session, (db) => queries.model(db, id(arg))), 'model'));
      case 'GET snapshots/:':
        return this.json(res, found(await this.read(session, (db) => snapshot(db, id(arg))), 'snapshot'));
      case 'GET jobs':
        return this.json(res, await this.read(session, (db) => queries.jobs(db)));
      case 'POST models/:/deploy':
        return this.json(res, await this.read(session, (db) => queries.deployModel(db, id(arg))));
      case 'POST projects/:/rollback':
        return this.json(res, await this.read(session, (db) => queries.rollback(db, arg)));
      case 'POST jobs/:/pause':
      case 'POST jobs/:/resume':
        await this.read(session, (db) => queries.setJobActive(db, id(arg), parts[2] === 'resume'));
        return this.json(res, { jobid: id(arg), active: parts[2] === 'resume' });
      default:
        throw new ApiError(404, `No such dashboard API: ${method} /dashboard/api/${path}`);
    }
  }

  private async sessionInfo(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let session = this.sessions.fromCookie(req.headers.cookie);
    const headers: Record<string, string> = {};
    if (session === undefined && this.options.embedded) {
      if (!fromLoopback(req)) throw new ApiError(403, 'The embedded database has no logins: open the dashboard from the machine it runs on');
      session = await this.open('postgres', undefined, undefined);
      headers['Set-Cookie'] = this.sessions.cookie(session);
    }
    if (session === undefined) throw new ApiError(401, 'Log in with a Postgres role and password');
    this.json(res, describe(session, this.options.embedded), headers);
  }

  private async login(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new ApiError(415, 'Send the login as application/json');
    const body = JSON.parse(await readBody(req)) as { user?: unknown; password?: unknown; database?: unknown };
    if (typeof body.user !== 'string' || body.user === '') throw new ApiError(400, 'Name a Postgres role');
    const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    const session = await this.open(body.user, text(body.password), text(body.database));
    this.json(res, describe(session, this.options.embedded), { 'Set-Cookie': this.sessions.cookie(session) });
  }

  private async open(user: string, password: string | undefined, database: string | undefined): Promise<Session> {
    try {
      return await this.sessions.login(user, password, database);
    } catch (error) {
      if (error instanceof LoginError) throw new ApiError(error.status, error.message, error.code);
      throw error;
    }
  }

  /** Runs on the viewer's session; a dropped connection ends it, so the page asks for a login again. */
  private async read<T>(session: Session, work: (db: pg.Client) => Promise<T>): Promise<T> {
    try {
      return await session.run(work);
    } catch (error) {
      if (error instanceof pg.DatabaseError || error instanceof ApiError) throw error;
      // A mistake in this code stays a 500 with its trace in the log; what else node-postgres
      // rejects with ("Connection terminated", "Client was closed") is the connection lost.
      if (error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError) throw error;
      await this.sessions.logout(session);
      throw new ApiError(401, 'The dashboard session ended: log in again');
    }
  }

  private json(res: http.ServerResponse, value: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers }).end(JSON.stringify(value));
  }

  private fail(res: http.ServerResponse, error: unknown): void {
    let status = 500;
    let body: Record<string, unknown> = { message: 'The dashboard failed to answer; the proxy log says why' };
    if (error instanceof ApiError) {
      status = error.status;
      body = { message: error.message, ...(error.code ? { code: error.code } : {}) };
    } else if (error instanceof pg.DatabaseError) {
      status = statusFor(error.code ?? '');
      body = { message: error.message, code: error.code, detail: error.detail ?? null, hint: error.hint ?? null };
    } else if (error instanceof SyntaxError) {
      status = 400;
      body = { message: 'The request body is not valid JSON' };
    } else {
      this.options.log(`pgml-proxy dashboard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    if (res.headersSent) return void res.destroy();
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
  }
}

function describe(session: Session, embedded: boolean): unknown {
  return { role: session.role, database: session.database, csrf: session.csrf, embedded };
}

function found<T>(value: T | null, what: string): T {
  if (value === null) throw new ApiError(404, `No such ${what}, or your role may not read it`);
  return value;
}

function id(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new ApiError(404, `"${text}" is not an id`);
  return Number(text);
}

/**
 * Postgres's refusals as HTTP statuses: privileges 403; the database unavailable, overloaded or
 * canceling 503; any other error of the statement is the request's, 400 (pg_cron itself raises
 * XX000 for a job that is not the caller's).
 */
function statusFor(code: string): number {
  if (code === '42501') return 403;
  if (/^(08|53|57)/.test(code)) return 503;
  return 400;
}

/** A cross-site POST carries its origin: refuse any origin but the dashboard's own. */
function checkOrigin(req: http.IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    host = '';
  }
  if (host !== req.headers.host) throw new ApiError(403, 'Cross-origin requests are refused');
}

function fromLoopback(req: http.IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  const loopbackAddress = address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  const loopbackHost = host === 'localhost' || (isIP(host) !== 0 && (host === '::1' || host.startsWith('127.')));
  return loopbackAddress && loopbackHost;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, 'The request body is too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
