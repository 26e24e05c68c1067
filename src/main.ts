/** The composition root: the one place that wires configuration, upstream, functions and listeners. */
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import tls from 'node:tls';
import type { Config } from './config.js';
import { RunCounts, registerCronFunctions, startCron } from './cron/index.js';
import { PGliteAdminDatabase, PgAdminDatabase, type AdminDatabase } from './db/admin.js';
import { FunctionRegistry } from './functions/index.js';
import { loadMigrations, migrate } from './db/migrations.js';
import { installStubs } from './functions/stub.js';
import { NotificationService } from './db/notifications.js';
import { registerPgmlFunctions } from './pgml/api/index.js';
import { Embedder, embeddingSources } from './pgml/embeddings/index.js';
import { nativeLibraryReport } from './pgml/engines/registry.js';
import { closePool, configureEnginePool, noteClientMessage, poolLoad } from './pgml/engines/pool.js';
import { boundOpenMpSpinning } from './pgml/engines/openmp.js';
import { warmTrainingWorkers } from './pgml/training/prepare.js';
import { configureTraining } from './pgml/training/settings.js';
import { startServing } from './pgml/serving/listener.js';
import type { ModelCacheStats } from './pgml/serving/model-cache.js';
import { loopbackFor, startHttp, urlCredentials, type MetricSource } from './http/index.js';
import { Dashboard } from './dashboard/index.js';
import { watchTraining } from './pgml/api/progress.js';
import { EmbeddedConnector } from './proxy/embedded.js';
import type { UpstreamConnector } from './proxy/link.js';
import { ProxyServer } from './proxy/server.js';
import { TcpUpstreamConnector, type UpstreamAddress } from './proxy/tcp-upstream.js';
import { UpstreamFunctions } from './proxy/upstream-functions.js';
import { CatalogReload } from './proxy/catalog-reload.js';
import { onePassLoopHolds } from './proxy/batch/loop-steps.js';
import { initParser } from './sql/index.js';
import { parse as parseConnectionString } from 'pg-connection-string';

export interface App {
  port: number;
  stop(): Promise<void>;
}

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

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

/** How long one-pass batches held the event loop since the previous scrape (loop-steps.ts). */
const onePassHolds: MetricSource = {
  name: 'pgml_proxy_one_pass_batch_hold_seconds',
  help: 'Longest synchronous step of each one-pass batch on the event loop since the previous scrape: median, p99, max',
  type: 'gauge',
  labelNames: ['stat'],
  read: () => {
    const { medianMs, p99Ms, maxMs } = onePassLoopHolds.take();
    return Object.entries({ median: medianMs, p99: p99Ms, max: maxMs }).map(([stat, ms]) => ({ labels: { stat }, value: ms / 1000 }));
  },
};

function embeddingMetrics(embedder: Embedder): MetricSource[] {
  return [
    {
      name: 'pgml_proxy_embedding_requests_total',
      help: 'Requests to the embedding thread by model (pgml.embed over many rows makes one per batch)',
      type: 'counter',
      labelNames: ['model'],
      read: () => embedder.usage().map((u) => ({ labels: { model: u.model }, value: u.requests })),
    },
    {
      name: 'pgml_proxy_embedding_texts_total',
      help: 'Texts embedded by model',
      type: 'counter',
      labelNames: ['model'],
      read: () => embedder.usage().map((u) => ({ labels: { model: u.model }, value: u.texts })),
    },
    {
      name: 'pgml_proxy_embedding_requests_running',
      help: 'Requests the embedding thread is working on, including canceled ones it has not stopped yet',
      type: 'gauge',
      read: () => [{ value: embedder.requestsRunning() }],
    },
  ];
}

export async function start(config: Config, log: (message: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<App> {
  // Before any native library loads libgomp, which reads it once (openmp.ts).
  boundOpenMpSpinning();
  await initParser();
  const registry = new FunctionRegistry();
  registerPgmlFunctions(registry);
  const embedder = new Embedder(embeddingSources({ modelsDir: config.modelsDir, allowDownloads: config.allowDownloads }), config.embedSpinUs);
  configureEnginePool({ fitMemoryMb: config.fitMemoryMb });
  configureTraining({ memoryMb: config.fitMemoryMb, progressSeconds: config.trainProgressSeconds, readMbPerSecond: config.trainReadMbPerSecond });
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
  // One LISTEN connection to a real upstream for every cache told about changes by NOTIFY.
  const notifications = config.upstream ? new NotificationService(config.upstream, log) : undefined;
  const announce = (channel: string) => prepare(async (db) => void (await db.query('SELECT pg_notify($1, $2)', [channel, ''])));
  const serving = startServing(notifications && { notifications, announce }, log);
  const catalog = new CatalogReload(functions, prepare, notifications, log);
  await notifications?.start();
  const onPrivilegeChange = () => serving.privilegesChanged();
  const onRoutineDdl = catalog.routineDdl;
  const services = { serving: serving.caches, embedder };
  // PGML_PROXY_ANSWER_LOCALLY=off sends every statement upstream: tests compare the two answers.
  const answerLocally = process.env.PGML_PROXY_ANSWER_LOCALLY !== 'off';
  const server = new ProxyServer({
    connector,
    registry,
    functions,
    services,
    onRoutineDdl,
    onPrivilegeChange,
    tlsContext,
    authTimeoutMs: config.authTimeout * 1000,
    answerLocally,
    onClientMessage: noteClientMessage,
    log,
  });
  const address = await server.listen(config.listen.host, config.listen.port);
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const cronRuns = new RunCounts();
  const dashboard =
    config.http !== 'off' && config.dashboard
      ? new Dashboard({
          listener: { host: loopbackFor(address), port: address.port },
          database: config.upstream ? urlCredentials(config.upstream).database : 'postgres',
          embedded: !config.upstream,
          watchTraining,
          log,
        })
      : undefined;
  // Before the listening line: whoever waits for it may call HTTP at once.
  const http =
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
          metricSources: [modelCacheLookups(() => serving.caches.models.stats()), engineTasks, onePassHolds, cronRunsByStatus(cronRuns), ...embeddingMetrics(embedder)],
          beforeReload: catalog.reloadInlined,
          mount: dashboard,
          log,
        });
  if (http) catalog.attachSchemaCache(() => http.reloadSchemaCache());
  // stdout carries exactly one line, the listening line; everything else goes to the log (stderr).
  if (http) log(`pgml-proxy http on http://${http.address.family === 'IPv6' ? `[${http.address.address}]` : http.address.address}:${http.address.port}`);
  const cron = await startCron({ upstream: config.upstream, embedded: connector instanceof EmbeddedConnector ? connector : undefined, listen: { host: config.listen.host, port: address.port }, catalog: registry, runCounts: cronRuns, notifications, log });
  process.stdout.write(`pgml-proxy listening on postgres://${shownHost}:${address.port}\n`);
  // After the listening line, so the proxy is ready as soon as before; the first training then
  // finds an engine worker started.
  void warmTrainingWorkers();

  return {
    port: address.port,
    async stop() {
      await cron.stop(config.graceSeconds * 1000);
      await http?.stop();
      await server.stop(config.graceSeconds * 1000);
      await notifications?.stop();
      serving.stop();
      await closePool();
      await embedder.close();
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
