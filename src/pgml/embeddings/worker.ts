/**
 * The embedding thread: owns every loaded model (once per process, shared by all connections)
 * and runs tokenization, inference and pooling off the proxy's event loop. Requests may overlap;
 * a model being loaded is awaited by everyone who asks for it meanwhile.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { PgError, SqlState } from '../../errors/index.js';
import { downloadModel } from './hub.js';
import { findLocalModel, modelNotFound, repoId } from './sources.js';
import { runTask } from './pipelines.js';
import { rank } from './rank.js';
import { splitIntoChunks } from './splitters.js';
import { answerChat, streamGeneration } from './stream.js';
import { parseTask, taskFromConfig } from './tasks.js';
import { TransformerModel } from './transformer.js';
import { WINK_MODEL, embedWords, loadWordVectors, type WordVectors } from './wink.js';
import { stopInferenceThreads } from './inference-thread.js';
import type { EmbedderCancel, EmbedderCredit, EmbedderReply, EmbedderRequest, EmbedderStop } from './protocol.js';

let wink: Promise<WordVectors> | undefined;
/** Requests the proxy gave up on (a cancel or statement_timeout: their caller already has 57014). */
const canceled = new Set<number>();
/** Texts the word-vector model embeds between two looks at `canceled`. */
const WINK_CHUNK = 2000;
/** Characters pgml.chunk splits between two looks at `canceled`. */
const CHUNK_CHARACTERS = 1_000_000;

function checkpointFor(id: number): () => void {
  return () => {
    if (canceled.has(id)) throw new PgError(SqlState.QueryCanceled, 'canceling statement due to user request');
  };
}
const transformers = new Map<string, Promise<TransformerModel>>();

/** A stream request's rows sent and taken by the proxy, and the step waiting for room. */
interface Pacing {
  sent: number;
  taken: number;
  wake: (() => void) | undefined;
}
const pacings = new Map<number, Pacing>();

function pacingFor(request: Extract<EmbedderRequest, { op: 'stream' }>): { emit(row: string[]): void; paced(): Promise<void> } {
  const pacing: Pacing = { sent: 0, taken: 0, wake: undefined };
  pacings.set(request.id, pacing);
  return {
    emit(row) {
      pacing.sent += 1;
      parentPort?.postMessage({ id: request.id, row } satisfies EmbedderReply);
    },
    async paced() {
      // A canceled request goes on to its next stopping check, which ends it.
      while (pacing.sent - pacing.taken >= request.window && !canceled.has(request.id)) {
        await new Promise<void>((resolve) => (pacing.wake = resolve));
      }
    },
  };
}

function wakePacing(id: number): void {
  const pacing = pacings.get(id);
  const wake = pacing?.wake;
  if (pacing) pacing.wake = undefined;
  wake?.();
}

/** The model's local directory, downloaded first when allowed. */
async function modelDir(name: string, request: EmbedderRequest): Promise<string> {
  const repo = repoId(name);
  const notice = (message: string) => parentPort?.postMessage({ id: request.id, notice: message } satisfies EmbedderReply);
  const dir = findLocalModel(repo, request.sources) ?? (request.sources.allowDownloads ? await downloadModel(repo, request.sources, notice) : undefined);
  if (!dir) throw modelNotFound(repo, request.sources);
  return dir;
}

async function transformer(name: string, request: EmbedderRequest): Promise<TransformerModel> {
  const repo = repoId(name);
  let loading = transformers.get(repo);
  if (!loading) {
    loading = modelDir(name, request).then((dir) => TransformerModel.load(dir));
    transformers.set(repo, loading);
    // A failed load is not cached: the operator may copy the model in and retry.
    loading.catch(() => transformers.delete(repo));
  }
  return loading;
}

function readConfig(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
}

/**
 * The vectors as views of one buffer, which the reply copies once instead of a buffer per vector.
 * (The real[] text this thread made before cost it 2% of its time, and the upstream a float4in
 * per value.)
 */
function packed(vectors: Float32Array[]): Float32Array[] {
  const all = new Float32Array(vectors.reduce((n, v) => n + v.length, 0));
  let at = 0;
  return vectors.map((v) => {
    all.set(v, at);
    at += v.length;
    return all.subarray(at - v.length, at);
  });
}

/**
 * Each text's chunks. Between runs of about CHUNK_CHARACTERS characters the thread yields, so the
 * requests of other connections and a cancel of this one get in.
 */
async function chunkAll(splitter: string, texts: readonly string[], kwargs: Record<string, unknown>, checkpoint: () => void): Promise<string[][]> {
  const out: string[][] = [];
  let sinceYield = 0;
  for (const text of texts) {
    if (sinceYield > CHUNK_CHARACTERS) {
      await new Promise((resolve) => setImmediate(resolve));
      checkpoint();
      sinceYield = 0;
    }
    out.push(splitIntoChunks(splitter, text, kwargs));
    sinceYield += text.length;
  }
  return out;
}

