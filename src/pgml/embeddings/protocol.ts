/** Messages between the proxy and the embedding thread (structured clone: plain data only). */
import type { EmbedOptions } from './options.js';
import type { RankOptions } from './rank.js';
import type { ModelSources } from './sources.js';

/**
 * `numbers` for JSON results; `float32`: the float4 values as Float32Arrays, views of one buffer per
 * request (per-row evaluation writes them upstream in binary, with nothing to format or parse).
 */
export type EmbeddingFormat = 'numbers' | 'float32';

export type EmbedderRequest =
  /** The vectors come back as Float32Arrays (views of one buffer); the proxy makes numbers where it needs them. */
  | { id: number; op: 'embed'; model: string; texts: string[]; options: EmbedOptions; sources: ModelSources }
  /** `task` undefined: the model's config tells it. */
  | { id: number; op: 'transform'; model: string; task: string | undefined; inputs: string[]; args: Record<string, unknown>; sources: ModelSources }
  /** pgml.chunk: each text's chunks, in order (a statement's rows go in one request). */
  | { id: number; op: 'chunk'; splitter: string; texts: string[]; kwargs: Record<string, unknown>; sources: ModelSources }
  | { id: number; op: 'rank'; model: string; query: string; documents: string[]; options: RankOptions; sources: ModelSources }
  /**
   * pgml.transform_stream: generated text sent as `row` replies while it is made; at most `window`
   * rows travel unacknowledged (EmbedderCredit), beyond that generation waits.
   */
  /** pgml.transform's conversational task: the answer to chat messages. */
  | { id: number; op: 'chat'; model: string; task: string | undefined; messages: unknown[]; args: Record<string, unknown>; sources: ModelSources }
  | { id: number; op: 'stream'; model: string; task: string | undefined; input: StreamInput; args: Record<string, unknown>; window: number; sources: ModelSources };

/** A prompt to complete, or chat messages (`{"role": ..., "content": ...}`) for the conversational task. */
export type StreamInput = { kind: 'text'; text: string } | { kind: 'chat'; messages: unknown[] };

/** Stops request `id`: the thread checks between batches of texts and drops what is left. */
export type EmbedderCancel = { op: 'cancel'; id: number };

/** The proxy has taken `rows` more rows of stream `id` off the thread's hands. */
export type EmbedderCredit = { op: 'credit'; id: number; rows: number };

/** The thread stops its inference threads and exits, between runs (thread-stop.ts); requests under way are dropped. */
export type EmbedderStop = { op: 'stop' };

export type EmbedderReply =
  /** A progress message for the client of request `id` (a model being downloaded); the request goes on. */
  | { id: number; notice: string }
  /** One row of a stream request; the request goes on. */
  | { id: number; row: string[] }
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string; detail?: string | undefined; hint?: string | undefined } };
