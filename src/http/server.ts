/**
 * The PostgREST-compatible HTTP endpoint: `/rpc/{function}` under an optional prefix, plus
 * `/health` and `/metrics`. Calls go to the proxy's own listener through a bounded pool, so
 * pgml.* inside the called function is evaluated exactly as for a SQL client.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, toHttpError } from './errors.js';
import { Authenticator, type AuthOptions, type Identity } from './jwt.js';
import { PGRST_CHANNEL, ReloadListener } from './listener.js';
import { HttpMetrics, type MetricSource, type ProxyCounters } from './metrics.js';
import { ProxyPool, type PoolOptions } from './pool.js';
import { OBJECT_MEDIA_TYPE, bodyArgs, discardBody, queryArgs, readBody, requestSchema, responseMedia, type RpcArgs } from './request.js';
import { runRpc } from './rpc.js';
import { SchemaCache } from './schema-cache.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  /** e.g. '/rest/v1'; '' serves /rpc at the root. */
  prefix: string;
  schemas: readonly string[];
  auth: AuthOptions;
  /** Where and as whom the pool connects: the proxy's own listener. */
  pool: PoolOptions;
  maxBodyBytes: number;
  proxy: ProxyCounters;
  /** Migration versions the proxy ships: /health is ready only when all are applied. */
  expectedMigrations: readonly number[];
  metricSources?: readonly MetricSource[];
  /**
   * Runs before each schema cache reload: what the proxy needs to serve a function (the upstream
   * functions it inlines) must be loaded before /rpc lists it.
   */
  beforeReload?: () => Promise<void>;
  /** Another application served under a path prefix on the same listener (the dashboard). */
  mount?: MountedApp;
  log: (message: string) => void;
}

export interface MountedApp {
  /** e.g. '/dashboard': the path itself and everything below it. */
  readonly prefix: string;
  handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
  close(): Promise<void>;
}

export class HttpServer {
  private readonly server: http.Server;
  private readonly pool: ProxyPool;
  private readonly cache: SchemaCache;
  private readonly auth: Authenticator;
  private readonly metrics: HttpMetrics;
  private readonly listener: ReloadListener;
  private readonly rpcPrefix: string;

  private constructor(private readonly options: HttpServerOptions) {
    this.pool = new ProxyPool(options.pool);
    this.cache = new SchemaCache(options.schemas);
    this.auth = new Authenticator(options.auth);
    this.metrics = new HttpMetrics(options.proxy, this.pool, options.metricSources);
    this.rpcPrefix = `${options.prefix.replace(/\/+$/, '')}/rpc/`;
    const { host, port, user, password, database } = options.pool;
    this.listener = new ReloadListener({ host, port, user, password, database }, PGRST_CHANNEL, () => void this.reloadSchemaCache(), options.log);
    // A failure while answering (e.g. a header the client cannot receive) costs that request only.
    this.server = http.createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
  }

