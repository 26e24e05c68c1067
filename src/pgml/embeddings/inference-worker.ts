/** The second inference thread (inference-thread.ts): its own session of the model, pooling its batches itself. */
import { parentPort, workerData } from 'node:worker_threads';
import { Tensor } from '@huggingface/transformers';
import type { InferenceReply, InferenceRequest, InferenceThreadData } from './inference-thread.js';
import { loadOnnxModel, tokenEmbeddings } from './onnx-model.js';
import { pool } from './pooling.js';

const { dir, sessionOptions } = workerData as InferenceThreadData;
const port = parentPort!;
const reply = (message: InferenceReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

try {
  const model = await loadOnnxModel(dir, sessionOptions);
  const run = async (request: InferenceRequest) => {
    const feeds = Object.fromEntries(Object.entries(request.feeds).map(([name, f]) => [name, new Tensor('int64', f.data, f.dims)]));
    const outputs = (await model(feeds)) as Record<string, Tensor>;
    const vectors = pool(tokenEmbeddings(outputs, dir), feeds.attention_mask!, request.pooling, request.normalize);
    const dimensions = vectors[0]?.length ?? 0;
    const all = new Float32Array(vectors.length * dimensions);
    vectors.forEach((v, k) => all.set(v, k * dimensions));
    reply({ id: request.id, vectors: all, dimensions }, [all.buffer]);
  };
  // A failed batch fails its request, not the thread.
  port.on('message', (request: InferenceRequest) => void run(request).catch((error: unknown) => reply({ id: request.id, error: message(error) })));
  reply({ ready: true });
} catch (error) {
  reply({ ready: false, error: message(error) });
}
