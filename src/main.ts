/** The composition root: the one place that wires configuration, upstream, functions and listeners. */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import tls from 'node:tls';
import type { Config } from './config.js';
import { RunCounts, registerCronFunctions, startCron } from './cron/index.js';
import { PGliteAdminDatabase, PgAdminDatabase, type AdminDatabase } from './db/admin.js';
import { FunctionRegistry } from './functions/index.js';
import { loadMigrations, migrate } from './db/migrations.js';
import { installStubs } from './functions/stub.js';
import { registerPgmlFunctions } from './pgml/api/index.js';
import { configureEmbeddings, embeddingRequestsRunning, embeddingUsage } from './pgml/embeddings/index.js';
import { nativeLibraryReport } from './pgml/engines/registry.js';
import { configureEnginePool, poolLoad } from './pgml/engines/pool.js';
import { PRIVILEGES_CHANNEL, accessCache } from './pgml/serving/access.js';
import { startServing } from './pgml/serving/listener.js';
import { modelCache, type ModelCacheStats } from './pgml/serving/model-cache.js';
import { ReloadListener, startHttp, type HttpServer, type MetricSource } from './http/index.js';
import { EmbeddedConnector } from './proxy/embedded.js';
import type { UpstreamConnector } from './proxy/link.js';
import { ProxyServer } from './proxy/server.js';
import { TcpUpstreamConnector, type UpstreamAddress } from './proxy/tcp-upstream.js';
import { UpstreamFunctions } from './proxy/upstream-functions.js';
import { initParser } from './sql/index.js';
import { parse as parseConnectionString } from 'pg-connection-string';

export interface App {
  port: number;
  stop(): Promise<void>;
}

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * pgml-proxy processes on one upstream tell each other about DDL on functions here; so does the
 * event trigger of migration 0009, for DDL made directly on the upstream (payload 'ddl').
 */
const CATALOG_CHANNEL = 'pgml_proxy_catalog';

/** Where the upstream listens, read as libpq reads a URL (including `?host=/socket/dir`). */
export function upstreamAddress(url: string): UpstreamAddress {
  const parsed = parseConnectionString(url);
  return { host: parsed.host || 'localhost', port: Number(parsed.port || 5432) };
}

const engineTasks: MetricSource = {
  name: 'pgml_proxy_engine_tasks',
  help: 'Engine operations (fits, predictions) running on a worker thread or waiting for one',
  type: 'gauge',
  labelNames: ['state'],
  read: () => Object.entries(poolLoad()).map(([state, value]) => ({ labels: { state }, value })),
};

const embeddingMetrics: MetricSource[] = [
  {
    name: 'pgml_proxy_embedding_requests_total',
    help: 'Requests to the embedding thread by model (pgml.embed over many rows makes one per batch)',
    type: 'counter',
    labelNames: ['model'],
    read: () => embeddingUsage().map((u) => ({ labels: { model: u.model }, value: u.requests })),
  },
  {
    name: 'pgml_proxy_embedding_texts_total',
    help: 'Texts embedded by model',
    type: 'counter',
    labelNames: ['model'],
    read: () => embeddingUsage().map((u) => ({ labels: { model: u.model }, value: u.texts })),
  },
  {
    name: 'pgml_proxy_embedding_requests_running',
    help: 'Requests the embedding thread is working on, including canceled ones it has not stopped yet',
    type: 'gauge',
    read: () => [{ value: embeddingRequestsRunning() }],
  },
];

