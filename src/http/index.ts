import type { AddressInfo } from 'node:net';
import type { MetricSource, ProxyCounters } from './metrics.js';
import { HttpServer, type MountedApp } from './server.js';

export { HttpServer } from './server.js';
export { ReloadListener } from './listener.js';
export type { MetricSource } from './metrics.js';
export type { MountedApp } from './server.js';

export interface StartHttpOptions {
  listen: { host: string; port: number };
  prefix: string;
  schemas: readonly string[];
  jwtSecret?: string;
  anonRole?: string;
  poolSize: number;
  poolTimeoutSeconds: number;
  maxBodyBytes: number;
  /** The proxy's own wire-protocol listener, which the HTTP pool connects to. */
  proxyAddress: AddressInfo;
  /** The upstream URL whose credentials the pool logs in with; absent for embedded PGlite. */
  upstreamUrl?: string;
  proxy: ProxyCounters;
  expectedMigrations: readonly number[];
  metricSources?: readonly MetricSource[];
  /** Runs before each schema cache reload (HttpServerOptions.beforeReload). */
  beforeReload?: () => Promise<void>;
  /** Served under its prefix on the same listener (HttpServerOptions.mount). */
  mount?: MountedApp;
  log: (message: string) => void;
}

/** Starts the HTTP endpoint; it logs in to the proxy as the upstream URL's user (or `postgres` when embedded). */
export function startHttp(options: StartHttpOptions): Promise<HttpServer> {
  const credentials = options.upstreamUrl ? urlCredentials(options.upstreamUrl) : { user: 'postgres', database: 'postgres' };
  return HttpServer.start({
    host: options.listen.host,
    port: options.listen.port,
    prefix: options.prefix,
    schemas: options.schemas,
    auth: { secret: options.jwtSecret, anonRole: options.anonRole },
    pool: {
      host: loopbackFor(options.proxyAddress),
      port: options.proxyAddress.port,
      ...credentials,
      size: options.poolSize,
      acquireTimeoutMs: Math.round(options.poolTimeoutSeconds * 1000),
    },
    maxBodyBytes: options.maxBodyBytes,
    proxy: options.proxy,
    expectedMigrations: options.expectedMigrations,
    metricSources: options.metricSources,
    beforeReload: options.beforeReload,
    mount: options.mount,
    log: options.log,
  });
}

/** Missing parts are left to node-postgres' defaults (PGUSER, PGPASSWORD, ...), as for the proxy's own admin connection. */
export function urlCredentials(url: string): { user: string; password?: string; database: string } {
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username) || process.env.PGUSER || process.env.USER || 'postgres';
  const password = parsed.password ? decodeURIComponent(parsed.password) : process.env.PGPASSWORD;
  const database = decodeURIComponent(parsed.pathname.slice(1)) || process.env.PGDATABASE || user;
  return { user, password, database };
}

/** A wildcard listen address is reached through the loopback interface. */
export function loopbackFor(address: AddressInfo): string {
  if (address.address === '0.0.0.0') return '127.0.0.1';
  if (address.address === '::') return '::1';
  return address.address;
}
