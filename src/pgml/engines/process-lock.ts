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
import { threadId, workerData } from 'node:worker_threads';

/** One Int32 cell per lock: 0 free, else the holder's threadId + 1 (the main thread's is 0). */
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
  const me = threadId + 1;
  for (let holder = Atomics.compareExchange(c, lock, 0, me); holder !== 0; holder = Atomics.compareExchange(c, lock, 0, me)) {
    Atomics.wait(c, lock, holder);
  }
  try {
    return critical();
  } finally {
    Atomics.store(c, lock, 0);
    Atomics.notify(c, lock, 1);
  }
}

/** The threadId holding the lock, or undefined when it is free. */
export function processLockHolder(lock: ProcessLock): number | undefined {
  const holder = Atomics.load(lockCells(), lock);
  return holder === 0 ? undefined : holder - 1;
}

/**
 * Frees the locks a thread that has exited still held: a worker terminated (a cancelled training) dies
 * without running its finally blocks, and the next dual training would wait for it forever.
 */
export function releaseProcessLocksOf(exitedThreadId: number): void {
  const c = lockCells();
  for (let lock = 0; lock < LOCK_COUNT; lock++) {
    if (Atomics.compareExchange(c, lock, exitedThreadId + 1, 0) === exitedThreadId + 1) Atomics.notify(c, lock, 1);
  }
}
