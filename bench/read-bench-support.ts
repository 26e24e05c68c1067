// What bench/training-read-cpu.ts and bench/training-read-path.ts share: the main thread's CPU from
// /proc, the collections during a read, one binary DataRow of the benches' table (30 float4 features
// and a boolean label), and the run that alternates two builds in fresh child processes.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';

export const FEATURES = 30;
/** A DataRow of the table: header, column count, 30 × (length, float4), (length, bool). */
export const ROW_BYTES = 5 + 2 + FEATURES * 8 + 4 + 1;

/** The event loop's CPU (user + system), from /proc/self/task/<pid>/stat. */
export function mainThreadCpuMs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Writes one DataRow at `o` from a linear congruential sequence; returns the sequence's next state. */
export function writeRow(buffer: Buffer, o: number, seed: number): number {
  let s = seed;
  buffer[o] = 0x44;
  buffer.writeInt32BE(ROW_BYTES - 1, o + 1);
  buffer.writeInt16BE(FEATURES + 1, o + 5);
  let p = o + 7;
  for (let c = 0; c < FEATURES; c++, p += 8) {
    s = (s * 1103515245 + 12345) % 2147483648;
    buffer.writeInt32BE(4, p);
    buffer.writeFloatBE(s / 2147483648 - 0.5, p + 4);
  }
  buffer.writeInt32BE(1, p);
  buffer[p + 4] = s & 1;
  return s;
}

export interface Collections {
  gc_count: number;
  gc_ms: number;
  gc_max_ms: number;
  /** kind:ms of each (1 scavenge, 2 mark-compact, 4 incremental marking, 8 weak callbacks). */
  gc_kinds: string;
}

/** Watches this thread's collections from now until the returned function is called. */
export function watchCollections(): () => Collections {
  const pauses: number[] = [];
  const kinds: string[] = [];
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      pauses.push(e.duration);
      kinds.push(`${(e as unknown as { detail: { kind: number } }).detail.kind}:${e.duration.toFixed(1)}`);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  return () => {
    gc.disconnect();
    return {
      gc_count: pauses.length,
      gc_ms: Math.round(pauses.reduce((a, b) => a + b, 0)),
      gc_max_ms: Number(pauses.reduce((a, b) => Math.max(a, b), 0).toFixed(2)),
      gc_kinds: kinds.join(' '),
    };
  };
}

/**
 * Runs `script --child <dist>` for this checkout's dist and BENCH_BASELINE_DIST's, alternating, `repeat`
 * times each, in fresh processes with the proxy's young generation (--min-semi-space-size=16, as
 * test/support/proxy.ts starts it); each child prints its measurement as JSON.
 */
export function alternateBuilds<M>(script: string, here: string, repeat: number): { runs: Record<string, M[]>; load_average: { start: number[]; end: number[] } } {
  const builds = { current: here, ...(process.env.BENCH_BASELINE_DIST ? { baseline: process.env.BENCH_BASELINE_DIST } : {}) };
  const runs: Record<string, M[]> = {};
  const start = loadavg().map((v) => Number(v.toPrecision(2)));
  for (let i = 0; i < repeat; i++) {
    for (const [name, dist] of Object.entries(builds)) {
      const out = execFileSync(process.execPath, ['--min-semi-space-size=16', '--import', 'tsx', script, '--child', dist], { encoding: 'utf8' });
      (runs[name] ??= []).push(JSON.parse(out) as M);
    }
  }
  return { runs, load_average: { start, end: loadavg().map((v) => Number(v.toPrecision(2))) } };
}
