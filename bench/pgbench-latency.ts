// Single-client latency as pgbench measures it (issue 16's own measurement: a C client, libpq, with
// no GC or event loop of its own in the numbers): one statement per transaction, one client, every
// transaction's latency from pgbench's per-transaction log (`--log`, µs). Shared by
// bench/predict-latency.ts and bench/predict-tail.ts.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execCapture } from '../test/support/exec.js';
import { DATABASE, percentile } from './predict-common.js';

const PGBENCH = process.env.PGBENCH ?? '/usr/bin/pgbench';

export interface Distribution {
  n: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  p99_9_ms: number;
  max_ms: number;
  p99_vs_p50: number;
}

export function distribution(samplesMs: number[]): Distribution {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (p: number): number => +percentile(sorted, p).toFixed(4);
  return {
    n: sorted.length,
    p50_ms: at(50),
    p90_ms: at(90),
    p99_ms: at(99),
    p99_9_ms: at(99.9),
    max_ms: +(sorted.at(-1) ?? Number.NaN).toFixed(4),
    p99_vs_p50: +(at(99) / at(50)).toFixed(2),
  };
}

/** A statement pgbench runs on its own, one client, against `target`. */
export interface PgbenchCell {
  name: string;
  sql: string;
  target: { host: string; port: number };
}

/** How long one pgbench run lasts: a number of transactions (`-t`) or seconds (`-T`). */
export type PgbenchLength = { transactions: number } | { seconds: number };

/**
 * One pgbench run of `cell` (a new session: pgbench connects once, then runs its transactions); the
 * script and the log go to `dir`, named after `runName`. Returns each transaction's latency in ms.
 */
export async function pgbenchRun(cell: PgbenchCell, length: PgbenchLength, dir: string, runName: string): Promise<number[]> {
  const script = join(dir, `${cell.name}.sql`);
  writeFileSync(script, `${cell.sql};\n`);
  const limit = 'transactions' in length ? ['-t', String(length.transactions)] : ['-T', String(length.seconds)];
  return (await pgbench(cell.target, ['-f', script, ...limit], dir, runName)).map(({ latencyMs }) => latencyMs);
}

/** One transaction of pgbench's per-transaction log. */
export interface PgbenchTransaction {
  latencyMs: number;
  /** Which `-f` script ran it, in the order given (0 for a single script). */
  script: number;
}

/**
 * pgbench's scripts can hold at most 128 `-f` files (MAX_SCRIPTS in pgbench.c); more are run in
 * several runs.
 */
export const PGBENCH_MAX_SCRIPTS = 128;

/**
 * One pgbench run of several scripts, each transaction one of them drawn at random (`--random-seed`
 * `seed`, so a run repeats), in the extended query protocol: a `:name` in a script is sent as a bound
 * parameter ($1), its value from `variables` (`-D`). Returns every transaction with its script.
 */
export async function pgbenchScriptsRun(
  target: PgbenchCell['target'],
  scripts: readonly string[],
  variables: Readonly<Record<string, string>>,
  transactions: number,
  seed: number,
  dir: string,
  runName: string,
): Promise<PgbenchTransaction[]> {
  if (scripts.length > PGBENCH_MAX_SCRIPTS) throw new Error(`pgbench runs at most ${PGBENCH_MAX_SCRIPTS} scripts, not ${scripts.length}`);
  const files = scripts.flatMap((sql, i) => {
    const file = join(dir, `${runName}-script-${i}.sql`);
    writeFileSync(file, `${sql};\n`);
    return ['-f', file];
  });
  const defines = Object.entries(variables).flatMap(([name, value]) => ['-D', `${name}=${value}`]);
  return pgbench(target, ['-M', 'extended', `--random-seed=${seed}`, ...files, ...defines, '-t', String(transactions)], dir, runName);
}

async function pgbench(target: PgbenchCell['target'], args: string[], dir: string, runName: string): Promise<PgbenchTransaction[]> {
  const r = await execCapture(PGBENCH, [
    '-n', ...args, '-c', '1', '--log', `--log-prefix=${join(dir, runName)}`,
    '-h', target.host, '-p', String(target.port), '-U', 'postgres', DATABASE,
  ]);
  if (r.code !== 0) throw new Error(`pgbench failed:\n${r.stdout}\n${r.stderr}`);
  return readPgbenchLog(dir, runName);
}

/** The transactions of pgbench's per-transaction log: `client_id transaction_no time_us script_no epoch epoch_us`. */
function readPgbenchLog(dir: string, runName: string): PgbenchTransaction[] {
  const transactions: PgbenchTransaction[] = [];
  for (const file of readdirSync(dir).filter((f) => f.startsWith(`${runName}.`))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const [, , latencyUs, script] = line.split(' ');
      if (latencyUs) transactions.push({ latencyMs: Number(latencyUs) / 1000, script: Number(script) });
    }
  }
  return transactions;
}
