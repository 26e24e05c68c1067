/**
 * Giving a finished job's memory back to the system, on the engine thread that ran it. Two things kept
 * a training's memory resident after it had ended, so the proxy's RSS grew with what it had trained
 * before (issue 15; measured in BENCHMARKS.md, "Memory a training leaves behind"):
 *
 * - Shared matrices. The raw matrix, the labels and an encoded copy are SharedArrayBuffers that the main
 *   thread and the engine threads that decoded and fitted them all reference; the memory is freed only
 *   once every one of those isolates has collected its last reference. An idle engine thread allocates
 *   nothing, so it never collects: a finished training's matrix stayed until that thread's next job,
 *   and a second training on the same proxy held two matrices at once.
 * - glibc's malloc arenas. XGBoost, libgomp's threads and the thread's own buffers free into per-thread
 *   arenas, which glibc hands back to the system only from the top of each heap; tens of MB stayed
 *   free but resident in them after every fit.
 *
 * So after a job that held large shared matrices the thread collects its own heap (full collections,
 * off the event loop) and asks glibc to return the free pages of every arena (malloc_trim(0)). Engines
 * with native boosters free them when the training is done (Engine.dispose) rather than when collected,
 * so the trim finds their memory free.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { libc } from './libc.js';
import { releaseKeptPages } from './native-pages.js';

/** Below this much shared memory in a job's input and result, a collection costs more than it returns. */
export const RELEASE_MIN_SHARED_BYTES = 8 * 1024 * 1024;

/** How deep sharedBytes looks into a job's plain objects (a training job nests its matrix 3 levels down). */
const MAX_DEPTH = 5;
/** Plain arrays longer than this are data (a text column's dictionary), not containers of matrices. */
const MAX_SCANNED_ARRAY = 64;

/** Bytes of the distinct SharedArrayBuffers that typed arrays in `value` view, looking through plain objects and short arrays. */
export function sharedBytes(value: unknown, seen = new Set<SharedArrayBuffer>(), depth = 0): number {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return 0;
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer;
    if (!(buffer instanceof SharedArrayBuffer) || seen.has(buffer)) return 0;
    seen.add(buffer);
    return buffer.byteLength;
  }
  if (Array.isArray(value)) {
    if (value.length > MAX_SCANNED_ARRAY) return 0;
    return value.reduce((sum: number, item) => sum + sharedBytes(item, seen, depth + 1), 0);
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return 0;
  let sum = 0;
  for (const item of Object.values(value)) sum += sharedBytes(item, seen, depth + 1);
  return sum;
}

/**
 * V8 collects on demand only with --expose-gc. The flag is read when a context is created, so setting
 * it now gives a new context the `gc` function (the way Jest's leak detector gets it); it also gives
 * `gc` to contexts and worker threads created later, which nothing else uses.
 */
type Collector = (options?: { type: 'major' | 'minor' }) => void;
let collector: Collector | undefined;
function gcFunction(): Collector {
  if (collector === undefined) {
    const global = globalThis as { gc?: Collector };
    if (typeof global.gc === 'function') collector = global.gc;
    else {
      try {
        setFlagsFromString('--expose-gc');
        collector = runInNewContext('gc') as Collector;
      } catch {
        // A V8 that refuses flags after start: the thread collects when V8 decides, as before.
        collector = () => undefined;
      }
    }
  }
  return collector;
}

function collectGarbage(): void {
  const gc = gcFunction();
  gc();
  // The first collection finds the dead buffers, but V8 frees array buffers' memory on a background
  // sweep that only the next collection waits for: without it, the matrix was still resident after.
  gc();
}

/**
 * Empties this thread's young generation (a scavenge: it copies what is still live and nothing else,
 * well under a millisecond after a small training set is built), so that a fit starts with an empty
 * nursery. Otherwise the garbage of what ran before it on this thread (the training set's preparation,
 * the last job's scoring and serialization) filled part of the nursery, and a small fit paid a
 * scavenge for it, or not, depending on how full the nursery happened to be: fit times of a few
 * milliseconds then varied by one scavenge between runs (BENCHMARKS.md, issue 17, small5).
 */
export function collectYoungGeneration(): void {
  gcFunction()({ type: 'minor' });
}

/** glibc's malloc_trim; false where there is none (not Linux, musl): the allocator keeps its own policy. */
export function trimMallocArenas(): boolean {
  const c = libc();
  if (c === null) return false;
  c.mallocTrim(0);
  return true;
}

/** Collects this thread's garbage, then returns every arena's free pages and the kept kernel matrix's pages (native-pages.ts) to the system. */
export function releaseFreedMemory(): { trimmed: boolean } {
  collectGarbage();
  releaseKeptPages();
  return { trimmed: trimMallocArenas() };
}

/** Linux's MADV_DONTNEED: the pages are dropped now; a private anonymous page reads as zeros afterwards. */
const MADV_DONTNEED = 4;
/**
 * Hands the system back the memory pages that lie wholly inside `view` (not its first and last partial
 * pages, which other data may share), now rather than when the buffer is collected: for rows that
 * will never be read again while the rest of their buffer still is. A training of one model is done
 * with its float32 training rows once XGBoost has binned them, while the held-out rows in the same
 * shared matrix are scored after the fit (issue 15: the training rows are three quarters of the
 * matrix, resident through the whole boosting otherwise).
 *
 * The pages read as zeros afterwards (a large buffer is a private anonymous mapping; memory in a
 * malloc heap likewise): call it only on rows nothing reads again, in any thread. Returns the bytes
 * released; 0 where there is no madvise (not Linux), and the rows then simply stay.
 */
export function discardPages(view: ArrayBufferView): number {
  const calls = libc();
  if (calls === null || view.byteLength === 0) return 0;
  const size = BigInt(calls.pageSize);
  const start = calls.k.address(view) as bigint;
  const first = ((start + size - 1n) / size) * size;
  const end = ((start + BigInt(view.byteLength)) / size) * size;
  if (end <= first) return 0;
  if (calls.madvise(first, end - first, MADV_DONTNEED) !== 0) return 0;
  return Number(end - first);
}
