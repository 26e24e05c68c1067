/**
 * A latency thread (latency-thread.ts): a model's session tuned for single texts, asleep in
 * Atomics.wait between requests. Its event loop turns only while a request is being embedded
 * (onnxruntime-node resolves a run through setImmediate). It exits when the channel is closed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fileReadsSettled } from './file-reads.js';
import { LatencyChannel } from './latency-channel.js';
import type { LatencyReply, LatencyThreadData } from './latency-thread.js';
import { TransformerModel } from './transformer.js';

const { dir, spinUs } = workerData as LatencyThreadData;
const port = parentPort!;
const reply = (message: LatencyReply) => port.postMessage(message);

let model: TransformerModel;
try {
  model = await TransformerModel.loadForSingleTexts(dir, spinUs);
} catch (error) {
  reply({ ready: false, error: error instanceof Error ? error.message : String(error) });
  process.exit(0);
}
// Before the first request, not one chunk per request (file-reads.ts).
await fileReadsSettled();
const channel = LatencyChannel.allocate(model.dimensions);
reply({ ready: true, buffer: channel.buffer });
for (;;) {
  const request = channel.waitForRequest();
  // Closed: the proxy stops this thread, here between runs, where exiting is safe (thread-stop.ts).
  if (!request) process.exit(0);
  let vector: Float32Array | undefined;
  try {
    [vector] = await model.embedSingle(request.text, request.options);
  } catch {
    // The embedding thread answers it again, with the error every other path gives.
    vector = undefined;
  }
  channel.answer(vector);
}
