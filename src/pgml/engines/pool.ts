/**
 * A small worker-thread pool (one thread per core) that runs every engine's fit and predict, so a
 * multi-second training never stalls the proxy's event loop. Workers own deserialized models in a
 * cache keyed by a model key. A request carries the model bytes only to a worker that has not seen
 * the key: copying a 100-tree model into the worker for every one-row prediction cost more than the
 * prediction. A worker that has dropped the model since answers MODEL_NOT_CACHED and the request
 * goes again with the bytes, so any worker can serve any model and a restart loses nothing. Results
 * come back as transferred buffers (no copy). Predictions with one model that wait for a worker go
 * together as one engine call (rows are independent), so concurrent one-row predictions share the
 * round trip and the engine's per-call cost instead of queueing one by one.
 *
 * A fit can be stopped (its signal aborts: CancelRequest, statement_timeout, a closed client): it
 * leaves the queue, or its worker is terminated, the only way to stop a loop running in it, and a
 * fresh worker takes its place. Each worker's JavaScript heap is bounded (configureEnginePool,
 * --fit-memory-mb): a fit that crosses the bound ends its worker and fails with 53200.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { PgError, SqlState } from '../../errors/index.js';
import { ClientClock } from './client-clock.js';
import { startEngineThread } from './engine-thread.js';
import type { Dataset, FitOptions, FitProgress, PredictedWithProba, Runtime } from './engine.js';
import { perFitMemoryError } from './engine-support.js';
import { keptPagesData, unmapKeptPagesOf, type KeptPagesData } from './native-pages.js';
import { processLockData, releaseProcessLocksOf, type ProcessLockData } from './process-lock.js';

export interface WorkerPayloads {
  fit: { data: Dataset; options: FitOptions };
  /** Deserializes once (validating the bytes) and caches the engine under key. */
  load: { key: string; model: Uint8Array };
  /** model is left out when the worker is known to hold key already. */
  predict: { key: string; model?: Uint8Array | undefined; x: Float32Array; rows: number };
  predictProba: { key: string; model?: Uint8Array | undefined; x: Float32Array; rows: number };
  /** predict and, when the model has them, predictProba of the same rows (scoring). */
  predictWithProba: { key: string; model?: Uint8Array | undefined; x: Float32Array; rows: number };
  /**
   * Data work of another layer that grows with the data (preparing a training set, a whole
   * training): the named export of a module, called with input and a function that sends updates
   * back while it runs. Modules are named by URL so engines import nothing above them. `what` the
   * job does ("training xgboost") is for error messages.
   */
  run: { module: string; name: string; input: unknown; what: string };
  /** A new worker's first request (warmEnginePool): load the native libraries, import modules. */
  warm: { modules: readonly string[] };
}

/** Waiting predictions are merged into one engine call up to this many rows. */
const MAX_MERGED_ROWS = 4096;

/** A worker's answer to a request without model bytes for a key it no longer holds. */
export const MODEL_NOT_CACHED = 'pgml-proxy:model-not-cached';

export interface WorkerResults {
  fit: { model: Uint8Array; runtime: Runtime };
  load: { runtime: Runtime };
  predict: Float32Array;
  predictProba: Float32Array;
  predictWithProba: PredictedWithProba;
  run: unknown;
  warm: undefined;
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
  column?: string | undefined;
}

export type WorkerReply =
  | { id: number; ok: true; result: WorkerResults[WorkerOp] }
  | { id: number; ok: false; error: SerializedError };

/** Sent by a worker while a request runs, before its reply: a fit's progress, a job's updates. */
export interface WorkerProgress {
  id: number;
  progress: unknown;
}

/** What the progress callback of an operation receives: a fit reports FitProgress, a job what it chooses. */
export type WorkerUpdate<Op extends WorkerOp> = Op extends 'run' ? unknown : FitProgress;

