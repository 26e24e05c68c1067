/**
 * The proxy's side of the embedding thread: `embedBatch` and `transformBatch` for the SQL
 * functions (and for row-batch evaluation, which hands many rows' texts to one call). One Embedder
 * per process, built by the composition root and reached by every call through its context
 * (`ctx.services.embedder`, see services.ts), keeps each model loaded once; its worker is started
 * on first use and does not keep the process alive while idle.
 */
import type { Worker } from 'node:worker_threads';
import { PgError, SqlState } from '../../errors/index.js';
import type { EmbedOptions } from './options.js';
import type { RankOptions, Ranked } from './rank.js';
import type { EmbedderCancel, EmbedderCredit, EmbedderReply, EmbedderRequest, EmbedderStop, EmbeddingFormat, StreamInput } from './protocol.js';
import { defaultSources, findLocalModel, repoId, type ModelSources } from './sources.js';
import { startThreadBeside } from '../thread-start.js';
import { exitOf, stopThread } from '../thread-stop.js';
import { LatencyThread } from './latency-thread.js';
import { unlessAborted } from './abort-wait.js';
import { DEFAULT_LATENCY_SPIN_US } from './spinning.js';
import { WINK_MODEL } from './wink.js';

export { EmbedKwargs, embedOptions, type EmbedOptions } from './options.js';
export { WINK_MODEL } from './wink.js';
export { rankOptions, type RankOptions, type Ranked } from './rank.js';
export type { StreamInput } from './protocol.js';

/** The model sources for the --models-dir / --allow-downloads settings. */
export function embeddingSources(settings: { modelsDir?: string | undefined; allowDownloads?: boolean | undefined }): ModelSources {
  return {
    ...defaultSources(),
    ...(settings.modelsDir !== undefined ? { modelsDir: settings.modelsDir } : {}),
    allowDownloads: settings.allowDownloads ?? false,
  };
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  notice: ((message: string) => void) | undefined;
  /** A stream request's rows, as they come. */
  row?: ((row: string[]) => void) | undefined;
}

/** Where a request's progress messages go: the calling client's session (CallContext.notice). */
export type NoticeSink = (message: string) => void;

/** Rows of a stream the thread may make ahead of the reader: generation waits beyond them. */
const STREAM_WINDOW = 8;

type Body = EmbedderRequest extends infer R ? (R extends EmbedderRequest ? Omit<R, 'id' | 'sources'> : never) : never;

export class Embedder {
  private worker: Worker | undefined;
  /** When the embedding thread has exited (stopThread). */
  private workerExited: Promise<number> | undefined;
  private readonly pending = new Map<number, Pending>();
  /**
   * Requests the thread has not answered yet, including ones the proxy gave up on: the thread
   * answers a canceled request once it has stopped working on it, so this shows whether a cancel
   * really stopped the work (/metrics: pgml_proxy_embedding_requests_running).
   */
  private readonly running = new Set<number>();
  private nextId = 1;
  /** Per model: requests to the embedding thread and texts they carried (/metrics shows whether calls are batched). */
  private readonly usageByModel = new Map<string, { requests: number; texts: number }>();
  /**
   * Per model name: its latency thread for single texts (latency-thread.ts), started at the
   * model's first single text; undefined while it loads or when it failed to.
   */
  private readonly latencyThreads = new Map<string, LatencyThread | undefined>();

  constructor(
    private readonly sources: ModelSources = defaultSources(),
    /** How long a latency thread's onnxruntime pool thread spins after a single text (--embed-spin-us). */
    private readonly latencySpinUs = DEFAULT_LATENCY_SPIN_US,
  ) {}

  requestsRunning(): number {
    return this.running.size + [...this.latencyThreads.values()].filter((t) => t?.running).length;
  }

  /** Texts `model`'s latency thread has answered; undefined while it has none (the routing tests). */
  latencyThreadTexts(model: string): number | undefined {
    return this.latencyThreads.get(model)?.answered;
  }

  usage(): { model: string; requests: number; texts: number }[] {
    return [...this.usageByModel].map(([model, counts]) => ({ model, ...counts }));
  }

  /** One embedding (plain numbers) per text, in order; `signal` stops it (57014). */
  embedBatch(model: string, texts: readonly string[], options: EmbedOptions = {}, signal?: AbortSignal, notice?: NoticeSink): Promise<number[][]> {
    if (texts.length === 0) return Promise.resolve([]);
    return this.embed(model, texts, options, 'numbers', signal, notice) as Promise<number[][]>;
  }

