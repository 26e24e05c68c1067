/**
 * Stopping a worker thread that may be inside a synchronous native call (onnxruntime-node's
 * session.run). Worker.terminate() under such a call aborts the whole process: when the call
 * returns, node-addon-api cannot create its results, nor the error saying so, in an environment
 * being torn down, and the C++ exception it throws is caught by nothing ("FATAL ERROR:
 * Error::Error napi_define_properties"). So the thread is asked to stop and exits by itself
 * between calls: process.exit from its own JavaScript, when no native call is under way on it.
 */
import type { Worker } from 'node:worker_threads';

/**
 * How long a thread asked to stop has before it is terminated. Long enough for any single run to
 * end (a batch of a large model on a loaded machine); the terminate is a last resort for a thread
 * that will not exit by itself (a run that never returns, a bug), which would otherwise hold
 * shutdown forever. A terminate under a run may still abort the process, as it always did.
 */
export const STOP_GRACE_MS = 30_000;

/** Resolves with the thread's exit code; call it when the thread starts, so no exit is missed. */
export function exitOf(worker: Worker): Promise<number> {
  return new Promise((resolve) => worker.once('exit', resolve));
}

/**
 * Asks the thread to stop (`ask` may wait for work under way before it asks) and resolves with its
 * exit code once it has exited. The thread keeps the process alive meanwhile, so a caller awaiting
 * this is not cut short.
 */
export async function stopThread(worker: Worker, exited: Promise<number>, ask: () => void | Promise<void>, graceMs = STOP_GRACE_MS): Promise<number> {
  worker.ref();
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<number>((resolve) => {
    timer = setTimeout(() => resolve(worker.terminate()), graceMs);
    timer.unref();
  });
  try {
    // A thread that does not finish the work `ask` waits for is terminated as well.
    await Promise.race([ask(), exited, forced]);
    return await Promise.race([exited, forced]);
  } finally {
    clearTimeout(timer);
  }
}