interface Task {
  request: WorkerRequest;
  signal?: AbortSignal | undefined;
  progress?: ((update: unknown) => void) | undefined;
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

/** Shared with every engine thread (workerData): their JIT warm-up waits for quiet clients. Made on first use, in the main thread. */
let clientClock: ClientClock | undefined;

/** A client sent a message: the composition root calls this for every chunk a client sends. */
export function noteClientMessage(): void {
  (clientClock ??= ClientClock.create()).heard();
}

/** What an engine thread starts with. */
export interface EngineWorkerData extends ProcessLockData, KeptPagesData {
  clientClock: SharedArrayBuffer;
}

function startWorker(memoryMb: number | undefined, kept: KeptPagesData): Worker {
  const workerData: EngineWorkerData = { clientClock: (clientClock ??= ClientClock.create()).buffer, ...processLockData(), ...kept };
  return startEngineThread('worker', { workerData, resourceLimits: memoryMb === undefined ? {} : { maxOldGenerationSizeMb: memoryMb } });
}

/** Engine threads: one per core. A fit that spreads over threads of its own (forest-fit.ts) uses at most as many. */
export function enginePoolSize(): number {
  return Math.max(1, availableParallelism());
}

/** Unbounded until the composition root sets --fit-memory-mb. */
let fitMemoryMb: number | undefined;

/** The heap bound of each engine worker, in MB; applies to workers started from now on. */
export function configureEnginePool(settings: { fitMemoryMb: number }): void {
  fitMemoryMb = settings.fitMemoryMb;
}

function workerFailure(error: Error & { code?: string }, task: Task | undefined, memoryMb: number | undefined): PgError {
  if (error.code !== 'ERR_WORKER_OUT_OF_MEMORY') return PgError.from(error);
  return perFitMemoryError(task === undefined ? 'an engine worker' : doing(task.request), memoryMb);
}

/** What a request was doing, for error messages ("training xgboost failed: ..."). */
export function doing(request: WorkerRequest): string {
  switch (request.op) {
    case 'fit':
      return `training ${request.algorithm}`;
    case 'run':
      return (request.payload as WorkerPayloads['run']).what;
    case 'load':
      return `loading a ${request.algorithm} model`;
    case 'warm':
      return 'starting an engine worker';
    default:
      return `predicting with ${request.algorithm}`;
  }
}

function modelKey(request: WorkerRequest): string | undefined {
  const payload = request.payload as { key?: unknown };
  return typeof payload.key === 'string' ? payload.key : undefined;
}

/** Counters of the pool: operations asked for, and messages actually sent to workers. */
export interface PoolStats {
  operations: number;
  workerCalls: number;
}

class Pool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  readonly stats: PoolStats = { operations: 0, workerCalls: 0 };

  constructor(
    private readonly size: number,
    private readonly memoryMb: number | undefined,
  ) {}

  run<Op extends WorkerOp>(
    algorithm: string,
    op: Op,
    payload: WorkerPayloads[Op],
    transfer: ArrayBuffer[],
    signal?: AbortSignal,
    progress?: (update: WorkerUpdate<Op>) => void,
  ): Promise<WorkerResults[Op]> {
    return new Promise<WorkerResults[Op]>((resolve, reject) => {
      if (signal?.aborted) return reject(PgError.from(signal.reason));
      const request: WorkerRequest = { id: this.nextId++, algorithm, op, payload };
      this.stats.operations++;
      const stop = () => this.abandon(task, PgError.from(signal?.reason));
      const settled = () => signal?.removeEventListener('abort', stop);
      const task: Task = {
        request,
        signal,
        progress: progress as ((update: unknown) => void) | undefined,
        transfer,
        resolve: (value) => (settled(), resolve(value as WorkerResults[Op])),
        reject: (error) => (settled(), reject(error)),
      };
      signal?.addEventListener('abort', stop, { once: true });
      this.queue.push(task);
      this.dispatch();
    });
  }

  /**
   * Starts one worker, when none is started yet, and has it load what a first request would
   * otherwise wait for; the worker then starts its JIT warm-up at once (warm-up.ts), since a first
   * training may come sooner than the idle delay the warm-up otherwise waits for. One is enough for
   * a training (its steps run one after another) and takes one core at most from whatever else is
   * starting; the others start on demand as before. A request that arrives meanwhile waits for it
   * like for any busy worker.
   */
  async warm(modules: readonly string[]): Promise<void> {
    if (this.slots.length > 0) return;
    const slot = this.spawn();
    await new Promise((resolve, reject) => {
      const request: WorkerRequest<'warm'> = { id: this.nextId++, algorithm: '', op: 'warm', payload: { modules } };
      slot.task = { request, transfer: [], resolve, reject };
      slot.worker.postMessage(request);
    });
  }

  load(): { running: number; queued: number } {
    return { running: this.slots.filter((slot) => slot.task !== undefined).length, queued: this.queue.length };
  }

