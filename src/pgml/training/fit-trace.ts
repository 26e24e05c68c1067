/**
 * What the engine thread went through during a fit, for the benchmarks that compare fit_time with
 * scikit-learn's (bench/algorithms/run.ts): with PGML_FIT_TRACE=<file> in the proxy's environment, each
 * fit timed as fit_time appends one JSON line to the file. A fit of 1–50 ms moved by 2× between runs on
 * the quiet machine (BENCHMARKS.md, issue 17); its wall time alone cannot say whether the thread computed
 * longer or waited for a core. The line says: the thread's own CPU time, the time it waited runnable
 * for a core (schedstat's run_delay), how often it was preempted (nonvoluntary context switches) or
 * blocked (voluntary), the rest of the process's CPU meanwhile (the event loop, V8's compiler and GC
 * threads, other engine threads, a native library's own threads), its nice value and the load.
 * Everything is read outside the timed window, so fit_time is the same with or without the trace.
 * Linux only; unset (users), nothing is read or written.
 */
import { appendFileSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { getPriority, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { libc } from '../engines/libc.js';

const TRACE_FILE = process.env.PGML_FIT_TRACE;

interface ThreadSample {
  wallMs: number;
  threadCpuNs: number;
  processCpuUs: number;
  runDelayNs: number;
  timeslices: number;
  voluntary: number;
  nonvoluntary: number;
  minorFaults: number;
}

/** One fit's line in the trace. */
export interface FitTraceLine {
  /** Wall-clock time of the fit's start and end, ms since the Unix epoch (to line up with Postgres's log). */
  start_epoch_ms: number;
  end_epoch_ms: number;
  fit_ms: number;
  thread_cpu_ms: number;
  run_delay_ms: number;
  timeslices: number;
  voluntary_switches: number;
  involuntary_switches: number;
  /**
   * Pages this thread touched for the first time (minor faults, /proc's stat). On this VM a page the host took back
   * after it was freed costs the host's fault inside the thread's CPU time (~2.5 ms per MB, BENCHMARKS.md svm10), so a
   * fit that writes fresh memory shows here what its CPU time alone does not say.
   */
  minor_faults: number;
  /** The process's CPU during the fit minus this thread's. */
  other_threads_cpu_ms: number;
  /**
   * The same, by thread (/proc's schedstat, which lags a thread running when read by up to a tick): the event loop;
   * the other threads at the engine threads' nice (other engine threads, and the threads engine threads start: OpenMP's,
   * OpenBLAS's, a forest's); the rest (V8's platform threads, which compile and collect garbage for every thread of the
   * process, at nice 0, and libuv's).
   */
  other_threads_by_kind_ms: { main: number; engine: number; platform: number };
  nice: number;
  rows: number;
  cols: number;
  load_average: number[];
}

type Clocks = Pick<ThreadSample, 'wallMs' | 'threadCpuNs' | 'processCpuUs'>;
type Counters = Omit<ThreadSample, keyof Clocks>;

function clocks(): Clocks {
  const cpu = process.cpuUsage();
  return { wallMs: performance.timeOrigin + performance.now(), threadCpuNs: libc()?.threadCpuNs() ?? Number.NaN, processCpuUs: cpu.user + cpu.system };
}

function counters(): Counters {
  const [runDelay = '0', timeslices = '0'] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').slice(1);
  const status = readFileSync('/proc/thread-self/status', 'utf8');
  // minflt is stat's 10th field, the 8th after the command name (which may hold spaces, so split after its ')').
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  return {
    minorFaults: Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[7]),
    runDelayNs: Number(runDelay),
    timeslices: Number(timeslices),
    voluntary: Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(status)?.[1]),
    nonvoluntary: Number(/^nonvoluntary_ctxt_switches:\s*(\d+)/m.exec(status)?.[1]),
  };
}

type ThreadKind = 'self' | 'main' | 'engine' | 'platform';

/** Each kind of thread's schedstat CPU time in ns; a thread's kind by its id and its nice value when first seen. */
const kinds = new Map<string, ThreadKind>();
function cpuByKind(): Record<ThreadKind, number> {
  const self = readlinkSync('/proc/thread-self').split('/').pop()!;
  const ns: Record<ThreadKind, number> = { self: 0, main: 0, engine: 0, platform: 0 };
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      let kind = tid === self ? 'self' : kinds.get(tid);
      if (kind === undefined) {
        const nice = Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
        kind = tid === String(process.pid) ? 'main' : nice === getPriority(0) ? 'engine' : 'platform';
        kinds.set(tid, kind);
      }
      ns[kind] += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns;
}

const round = (v: number): number => Number(v.toFixed(4));

/**
 * Runs `fit` (which times itself), with the thread's accounting read just before and just after it when
 * the trace is on. `shape` is the training rows' shape, to tell the lines apart.
 */
export async function tracedFit<T>(shape: { rows: number; cols: number }, fit: () => Promise<T>): Promise<T> {
  if (TRACE_FILE === undefined || process.platform !== 'linux') return fit();
  // The files first and the clocks last before the fit, the other way round after it: their reads stay outside the clocks' window.
  const threadsBefore = cpuByKind();
  const countersBefore = counters();
  const clocksBefore = clocks();
  const result = await fit();
  const clocksAfter = clocks();
  const threadsAfter = cpuByKind();
  const byKind = (kind: ThreadKind) => round((threadsAfter[kind] - threadsBefore[kind]) / 1e6);
  const before: ThreadSample = { ...countersBefore, ...clocksBefore };
  const after: ThreadSample = { ...counters(), ...clocksAfter };
  const threadCpuMs = (after.threadCpuNs - before.threadCpuNs) / 1e6;
  const line: FitTraceLine = {
    start_epoch_ms: round(before.wallMs),
    end_epoch_ms: round(after.wallMs),
    fit_ms: round(after.wallMs - before.wallMs),
    thread_cpu_ms: round(threadCpuMs),
    run_delay_ms: round((after.runDelayNs - before.runDelayNs) / 1e6),
    timeslices: after.timeslices - before.timeslices,
    voluntary_switches: after.voluntary - before.voluntary,
    involuntary_switches: after.nonvoluntary - before.nonvoluntary,
    minor_faults: after.minorFaults - before.minorFaults,
    other_threads_cpu_ms: round((after.processCpuUs - before.processCpuUs) / 1000 - threadCpuMs),
    other_threads_by_kind_ms: { main: byKind('main'), engine: byKind('engine'), platform: byKind('platform') },
    nice: getPriority(0),
    rows: shape.rows,
    cols: shape.cols,
    load_average: loadavg().map((v) => round(v)),
  };
  appendFileSync(TRACE_FILE, `${JSON.stringify(line)}\n`);
  return result;
}
