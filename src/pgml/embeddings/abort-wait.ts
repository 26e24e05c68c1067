/**
 * A single text's wait for its latency thread, given up when the statement is canceled: the caller
 * gets its 57014 at once while the thread finishes the run (which cannot be stopped) and is free again.
 *
 * The signal is a session's (CallContext.signal), the same for every statement until a cancel
 * spends it, so one 'abort' listener per signal, added at its first wait, serves every later wait:
 * adding and removing a listener on Node's EventTarget, a second promise and a Promise.race at every
 * call were ~8 µs of the proxy's main thread a call (BENCHMARKS.md, issue 16, embed10).
 */
import { PgError } from '../../errors/index.js';

/** Per signal, what its abort rejects: the waits out now. */
const waits = new WeakMap<AbortSignal, Set<(reason: unknown) => void>>();

/** `work`'s outcome, or the signal's reason (as a PgError) if it aborts first. */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(PgError.from(signal.reason));
  let out = waits.get(signal);
  if (out === undefined) {
    const waiting = (out = new Set());
    waits.set(signal, waiting);
    signal.addEventListener(
      'abort',
      () => {
        for (const stop of waiting) stop(signal.reason);
        waiting.clear();
      },
      { once: true },
    );
  }
  const waiting = out;
  return new Promise<T>((resolve, reject) => {
    const stop = (reason: unknown) => reject(PgError.from(reason));
    waiting.add(stop);
    work.then(
      (value) => {
        waiting.delete(stop);
        resolve(value);
      },
      (error: unknown) => {
        waiting.delete(stop);
        reject(error);
      },
    );
  });
}
