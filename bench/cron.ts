// Scheduler precision: start-time drift of a `1 seconds` job over 60 runs, through pgml-proxy on a
// real Postgres. Drift = start_time recorded in cron.job_run_details minus the tick it ran for
// (interval ticks fall on whole multiples of the interval since the epoch).
// Run: npm run build && node --import tsx bench/cron.ts   (prints one JSON line)
// Env: BENCH_RUNS (60).
import { availableParallelism } from 'node:os';
import pg from 'pg';
import { startPgCluster } from '../test/support/pg-cluster.js';
import { startProxy } from '../test/support/proxy.js';

const runs = Number(process.env.BENCH_RUNS ?? 60);

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(index, 0)] ?? NaN;
}

const cluster = await startPgCluster();
const proxy = await startProxy({ upstream: cluster.url() });
const client = new pg.Client({ connectionString: proxy.url() });
await client.connect();
try {
  const id = (await client.query(`SELECT cron.schedule('1 seconds', 'SELECT 1') AS id`)).rows[0].id;
  // The first run waits for the job to be picked up, not for its tick: leave it out.
  for (;;) {
    const n = (await client.query('SELECT count(*)::int AS n FROM cron.job_run_details WHERE jobid = $1', [id])).rows[0].n;
    if (n >= runs + 1) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await client.query(`SELECT cron.unschedule(${id})`);
  const { rows } = await client.query<{ drift_ms: number }>(
    `SELECT (EXTRACT(EPOCH FROM start_time - date_trunc('second', start_time)) * 1000)::float8 AS drift_ms
       FROM cron.job_run_details WHERE jobid = $1 ORDER BY runid OFFSET 1 LIMIT $2`,
    [id, runs],
  );
  const drifts = rows.map((r) => r.drift_ms).sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  process.stdout.write(
    `${JSON.stringify({
      bench: 'cron_start_drift',
      runs: drifts.length,
      p50_ms: round(percentile(drifts, 50)),
      p99_ms: round(percentile(drifts, 99)),
      max_ms: round(drifts.at(-1) ?? NaN),
      cpus: availableParallelism(),
    })}\n`,
  );
} finally {
  await client.end();
  await proxy.stop();
  cluster.stop();
}
