// Per-row prediction throughput: `SELECT pgml.predict('p', ARRAY[f1..f30]) FROM t` over 100k rows
// through pgml-proxy (100-tree XGBoost), next to a Python baseline in the same invocation: psycopg
// fetching the same rows directly from Postgres plus native xgboost predicting them in one batch.
// Run: npm run build && node --import tsx bench/predict-batch.ts   (prints one JSON line)
// Env: BENCH_ROWS (100000), PYTHON_PSYCOPG (python3), PYTHON_XGBOOST (/usr/bin/python3).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { execCapture } from '../test/support/exec.js';
import { featureList, log, setUp } from './predict-common.js';

const rows = Number(process.env.BENCH_ROWS ?? 100_000);
const trainRows = 10_000;
const BASELINE = join(import.meta.dirname, 'predict_batch_baseline.py');

const bench = await setUp(rows, trainRows);
const dir = mkdtempSync(join(tmpdir(), 'pgml-predict-batch-'));
try {
  const client = new pg.Client({ connectionString: bench.proxyUrl });
  await client.connect();
  await client.query(`SELECT pgml.predict('p', ARRAY[${featureList()}]) FROM t WHERE id = 1`); // model load
  log('predict-batch', `proxy: ${rows} rows`);
  const start = performance.now();
  const result = await client.query(`SELECT pgml.predict('p', ARRAY[${featureList()}]) AS y FROM t`);
  const proxySeconds = (performance.now() - start) / 1000;
  await client.end();
  if (result.rows.length !== rows) throw new Error(`expected ${rows} predictions, got ${result.rows.length}`);

  log('predict-batch', 'python baseline');
  const csv = join(dir, 'rows.csv');
  const fetched = await execCapture(process.env.PYTHON_PSYCOPG ?? 'python3', [BASELINE, 'fetch', bench.directUrl, csv]);
  if (fetched.code !== 0) throw new Error(`psycopg fetch failed:\n${fetched.stderr}`);
  const predicted = await execCapture(process.env.PYTHON_XGBOOST ?? '/usr/bin/python3', [BASELINE, 'predict', csv, String(trainRows)]);
  if (predicted.code !== 0) throw new Error(`xgboost predict failed:\n${predicted.stderr}`);
  const fetch = JSON.parse(fetched.stdout) as { fetch_seconds: number };
  const predict = JSON.parse(predicted.stdout) as { predict_seconds: number };
  const pythonSeconds = fetch.fetch_seconds + predict.predict_seconds;
  process.stdout.write(
    `${JSON.stringify({
      bench: 'predict-batch',
      rows,
      features: 30,
      trees: 100,
      proxy_seconds: +proxySeconds.toFixed(3),
      proxy_rows_per_s: Math.round(rows / proxySeconds),
      python_fetch_seconds: +fetch.fetch_seconds.toFixed(3),
      python_predict_seconds: +predict.predict_seconds.toFixed(3),
      python_rows_per_s: Math.round(rows / pythonSeconds),
      proxy_vs_python: +(pythonSeconds / proxySeconds).toFixed(3),
      goal: '>= 1.0',
    })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  await bench.stop();
}
