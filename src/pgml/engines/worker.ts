/**
 * Entry point of an engine pool thread (see pool.ts): runs the in-thread engines from the registry
 * and keeps recently used deserialized models so repeated predictions skip deserialization.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PgError, SqlState } from '../../errors/index.js';
import { probabilitiesIfAny, type Engine, type Task } from './engine.js';
import { doing, MODEL_NOT_CACHED, type EngineWorkerData, type SerializedError, type WorkerProgress, type WorkerReply, type WorkerRequest, type WorkerResults } from './pool.js';
import { releaseFreedMemory, RELEASE_MIN_SHARED_BYTES, sharedBytes } from './memory-release.js';
import { getLocalEngineFactory, nativeLibraryReport } from './registry.js';
import { lowerEngineThreadPriority } from './thread-priority.js';
import { giveUpDetachingProtector } from './array-buffer-detaching.js';
import { ClientClock } from './client-clock.js';
import { engineWarmUpSteps, idleWarmUp, linearProgramWarmUpSteps, preparationWarmUpStep, WARM_UP_IDLE_MS } from './warm-up.js';

const CACHE_SIZE = 32;
/** Map iteration order is insertion order: re-inserting on use makes the first entry the LRU. */
const cache = new Map<string, Engine>();

async function engineFor(algorithm: string, key: string, model: Uint8Array | undefined): Promise<Engine> {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  // The pool left the bytes out because this worker had the model; it has been evicted since.
  if (model === undefined) throw new PgError(MODEL_NOT_CACHED, `model ${key} is no longer cached in this worker`);
  const engine = await getLocalEngineFactory(algorithm).deserialize(model);
  cache.set(key, engine);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return engine;
}

/**
 * Engines hand over the arrays they return (engine.ts), so the whole buffer can move to the main
 * thread without a copy; a view into a larger buffer is copied first so nothing else gets detached.
 */
function handOver<T extends Float32Array | Uint8Array>(array: T): { value: T; buffer: ArrayBuffer } {
  const whole = array.byteOffset === 0 && array.byteLength === array.buffer.byteLength && array.buffer instanceof ArrayBuffer;
  const value = (whole ? array : array.slice()) as T;
  return { value, buffer: value.buffer as ArrayBuffer };
}

/** An update on a running request (pool.ts hands it to the request's progress callback). */
function report(id: number, progress: unknown): void {
  const message: WorkerProgress = { id, progress };
  parentPort?.postMessage(message);
}

async function execute(request: WorkerRequest): Promise<{ result: WorkerResults[keyof WorkerResults]; transfer: ArrayBuffer[] }> {
  switch (request.op) {
    case 'fit': {
      const { data, options } = request.payload as WorkerRequest<'fit'>['payload'];
      const engine = getLocalEngineFactory(request.algorithm).create();
      try {
        await engine.fit(data, options, undefined, (progress) => report(request.id, progress));
        const model = handOver(await engine.serialize());
        return { result: { model: model.value, runtime: engine.runtime }, transfer: [model.buffer] };
      } finally {
        engine.dispose?.();
      }
    }
    case 'run': {
      const { module, name, input } = request.payload as WorkerRequest<'run'>['payload'];
      const job = (await import(module))[name] as (input: unknown, report: (update: unknown) => void) => unknown;
      return { result: await job(input, (update) => report(request.id, update)), transfer: [] };
    }
    case 'warm': {
      nativeLibraryReport();
      for (const module of (request.payload as WorkerRequest<'warm'>['payload']).modules) await import(module);
      return { result: undefined, transfer: [] };
    }
    case 'load': {
      const { key, model } = request.payload as WorkerRequest<'load'>['payload'];
      const engine = await engineFor(request.algorithm, key, model);
      return { result: { runtime: engine.runtime }, transfer: [] };
    }
    case 'predict':
    case 'predictProba': {
      const { key, model, x, rows } = request.payload as WorkerRequest<'predict'>['payload'];
      const engine = await engineFor(request.algorithm, key, model);
      let out: Float32Array;
      if (request.op === 'predict') out = await engine.predict(x, rows);
      else if (engine.predictProba) out = await engine.predictProba(x, rows);
      else throw new PgError(SqlState.FeatureNotSupported, `${request.algorithm} does not produce class probabilities`);
      const handed = handOver(out);
      return { result: handed.value, transfer: [handed.buffer] };
    }
    case 'predictWithProba': {
      const { key, model, x, rows } = request.payload as WorkerRequest<'predictWithProba'>['payload'];
      const engine = await engineFor(request.algorithm, key, model);
      const predicted = handOver(await engine.predict(x, rows));
      const probabilities = await probabilitiesIfAny(engine, x, rows);
      if (probabilities === undefined) return { result: { predicted: predicted.value }, transfer: [predicted.buffer] };
      const proba = handOver(probabilities);
      return { result: { predicted: predicted.value, proba: proba.value }, transfer: [predicted.buffer, proba.buffer] };
    }
  }
}

