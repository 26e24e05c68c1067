/**
 * A second onnxruntime session of a model, on a thread of its own, for batches of texts.
 * onnxruntime-node runs a session synchronously on the thread that calls it, so two sessions run
 * at once only on two threads: the embedding thread runs one batch while this thread runs
 * another. Two sessions of one intra-op thread each keep 2 cores busier than one session of two
 * threads, whose threads meet at the end of every operator (BENCHMARKS.md, embed3).
 */
import type { Worker } from 'node:worker_threads';
import type { Tensor } from '@huggingface/transformers';
import type { SessionOptions } from './onnx-model.js';
import type { Pooling } from './options.js';
import { startThreadBeside } from '../thread-start.js';
import { exitOf, stopThread } from '../thread-stop.js';

export interface InferenceThreadData {
  dir: string;
  sessionOptions: SessionOptions;
}

/** A batch's padded inputs (int64 tensors as plain data), and how to pool its token embeddings. */
export interface InferenceRequest {
  id: number;
  feeds: Record<string, { data: BigInt64Array; dims: number[] }>;
  pooling: Pooling;
  normalize: boolean;
}

/** A batch, or `stop`: the thread exits (between runs, thread-stop.ts). */
export type InferenceMessage = InferenceRequest | 'stop';

export type InferenceReply =
  | { ready: true }
  | { ready: false; error: string }
  /** The batch's vectors, one after the other. */
  | { id: number; vectors: Float32Array; dimensions: number }
  | { id: number; error: string };

interface Pending {
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: Error) => void;
}

/** This thread's inference threads, from their start to their exit (stopInferenceThreads). */
const started = new Map<Worker, Promise<number>>();
/** Set by stopInferenceThreads: the thread is exiting, and starts no more. */
let stopping = false;

/**
 * Stops every inference thread this thread has started, loading or running, and resolves once all
 * have exited. The embedding thread calls it before it exits: a worker that exits terminates the
 * threads it started, and a terminate under a run aborts the process (thread-stop.ts).
 */
export async function stopInferenceThreads(): Promise<void> {
  stopping = true;
  await Promise.all([...started].map(([worker, exited]) => stop(worker, exited)));
}

const stop = (worker: Worker, exited: Promise<number>) => stopThread(worker, exited, () => worker.postMessage('stop' satisfies InferenceMessage));

export class InferenceThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** False once the thread has failed: the model's batches then run on the embedding thread alone. */
  alive = true;
  /** Why it is not alive: a batch handed over later fails with it. */
  private lostWith: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly exited: Promise<number>,
  ) {
    worker.on('message', (reply: InferenceReply) => {
      if ('ready' in reply) return;
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if ('error' in reply) p.reject(new Error(reply.error));
      else p.resolve(Array.from({ length: reply.vectors.length / reply.dimensions }, (_, k) => reply.vectors.slice(k * reply.dimensions, (k + 1) * reply.dimensions)));
    });
    const lost = (error: Error) => {
      this.alive = false;
      this.lostWith = error;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker.on('error', (error) => lost(error));
    worker.on('exit', (code) => lost(new Error(`the second inference thread exited with code ${code}`)));
  }

  /** Starts the thread and waits until its session is loaded. */
  static async start(dir: string, sessionOptions: SessionOptions): Promise<InferenceThread> {
    if (stopping) throw new Error('the embedding thread is exiting');
    const worker = startThreadBeside(import.meta.url, 'inference-worker', { workerData: { dir, sessionOptions } satisfies InferenceThreadData });
    const exited = exitOf(worker);
    started.set(worker, exited);
    void exited.then(() => started.delete(worker));
    const ready = await new Promise<InferenceReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the second inference thread exited with code ${code}`)));
    });
    if ('error' in ready) {
      // It exits by itself after a failed load.
      await exited;
      throw new Error(ready.error);
    }
    worker.unref();
    return new InferenceThread(worker, exited);
  }

  /** The batch's pooled vectors; its input arrays move to the thread (the caller must not reuse them). */
  run(encoded: Record<string, Tensor>, pooling: Pooling, normalize: boolean): Promise<Float32Array[]> {
    const id = this.nextId++;
    const feeds: InferenceRequest['feeds'] = {};
    for (const [name, tensor] of Object.entries(encoded)) feeds[name] = { data: tensor.data as BigInt64Array, dims: tensor.dims };
    // A batch of a request under way when the thread exited: nobody would answer it.
    if (this.lostWith) return Promise.reject(this.lostWith);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Held while a batch is out, so a caller awaiting it keeps its process alive.
      this.worker.ref();
      this.worker.postMessage({ id, feeds, pooling, normalize } satisfies InferenceRequest, Object.values(feeds).map((f) => f.data.buffer as ArrayBuffer));
    });
  }

  /** Has the thread exit between runs (thread-stop.ts); a batch it has not answered fails. Resolves once it has exited. */
  close(): Promise<number> {
    return stop(this.worker, this.exited);
  }
}
