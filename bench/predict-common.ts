// Shared setup of the predict benchmarks: a real Postgres cluster, pgml-proxy in front of it, a
// table of 30 float features and a 100-tree XGBoost regression model trained through the proxy.
// BENCH_CLI: another build's dist/cli.js to run as the proxy (an A/B against it); this checkout's by default.
import { loadavg } from 'node:os';
import pg from 'pg';
import { createDatabase, startPgCluster, type PgCluster } from '../test/support/pg-cluster.js';
import { startProxy, type ProxyProcess } from '../test/support/proxy.js';

export const FEATURES = 30;
/** BENCH_ALGORITHM: the model's algorithm (xgboost with 100 trees; `linear` shows in-thread prediction). */
export const ALGORITHM = process.env.BENCH_ALGORITHM ?? 'xgboost';
const HYPERPARAMS = ALGORITHM === 'xgboost' ? '{"n_estimators": 100}' : '{}';
export const DATABASE = 'bench';
/** The features of the constant prediction the latency benchmarks time (4 decimals, as in its SQL text). */
export const CONSTANT_FEATURES = Array.from({ length: FEATURES }, (_, i) => Number((Math.sin(i) / 2).toFixed(4)));
/** A prediction with constant arguments, which the proxy answers itself (issue 16). */
export const CONSTANT_PREDICT_SQL = `SELECT pgml.predict('p', ARRAY[${CONSTANT_FEATURES.map((f) => f.toFixed(4)).join(', ')}]::float8[])`;

export interface PredictBench {
  cluster: PgCluster;
  proxy: ProxyProcess;
  proxyUrl: string;
  directUrl: string;
  stop(): Promise<void>;
}

export const featureList = (prefix = ''): string => Array.from({ length: FEATURES }, (_, i) => `${prefix}f${i + 1}`).join(', ');

/**
 * Creates `t` with `rows` rows (id, f1..f30, y) and trains project 'p' (ALGORITHM) on `trainRows` of them.
 * `http`: the proxy serves /metrics too (proxy.httpUrl).
 */
export async function setUp(rows: number, trainRows = Math.min(rows, 10_000), { http = false } = {}): Promise<PredictBench> {
  const cluster = await startPgCluster();
  await createDatabase(cluster, DATABASE);
  const directUrl = cluster.url('postgres', undefined, DATABASE);
  const proxy = await startProxy({ upstream: directUrl, http, ...(process.env.BENCH_CLI ? { cliPath: process.env.BENCH_CLI } : {}) });
  const proxyUrl = proxy.url('postgres', undefined, DATABASE);
  const client = new pg.Client({ connectionString: proxyUrl });
  await client.connect();
  const columns = Array.from({ length: FEATURES }, (_, i) => `sin(i * ${(i + 1) * 0.37})::real AS f${i + 1}`).join(', ');
  await client.query(`CREATE TABLE t AS SELECT i AS id, ${columns} FROM generate_series(1, ${rows}) AS i`);
  await client.query(`ALTER TABLE t ADD COLUMN y real`);
  await client.query(`UPDATE t SET y = f1 * 2 - f2 + f3 * f4 + 0.5 * f30`);
  await client.query(`CREATE VIEW t_train AS SELECT ${featureList()}, y FROM t WHERE id <= ${trainRows}`);
  await client.query(`SELECT * FROM pgml.train('p', 'regression', 't_train', 'y', '${ALGORITHM}', '${HYPERPARAMS}')`);
  await client.end();
  return {
    cluster,
    proxy,
    proxyUrl,
    directUrl,
    async stop() {
      await proxy.stop();
      cluster.stop();
    },
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** The machine's 1/5/15-minute load averages, rounded: every JSON line says how loaded the run was. */
export function loadAverage(): number[] {
  return loadavg().map((v) => +v.toFixed(1));
}

export function log(bench: string, message: string): void {
  process.stderr.write(`[${bench}] ${message}\n`);
}
