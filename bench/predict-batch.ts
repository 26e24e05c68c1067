// Per-row prediction through pgml-proxy (100-tree XGBoost, 30 features), evaluated in one pass over
// the statement's own rows, side by side in one invocation with:
//   - a plain fetch of the same feature arrays through the proxy (goal: predict >= 0.5x its speed);
//   - a Python baseline: psycopg fetching the rows directly from Postgres plus native xgboost
//     predicting them in one batch (goal: >= 5x);
//   - `... LIMIT 5` against a plain `LIMIT 5` through the proxy (goal: within 2x + 10 ms, medians);
//   - the proxy's peak RSS during a 1M-row statement against its peak during the 100k-row one
//     (goal: < 2x; the rows are streamed by postgres.js without keeping them);
//   - during that 1M-row statement, how long each one-pass batch held the proxy's event loop (its
//     longest synchronous step, from /metrics), the loop's delay as Node samples it, and the latency
//     of SELECT 1 sent meanwhile by another client, against SELECT 1 on the idle proxy (the event
//     loop must not block on data-sized work).
// Run: npm run build && node --import tsx bench/predict-batch.ts   (prints one JSON line)
// Env: BENCH_ROWS (100000), BENCH_BIG_ROWS (1000000), PYTHON_PSYCOPG (python3), PYTHON_XGBOOST (/usr/bin/python3).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import postgres from 'postgres';
import { execCapture } from '../test/support/exec.js';
import { featureList, loadAverage, log, percentile, setUp } from './predict-common.js';

const rows = Number(process.env.BENCH_ROWS ?? 100_000);
const bigRows = Number(process.env.BENCH_BIG_ROWS ?? 1_000_000);
const trainRows = 10_000;
const BASELINE = join(import.meta.dirname, 'predict_batch_baseline.py');
const PREDICT = `pgml.predict('p', ARRAY[${featureList()}])`;

/** Wall time of `work`, in seconds. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The largest resident set size of `pid` seen while `work` runs (sampled every 10 ms), in MB. */
async function peakRss(pid: number, work: () => Promise<unknown>): Promise<number> {
  let peak = 0;
  const sample = () => {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    peak = Math.max(peak, Number(match?.[1] ?? 0));
  };
  sample();
  const timer = setInterval(sample, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  sample();
  return Math.round(peak / 1024);
}

/**
 * Since the previous read (reading /metrics resets both), in ms: how long one-pass batches held the
 * proxy's event loop (each batch's longest step), and the loop's delay as Node's monitor sampled it
 * every 10 ms (any work holding the loop, garbage collection included; an idle loop reads ~10 ms).
 */
async function loopMetrics(httpUrl: string): Promise<{ holds: Record<string, number>; delay: Record<string, number> }> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const read = (metric: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
    return +(Number(line?.split(' ')[1]) * 1000).toFixed(2);
  };
  const hold = (stat: string) => read(`pgml_proxy_one_pass_batch_hold_seconds{stat="${stat}"}`);
  const delay = (stat: string) => read(`pgml_proxy_nodejs_eventloop_lag_${stat}_seconds`);
  return {
    holds: { median: hold('median'), p99: hold('p99'), max: hold('max') },
    delay: { p50: delay('p50'), p99: delay('p99'), max: delay('max') },
  };
}

/**
 * The latency of SELECT 1 round trips through the proxy (every 5 ms, on a connection of their own)
 * until `until` settles, in ms, sorted. The client runs on a thread of its own: this thread's event
 * loop is busy reading the big statement's rows, which would delay the probe's replies too.
 */