  /** One embedding per text, in order, as the float4 values themselves (views of one buffer). */
  async embedAsFloat32(model: string, texts: readonly string[], options: EmbedOptions = {}, signal?: AbortSignal): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    return (await this.embed(model, texts, options, 'float32', signal)) as Float32Array[];
  }

  /**
   * A pgml.transform task (a name as PostgresML takes it, or undefined for the model's own) over
   * `inputs`, answered in the shape Python's pipelines give.
   */
  transformBatch(model: string, task: string | undefined, inputs: readonly string[], args: Record<string, unknown>, signal?: AbortSignal, notice?: NoticeSink): Promise<unknown> {
    this.countUse(model, inputs);
    return this.call({ op: 'transform', model, task, inputs: [...inputs], args }, signal, notice);
  }

  /** pgml.transform's conversational task: the answer to the chat `messages`, in a list of one. */
  answerChat(model: string, task: string | undefined, messages: readonly unknown[], args: Record<string, unknown>, signal?: AbortSignal, notice?: NoticeSink): Promise<string[]> {
    this.countUse(model, []);
    return this.call({ op: 'chat', model, task, messages: [...messages], args }, signal, notice) as Promise<string[]>;
  }

  /**
   * pgml.transform_stream's rows (one string per sequence) as the thread generates them. Reading
   * paces generation (STREAM_WINDOW); `signal`, or leaving the loop early, stops it.
   */
  async *streamText(
    model: string,
    task: string | undefined,
    input: StreamInput,
    args: Record<string, unknown>,
    signal: AbortSignal,
    notice?: NoticeSink,
  ): AsyncGenerator<string[], void, undefined> {
    this.countUse(model, input.kind === 'text' ? [input.text] : []);
    const rows: { row: string[]; taken: () => void }[] = [];
    let wake: (() => void) | undefined;
    let outcome: { error?: unknown } | undefined;
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    void this.call({ op: 'stream', model, task, input, args, window: STREAM_WINDOW }, stop.signal, notice, (row, taken) => {
      rows.push({ row, taken });
      wake?.();
    }).then(
      () => (outcome = {}),
      (error: unknown) => (outcome = { error }),
    ).finally(() => wake?.());
    try {
      for (;;) {
        const next = rows.shift();
        if (next !== undefined) {
          next.taken();
          yield next.row;
        } else if (outcome !== undefined) {
          if (outcome.error !== undefined) throw outcome.error;
          return;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      // The reader left before the end (a portal closed): the thread stops generating.
      if (outcome === undefined) stop.abort(new PgError(SqlState.QueryCanceled, 'canceling statement: the stream was closed'));
    }
  }

  /**
   * pgml.chunk's chunks of each of `texts`, in order, split on the embedding thread in one request:
   * a document's size is the user's. /metrics counts them under `pgml.chunk:<splitter>`.
   */
  chunkTexts(splitter: string, texts: readonly string[], kwargs: Record<string, unknown>, signal?: AbortSignal): Promise<string[][]> {
    this.countUse(`pgml.chunk:${splitter}`, texts);
    return this.call({ op: 'chunk', splitter, texts: [...texts], kwargs }, signal) as Promise<string[][]>;
  }

  /** pgml.rank: the documents scored against the query by a cross-encoder, best first. */
  rankDocuments(model: string, query: string, documents: readonly string[], options: RankOptions, signal?: AbortSignal, notice?: NoticeSink): Promise<Ranked[]> {
    this.countUse(model, documents);
    return this.call({ op: 'rank', model, query, documents: [...documents], options }, signal, notice) as Promise<Ranked[]>;
  }

  /**
   * Stops the threads (shutdown, tests) and resolves once they have exited; the next call starts a
   * fresh embedding thread. Requests to the embedding thread fail with 57P01; one out on a latency
   * thread gets its answer first. Each thread exits by itself between runs (thread-stop.ts).
   */
  async close(): Promise<void> {
    const w = this.worker;
    const exited = this.workerExited;
    this.worker = undefined;
    this.workerExited = undefined;
    this.failAll(new PgError(SqlState.AdminShutdown, 'embedding worker is shutting down'));
    const latency = [...this.latencyThreads.values()];
    this.latencyThreads.clear();
    const stopWorker = w && exited && stopThread(w, exited, () => w.postMessage({ op: 'stop' } satisfies EmbedderStop));
    await Promise.all([stopWorker, ...latency.map((t) => t?.close())]);
  }

  private async embed(model: string, texts: readonly string[], options: EmbedOptions, format: EmbeddingFormat, signal: AbortSignal | undefined, notice?: NoticeSink): Promise<unknown> {
    this.countUse(model, texts);
    const single = texts.length === 1 && model !== WINK_MODEL;
    const thread = single ? this.startLatencyThread(model) : undefined;
    if (thread) {
      const vector = await this.embedOnLatencyThread(thread, texts[0]!, options, signal);
      if (vector) return format === 'float32' ? [vector] : [numbersOf(vector)];
      // close() stopped the thread under the request: it fails as the embedding thread's would.
      if (this.latencyThreads.get(model) !== thread) throw new PgError(SqlState.AdminShutdown, 'embedding worker is shutting down');
    }
    // Float32Arrays from the thread whatever the caller wants: numbers made here (numbersOf) are
    // arrays of doubles like the latency thread's, where the thread's own number[] arrived as
    // arrays of boxed numbers, whose sight made V8's optimized real[] text (values.ts) convert
    // every later vector of doubles to boxed numbers (384 allocations a call).
    const result = (await this.call({ op: 'embed', model, texts: [...texts], options }, signal, notice)) as Float32Array[];
    if (single) this.startLatencyThread(model);
    return format === 'float32' ? result : result.map(numbersOf);
  }

  /** The text's vector from the model's latency thread, or undefined when it does not answer it now. */
  private embedOnLatencyThread(thread: LatencyThread, text: string, options: EmbedOptions, signal: AbortSignal | undefined): Promise<Float32Array | undefined> {
    if (signal?.aborted) return Promise.reject(PgError.from(signal.reason));
    const answer = thread.embed({ text, options: { ...options } });
    return signal ? unlessAborted(answer, signal) : answer;
  }

  /**
   * Starts the model's latency thread at its first single text, beside the embedding thread's load
   * of the model, or after that text when it had to be downloaded first. Models only ever embedded
   * in batches get none. Returns the model's thread once it is ready.
   */
  private startLatencyThread(model: string): LatencyThread | undefined {
    if (this.latencyThreads.has(model)) return this.latencyThreads.get(model);
    let dir: string | undefined;
    try {
      dir = findLocalModel(repoId(model), this.sources);
    } catch {
      return undefined; // an invalid name: the embedding thread says so
    }
    if (!dir) return undefined;
    this.latencyThreads.set(model, undefined);
    LatencyThread.start(dir, this.latencySpinUs).then(
      (thread) => {
        // close() ran meanwhile: the thread is not wanted.
        if (this.latencyThreads.has(model)) this.latencyThreads.set(model, thread);
        else void thread.close();
      },
      // Single texts stay on the embedding thread, which answers them as before.
      () => {},
    );
    return undefined;
  }

  private countUse(model: string, texts: readonly string[]): void {
    let counts = this.usageByModel.get(model);
    if (!counts) this.usageByModel.set(model, (counts = { requests: 0, texts: 0 }));
    counts.requests += 1;
    counts.texts += texts.length;
  }

  private failAll(error: PgError): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = startThreadBeside(import.meta.url, 'worker');
    w.unref();
    w.on('message', (reply: EmbedderReply) => {
      if ('notice' in reply) {
        this.pending.get(reply.id)?.notice?.(reply.notice);
        return;
      }
      if ('row' in reply) {
        this.pending.get(reply.id)?.row?.(reply.row);
        return;
      }
      this.running.delete(reply.id);
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) w.unref();
      if (reply.ok) p.resolve(reply.result);
      else p.reject(new PgError(reply.error.code, reply.error.message, { detail: reply.error.detail, hint: reply.error.hint }));
    });
    // A crashed worker fails what it was doing; the next call starts a new one.
    const lost = (error: PgError) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.running.clear();
      this.failAll(error);
    };
    w.on('error', (error) => lost(PgError.internal(error, 'running the embedding worker')));
    w.on('exit', (code) => lost(new PgError(SqlState.InternalError, `embedding worker exited with code ${code}`)));
    this.worker = w;
    this.workerExited = exitOf(w);
    return w;
  }

  /**
   * `signal` gives up on the request (its reason is the error) and tells the thread to stop it.
   * `row` receives a stream request's rows and the function that tells the thread one was taken.
   */
  private call(body: Body, signal: AbortSignal | undefined, notice?: NoticeSink, row?: (row: string[], taken: () => void) => void): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(PgError.from(signal.reason));
    const w = this.ensureWorker();
    const id = this.nextId++;
    const taken = () => w.postMessage({ op: 'credit', id, rows: 1 } satisfies EmbedderCredit);
    return new Promise((resolve, reject) => {
      const stop = () => {
        if (!this.pending.delete(id)) return;
        if (this.pending.size === 0) w.unref();
        w.postMessage({ op: 'cancel', id } satisfies EmbedderCancel);
        reject(PgError.from(signal?.reason));
      };
      signal?.addEventListener('abort', stop, { once: true });
      const settled = () => signal?.removeEventListener('abort', stop);
      this.pending.set(id, {
        resolve: (value) => (settled(), resolve(value)),
        reject: (error) => (settled(), reject(error)),
        notice,
        row: row && ((r) => row(r, taken)),
      });
      w.ref();
      this.running.add(id);
      w.postMessage({ ...body, id, sources: this.sources } as EmbedderRequest);
    });
  }
}

/**
 * A vector's floats as a number[] (what single calls return). Array.from on a Float32Array goes
 * through its iterator: 16 µs for 384 floats against about 1 µs for this loop (BENCHMARKS.md, issue 16, embed6).
 */
function numbersOf(vector: Float32Array): number[] {
  const numbers = new Array<number>(vector.length);
  for (let i = 0; i < vector.length; i++) numbers[i] = vector[i]!;
  return numbers;
}
