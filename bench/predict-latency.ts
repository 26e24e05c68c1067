// Single-client latency of a constant-feature prediction (30 features, 100-tree XGBoost) next to
// `SELECT 1`, both through pgml-proxy in the same run, alternating so drift hits both alike. Also
// the per-call cost of the privilege check of cached models (issue 12): `predict_rechecked` is a
// prediction right after an untimed `RESET ROLE`, which makes the session ask the upstream again
// whether its role may read the model; `predict` is answered from the session's remembered answer.
// Any statement that ran on the upstream (`SELECT 1` too: a function it called could have changed
// the role) makes the next prediction check again, so an untimed prediction follows each `SELECT 1`.
// `select1_direct` is the same client's `SELECT 1` straight to Postgres (no proxy), timed in the
// same loop: what the machine itself gives, context for the p99s (the goals stay as defined).
// `predict_bound` is the same prediction with the features as a bound parameter (extended protocol,
// `SELECT pgml.predict('p', $1::real[])`), as drivers send it when given values (issue 16);
// `predict_named` the same statement prepared once under a name (pg with `name:`: Bind, Describe,
// Execute and Sync per call, as postgres.js and psycopg with prepare send them too).
// Run: npm run build && node --import tsx bench/predict-latency.ts   (prints one JSON line)
// Env: BENCH_ITERATIONS per query (2000), BENCH_ALGORITHM (xgboost, 100 trees; e.g. linear), BENCH_CLI (another
// build's dist/cli.js, for an A/B against it; this checkout's by default).
import pg from 'pg';
import { ALGORITHM, FEATURES, loadAverage, log, percentile, setUp } from './predict-common.js';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 2000);

const bench = await setUp(20_000);
try {
  const client = new pg.Client({ connectionString: bench.proxyUrl });
  await client.connect();
  const direct = new pg.Client({ connectionString: bench.directUrl });
  await direct.connect();
  const constants = Array.from({ length: FEATURES }, (_, i) => (Math.sin(i) / 2).toFixed(4)).join(', ');
  const features = Array.from({ length: FEATURES }, (_, i) => Number((Math.sin(i) / 2).toFixed(4)));
  const queries: Record<string, string | pg.QueryConfig> = {
    select1: 'SELECT 1',
    predict: `SELECT pgml.predict('p', ARRAY[${constants}]::float8[])`,
    predict_bound: { text: `SELECT pgml.predict('p', $1::real[])`, values: [features] },
    predict_named: { name: 'predict_named', text: `SELECT pgml.predict('p', $1::real[])`, values: [features] },
  };
  for (let i = 0; i < 200; i++) for (const sql of Object.values(queries)) await client.query(sql); // warm-up: model load, JIT
  for (let i = 0; i < 200; i++) await direct.query('SELECT 1');
  const times: Record<string, number[]> = { select1: [], predict: [], predict_bound: [], predict_named: [], predict_rechecked: [], select1_direct: [] };
  const loadAtStart = loadAverage();
  log('predict-latency', `${iterations} iterations each`);
  for (let i = 0; i < iterations; i++) {
    for (const [name, sql] of Object.entries(queries)) {
      if (name !== 'select1') await client.query(sql);
      const start = process.hrtime.bigint();
      await client.query(sql);
      times[name]!.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    await client.query('RESET ROLE');
    const start = process.hrtime.bigint();
    await client.query(queries.predict!);
    times.predict_rechecked!.push(Number(process.hrtime.bigint() - start) / 1e6);
    const directStart = process.hrtime.bigint();
    await direct.query('SELECT 1');
    times.select1_direct!.push(Number(process.hrtime.bigint() - directStart) / 1e6);
  }
  await client.end();
  await direct.end();
  const stats = Object.fromEntries(
    Object.entries(times).map(([name, list]) => {
      const sorted = [...list].sort((a, b) => a - b);
      return [name, { p50_ms: +percentile(sorted, 50).toFixed(4), p99_ms: +percentile(sorted, 99).toFixed(4) }];
    }),
  );
  const ratio = stats.predict!.p50_ms / stats.select1!.p50_ms;
  const boundRatio = stats.predict_bound!.p50_ms / stats.select1!.p50_ms;
  const namedRatio = stats.predict_named!.p50_ms / stats.select1!.p50_ms;
  const accessCheck = stats.predict_rechecked!.p50_ms - stats.predict!.p50_ms;
  process.stdout.write(
    `${JSON.stringify({ bench: 'predict-latency', iterations, features: FEATURES, algorithm: ALGORITHM, trees: ALGORITHM === 'xgboost' ? 100 : undefined, ...stats, predict_vs_select1_p50: +ratio.toFixed(3), predict_bound_vs_select1_p50: +boundRatio.toFixed(3), predict_named_vs_select1_p50: +namedRatio.toFixed(3), access_check_p50_ms: +accessCheck.toFixed(4), predict_p99_vs_p50: +(stats.predict!.p99_ms / stats.predict!.p50_ms).toFixed(2), goal: '<= 1.3', goal_p99_vs_p50: '<= 2', load_average: { start: loadAtStart, end: loadAverage() } })}\n`,
  );
} finally {
  await bench.stop();
}