async function execute(request: EmbedderRequest): Promise<unknown> {
  const checkpoint = checkpointFor(request.id);
  switch (request.op) {
    case 'embed': {
      if (request.model === WINK_MODEL) {
        if (request.options.pooling !== undefined && request.options.pooling !== 'mean') {
          throw new PgError(SqlState.InvalidParameterValue, `model "${WINK_MODEL}" supports only mean pooling`);
        }
        if (request.options.promptName !== undefined) {
          throw new PgError(SqlState.InvalidParameterValue, `model "${WINK_MODEL}" has no named prompts: use "prompt"`);
        }
        wink ??= loadWordVectors();
        wink.catch(() => (wink = undefined));
        const vectors = await wink;
        const out: Float32Array[] = [];
        for (let start = 0; start < request.texts.length; start += WINK_CHUNK) {
          // Yield first, so a cancel message sent meanwhile is read.
          if (start > 0) await new Promise((resolve) => setImmediate(resolve));
          checkpoint();
          for (const t of request.texts.slice(start, start + WINK_CHUNK)) {
            out.push(embedWords(vectors, (request.options.prompt ?? '') + t, request.options.normalize ?? true));
          }
        }
        return packed(out);
      }
      const model = await transformer(request.model, request);
      return packed(await model.embed(request.texts, request.options, checkpoint));
    }
    case 'rank':
      if (request.model === WINK_MODEL) throw new PgError(SqlState.InvalidParameterValue, `model "${WINK_MODEL}" is an embedding model, not a cross-encoder`);
      return rank(await modelDir(request.model, request), request.query, request.documents, request.options, checkpoint);
    case 'chunk':
      return chunkAll(request.splitter, request.texts, request.kwargs, checkpoint);
    case 'transform': {
      if (request.model === WINK_MODEL) {
        throw new PgError(SqlState.InvalidParameterValue, `model "${WINK_MODEL}" is an embedding model: use pgml.embed`);
      }
      const dir = await modelDir(request.model, request);
      const spec = request.task !== undefined ? parseTask(request.task) : { task: taskFromConfig(readConfig(dir), request.model) };
      return runTask({ dir, spec, inputs: request.inputs, args: request.args, checkpoint, isStopped: () => canceled.has(request.id) });
    }
    case 'chat': {
      if (request.model === WINK_MODEL) throw new PgError(SqlState.InvalidParameterValue, `model "${WINK_MODEL}" is an embedding model, not a generator`);
      const dir = await modelDir(request.model, request);
      const input = { kind: 'chat' as const, messages: request.messages };
      const answer = await answerChat({ dir, model: request.model, task: request.task, config: readConfig(dir), input, args: request.args, isStopped: () => canceled.has(request.id) });
      checkpoint();
      return answer;
    }
    case 'stream': {
      if (request.model === WINK_MODEL) throw new PgError(SqlState.InvalidParameterValue, `model "${WINK_MODEL}" is an embedding model, not a generator`);
      const dir = await modelDir(request.model, request);
      const pacing = pacingFor(request);
      try {
        await streamGeneration({ dir, model: request.model, task: request.task, config: readConfig(dir), input: request.input, args: request.args, ...pacing, isStopped: () => canceled.has(request.id) });
      } finally {
        pacings.delete(request.id);
      }
      checkpoint();
      return null;
    }
  }
}

/**
 * Exits once the inference threads this thread started have exited (had it exited first, Node would
 * terminate them, perhaps under a run). Called from this thread's JavaScript, so no run of its own
 * is under way: exiting is safe (thread-stop.ts).
 */
async function stop(): Promise<never> {
  await stopInferenceThreads();
  process.exit(0);
}

parentPort?.on('message', (request: EmbedderRequest | EmbedderCancel | EmbedderCredit | EmbedderStop) => {
  if (request.op === 'stop') {
    void stop();
    return;
  }
  if (request.op === 'cancel') {
    canceled.add(request.id);
    wakePacing(request.id);
    return;
  }
  if (request.op === 'credit') {
    const pacing = pacings.get(request.id);
    if (pacing) pacing.taken += request.rows;
    wakePacing(request.id);
    return;
  }
  execute(request)
    .finally(() => canceled.delete(request.id))
    .then(
      (result) => parentPort?.postMessage({ id: request.id, ok: true, result } satisfies EmbedderReply),
      (error: unknown) => {
        const e = PgError.fromLibrary(error, requestDescription(request));
        parentPort?.postMessage({
          id: request.id,
          ok: false,
          error: { code: e.code, message: e.message, detail: e.detail, hint: e.hint },
        } satisfies EmbedderReply);
      },
    );
});

/** What a failed request was doing, for the error that names it ("running transform with model ..."). */
function requestDescription(request: EmbedderRequest): string {
  switch (request.op) {
    case 'embed':
      return `embedding with model "${request.model}"`;
    case 'transform':
      return `running pgml.transform with model "${request.model}"`;
    case 'rank':
      return `ranking with model "${request.model}"`;
    case 'chunk':
      return `chunking with the ${request.splitter} splitter`;
    case 'stream':
      return `running pgml.transform_stream with model "${request.model}"`;
    case 'chat':
      return `running pgml.transform with model "${request.model}"`;
  }
}
