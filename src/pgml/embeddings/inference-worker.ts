/** The second inference thread (inference-thread.ts): its own session of the model, pooling its batches itself. */
import { parentPort, workerData } from 'node:worker_threads';
import { Tensor } from '@huggingface/transformers';
import type { InferenceMessage, InferenceReply, InferenceRequest, InferenceThreadData } from './inference-thread.js';
import { loadOnnxModel, tokenEmbeddings } from './onnx-model.js';
import { pool } from './pooling.js';

const { dir, sessionOptions } = workerData as InferenceThreadData;
const port = parentPort!;
const reply = (message: InferenceReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

// Listening from the start, so a stop asked while the model loads is not kept waiting for the load.
// Batches come only after the ready reply.
let run: ((request: InferenceRequest) => Promise<void>) | undefined;
port.on('message', (request: InferenceMessage) => {
  // Here no run is under way on this thread (its runs are synchronous): exiting is safe (thread-stop.ts).
  if (request === 'stop') process.exit(0);
  // A failed batch fails its request, not the thread.
  void run!(request).catch((error: unknown) => reply({ id: request.id, error: message(error) }));
});

try {
  const model = await loadOnnxModel(dir, sessionOptions);
  run = async (request) => {
    const feeds = Object.fromEntries(Object.entries(request.feeds).map(([name, f]) => [name, new Tensor('int64', f.data, f.dims)]));
    const outputs = (await model(feeds)) as Record<string, Tensor>;
    const vectors = pool(tokenEmbeddings(outputs, dir), feeds.attention_mask!, request.pooling, request.normalize);
    const dimensions = vectors[0]?.length ?? 0;
    const all = new Float32Array(vectors.length * dimensions);
    vectors.forEach((v, k) => all.set(v, k * dimensions));
    reply({ id: request.id, vectors: all, dimensions }, [all.buffer]);
  };
  reply({ ready: true });
} catch (error) {
  reply({ ready: false, error: message(error) });
  process.exit(0);
}
