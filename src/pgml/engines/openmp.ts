/**
 * How long libgomp's threads (XGBoost's and LightGBM's fits) spin before they sleep, for this process.
 *
 * A libgomp thread that reaches a barrier, or finishes its share of a parallel loop, spins for
 * GOMP_SPINCOUNT turns waiting for the others before it sleeps on a futex. Left unset that is
 * 300,000 turns, about 27 ms on this project's 2-core VM (90 ns a pause instruction): wherever a
 * fit's threads share the cores with anything else (the sessions' event loop and their backends, the
 * engine threads being at nice 10, see thread-priority.ts), the thread that waits for a preempted
 * peer burns its core for the whole spin, and that core is the one the peer was waiting for.
 * Measured (issue 15, BENCHMARKS.md "xwall"): a 100k×30 XGBoost fit beside one SELECT 1 loop on a
 * loaded machine spent 13.5–21.7 s of CPU in its two threads, 1.9–2.2 s with the spin bounded; alone on
 * the cores (approximated with SCHED_FIFO) the same fit took ~1 s either way.
 *
 * 1,000 turns (about 90 µs) keep what the spin is for, a thread catching the next parallel loop
 * while it is still awake: a breast_cancer XGBoost fit (many short parallel loops) took 30 ms with
 * the default and with 1,000, and 70 ms with no spinning at all (OMP_WAIT_POLICY=passive), a futex
 * wake-up costing ~30 µs a parallel loop on the VM.
 *
 * libgomp reads the variable once, when it is loaded, so this runs before any native library
 * (start-up report included). A user's own GOMP_SPINCOUNT or OMP_WAIT_POLICY is left as it is.
 */
export const GOMP_SPIN_COUNT = 1000;

/** Sets GOMP_SPINCOUNT in `env` unless the user chose a spin count or a wait policy; true when it did. */
export function boundOpenMpSpinning(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.GOMP_SPINCOUNT !== undefined || env.OMP_WAIT_POLICY !== undefined) return false;
  // process.env's setter calls setenv(3): libgomp's getenv at load time sees it.
  env.GOMP_SPINCOUNT = String(GOMP_SPIN_COUNT);
  return true;
}

/**
 * Whether a fit of `work` (rows × features) should run on one OpenMP thread: below `maxWork`, unless
 * the user gave a thread count under one of `threadNames`. On small sets each parallel loop's fork and
 * join cost more than the work shared (each library's threshold says why, with its measurement).
 */
export function oneThreadByDefault(hyperparams: Record<string, unknown>, threadNames: readonly string[], work: number, maxWork: number): boolean {
  return work < maxWork && !threadNames.some((name) => hyperparams[name] !== undefined && hyperparams[name] !== null);
}
