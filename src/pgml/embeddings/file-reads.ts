/**
 * transformers.js (4.3) opens a read stream on every local file it resolves, the model's weights
 * too, though onnxruntime-node is given only their path: the stream flows into a ReadableStream
 * nobody reads or cancels, 64 KiB per read, until the whole file is in memory. A thread waiting in
 * its event loop reads it all soon after the load. A latency thread (latency-worker.ts) waits in
 * Atomics.wait instead, and its event loop turns only while it embeds a text: the read went on one
 * chunk per request, a libuv pool thread woken and 64 KiB read and kept on every single text, until
 * the 90 MB of a MiniLM had been read, 1400 requests later (BENCHMARKS.md, embed4).
 */

/** How long a thread waits for those reads at most: a file that never ends must not keep it from starting. */
const SETTLE_LIMIT_MS = 30_000;

/**
 * Resolves once no file read is pending on this thread (or after `limitMs`): called by a thread
 * that owns nothing else, right after it has loaded its model, so the reads end before its first
 * request instead of during them.
 */
export async function fileReadsSettled(limitMs = SETTLE_LIMIT_MS): Promise<void> {
  const until = performance.now() + limitMs;
  // One turn of the event loop first: a stream opens its file on the next tick after it is made.
  do await new Promise((resolve) => setTimeout(resolve, 5));
  while (process.getActiveResourcesInfo().includes('FSReqCallback') && performance.now() < until);
}
