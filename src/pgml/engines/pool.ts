/**
 * A small worker-thread pool (one thread per core) that runs every engine's fit and predict, so a
 * multi-second training never stalls the proxy's event loop. Workers own deserialized models in a
 * cache keyed by a model key. A request carries the model bytes only to a worker that has not seen
 * the key: copying a 100-tree model into the worker for every one-row prediction cost more than the
 * prediction. A worker that has dropped the model since answers MODEL_NOT_CACHED and the request
 * goes again with the bytes, so any worker can serve any model and a restart loses nothing. Results
 * come back as transferred buffers (no copy).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PgError, SqlState } from '../../errors/index.js';
import type { Dataset, FitOptions, Runtime } from './engine.js';

export interface WorkerPayloads {
  fit: { data: Dataset; options: FitOptions };
  /** Deserializes once (validating the bytes) and caches the engine under key. */
  load: { key: string; model: Uint8Array };
  /** model is left out when the worker is known to hold key already. */
  predict: { key: string; model?: Uint8Array | undefined; x: Float32Array; rows: number };
  predictProba: { key: string; model?: Uint8Array | undefined; x: Float32Array; rows: number };
}

/** A worker's answer to a request without model bytes for a key it no longer holds. */
export const MODEL_NOT_CACHED = 'pgml-proxy:model-not-cached';

export interface WorkerResults {
  fit: { model: Uint8Array; runtime: Runtime };
  load: { runtime: Runtime };
  predict: Float32Array;
  predictProba: Float32Array;
}

export type WorkerOp = keyof WorkerPayloads;

export interface WorkerRequest<Op extends WorkerOp = WorkerOp> {
  id: number;
  algorithm: string;
  op: Op;
  payload: WorkerPayloads[Op];
}

/** PgError fields survive structured clone; the class does not, so errors cross as plain data. */
export interface SerializedError {
  code: string;
  message: string;
  detail?: string | undefined;
  hint?: string | undefined;
}

export type WorkerReply =
  | { id: number; ok: true; result: WorkerResults[WorkerOp] }
  | { id: number; ok: false; error: SerializedError };

interface Task {
  request: WorkerRequest;
  transfer: ArrayBuffer[];
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  task: Task | undefined;
  /** Model keys this worker has cached (best effort: its LRU may have dropped some). */
  seen: Set<string>;
}

/**
 * Compiled output runs dist/…/worker.js directly. Under tsx (tests, dev) this module is a .ts file,
 * and Node 20 workers do not get the `--import tsx` loader hooks for their entry module, so a tiny
 * bootstrap registers tsx in the worker before importing worker.ts.
 */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here));
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', here).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { eval: true });
}

function modelKey(request: WorkerRequest): string | undefined {
  const payload = request.payload as { key?: unknown };
  return typeof payload.key === 'string' ? payload.key : undefined;
}

class Pool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;

  constructor(private readonly size: number) {}

  run<Op extends WorkerOp>(
    algorithm: string,
    op: Op,
    payload: WorkerPayloads[Op],
    transfer: ArrayBuffer[],
  ): Promise<WorkerResults[Op]> {
    return new Promise<WorkerResults[Op]>((resolve, reject) => {
      const request: WorkerRequest = { id: this.nextId++, algorithm, op, payload };
      this.queue.push({ request, transfer, resolve: resolve as (value: unknown) => void, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    for (const task of this.queue.splice(0)) task.reject(new PgError(SqlState.AdminShutdown, 'engine pool is shutting down'));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const task = this.queue[0]!;
      const key = modelKey(task.request);
      const idle = this.slots.filter((slot) => slot.task === undefined);
      const slot =
        idle.find((s) => key !== undefined && s.seen.has(key)) ??
        idle[0] ??
        (this.slots.length < this.size ? this.spawn() : undefined);
      if (!slot) return;
      this.queue.shift();
      slot.task = task;
      const request = key !== undefined && slot.seen.has(key) ? withoutModelBytes(task.request) : task.request;
      if (key !== undefined) slot.seen.add(key);
      // A busy worker keeps the process alive until its answer arrives; idle ones do not.
      slot.worker.ref();
      slot.worker.postMessage(request, task.transfer);
    }
  }

  private spawn(): Slot {
    const worker = startWorker();
    const slot: Slot = { worker, task: undefined, seen: new Set() };
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const task = slot.task;
      slot.task = undefined;
      worker.unref();
      if (task && task.request.id === reply.id) {
        if (!reply.ok && reply.error.code === MODEL_NOT_CACHED) {
          // Evicted from that worker's cache: send again, this time with the bytes.
          slot.seen.delete(modelKey(task.request) ?? '');
          this.queue.unshift(task);
        } else if (reply.ok) task.resolve(reply.result);
        else task.reject(new PgError(reply.error.code, reply.error.message, { detail: reply.error.detail, hint: reply.error.hint }));
      }
      this.dispatch();
    });
    const fail = (error: PgError) => {
      const index = this.slots.indexOf(slot);
      if (index < 0) return;
      this.slots.splice(index, 1);
      slot.task?.reject(error);
      slot.task = undefined;
      this.dispatch();
    };
    worker.on('error', (error) => fail(new PgError(SqlState.InternalError, `engine worker failed: ${error.message}`)));
    worker.on('exit', (code) => fail(new PgError(SqlState.InternalError, `engine worker exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }
}

/** The request minus its model bytes, for a worker that already holds the model. */
function withoutModelBytes(request: WorkerRequest): WorkerRequest {
  if (request.op !== 'predict' && request.op !== 'predictProba') return request;
  return { ...request, payload: { ...request.payload, model: undefined } } as WorkerRequest;
}

let pool: Pool | undefined;

/**
 * Runs one engine operation on a pool thread. Buffers listed in transfer move to the worker
 * (they become detached here); everything else is copied by structured clone.
 */
export function runInWorker<Op extends WorkerOp>(
  algorithm: string,
  op: Op,
  payload: WorkerPayloads[Op],
  transfer: ArrayBuffer[] = [],
): Promise<WorkerResults[Op]> {
  pool ??= new Pool(Math.max(1, availableParallelism()));
  return pool.run(algorithm, op, payload, transfer);
}

/** Terminates the workers (shutdown, tests); the next runInWorker starts a fresh pool. */
export async function closePool(): Promise<void> {
  const current = pool;
  pool = undefined;
  await current?.close();
}
