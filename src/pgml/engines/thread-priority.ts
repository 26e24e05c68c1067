/**
 * Engine threads yield to the sessions: fits, batch predictions and the training read's decoding are
 * background work beside the event loop that answers every client, and on two cores a fit's threads
 * would otherwise take turns with it (SELECT 1's p99 during a 1M-row XGBoost fit was 9.6× idle).
 *
 * On Linux an engine thread lowers its own nice value to 10. The value belongs to each thread
 * (setpriority with pid 0 names the calling thread) and the threads a thread starts inherit it:
 * libgomp's, on which XGBoost and LightGBM fit, and the forest's tree threads start from an engine
 * thread. A fit still gets every core nothing else wants.
 *
 * SCHED_IDLE was tried instead (stop 28) and measured worse on the quiet machine: SELECT 1's p99
 * during a 100k XGBoost fit 3.0× and 18.3× idle against nice 10's 1.5× and 1.14× in alternating runs,
 * while the fit itself ran faster, so it took more of the cores, not less (BENCHMARKS.md, "Lead runs
 * of stop 28"). Elsewhere the nice value is the whole process's, so it is left alone.
 */
import { setPriority } from 'node:os';

export const ENGINE_THREAD_NICE = 10;

/** Lowers the calling thread (and the threads it will start) below the event loop. */
export function lowerEngineThreadPriority(): void {
  if (process.platform === 'linux') setPriority(0, ENGINE_THREAD_NICE);
}
