// HTTP /rpc throughput and tail latency: autocannon against pgml-proxy's PostgREST-compatible
// endpoint on a real Postgres, for a `SELECT 1` function, a plain SQL function with arguments,
// pgml.predict_batch on an XGBoost model (evaluated by the proxy), and the seed's
// predict_clickbait (a LANGUAGE sql function calling pgml.predict on pgml.embed of its argument,
// inlined by the proxy; the offline wink/sg-100d model stands in for all-MiniLM-L12-v2). Each at
// 1 and 32 connections.
// Run: npm run build && node --import tsx bench/rpc.ts   (prints one JSON line)
// Env: BENCH_DURATION seconds per cell (5), BENCH_CONNECTIONS ("1,32"), BENCH_POOL_SIZE (10).
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import { createDatabase, startPgCluster } from '../test/support/pg-cluster.js';
import { freePort } from '../test/support/ports.js';
import { startProxy } from '../test/support/proxy.js';
import { headlinesTable, SEED_HEADLINE } from '../test/support/clickbait.js';

const DATABASE = 'bench_rpc';
const SECRET = 'bench-secret-that-is-at-least-32-characters';
const durationSec = Number(process.env.BENCH_DURATION ?? 5);
const connectionCounts = (process.env.BENCH_CONNECTIONS ?? '1,32').split(',').map(Number);
const poolSize = Number(process.env.BENCH_POOL_SIZE ?? 10);

function log(message: string): void {
  process.stderr.write(`[rpc] ${message}\n`);
}

interface Case {
  name: string;
  path: string;
  method: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
}

const SETUP = `
  CREATE FUNCTION select_one() RETURNS integer LANGUAGE sql STABLE AS 'SELECT 1';
  CREATE FUNCTION add_them(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
  CREATE TABLE click_train_array AS
  SELECT ARRAY[sin(i)::real, cos(i * 0.7)::real, ((i % 13) / 13.0)::real] AS features,
         (sin(i) + cos(i * 0.7) > 0.3) AS is_clickbait
    FROM generate_series(1, 240) AS i;
  ${headlinesTable('seed_headlines')}
  CREATE TABLE seed_train AS SELECT pgml.embed('wink/sg-100d', headline) AS embedding, is_clickbait FROM seed_headlines;`;

// The seed's function, with the offline model.
const SEED_FUNCTION = `
  CREATE FUNCTION predict_clickbait(input_string text) RETURNS TABLE(is_clickbait REAL) LANGUAGE sql AS $$
    SELECT pgml.predict('clickbait_classifier', pgml.embed('wink/sg-100d', input_string)) AS is_clickbait;
  $$;`;

async function main(): Promise<void> {
  const cluster = await startPgCluster();
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  try {
    await createDatabase(cluster, DATABASE);
    const httpPort = await freePort();
    proxy = await startProxy({
      upstream: cluster.url('postgres', undefined, DATABASE),
      extraArgs: ['--http', `127.0.0.1:${httpPort}`, '--http-schemas', 'public,pgml', '--jwt-secret', SECRET, '--http-pool-size', String(poolSize)],
    });
    const sql = new pg.Client({ connectionString: proxy.url('postgres', undefined, DATABASE) });
    // A setup failure stops the proxy in `finally`; the client's "terminating connection" then is no news.
    sql.on('error', () => undefined);
    await sql.connect();
    await sql.query(SETUP);
    await sql.query(
      `SELECT * FROM pgml.train(project_name => 'array_classifier', algorithm => 'xgboost', task => 'classification',
         relation_name => 'click_train_array', y_column_name => 'is_clickbait', test_sampling => 'random')`,
    );
    await sql.query(
      `SELECT * FROM pgml.train(project_name => 'clickbait_classifier', algorithm => 'xgboost', task => 'classification',
         relation_name => 'seed_train', y_column_name => 'is_clickbait', test_sampling => 'last')`,
    );
    await sql.query(SEED_FUNCTION);
    await sql.query(`NOTIFY pgrst, 'reload schema'`);
    await sql.end();

    const jwt = await new SignJWT({ role: 'postgres' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    const auth = { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' };
    const base = `http://127.0.0.1:${httpPort}`;
    const cases: Case[] = [
      { name: 'select_one', path: '/rpc/select_one', method: 'GET', headers: auth },
      { name: 'add_them', path: '/rpc/add_them', method: 'POST', body: '{"a":1,"b":2}', headers: auth },
      {
        name: 'pgml_predict_batch',
        path: '/rpc/predict_batch',
        method: 'POST',
        body: JSON.stringify({ project_name: 'array_classifier', features: [0.1, 0.2, 0.3] }),
        headers: { ...auth, 'Content-Profile': 'pgml' },
      },
      {
        name: 'seed_predict_clickbait',
        path: '/rpc/predict_clickbait',
        method: 'POST',
        body: JSON.stringify({ input_string: SEED_HEADLINE }),
        headers: auth,
      },
    ];

    const results: Record<string, unknown>[] = [];
    for (const c of cases) {
      // The NOTIFY above reloads the function cache asynchronously: wait until a probe is answered.
      let probe = await fetch(`${base}${c.path}`, { method: c.method, headers: c.headers, body: c.body });
      for (let i = 0; i < 100 && probe.status === 404; i++) {
        await new Promise((r) => setTimeout(r, 50));
        probe = await fetch(`${base}${c.path}`, { method: c.method, headers: c.headers, body: c.body });
      }
      const probeText = await probe.text();
      if (probe.status !== 200) {
        log(`${c.name}: skipped, probe answered ${probe.status} ${probeText}`);
        results.push({ case: c.name, skipped: `HTTP ${probe.status}: ${probeText.slice(0, 200)}` });
        continue;
      }
      // Warm-up (JIT, pool connections, the model cache), not measured.
      await autocannon({ url: `${base}${c.path}`, method: c.method, headers: c.headers, body: c.body, connections: 4, duration: 1 });
      for (const connections of connectionCounts) {
        log(`${c.name} at ${connections} connections for ${durationSec}s`);
        const r = await autocannon({
          url: `${base}${c.path}`,
          method: c.method,
          headers: c.headers,
          body: c.body,
          connections,
          duration: durationSec,
        });
        results.push({
          case: c.name,
          connections,
          reqPerSec: Math.round(r.requests.average),
          p50Ms: r.latency.p50,
          p99Ms: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
        });
      }
    }
    process.stdout.write(
      `${JSON.stringify({ bench: 'rpc', durationSec, poolSize, cpus: availableParallelism(), node: process.version, results })}\n`,
    );
  } finally {
    await proxy?.stop();
    cluster.stop();
  }
}

await main();
