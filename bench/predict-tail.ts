// What the single-client tail of a constant prediction is made of (issue 16's p99 ≤ 2× p50 goal),
// measured with a C client next to the Node one. pgbench (libpq, no GC, no event loop of its own)
// runs `SELECT 1` straight to Postgres, `SELECT 1` through pgml-proxy and the constant prediction
// (30 features, 100-tree XGBoost, answered by the proxy itself) through pgml-proxy, one client each,
// logging every transaction's latency (`--log`, µs); the three alternate in rounds so drift hits all
// alike. Then the same three from the Node `pg` client, alternating per statement, as
// bench/predict-latency.ts measures them. `select1_direct` is what the machine itself gives: if it
// misses p99 ≤ 2× p50 with a C client, so will anything behind the proxy.
// Run: npm run build && node --import tsx bench/predict-tail.ts   (prints one JSON line)
// Env: BENCH_DURATION seconds per pgbench run (4), BENCH_ROUNDS (3), BENCH_ITERATIONS for the Node
// loop (2000), BENCH_CELLS (a comma list of the cells to run: select1_direct,select1,predict),
// BENCH_KEEP_LOGS (leave pgbench's logs, to match with the proxy's own marks), PGBENCH (/usr/bin/pgbench);
// PGML_PROXY_NODE_ARGS (e.g. --trace-gc) reaches the proxy; the proxy runs with --min-semi-space-size=16 as
// `npm start` runs it, and `PGML_PROXY_NODE_ARGS=--min-semi-space-size=0` gives V8's default young generation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { distribution, pgbenchRun, type Distribution, type PgbenchCell } from './pgbench-latency.js';
import { ALGORITHM, CONSTANT_PREDICT_SQL, DATABASE, FEATURES, loadAverage, log, setUp } from './predict-common.js';

const durationSec = Number(process.env.BENCH_DURATION ?? 4);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const iterations = Number(process.env.BENCH_ITERATIONS ?? 2000);
const onlyCells = process.env.BENCH_CELLS?.split(',');

const bench = await setUp(20_000);
const dir = mkdtempSync(join(tmpdir(), 'pgml-predict-tail-'));
try {
  const predictSql = CONSTANT_PREDICT_SQL;
  const direct = { host: bench.cluster.host, port: bench.cluster.port };
  const proxy = { host: bench.proxy.host, port: bench.proxy.port };
  const cells: PgbenchCell[] = [
    { name: 'select1_direct', sql: 'SELECT 1', target: direct },
    { name: 'select1', sql: 'SELECT 1', target: proxy },
    { name: 'predict', sql: predictSql, target: proxy },
  ].filter(({ name }) => onlyCells === undefined || onlyCells.includes(name));
  // Warm-up: the first prediction loads the model into the proxy's cache (hundreds of ms), and JIT.
  const warmUp = new pg.Client({ connectionString: bench.proxyUrl });
  await warmUp.connect();
  for (let i = 0; i < 200; i++) await warmUp.query(predictSql);
  await warmUp.end();
  // Whether a locally answered statement touches the upstream at all: the bench database's
  // transactions (pg_stat_database) counted around each pgbench run of the prediction.
  const stats = new pg.Client({ connectionString: bench.directUrl });
  await stats.connect();
  const upstreamTransactions = async (): Promise<number> => {
    await stats.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await stats.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1', [DATABASE]);
    return Number(rows[0]!.n);
  };
  let predictUpstreamTransactions = 0;
  const loadAtStart = loadAverage();
  const pgbenchSamples: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const cell of cells) {
      log('predict-tail', `pgbench ${cell.name}, round ${round + 1}/${rounds}`);
      const before = cell.name === 'predict' ? await upstreamTransactions() : 0;
      const samples = await pgbenchRun(cell, { seconds: durationSec }, dir, `${cell.name}-${round}`);
      if (cell.name === 'predict') {
        // pgbench's upstream backend has exited (it flushes its statistics then). The count includes
        // the session's start and this count's own queries: a handful, against tens of thousands of predictions.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        predictUpstreamTransactions += (await upstreamTransactions()) - before;
      }
      pgbenchSamples[cell.name] = (pgbenchSamples[cell.name] ?? []).concat(samples);
    }
  }
  const loadAfterPgbench = loadAverage();
  await stats.end();

  const client = new pg.Client({ connectionString: bench.proxyUrl });
  await client.connect();
  const directClient = new pg.Client({ connectionString: bench.directUrl });
  await directClient.connect();
  const nodeSamples: Record<string, number[]> = Object.fromEntries(cells.map(({ name }) => [name, []]));
  for (let i = 0; i < 200; i++) for (const { sql } of cells) await client.query(sql);
  for (let i = 0; i < 200; i++) await directClient.query('SELECT 1');
  log('predict-tail', `node pg, ${iterations} iterations each`);
  for (let i = 0; i < iterations; i++) {
    for (const { name, sql, target } of cells) {
      const c = target === direct ? directClient : client;
      // After a statement that ran on the upstream the session checks the model's privilege once
      // more (bench/predict-latency.ts's predict_rechecked); keep that out of the predict samples.
      if (name === 'predict') await c.query(sql);
      const start = process.hrtime.bigint();
      await c.query(sql);
      nodeSamples[name]!.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  await client.end();
  await directClient.end();

  const summarize = (samples: Record<string, number[]>): Record<string, Distribution> =>
    Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, distribution(list)]));
  const c = summarize(pgbenchSamples);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'predict-tail',
      features: FEATURES,
      algorithm: ALGORITHM,
      trees: ALGORITHM === 'xgboost' ? 100 : undefined,
      pgbench: { duration_s: durationSec, rounds, ...c },
      upstream_transactions_during_pgbench_predict: c.predict ? predictUpstreamTransactions : undefined,
      node_pg: { iterations, ...summarize(nodeSamples) },
      goal_predict_p99_vs_p50: '<= 2',
      pgbench_predict_vs_select1_p50: c.predict && c.select1 ? +(c.predict.p50_ms / c.select1.p50_ms).toFixed(3) : undefined,
      load_average: { start: loadAtStart, after_pgbench: loadAfterPgbench, end: loadAverage() },
    })}\n`,
  );
} finally {
  if (process.env.BENCH_KEEP_LOGS) log('predict-tail', `pgbench logs kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  await bench.stop();
}