function serializeError(error: unknown, request: WorkerRequest): SerializedError {
  const pg = PgError.fromLibrary(error, doing(request));
  return { code: pg.code, message: pg.message, detail: pg.detail, hint: pg.hint, column: pg.column };
}

const port = parentPort;
if (!port) throw new Error('engines/worker.ts must run as a worker thread (see pool.ts)');

// Background work beside the event loop: nice 10 on Linux (thread-priority.ts).
lowerEngineThreadPriority();
// Before anything is compiled: the thread's first detached buffer would discard the warm-up's code (array-buffer-detaching.ts).
giveUpDetachingProtector();

/** How long after its reply a job whose result shares matrices has its memory given back. */
const RELEASE_AFTER_REPLY_MS = 100;

/** Requests being executed: the JIT warm-up (warm-up.ts) runs only while there are none. */
let inFlight = 0;
const clients = new ClientClock((workerData as EngineWorkerData).clientClock);
// Nor while clients are being served: V8 compiles what the steps run beside their statements (client-clock.ts).
const warmUp = idleWarmUp([preparationWarmUpStep(), ...engineWarmUpSteps()], () => inFlight > 0, WARM_UP_IDLE_MS, () => clients.heardWithin(WARM_UP_IDLE_MS));

/** When this thread gives memory back around a reply (memory-release.ts). */
interface Release {
  /** The request's matrices: collectable once the job is done, so before the reply. */
  beforeReply: boolean;
  /** The result's: the reply shares them with the main thread, so only once it is sent. */
  afterReply: boolean;
}

/**
 * A request's reply, and when to give memory back: only this function sees the request, so once it
 * returns, nothing of this thread references the request's matrices any more.
 */
async function answer(request: WorkerRequest): Promise<{ reply: WorkerReply; transfer: ArrayBuffer[]; release: Release }> {
  // A training's jobs: the matrices come in the payload, or (the read's decoding) in the result.
  const data = request.op === 'run' || request.op === 'fit';
  const beforeReply = data && sharedBytes(request.payload) >= RELEASE_MIN_SHARED_BYTES;
  try {
    const { result, transfer } = await execute(request);
    const afterReply = data && sharedBytes(result) >= RELEASE_MIN_SHARED_BYTES;
    return { reply: { id: request.id, ok: true, result }, transfer, release: { beforeReply, afterReply } };
  } catch (error) {
    return { reply: { id: request.id, ok: false, error: serializeError(error, request) }, transfer: [], release: { beforeReply, afterReply: false } };
  }
}

/**
 * A training's request (a fit, or a training job: prepare.ts names its algorithm) first runs the warm-up
 * steps still queued for that algorithm on this thread (warm-up.ts): a first fit that came before the idle
 * warm-up reached them ran in V8's interpreter, at up to 20× its warm CPU (misc1, sgd4 in BENCHMARKS.md).
 * Other requests wait for the step running, if any, only.
 */
async function warmThenAnswer(request: WorkerRequest): ReturnType<typeof answer> {
  if (request.op === 'fit' || request.op === 'run') await warmUp.before(request.algorithm, trainingTask(request));
  return answer(request);
}

/**
 * The task a training request fits, where its payload says: a fit's options, a training job's input
 * (fit-job.ts, candidate-job.ts). Steps are keyed by algorithm and task (warm-up.ts): a `linear`
 * regression no longer runs logistic regression's steps first.
 */
function trainingTask(request: WorkerRequest): Task | undefined {
  const payload = request.payload as { options?: { task?: unknown }; input?: { task?: unknown } };
  const task = request.op === 'fit' ? payload.options?.task : payload.input?.task;
  return typeof task === 'string' ? (task as Task) : undefined;
}

port.on('message', (request: WorkerRequest) => {
  inFlight++;
  const warm = request.op === 'warm';
  void warmThenAnswer(request).then(({ reply, transfer, release }) => {
    // Before the reply, so a training that has ended holds nothing here any more when the pool hears of it.
    if (release.beforeReply) releaseFreedMemory();
    port.postMessage(reply, transfer);
    inFlight--;
    // Again once this turn of the loop is over: a release in setImmediate after the decoding job's
    // reply still found its matrix referenced (by what, not identified: removing the job's port
    // listener did not change it), and the idle thread then held the matrix until its next job;
    // 100 ms later it is free (decode-memory.test.ts). A training job's release before its reply
    // may miss its matrix the same way.
    if (release.beforeReply || release.afterReply) setTimeout(releaseFreedMemory, RELEASE_AFTER_REPLY_MS);
    // The pool's warm request starts a thread ahead of use: its JIT warm-up follows at once, and only this
    // thread warms quantile's HiGHS (warm-up.ts).
    if (warm) warmUp.start(linearProgramWarmUpSteps());
    else warmUp.resume();
  });
});
