/**
 * How the latency session's onnxruntime thread waits between single texts (--embed-spin-us).
 *
 * A single sentence runs on the latency thread and, where onnxruntime starts one, its pool thread. Between
 * two `SELECT pgml.embed(m, $1)` of one client, the proxy's main thread and the client work for
 * 1.3-2.5 ms on one core. A pool thread asleep then leaves the other core idle, and on this
 * project's VMs an idle virtual CPU halts at once (guest halt polling is off), so the next wake-up
 * on it (the pool thread's at the run's start, or a thread of the chain's) goes through the
 * hypervisor. Python's onnxruntime session (bench/embed_baseline.py) never sleeps in a loop of
 * single sentences: its pool thread spins about 30 ms after every run (onnxruntime's default).
 * With --embed-spin-us N it spins a bounded time (onnxruntime's session.intra_op.spin_duration_us),
 * then sleeps: an idle proxy pays at most that much CPU after a sentence. What it gains shows only on an idle
 * machine; BENCHMARKS.md (issue 16, embed7) has the measurements and the quiet-machine A/B.
 *
 * Where onnxruntime's default intra-op thread count comes out as one (stop 35's 2-vCPU VM: a session
 * with intraOpNumThreads 0 starts no pool thread, in Node as in Python, and the run is all on the
 * calling thread; 2 starts one; an earlier VM's default was two, embedl), there is no pool thread and
 * this option changes nothing (BENCHMARKS.md, issue 16, embed11).
 */

/**
 * The default of --embed-spin-us: 0, the pool thread sleeps at the end of each run. 3000 (longer than
 * the 1.3-2.5 ms between two calls of one client) was not faster on the quiet machine: the proxy's
 * single-sentence p50 was lower with 3000 in 2 of 6 alternating rounds (BENCHMARKS.md, lead runs of
 * stop 32), and it costs CPU after every sentence.
 */
export const DEFAULT_LATENCY_SPIN_US = 0;

/** onnxruntime session options (extra config entries) of a latency session spinning `spinUs` µs after a run. */
export function latencySessionOptions(spinUs: number): { extra: { session: Record<string, unknown> } } {
  if (!Number.isInteger(spinUs) || spinUs < 0) throw new RangeError(`spin time must be a whole number of microseconds, not ${spinUs}`);
  // 0: the pool thread stops spinning at the end of each run (the previous behaviour), as
  // onnxruntime's spin_duration_us of 0 would also stop it between the operators of a run.
  if (spinUs === 0) return { extra: { session: { force_spinning_stop: '1' } } };
  return { extra: { session: { intra_op: { spin_duration_us: String(spinUs) } } } };
}
