// Concurrent serving: pgbench with a custom script running a constant-feature prediction
// (30 features, 100-tree XGBoost) at 8 and 32 clients, next to `SELECT 1` TPS through the same proxy.
// Run: npm run build && node --import tsx bench/predict-concurrency.ts   (prints one JSON line)
// Env: BENCH_DURATION seconds per run (10), BENCH_CLIENTS ("8,32"), BENCH_ALGORITHM (xgboost), PGBENCH (/usr/bin/pgbench).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execCapture } from '../test/support/exec.js';
import { ALGORITHM, CONSTANT_PREDICT_SQL, DATABASE, FEATURES, loadAverage, log, setUp } from './predict-common.js';

const PGBENCH = process.env.PGBENCH ?? '/usr/bin/pgbench';
const durationSec = Number(process.env.BENCH_DURATION ?? 10);
const clientCounts = (process.env.BENCH_CLIENTS ?? '8,32').split(',').map(Number);

const bench = await setUp(20_000);
const dir = mkdtempSync(join(tmpdir(), 'pgml-predict-conc-'));
try {
  const scripts = { select1: 'SELECT 1;\n', predict: `${CONSTANT_PREDICT_SQL};\n` };
  const results: Record<string, Record<string, number>> = {};
  const loadAtStart = loadAverage();
  for (const clients of clientCounts) {
    for (const [name, sql] of Object.entries(scripts)) {
      const file = join(dir, `${name}.sql`);
      writeFileSync(file, sql);
      log('predict-concurrency', `${name} at ${clients} clients`);
      const r = await execCapture(PGBENCH, [
        '-n', '-f', file, '-c', String(clients), '-j', String(Math.min(clients, 4)), '-T', String(durationSec),
        '-h', bench.proxy.host, '-p', String(bench.proxy.port), '-U', 'postgres', DATABASE,
      ]);
      const tps = /tps = ([\d.]+)/.exec(r.stdout)?.[1];
      if (r.code !== 0 || tps === undefined) throw new Error(`pgbench failed:\n${r.stdout}\n${r.stderr}`);
      (results[`c${clients}`] ??= {})[`${name}_tps`] = Math.round(Number(tps));
    }
    const cell = results[`c${clients}`]!;
    cell.predict_vs_select1 = +((cell.predict_tps ?? 0) / (cell.select1_tps ?? 1)).toFixed(3);
  }
  process.stdout.write(`${JSON.stringify({ bench: 'predict-concurrency', duration_s: durationSec, features: FEATURES, algorithm: ALGORITHM, trees: ALGORITHM === 'xgboost' ? 100 : undefined, ...results, load_average: { start: loadAtStart, end: loadAverage() } })}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await bench.stop();
}
