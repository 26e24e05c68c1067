// Soak (issue 12): 100 node-postgres clients over loopback for a bounded time against a proxy in
// front of a throwaway Postgres: 70% point reads, 20% constant-feature predictions, 10% per-row
// predictions over 10 rows (30 features, 100-tree XGBoost). Reports every error with its time,
// SQLSTATE and whether it came with an ErrorResponse (a server's answer) or from the client's
// socket, and the proxy's RSS over time. The goal is zero errors.
// Run: npm run build && node --import tsx bench/soak.ts   (prints one JSON line)
// Env: BENCH_DURATION seconds (180), BENCH_CLIENTS (100), BENCH_RSS_EVERY seconds (5).
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { FEATURES, featureList, log, percentile, setUp } from './predict-common.js';

const durationSec = Number(process.env.BENCH_DURATION ?? 180);
const clientCount = Number(process.env.BENCH_CLIENTS ?? 100);
const rssEverySec = Number(process.env.BENCH_RSS_EVERY ?? 5);
const ROWS = 20_000;

type Kind = 'read' | 'predict' | 'per_row';
interface SoakError {
  at_s: number;
  kind: Kind | 'connection';
  code: string | null;
  message: string;
  /** An ErrorResponse from the proxy (it has a SQLSTATE), or a failure of the client's socket. */
  source: 'server' | 'socket';
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

const bench = await setUp(ROWS);
const started = Date.now();
const seconds = (): number => +((Date.now() - started) / 1000).toFixed(1);
const deadline = started + durationSec * 1000;
const errors: SoakError[] = [];
const counts: Record<Kind, number> = { read: 0, predict: 0, per_row: 0 };
const latencies: Record<Kind, number[]> = { read: [], predict: [], per_row: [] };
const rss: [number, number][] = [[0, rssMb(bench.proxy.pid)]];
const sampler = setInterval(() => rss.push([seconds(), rssMb(bench.proxy.pid)]), rssEverySec * 1000);

const constants = Array.from({ length: FEATURES }, (_, i) => (Math.cos(i) / 3).toFixed(4)).join(', ');
const statements: Record<Kind, (id: number) => [string, unknown[]]> = {
  read: (id) => ['SELECT id, f1, f2, y FROM t WHERE id = $1', [id]],
  predict: () => [`SELECT pgml.predict('p', ARRAY[${constants}]::float8[]) AS p`, []],
  per_row: (id) => [`SELECT id, pgml.predict('p', ARRAY[${featureList()}]) AS p FROM t WHERE id BETWEEN $1 AND $1 + 9`, [id]],
};
const pick = (): Kind => {
  const r = Math.random();
  return r < 0.7 ? 'read' : r < 0.9 ? 'predict' : 'per_row';
};

function record(kind: SoakError['kind'], error: unknown): void {
  const e = error as { code?: string; message?: string };
  const code = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : null;
  errors.push({ at_s: seconds(), kind, code, message: String(e?.message ?? error), source: code ? 'server' : 'socket' });
}

async function runClient(): Promise<void> {
  const client = new pg.Client({ connectionString: bench.proxyUrl });
  let inFlight = false;
  // A socket failure reaches the query in flight too: record it there, and here only between queries.
  client.on('error', (error) => {
    if (!inFlight) record('connection', error);
  });
  try {
    await client.connect();
  } catch (error) {
    record('connection', error);
    return;
  }
  while (Date.now() < deadline) {
    const kind = pick();
    const [sql, params] = statements[kind](1 + Math.floor(Math.random() * (ROWS - 10)));
    const start = performance.now();
    inFlight = true;
    try {
      await client.query(sql, params);
      counts[kind]++;
      latencies[kind].push(performance.now() - start);
    } catch (error) {
      record(kind, error);
      // A client whose connection broke cannot go on; the soak counts it and keeps the others.
      if (errors.at(-1)?.source === 'socket') break;
    } finally {
      inFlight = false;
    }
  }
  // Every client has finished its last query before the proxy is stopped: errors at the end of a
  // run that stops the server under running clients are the harness's, not the proxy's.
  await client.end().catch((error: unknown) => record('connection', error));
}

try {
  log('soak', `${clientCount} clients for ${durationSec} s`);
  await Promise.all(Array.from({ length: clientCount }, runClient));
  clearInterval(sampler);
  rss.push([seconds(), rssMb(bench.proxy.pid)]);
  const summary = (kind: Kind) => {
    const sorted = latencies[kind].sort((a, b) => a - b);
    return { queries: counts[kind], p50_ms: +percentile(sorted, 50).toFixed(2), p99_ms: +percentile(sorted, 99).toFixed(2) };
  };
  const proxyLog = bench.proxy.output().split('\n').filter((line) => line.trim() !== '');
  process.stdout.write(
    `${JSON.stringify({
      bench: 'soak',
      duration_s: durationSec,
      clients: clientCount,
      queries: counts.read + counts.predict + counts.per_row,
      read: summary('read'),
      predict: summary('predict'),
      per_row: summary('per_row'),
      errors: errors.length,
      error_list: errors.slice(0, 20),
      proxy_alive: bench.proxy.isAlive(),
      proxy_log_lines: proxyLog.slice(-10),
      rss_mb: rss,
    })}\n`,
  );
} finally {
  clearInterval(sampler);
  await bench.stop();
}