  /** Stops a task: out of the queue, or its worker terminated (and replaced on the next dispatch). */
  private abandon(task: Task, error: PgError): void {
    const queued = this.queue.indexOf(task);
    if (queued >= 0) this.queue.splice(queued, 1);
    const slot = this.slots.find((s) => s.task === task);
    if (slot) {
      this.slots.splice(this.slots.indexOf(slot), 1);
      slot.task = undefined;
      void slot.worker.terminate();
    }
    if (queued >= 0 || slot) task.reject(error);
    this.dispatch();
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
      const sent = task.signal ? task : this.mergeWaitingPredictions(task);
      slot.task = sent;
      const request = key !== undefined && slot.seen.has(key) ? withoutModelBytes(sent.request) : sent.request;
      if (key !== undefined) slot.seen.add(key);
      // A busy worker keeps the process alive until its answer arrives; idle ones do not.
      slot.worker.ref();
      this.stats.workerCalls++;
      slot.worker.postMessage(request, sent.transfer);
    }
  }

  /**
   * The task, or one task standing for it and the queued predictions of the same model: their
   * rows are concatenated and the result is split back, in order, when the worker answers.
   */
  private mergeWaitingPredictions(first: Task): Task {
    const op = first.request.op;
    if (op !== 'predict' && op !== 'predictProba') return first;
    const key = modelKey(first.request);
    const rowsOf = (task: Task) => (task.request.payload as WorkerPayloads['predict']).rows;
    const members = [first];
    let rows = rowsOf(first);
    for (let i = 0; i < this.queue.length; ) {
      const other = this.queue[i]!;
      const same = other.request.op === op && other.request.algorithm === first.request.algorithm && modelKey(other.request) === key;
      if (same && rows + rowsOf(other) <= MAX_MERGED_ROWS) {
        members.push(other);
        rows += rowsOf(other);
        this.queue.splice(i, 1);
      } else i++;
    }
    if (members.length === 1) return first;
    const payloads = members.map((m) => m.request.payload as WorkerPayloads['predict']);
    const x = new Float32Array(payloads.reduce((n, p) => n + p.x.length, 0));
    let at = 0;
    for (const p of payloads) {
      x.set(p.x, at);
      at += p.x.length;
    }
    const payload = { ...payloads[0]!, x, rows };
    return {
      request: { id: this.nextId++, algorithm: first.request.algorithm, op, payload },
      transfer: [],
      resolve: (value) => {
        const out = value as Float32Array;
        const width = out.length / rows;
        let row = 0;
        for (const m of members) {
          m.resolve(out.slice(row * width, (row + rowsOf(m)) * width));
          row += rowsOf(m);
        }
      },
      reject: (error) => members.forEach((m) => m.reject(error)),
    };
  }

  private spawn(): Slot {
    const kept = keptPagesData();
    const worker = startWorker(this.memoryMb, kept);
    const slot: Slot = { worker, task: undefined, seen: new Set() };
    worker.unref();
    worker.on('message', (reply: WorkerReply | WorkerProgress) => {
      if ('progress' in reply) {
        if (slot.task?.request.id === reply.id) slot.task.progress?.(reply.progress);
        return;
      }
      const task = slot.task;
      slot.task = undefined;
      worker.unref();
      if (task && task.request.id === reply.id) {
        if (!reply.ok && reply.error.code === MODEL_NOT_CACHED) {
          // Evicted from that worker's cache: send again, this time with the bytes.
          slot.seen.delete(modelKey(task.request) ?? '');
          this.queue.unshift(task);
        } else if (reply.ok) task.resolve(reply.result);
        else task.reject(new PgError(reply.error.code, reply.error.message, { detail: reply.error.detail, hint: reply.error.hint, column: reply.error.column }));
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
    worker.on('error', (error) => fail(workerFailure(error, slot.task, this.memoryMb)));
    const { threadId } = worker;
    worker.on('exit', (code) => {
      releaseProcessLocksOf(threadId);
      // The mapping the thread keeps between fits (svm's kernel matrix, linear's X: native-pages.ts).
      unmapKeptPagesOf(kept);
      fail(new PgError(SqlState.InternalError, `engine worker exited with code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }
}

/** The request minus its model bytes, for a worker that already holds the model. */
function withoutModelBytes(request: WorkerRequest): WorkerRequest {
  if (request.op !== 'predict' && request.op !== 'predictProba' && request.op !== 'predictWithProba') return request;
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
  signal?: AbortSignal,
  progress?: (update: WorkerUpdate<Op>) => void,
): Promise<WorkerResults[Op]> {
  pool ??= new Pool(enginePoolSize(), fitMemoryMb);
  return pool.run(algorithm, op, payload, transfer, signal, progress);
}

/**
 * Starts an engine worker now, off the critical path (the composition root calls it once the proxy
 * listens): a worker's start (the engines' modules, libxgboost, lib_lightgbm, then the modules named
 * here) took 0.5 s on a quiet machine and 3–10 s on a loaded one while it also imported
 * TensorFlow.js (now imported only by a worker that trains or predicts with a neural_network), which
 * the first training after a start used to wait for. Settles when the worker is warm; a
 * failure is left to the first real request.
 */
export function warmEnginePool(modules: readonly string[]): Promise<void> {
  pool ??= new Pool(enginePoolSize(), fitMemoryMb);
  return pool.warm(modules).catch(() => undefined);
}

/** The current pool's counters (zeros before its first use). */
export function poolStats(): PoolStats {
  return { ...(pool?.stats ?? { operations: 0, workerCalls: 0 }) };
}

/** Operations running on a worker and waiting for one, now (/metrics: a stopped fit leaves neither). */
export function poolLoad(): { running: number; queued: number } {
  return pool?.load() ?? { running: 0, queued: 0 };
}

/** Terminates the workers (shutdown, tests); the next runInWorker starts a fresh pool. */
export async function closePool(): Promise<void> {
  const current = pool;
  pool = undefined;
  await current?.close();
}