export async function start(config: Config, log: (message: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<App> {
  await initParser();
  const registry = new FunctionRegistry();
  registerPgmlFunctions(registry);
  configureEmbeddings({ modelsDir: config.modelsDir, allowDownloads: config.allowDownloads });
  configureEnginePool({ fitMemoryMb: config.fitMemoryMb });
  registerCronFunctions(registry);

  let connector: UpstreamConnector;
  let prepare: (work: (db: AdminDatabase) => Promise<void>) => Promise<void>;
  if (config.upstream) {
    const url = config.upstream;
    connector = new TcpUpstreamConnector(upstreamAddress(url));
    prepare = async (work) => {
      const admin = await PgAdminDatabase.connect(url);
      try {
        await work(admin);
      } finally {
        await admin.close();
      }
    };
  } else {
    await mkdir(config.dataDir, { recursive: true });
    const embedded = await EmbeddedConnector.open(config.dataDir);
    connector = embedded;
    prepare = (work) =>
      embedded.exclusive(async (db) => {
        // pgvector ships with the embedded Postgres: make `pgml.embed(...)::vector` work out of the box.
        await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
        await work(new PGliteAdminDatabase(db));
      });
  }

  const migrations = await loadMigrations(MIGRATIONS_DIR);
  await prepare(async (db) => {
    const applied = await migrate(db, migrations);
    if (applied.length > 0) log(`pgml-proxy: applied migrations ${applied.join(', ')}`);
    await installStubs(db, registry.all());
  });
  const functions = new UpstreamFunctions(registry);
  await functions.reload(prepare);

  let tlsContext: tls.SecureContext | undefined;
  if (config.tlsCert && config.tlsKey) {
    tlsContext = tls.createSecureContext({ cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) });
  }
  for (const line of nativeLibraryReport()) log(`pgml-proxy: ${line}`);
  const serving = await startServing(config.upstream, log);
  // DDL on functions through this proxy: reload what lists functions here, then tell the other
  // proxies on the upstream (an embedded database has no others).
  const instance = randomUUID();
  let http: HttpServer | undefined;
  const reloadInlined = () => functions.reload(prepare);
  // The HTTP schema cache reloads the inlined functions first, so /rpc never lists a function
  // before the proxy knows how to run it (NOTIFY pgrst reloads it too).
  const reloadFunctions = async () => {
    await (http ? http.reloadSchemaCache() : reloadInlined());
  };
  const onRoutineDdl = async () => {
    await reloadFunctions();
    if (config.upstream) await prepare(async (db) => void (await db.query('SELECT pg_notify($1, $2)', [CATALOG_CHANNEL, instance])));
  };
  const catalogListener = config.upstream
    ? new ReloadListener(
        { connectionString: config.upstream },
        { channel: CATALOG_CHANNEL, accepts: (payload) => payload !== instance, applicationName: 'pgml-proxy-catalog-listener' },
        () => void reloadFunctions().catch((error: unknown) => log(`pgml-proxy: reloading functions failed: ${error instanceof Error ? error.message : String(error)}`)),
        log,
      )
    : undefined;
  catalogListener?.start();
  // Privileges may have changed through this proxy: every session here checks again, and so do
  // the other proxies on the upstream once they hear of it (serving's listener).
  const onPrivilegeChange = () => {
    accessCache.invalidateAll();
    if (!config.upstream) return;
    prepare(async (db) => void (await db.query('SELECT pg_notify($1, $2)', [PRIVILEGES_CHANNEL, instance]))).catch((error: unknown) =>
      log(`pgml-proxy: announcing a privilege change failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  };
  const server = new ProxyServer({ connector, registry, functions, onRoutineDdl, onPrivilegeChange, tlsContext, authTimeoutMs: config.authTimeout * 1000, log });
  const address = await server.listen(config.listen.host, config.listen.port);
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const cronRuns = new RunCounts();
  // Before the listening line: whoever waits for it may call HTTP at once.
  http =
    config.http === 'off'
      ? undefined
      : await startHttp({
          listen: config.http,
          prefix: config.httpPrefix,
          schemas: config.httpSchemas,
          jwtSecret: config.jwtSecret,
          anonRole: config.anonRole,
          poolSize: config.httpPoolSize,
          poolTimeoutSeconds: config.httpPoolTimeout,
          maxBodyBytes: config.httpMaxBody,
          proxyAddress: address,
          upstreamUrl: config.upstream,
          proxy: { connections: () => server.connections, stats: server.stats },
          expectedMigrations: migrations.map((m) => m.version),
          metricSources: [modelCacheLookups(() => modelCache.stats()), engineTasks, cronRunsByStatus(cronRuns), ...embeddingMetrics],
          beforeReload: reloadInlined,
          log,
        });
  // stdout carries exactly one line, the listening line; everything else goes to the log (stderr).
  if (http) log(`pgml-proxy http on http://${http.address.family === 'IPv6' ? `[${http.address.address}]` : http.address.address}:${http.address.port}`);
  const cron = await startCron({ upstream: config.upstream, embedded: connector instanceof EmbeddedConnector ? connector : undefined, listen: { host: config.listen.host, port: address.port }, catalog: registry, runCounts: cronRuns, log });
  process.stdout.write(`pgml-proxy listening on postgres://${shownHost}:${address.port}\n`);

  return {
    port: address.port,
    async stop() {
      await cron.stop(config.graceSeconds * 1000);
      await catalogListener?.stop();
      await http?.stop();
      await server.stop(config.graceSeconds * 1000);
      await serving.stop();
      await connector.close();
    },
  };
}

/** The model cache's hits and misses (pgml.predict and friends), read at each scrape. */
function modelCacheLookups(stats: () => ModelCacheStats): MetricSource {
  return {
    name: 'pgml_proxy_model_cache_lookups_total',
    help: 'Model cache lookups by serving calls: hit (model already loaded) or miss (loaded from the upstream)',
    type: 'counter',
    labelNames: ['result'],
    read: () => {
      const { hits, misses } = stats();
      return [
        { labels: { result: 'hit' }, value: hits },
        { labels: { result: 'miss' }, value: misses },
      ];
    },
  };
}

/** Cron runs this process finished, by the status cron.job_run_details records. */
function cronRunsByStatus(runs: RunCounts): MetricSource {
  return {
    name: 'pgml_proxy_cron_runs_total',
    help: 'Cron job runs finished by this process, by final status',
    type: 'counter',
    labelNames: ['status'],
    read: () => runs.snapshot().map(({ status, count }) => ({ labels: { status }, value: count })),
  };
}
