/**
 * Dashboard logins. A login is a Postgres session of the person looking: a connection to the
 * proxy's own listener as their role, opened with their password, so the proxy relays the
 * password to the upstream's authentication exactly as for psql, and every page reads (and every
 * action writes) with that role's privileges and row-level security. The browser holds a
 * signed, HttpOnly, SameSite=Strict cookie naming the session; actions also need the session's
 * CSRF token in a request header. The session ends on logout, after IDLE_MS without requests, or
 * when its connection drops; the cookie then leads back to the login form.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import pg from 'pg';

export const COOKIE_NAME = 'pgml_dashboard';
const IDLE_MS = 30 * 60_000;
/** Each login holds one connection to the proxy (and so one upstream backend). */
const MAX_SESSIONS = 64;

export interface ListenerAddress {
  host: string;
  port: number;
}

export interface Session {
  readonly id: string;
  readonly role: string;
  readonly database: string;
  readonly csrf: string;
  /** Runs `work` on the session's connection, one request at a time. */
  run<T>(work: (client: pg.Client) => Promise<T>): Promise<T>;
}

export class LoginError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

class LiveSession implements Session {
  readonly id = randomBytes(24).toString('base64url');
  readonly csrf = randomBytes(24).toString('base64url');
  lastUsed = Date.now();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly role: string,
    readonly database: string,
    readonly client: pg.Client,
  ) {}

  run<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    this.lastUsed = Date.now();
    const next = this.queue.then(() => work(this.client));
    this.queue = next.catch(() => {});
    return next;
  }
}

export class Sessions {
  private readonly key = randomBytes(32);
  private readonly sessions = new Map<string, LiveSession>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly listener: ListenerAddress,
    /** The database logins connect to when the form names none: the upstream URL's. */
    private readonly defaultDatabase: string,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  /** Opens a session as `user`; a refused login is a LoginError with the upstream's SQLSTATE. */
  async login(user: string, password: string | undefined, database: string | undefined): Promise<Session> {
    if (this.sessions.size >= MAX_SESSIONS) throw new LoginError(503, 'Too many dashboard sessions are open; try again later');
    const client = new pg.Client({
      host: this.listener.host,
      port: this.listener.port,
      user,
      // An empty password is sent as is: the upstream decides, never a password from the environment.
      password: password ?? '',
      database: database || this.defaultDatabase,
      application_name: 'pgml-proxy-dashboard',
    });
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => {});
      throw loginRefused(error);
    }
    const row = (await client.query<{ role: string; database: string }>('SELECT current_user AS role, current_database() AS database')).rows[0]!;
    const session = new LiveSession(row.role, row.database, client);
    client.on('end', () => this.sessions.delete(session.id));
    this.sessions.set(session.id, session);
    return session;
  }

  async logout(session: Session): Promise<void> {
    const live = this.sessions.get(session.id);
    this.sessions.delete(session.id);
    await live?.client.end().catch(() => {});
  }

  /** The session a request's cookie names, when its signature is ours and the session is open. */
  fromCookie(header: string | undefined): Session | undefined {
    const value = cookieValue(header, COOKIE_NAME);
    if (value === undefined) return undefined;
    const dot = value.lastIndexOf('.');
    if (dot < 0) return undefined;
    const id = value.slice(0, dot);
    if (!equalText(value.slice(dot + 1), this.sign(id))) return undefined;
    const session = this.sessions.get(id);
    if (session === undefined || Date.now() - session.lastUsed > IDLE_MS) return undefined;
    return session;
  }

  /** Set-Cookie for a session; without `session`, the header that clears it. */
  cookie(session: Session | undefined): string {
    const attributes = 'Path=/dashboard; HttpOnly; SameSite=Strict';
    if (session === undefined) return `${COOKIE_NAME}=; ${attributes}; Max-Age=0`;
    return `${COOKIE_NAME}=${session.id}.${this.sign(session.id)}; ${attributes}`;
  }

  /** Whether a request's CSRF header carries the session's token. */
  static csrfMatches(session: Session, header: string | string[] | undefined): boolean {
    return typeof header === 'string' && equalText(header, session.csrf);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const open = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(open.map((s) => s.client.end().catch(() => {})));
  }

  private sign(id: string): string {
    return createHmac('sha256', this.key).update(id).digest('base64url');
  }

  private sweep(): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      if (now - session.lastUsed > IDLE_MS) void this.logout(session);
    }
  }
}

function loginRefused(error: unknown): LoginError {
  if (error instanceof pg.DatabaseError) {
    // 28P01 (wrong password), 28000 (no such role / not allowed by pg_hba), 3D000 (no database).
    const status = error.code?.startsWith('28') ? 401 : error.code === '3D000' ? 400 : 503;
    return new LoginError(status, error.message, error.code);
  }
  return new LoginError(503, 'The proxy could not be reached');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function equalText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
