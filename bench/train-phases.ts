// The training's phases as its client sees them (the INFO notices' arrival, epoch ms), and per phase
// the p99 of the SELECT 1 loop that ran meanwhile through the training proxy, and of the loop through
// its idle twin during the same phase of a second pass,
// with the training proxy's event-loop stalls when bench/loop-delay-trace.mjs was preloaded.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { p99 } from './select-loop.js';

/** A phase ends at the first notice that starts with its marker (or at the statement's end). */
const PHASES = [
  { name: 'lookup', endsAt: 'Snapshotting table' },
  { name: 'read_and_dataset', endsAt: 'Dataset {' },
  { name: 'fit_score_serialize', endsAt: 'Trained on runtime' },
  { name: 'register', endsAt: null },
] as const;

export interface TimedLoop {
  starts: number[];
  latencies: number[];
}

export type Notice = [at: number, message: string];

/** Stalls of the proxy with `pid` ([epoch ms when noticed, ms late]), or null without a trace. */
export function readStalls(dir: string | undefined, pid: number): [number, number][] | null {
  if (dir === undefined) return null;
  const file = join(dir, `${pid}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as [number, number][]) : [];
}

/** One training and the SELECT 1 loop that ran beside it, through one proxy (whose CPU was sampled). */
export interface Pass {
  start: number;
  end: number;
  notices: Notice[];
  loop: TimedLoop;
  cpu: CpuSample[];
}

/** Each phase's start and end in one pass, cut by that pass's notices. */
function phaseBounds({ start, end, notices }: Pass): { name: string; from: number; to: number }[] {
  const bounds: { name: string; from: number; to: number }[] = [];
  let from = start;
  for (const phase of PHASES) {
    const found = phase.endsAt === null ? undefined : notices.find(([, m]) => m.startsWith(phase.endsAt!));
    const to = found?.[0] ?? (phase.endsAt === null ? end : from);
    bounds.push({ name: phase.name, from, to });
    from = to;
  }
  return bounds;
}

/**
 * Per phase of `ours` (the training proxy's loop), and of `twin` when given: the same training run
 * again in a separate pass with its loop through an identical proxy that trains nothing, phase by
 * phase against the same phase of that pass.
 */
export function phaseReport(ours: Pass, twin: Pass | null, stalls: [number, number][] | null) {
  const within = (loop: TimedLoop, a: number, b: number): number[] => loop.latencies.filter((_, i) => loop.starts[i]! >= a && loop.starts[i]! < b);
  const twinBounds = twin === null ? null : phaseBounds(twin);
  return phaseBounds(ours).map(({ name, from: a, to: b }, i) => {
    const mine = within(ours.loop, a, b);
    const twinPhase = twinBounds?.[i];
    const other = twin === null || twinPhase === undefined ? [] : within(twin.loop, twinPhase.from, twinPhase.to);
    const twinMain = twin === null || twinPhase === undefined ? null : cpuBetween(twin.cpu, twinPhase.from, twinPhase.to).main_cpu_ms;
    const phaseStalls = stalls?.filter(([at, late]) => at - late >= a && at - late < b).map(([, late]) => late);
    return {
      phase: name,
      ms: Number((b - a).toFixed(1)),
      select1_n: mine.length,
      select1_p99: mine.length ? p99(mine) : null,
      select1_max: mine.length ? Number(mine.reduce((m, v) => Math.max(m, v), 0).toPrecision(4)) : null,
      twin_n: other.length,
      twin_p99: other.length ? p99(other) : null,
      ...cpuBetween(ours.cpu, a, b),
      twin_main_cpu_ms: twinMain,
      // The training proxy's main thread less what serving its SELECT 1s cost (the twin's per query).
      own_main_cpu_ms: other.length && twinMain !== null ? Math.round(cpuBetween(ours.cpu, a, b).main_cpu_ms - (twinMain * mine.length) / other.length) : null,
      ...(phaseStalls === undefined
        ? {}
        : {
            stalls_over_5ms: phaseStalls.filter((v) => v > 5).length,
            stall_max_ms: phaseStalls.reduce((m, v) => Math.max(m, v), 0),
            stall_sum_ms: Number(phaseStalls.reduce((s, v) => s + v, 0).toFixed(1)),
          }),
    };
  });
}

/**
 * CPU time (ms) of a process's main thread (its tid is its pid) and of the whole process, its RSS (MB),
 * and how long (ms) the main thread has waited on a run queue, runnable but not running (the second
 * field of /proc/<pid>/task/<tid>/schedstat, in ns): the event loop's share of CPU contention, which
 * the other tasks' load changes less than a latency percentile does.
 */
export function cpuMs(pid: number): { main: number; all: number; rss: number; wait: number } {
  const ticks = (file: string): number => {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  const msPerTick = 10; // USER_HZ = 100 on Linux
  const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  const waitNs = Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]);
  return { main: ticks(`/proc/${pid}/task/${pid}/stat`) * msPerTick, all: ticks(`/proc/${pid}/stat`) * msPerTick, rss: rssKb / 1024, wait: waitNs / 1e6 };
}

/**
 * CPU time (ms, nanosecond counts from schedstat) of a process's main thread and of its other threads
 * (engine workers, V8's compiler and GC helpers, libuv's pool) together.
 */
export function threadCpuMs(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let ms: number;
    try {
      ms = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    } catch {
      continue; // the thread ended since the listing
    }
    if (Number(tid) === pid) main += ms;
    else others += ms;
  }
  return { main, others };
}

/** CPU time (ms, from schedstat) of a single-threaded process, e.g. a session's upstream backend. */
export function backendCpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

/** CPU (all threads, ms) a settled proxy may use per second: its timers and the cron's ticks, not a warm-up. */
const SETTLED_CPU_MS_PER_S = 30;

/**
 * Waits until each proxy has used under SETTLED_CPU_MS_PER_S of CPU in the last second, at most
 * `maxMs`: a proxy that has served nothing for 2 s runs its engine threads' JIT warm-up
 * (src/pgml/engines/warm-up.ts, about 2 s of CPU on two cores when quiet, far longer under load),
 * and a training meanwhile measures the warm-up as much as itself. Returns the milliseconds waited.
 */
export async function settle(pids: readonly number[], maxMs = 120_000): Promise<number> {
  const started = performance.now();
  let last = pids.map((pid) => cpuMs(pid).all);
  while (performance.now() - started < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = pids.map((pid) => cpuMs(pid).all);
    const busy = now.some((cpu, i) => cpu - last[i]! >= SETTLED_CPU_MS_PER_S);
    last = now;
    if (!busy) break;
  }
  return Math.round(performance.now() - started);
}

/** CPU time (ms) of another process, e.g. the training session's upstream backend (NaN once it is gone). */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

export type CpuSample = [at: number, main: number, all: number, rssMb: number, mainWaitMs: number, backendMs: number];

/** Samples cpuMs every 50 ms until stopped, and the CPU of the process `backendPid` when given. */
export function sampleCpu(pid: number, backendPid?: number): () => CpuSample[] {
  const samples: CpuSample[] = [];
  const take = (): void => {
    const { main, all, rss, wait } = cpuMs(pid);
    const backend = backendPid === undefined ? Number.NaN : processCpuMs(backendPid);
    samples.push([performance.timeOrigin + performance.now(), main, all, rss, wait, backend]);
  };
  take();
  const timer = setInterval(take, 50);
  return () => {
    clearInterval(timer);
    take();
    return samples;
  };
}

/** CPU ms of the main thread and the process between two moments (the samples nearest inside them). */
export function cpuBetween(
  samples: CpuSample[],
  from: number,
  to: number,
): { main_cpu_ms: number; process_cpu_ms: number; backend_cpu_ms: number | null; rss_max_mb: number; main_runqueue_wait_ms: number } {
  const first = samples.find(([at]) => at >= from) ?? samples[samples.length - 1]!;
  const last = [...samples].reverse().find(([at]) => at <= to) ?? first;
  const inside = samples.filter(([at]) => at >= from && at <= to).map((s) => s[3]);
  return {
    main_cpu_ms: Math.max(0, last[1] - first[1]),
    process_cpu_ms: Math.max(0, last[2] - first[2]),
    // The training session's upstream backend (bench/train-wall.ts), which sends the rows.
    backend_cpu_ms: Number.isNaN(last[5] - first[5]) ? null : Math.max(0, last[5] - first[5]),
    rss_max_mb: Math.round(inside.reduce((m, v) => Math.max(m, v), first[3])),
    main_runqueue_wait_ms: Math.round(Math.max(0, last[4] - first[4])),
  };
}

/** Run-queue wait (ms) of the main thread of the proxy a pass sampled, over the whole pass. */
export function runqueueWait(pass: Pass): number {
  return pass.cpu.length ? pass.cpu[pass.cpu.length - 1]![4] - pass.cpu[0]![4] : Number.NaN;
}

/** The RSS over time (MB, one sample a second), from the training's start, to see what holds memory when. */
export function rssTimeline(samples: CpuSample[], start: number): [seconds: number, mb: number][] {
  const out: [number, number][] = [];
  for (const [at, , , rss] of samples) {
    const t = Math.floor((at - start) / 1000);
    const last = out[out.length - 1];
    if (last !== undefined && last[0] === t) last[1] = Math.max(last[1], Math.round(rss));
    else out.push([t, Math.round(rss)]);
  }
  return out;
}