async function select1Latencies(url: string, until: Promise<unknown>): Promise<number[]> {
  const probe = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const pg = require('pg');
     let stop = false;
     parentPort.once('message', () => (stop = true));
     (async () => {
       const client = new pg.Client({ connectionString: workerData });
       await client.connect();
       const latencies = [];
       do {
         const start = performance.now();
         await client.query('SELECT 1');
         latencies.push(performance.now() - start);
         await new Promise((resolve) => setTimeout(resolve, 5));
       } while (!stop);
       await client.end();
       parentPort.postMessage(latencies);
     })();`,
    { eval: true, workerData: url },
  );
  const latencies = new Promise<number[]>((resolve, reject) => probe.once('message', resolve).once('error', reject));
  await until.catch(() => {});
  probe.postMessage('stop');
  return (await latencies).sort((a, b) => a - b);
}

const ms = (value: number) => +value.toFixed(2);
const loadAtStart = loadAverage();
const bench = await setUp(rows, trainRows, { http: true });
const httpUrl = bench.proxy.httpUrl!;
const dir = mkdtempSync(join(tmpdir(), 'pgml-predict-batch-'));
try {
  const client = new pg.Client({ connectionString: bench.proxyUrl });
  await client.connect();
  await client.query(`SELECT ${PREDICT} FROM t WHERE id = 1`); // model load

  log('predict-batch', `proxy: ${rows} rows, predict and plain fetch`);
  let predicted = 0;
  const proxySeconds = await timed(async () => (predicted = (await client.query(`SELECT ${PREDICT} AS y FROM t`)).rows.length));
  if (predicted !== rows) throw new Error(`expected ${rows} predictions, got ${predicted}`);
  const fetchSeconds = await timed(() => client.query(`SELECT ARRAY[${featureList()}] AS x FROM t`));

  log('predict-batch', 'LIMIT 5');
  const limitPredict: number[] = [];
  const limitPlain: number[] = [];
  for (let i = 0; i < 15; i++) {
    limitPredict.push(await timed(() => client.query(`SELECT ${PREDICT} AS y FROM t LIMIT 5`)));
    limitPlain.push(await timed(() => client.query(`SELECT ARRAY[${featureList()}] AS x FROM t LIMIT 5`)));
  }
  const limitPredictMs = median(limitPredict) * 1000;
  const limitPlainMs = median(limitPlain) * 1000;

  log('predict-batch', `memory: ${rows} and ${bigRows} rows`);
  await client.query(`CREATE TABLE t_big AS SELECT t.* FROM t, generate_series(1, ${Math.ceil(bigRows / rows)}) LIMIT ${bigRows}`);
  await client.end();
  const sql = postgres(bench.proxyUrl, { max: 1, onnotice: () => {} });
  const stream = async (table: string): Promise<number> => {
    let seen = 0;
    await sql.unsafe(`SELECT ${PREDICT} AS y FROM ${table}`).forEach(() => void seen++);
    return seen;
  };
  let seenSmall = 0;
  let seenBig = 0;
  const rssSmall = await peakRss(bench.proxy.pid, async () => (seenSmall = await stream('t')));
  const idleSelect1 = await select1Latencies(bench.proxyUrl, new Promise((resolve) => setTimeout(resolve, 2000)));
  await loopMetrics(httpUrl);
  const big = peakRss(bench.proxy.pid, async () => (seenBig = await stream('t_big')));
  const busySelect1 = await select1Latencies(bench.proxyUrl, big);
  const rssBig = await big;
  const loop = await loopMetrics(httpUrl);
  await sql.end();
  if (seenSmall !== rows || seenBig !== bigRows) throw new Error(`streamed ${seenSmall} and ${seenBig} rows`);

  log('predict-batch', 'python baseline');
  const csv = join(dir, 'rows.csv');
  const fetched = await execCapture(process.env.PYTHON_PSYCOPG ?? 'python3', [BASELINE, 'fetch', bench.directUrl, csv]);
  if (fetched.code !== 0) throw new Error(`psycopg fetch failed:\n${fetched.stderr}`);
  const python = await execCapture(process.env.PYTHON_XGBOOST ?? '/usr/bin/python3', [BASELINE, 'predict', csv, String(trainRows)]);
  if (python.code !== 0) throw new Error(`xgboost predict failed:\n${python.stderr}`);
  const fetch = JSON.parse(fetched.stdout) as { fetch_seconds: number };
  const predict = JSON.parse(python.stdout) as { predict_seconds: number };
  const pythonSeconds = fetch.fetch_seconds + predict.predict_seconds;
  process.stdout.write(
    `${JSON.stringify({
      bench: 'predict-batch',
      rows,
      features: 30,
      trees: 100,
      proxy_seconds: +proxySeconds.toFixed(3),
      proxy_rows_per_s: Math.round(rows / proxySeconds),
      plain_fetch_seconds: +fetchSeconds.toFixed(3),
      proxy_vs_plain_fetch: +(fetchSeconds / proxySeconds).toFixed(3),
      python_fetch_seconds: +fetch.fetch_seconds.toFixed(3),
      python_predict_seconds: +predict.predict_seconds.toFixed(3),
      python_rows_per_s: Math.round(rows / pythonSeconds),
      proxy_vs_python: +(pythonSeconds / proxySeconds).toFixed(3),
      limit5_predict_ms: +limitPredictMs.toFixed(2),
      limit5_plain_ms: +limitPlainMs.toFixed(2),
      big_rows: bigRows,
      peak_rss_mb: { [rows]: rssSmall, [bigRows]: rssBig },
      rss_big_vs_small: +(rssBig / rssSmall).toFixed(3),
      loop_hold_per_batch_ms: loop.holds,
      event_loop_delay_ms: loop.delay,
      select1_ms: {
        idle: { p50: ms(percentile(idleSelect1, 50)), max: ms(idleSelect1.at(-1)!) },
        during_big: { n: busySelect1.length, p50: ms(percentile(busySelect1, 50)), p99: ms(percentile(busySelect1, 99)), max: ms(busySelect1.at(-1)!) },
      },
      load_average: { start: loadAtStart, end: loadAverage() },
      goals: { proxy_vs_plain_fetch: '>= 0.5', proxy_vs_python: '>= 5', limit5_predict_ms: `<= ${(2 * limitPlainMs + 10).toFixed(2)}`, rss_big_vs_small: '< 2' },
    })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  await bench.stop();
}