  static async start(options: HttpServerOptions): Promise<HttpServer> {
    const server = new HttpServer(options);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.server.listen({ host: options.host, port: options.port }, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    server.server.on('error', (error) => options.log(`pgml-proxy http: ${error.message}`));
    // Load the cache before anyone is told the proxy is up; if that fails, /rpc answers 503
    // (PGRST002) until the listener's connection loads it.
    await server.reloadSchemaCache();
    server.listener.start();
    return server;
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** Re-reads the callable functions; the composition root calls this after DDL through the proxy. */
  async reloadSchemaCache(): Promise<void> {
    this.metrics.schemaReloads.inc();
    try {
      await this.options.beforeReload?.();
      await this.cache.reload((sql, params) => this.pool.withClient(async (client) => (await client.query(sql, params)).rows));
    } catch (error) {
      this.options.log(`pgml-proxy http: schema cache reload failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.options.mount?.close();
    this.server.closeIdleConnections();
    await this.listener.stop();
    await closed;
    await this.pool.end();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const mount = this.options.mount;
    if (mount && (url.pathname === mount.prefix || url.pathname.startsWith(`${mount.prefix}/`))) return mount.handle(req, res);
    if (url.pathname === '/health' || url.pathname === '/metrics') {
      discardBody(req);
      if (method !== 'GET' && method !== 'HEAD') return await this.sendError(req, res, methodNotAllowed(method, 'GET, HEAD'));
      return url.pathname === '/health' ? this.health(req, res) : this.scrape(req, res);
    }
    let fnLabel = '';
    let identity: Identity | undefined;
    let status = 500;
    try {
      const name = this.functionName(url.pathname);
      if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') throw methodNotAllowed(method, 'GET, HEAD, POST');
      const media = responseMedia(req.headers.accept);
      const profile = method === 'POST' ? req.headers['content-profile'] : req.headers['accept-profile'];
      const schema = requestSchema(headerValue(profile), this.options.schemas);
      identity = await this.auth.authenticate(req.headers.authorization);
      let args: RpcArgs;
      if (method === 'POST') {
        args = bodyArgs(req.headers['content-type'], await readBody(req, this.options.maxBodyBytes));
      } else {
        discardBody(req);
        args = { args: queryArgs(url.searchParams) };
      }
      const { fn, wholeBody } = this.cache.resolve(schema, name, [...args.args.keys()], method === 'POST' && args.body !== undefined);
      fnLabel = `${fn.schema}.${fn.name}`;
      const result = await runRpc(this.pool, {
        fn,
        args,
        wholeBody,
        method: method === 'HEAD' ? 'GET' : method,
        path: url.pathname,
        headers: requestHeaders(req),
        identity,
        media,
      });
      status = result.status;
      const headers: Record<string, string> = {};
      if (this.options.schemas.length > 1) headers['Content-Profile'] = schema;
      if (result.body === undefined) {
        res.writeHead(status, headers).end();
        return;
      }
      headers['Content-Type'] = `${media === 'object' ? OBJECT_MEDIA_TYPE : 'application/json'}; charset=utf-8`;
      if (fn.shape === 'setofRow' || fn.shape === 'setofScalar') {
        headers['Content-Range'] = result.rows > 0 ? `0-${result.rows - 1}/*` : '*/*';
      }
      res.writeHead(status, headers).end(method === 'HEAD' ? undefined : result.body);
    } catch (error) {
      const httpError = toHttpError(error, identity?.authenticated ?? false);
      status = httpError.status;
      await this.sendError(req, res, httpError);
    } finally {
      this.metrics.observeCall(fnLabel, status, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private functionName(pathname: string): string {
    if (pathname.startsWith(this.rpcPrefix)) {
      const raw = pathname.slice(this.rpcPrefix.length);
      if (raw !== '' && !raw.includes('/')) {
        try {
          return decodeURIComponent(raw);
        } catch {
          // Malformed percent-encoding: no such path.
        }
      }
    }
    throw new HttpError(404, 'PGRST125', 'Invalid path specified in request URL', null, `Functions are called at ${this.rpcPrefix}{function}`);
  }

  private async health(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let upstream = 'reachable';
    let missing: number[] = [...this.options.expectedMigrations];
    try {
      const applied = await this.pool.withClient((client) =>
        client.query<{ version: number }>('SELECT version FROM pgml_proxy.schema_migrations'),
      );
      const versions = new Set(applied.rows.map((r) => Number(r.version)));
      missing = missing.filter((v) => !versions.has(v));
    } catch (error) {
      upstream = `unreachable: ${error instanceof Error ? error.message : String(error)}`;
    }
    const ready = upstream === 'reachable' && missing.length === 0 && this.cache.isLoaded;
    const body = JSON.stringify({
      status: ready ? 'ok' : 'unavailable',
      upstream,
      migrations: { expected: this.options.expectedMigrations.length, missing },
      schemaCache: this.cache.isLoaded ? 'loaded' : 'not loaded',
    });
    res.writeHead(ready ? 200 : 503, { 'Content-Type': 'application/json; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : body);
  }

  private async scrape(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const text = await this.metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : text);
    } catch (error) {
      await this.sendError(req, res, toHttpError(error, false));
    }
  }

  private async sendError(req: http.IncomingMessage, res: http.ServerResponse, error: HttpError): Promise<void> {
    const headers: Record<string, string> = { ...error.headers, 'Content-Type': 'application/json; charset=utf-8' };
    // A refused body may still be arriving: answering before it is read would cut the client off
    // mid-upload (EPIPE) before it could read the answer. Read it away, then close the connection.
    if (!req.complete) {
      headers.Connection = 'close';
      await drained(req);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(error.status, headers).end(req.method === 'HEAD' ? undefined : JSON.stringify(error.body()));
  }
}

function drained(req: http.IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.complete || req.destroyed) return resolve();
    req.once('end', resolve);
    req.once('close', resolve);
    discardBody(req);
  });
}

function methodNotAllowed(method: string, allow: string): HttpError {
  return new HttpError(405, 'PGRST101', `Cannot use the ${method} method here`, null, `Allowed methods: ${allow}`, { Allow: allow });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function requestHeaders(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
