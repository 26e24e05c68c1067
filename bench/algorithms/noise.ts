// What ran beside the timed fits of bench/algorithms/run.ts, so that a cell whose fit_time moved between runs can be
// told apart from a slower fit: each side's fitting thread (the proxy's PGML_FIT_TRACE line, src/pgml/training/fit-trace.ts;
// reference.py's fit_thread), the throwaway Postgres's autovacuum, autoanalyze and checkpoints (its log, with
// log_autovacuum_min_duration = 0 and log_checkpoints), and the machine's steal and busy time over each phase (/proc/stat).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { FitTraceLine } from '../../src/pgml/training/fit-trace.js';

/** postgresql.conf lines: every autovacuum and autoanalyze and every checkpoint logged, with epoch timestamps (%n). */
export const POSTGRES_LOGGING = ["log_autovacuum_min_duration = 0", 'log_checkpoints = on', "log_line_prefix = '%n [%p] %b: '"];

/**
 * The fitting thread during one fit: the proxy's PGML_FIT_TRACE line; reference.py's fit_thread has the same names,
 * less the proxy's own (fit_ms: the trace's window; the proxy's other threads by kind).
 */
export type FitThread = Omit<FitTraceLine, 'fit_ms' | 'rows' | 'cols' | 'other_threads_by_kind_ms'> &
  Partial<Pick<FitTraceLine, 'fit_ms' | 'other_threads_by_kind_ms'>>;

/** One autovacuum or autoanalyze of a table, or one checkpoint, as a window of wall-clock time. */
export interface BackgroundRun {
  what: string;
  start_epoch_ms: number;
  end_epoch_ms: number;
  cpu_ms: number;
}

/**
 * The server log's background work. An autovacuum worker logs each table when done, with its elapsed time and CPU
 * ("system usage: CPU: user: 0.01 s, system: 0.00 s, elapsed: 0.02 s"); the checkpointer logs its start and, when
 * complete, its total time. Resolution: the log's 10 ms for CPU and elapsed.
 */
export function backgroundRuns(logFile: string): BackgroundRun[] {
  const entries: { at: number; text: string }[] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    const head = /^(\d+\.\d+) \[\d+\] ([^:]+): (.*)$/.exec(line);
    if (head) entries.push({ at: Number(head[1]) * 1000, text: `${head[2]}: ${head[3]}` });
    else if (entries.length > 0) entries[entries.length - 1]!.text += `\n${line}`;
  }
  const runs: BackgroundRun[] = [];
  for (const { at, text } of entries) {
    const table = /automatic (vacuum|analyze) of table "([^"]+)"/.exec(text);
    const usage = /CPU: user: ([\d.]+) s, system: ([\d.]+) s, elapsed: ([\d.]+) s/.exec(text);
    if (table && usage) {
      runs.push({ what: `${table[1]} ${table[2]}`, start_epoch_ms: at - Number(usage[3]) * 1000, end_epoch_ms: at, cpu_ms: (Number(usage[1]) + Number(usage[2])) * 1000 });
    }
    const checkpoint = /checkpoint complete: .*total=([\d.]+) s/.exec(text);
    if (checkpoint) runs.push({ what: 'checkpoint', start_epoch_ms: at - Number(checkpoint[1]) * 1000, end_epoch_ms: at, cpu_ms: Number.NaN });
  }
  return runs;
}

/** The background runs that overlap a window, by name. */
export function overlapping(runs: BackgroundRun[], start: number, end: number): string[] {
  return runs.filter((r) => r.start_epoch_ms < end && r.end_epoch_ms > start).map((r) => r.what);
}

/** The machine's CPU time so far (/proc/stat's first line, in USER_HZ ticks): busy, idle and steal. */
export interface MachineTicks {
  busy: number;
  idle: number;
  steal: number;
}

export function machineTicks(): MachineTicks {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number) as number[];
  return { busy: user! + nice! + system! + irq! + softirq!, idle: idle! + iowait!, steal: steal! };
}

/** The ticks between two samples, added to `sum` (a side's steps over a run). */
export function addTicks(sum: MachineTicks, a: MachineTicks, b: MachineTicks): void {
  sum.busy += b.busy - a.busy;
  sum.idle += b.idle - a.idle;
  sum.steal += b.steal - a.steal;
}

/** Shares of the machine's CPU time in ticks counted: busy (other than steal), and stolen by the hypervisor. */
export function machineShares(t: MachineTicks): { busy_share: number; steal_share: number; ticks: number } {
  const total = t.busy + t.idle + t.steal;
  const share = (v: number) => (total > 0 ? Number((v / total).toFixed(4)) : 0);
  return { busy_share: share(t.busy), steal_share: share(t.steal), ticks: total };
}

export const load = (): number[] => loadavg().map((v) => Number(v.toFixed(2)));
