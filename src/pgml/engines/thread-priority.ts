/**
 * Engine threads yield to the sessions: fits, batch predictions and the training read's decoding are
 * background work beside the event loop that answers every client, and on two cores a fit's threads
 * would otherwise take turns with it (SELECT 1's p99 during a 1M-row XGBoost fit was 9.6× idle).
 *
 * On Linux an engine thread puts itself under SCHED_IDLE: a thread of the normal policy that wakes
 * (the event loop on a client's query, the upstream backend answering it) preempts it at once, where
 * nice 10 only gave it a smaller share (SELECT 1's p99 during a fit stayed 3.9-13.5× idle with the
 * fit's threads at nice 10, BENCHMARKS.md, stop 27). The policy belongs to each thread
 * (sched_setscheduler with pid 0 names the calling thread) and the threads a thread starts inherit
 * it: libgomp's, on which XGBoost and LightGBM fit, and the forest's tree threads start from an
 * engine thread. A fit still gets every core nothing else wants, and only those: on a machine whose
 * cores other work keeps busy it waits. Where the policy is refused (a seccomp profile, a libc koffi
 * cannot load) the thread falls back to nice 10 and writes one line to the log. Elsewhere the nice
 * value is the whole process's, so it is left alone.
 */
import { setPriority } from 'node:os';
import { threadId } from 'node:worker_threads';
import { koffi } from './native-library.js';

/** <sched.h>: the policy for "very low priority background jobs". */
const SCHED_IDLE = 5;
const FALLBACK_NICE = 10;

export type EnginePriority = 'sched_idle' | 'nice' | 'unchanged';

/** Lowers the calling thread (and the threads it will start) below the event loop; returns how. */
export function lowerEngineThreadPriority(): EnginePriority {
  if (process.platform !== 'linux') return 'unchanged';
  let refusal: string;
  try {
    const k = koffi();
    const setScheduler = k.load('libc.so.6').func('int sched_setscheduler(int pid, int policy, const int *param)') as (
      pid: number,
      policy: number,
      param: Int32Array,
    ) => number;
    // struct sched_param is one int, sched_priority, which must be 0 for SCHED_IDLE.
    if (setScheduler(0, SCHED_IDLE, Int32Array.of(0)) === 0) return 'sched_idle';
    refusal = `errno ${k.errno()}`;
  } catch (error) {
    refusal = error instanceof Error ? error.message : String(error);
  }
  setPriority(0, FALLBACK_NICE);
  process.stderr.write(`pgml-proxy: engine thread ${threadId}: SCHED_IDLE refused (${refusal}), running at nice ${FALLBACK_NICE}\n`);
  return 'nice';
}
