/**
 * Locks shared by every engine thread of the process, for native state that belongs to the process and
 * not to a thread: libc's rand(), which liblinear's dual solvers shuffle with (liblinear.ts). Seeding it
 * and training must be one step, or two trainings in two threads draw from one sequence and neither
 * model is the one its random_state names.
 *
 * The main thread makes the buffer and pool.ts hands it to each engine thread in workerData. A thread
 * given none (the main thread itself, a helper thread) uses its own buffer: the process's locks when it
 * is the only one training, as in unit tests.
 */
import { workerData } from 'node:worker_threads';

/** One Int32 cell per lock: 0 free, 1 held. */
export const ProcessLock = { LibcRand: 0 } as const;
export type ProcessLock = (typeof ProcessLock)[keyof typeof ProcessLock];
const LOCK_COUNT = 1;

export interface ProcessLockData {
  processLocks: SharedArrayBuffer;
}

let cells: Int32Array | undefined;

function lockCells(): Int32Array {
  if (!cells) {
    const given = (workerData as Partial<ProcessLockData> | null | undefined)?.processLocks;
    cells = new Int32Array(given instanceof SharedArrayBuffer ? given : new SharedArrayBuffer(LOCK_COUNT * 4));
  }
  return cells;
}

/** workerData for a thread that must take the same locks as this one. */
export function processLockData(): ProcessLockData {
  return { processLocks: lockCells().buffer as SharedArrayBuffer };
}

/**
 * Runs `critical` holding the lock. Blocks the calling thread while another holds it: engine threads
 * only (never the event loop of a thread that serves clients), and `critical` must not wait on another
 * thread that could be waiting for this lock.
 */
export function withProcessLock<T>(lock: ProcessLock, critical: () => T): T {
  const c = lockCells();
  while (Atomics.compareExchange(c, lock, 0, 1) !== 0) Atomics.wait(c, lock, 1);
  try {
    return critical();
  } finally {
    Atomics.store(c, lock, 0);
    Atomics.notify(c, lock, 1);
  }
}
