// What a locally answered prediction costs the proxy, counted rather than timed (issue 16's p99:
// garbage collections are what the proxy adds to a single client's tail): pgbench (1 client) runs
// the constant prediction (30 features, 100-tree XGBoost, answered by the proxy itself) and
// `SELECT 1` through the proxy, alternating in rounds of BENCH_TRANSACTIONS each; around each run
// the proxy (preloaded with bench/proxy-gc-counter.cjs) reports its collections, the bytes it
// allocated and its CPU time. Per cell, the median over the rounds of: scavenges per 10,000
// statements, mark-compacts, bytes allocated per statement, CPU µs per statement (CPU time does
// grow with the machine's load: caches, preemption; compare builds in the same minutes).
// Run: npm run build && node --import tsx bench/predict-allocations.ts   (prints one JSON line)
// Env: BENCH_TRANSACTIONS per run (10000), BENCH_ROUNDS (3), BENCH_CLI (another build's dist/cli.js, for an
// A/B), PGML_PROXY_NODE_ARGS (more of the proxy's Node flags), PGBENCH (/usr/bin/pgbench).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pgbenchRun, type PgbenchCell } from './pgbench-latency.js';
import { ALGORITHM, CONSTANT_PREDICT_SQL, FEATURES, loadAverage, log, setUp } from './predict-common.js';

const transactions = Number(process.env.BENCH_TRANSACTIONS ?? 10_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

interface Counts {
  scavenges: number;
  markCompacts: number;
  allocated: number;
  cpuUs: number;
}

const dir = mkdtempSync(join(tmpdir(), 'pgml-predict-allocations-'));
const countsFile = join(dir, 'gc-counts.jsonl');
process.env.PGML_BENCH_GC_COUNTS = countsFile;
const counter = join(dirname(fileURLToPath(import.meta.url)), 'proxy-gc-counter.cjs');
process.env.PGML_PROXY_NODE_ARGS = `--require ${counter} ${process.env.PGML_PROXY_NODE_ARGS ?? ''}`;
const bench = await setUp(20_000);

/** The proxy's counts so far: it appends a line at SIGUSR2. */
async function countsNow(): Promise<Counts> {
  const lines = (): string[] => (existsSync(countsFile) ? readFileSync(countsFile, 'utf8').split('\n').filter(Boolean) : []);
  const before = lines().length;
  process.kill(bench.proxy.pid, 'SIGUSR2');
  for (let waited = 0; waited < 10_000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = lines();
    if (now.length > before) return JSON.parse(now.at(-1)!) as Counts;
  }
  throw new Error('the proxy did not report its counts (is bench/proxy-gc-counter.cjs preloaded?)');
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

try {
  const client = new pg.Client({ connectionString: bench.proxyUrl });
  await client.connect();
  for (let i = 0; i < 300; i++) for (const sql of [CONSTANT_PREDICT_SQL, 'SELECT 1']) await client.query(sql); // model load, JIT
  await client.end();
  const proxy = { host: bench.proxy.host, port: bench.proxy.port };
  const cells: PgbenchCell[] = [
    { name: 'predict', sql: CONSTANT_PREDICT_SQL, target: proxy },
    { name: 'select1', sql: 'SELECT 1', target: proxy },
  ];
  const runs: Record<string, { scavenges_per_10k: number; mark_compacts: number; bytes_per_call: number; cpu_us_per_call: number }[]> = {};
  const loadAtStart = loadAverage();
  for (let round = 0; round < rounds; round++) {
    log('predict-allocations', `round ${round + 1}/${rounds}: ${transactions} transactions of each statement`);
    for (const cell of cells) {
      const before = await countsNow();
      await pgbenchRun(cell, { transactions }, dir, `${cell.name}-${round}`);
      const after = await countsNow();
      (runs[cell.name] ??= []).push({
        scavenges_per_10k: +(((after.scavenges - before.scavenges) * 10_000) / transactions).toFixed(1),
        mark_compacts: after.markCompacts - before.markCompacts,
        bytes_per_call: Math.round((after.allocated - before.allocated) / transactions),
        cpu_us_per_call: +((after.cpuUs - before.cpuUs) / transactions).toFixed(1),
      });
    }
  }
  const summary = Object.fromEntries(
    Object.entries(runs).map(([name, list]) => [
      name,
      {
        scavenges_per_10k: median(list.map((r) => r.scavenges_per_10k)),
        mark_compacts: list.reduce((sum, r) => sum + r.mark_compacts, 0),
        bytes_per_call: median(list.map((r) => r.bytes_per_call)),
        cpu_us_per_call: median(list.map((r) => r.cpu_us_per_call)),
        runs: list,
      },
    ]),
  );
  process.stdout.write(
    `${JSON.stringify({ bench: 'predict-allocations', features: FEATURES, algorithm: ALGORITHM, trees: ALGORITHM === 'xgboost' ? 100 : undefined, transactions_per_run: transactions, rounds, cli: process.env.BENCH_CLI ?? 'this checkout', ...summary, load_average: { start: loadAtStart, end: loadAverage() } })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  await bench.stop();
}
