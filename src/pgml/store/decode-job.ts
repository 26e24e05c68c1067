/**
 * The decoding half of reading the training relation off the event loop: an engine pool job that
 * receives the session's binary DataRows in chunks over a MessagePort (off-thread-rows.ts sends
 * them, transferred) and decodes them into the raw matrix, which lives in SharedArrayBuffers and so
 * comes back to the main thread without a copy.
 *
 * A chunk is a run of DataRow messages as the protocol frames them: a type byte, an Int32 length
 * (itself included), the body.
 */
import type { MessagePort } from 'node:worker_threads';
import { PgError, SqlState } from '../../errors/index.js';
import type { BinaryRowSink } from '../../db/queryable.js';
import type { ColumnSpec } from '../preparation/columns.js';
import { RawMatrixBuilder, type RawMatrix } from '../preparation/raw-matrix.js';
import { binaryRowSink } from './binary-rows.js';

/** What names a relation in the error for one too large to train on. */
export interface RelationName {
  schema: string;
  name: string;
}

export interface DecodeJob {
  specs: ColumnSpec[];
  labelNames: readonly string[];
  relation: RelationName;
  maxBytes: number;
  port: MessagePort;
}

/** On the port, after the chunks: `end` (every row sent) or `abandon` (the read failed upstream). */
export type DecodeMessage = { chunk: ArrayBuffer; bytes: number } | { end: true } | { abandon: true };

/**
 * The job's answer to chunks once decoded: their buffers, transferred back to be filled again. One
 * answer per RETURN_BATCH chunks: each answer is a turn of the reader's event loop, where the
 * sessions beside the training wait.
 */
export interface ChunkDecoded {
  decoded: ArrayBuffer[];
}

/**
 * Chunks decoded per answer. The reader pauses at MAX_CHUNKS_WAITING (16) chunks waiting and resumes
 * at half of them: with at most RETURN_BATCH - 1 decoded and not answered, every pause ends.
 */
export const RETURN_BATCH = 8;

/** 53200 for a relation whose features need more than `maxBytes`, with the sizes and what to do. */
export function relationTooLarge(relation: RelationName, what: string, bytes: number, maxBytes: number): PgError {
  return new PgError(
    SqlState.OutOfMemory,
    `relation "${relation.schema}.${relation.name}" is too large to train on: ${what} ` +
      `need about ${megabytes(bytes)} MB as float32, above the limit of ${megabytes(maxBytes)} MB`,
    {
      hint:
        'train on a sample, e.g. a view with TABLESAMPLE SYSTEM (10) or ORDER BY random() LIMIT n, ' +
        'or raise --fit-memory-mb (PGML_FIT_MEMORY_MB)',
    },
  );
}

/** The builder and its row sink for a relation's rows, on whichever thread decodes them. */
export function relationDecoder(job: Omit<DecodeJob, 'port'>): { builder: RawMatrixBuilder; sink: BinaryRowSink } {
  const tooLarge = (bytes: number) => relationTooLarge(job.relation, 'its rows so far', bytes, job.maxBytes);
  const builder = new RawMatrixBuilder(job.specs, job.labelNames, job.maxBytes, tooLarge);
  return { builder, sink: binaryRowSink(job.specs, builder) };
}

/** A DataRow message's type byte and length, before its body. */
export const DATA_ROW_HEADER = 5;

/** Decodes every row of a chunk (the sink reads a row's fields by their own lengths). */
export function decodeChunk(chunk: Buffer, sink: BinaryRowSink): void {
  for (let at = 0; at < chunk.length; at += 1 + chunk.readInt32BE(at + 1)) sink.row(chunk, at + DATA_ROW_HEADER);
}

/**
 * The pool job (a 'run' of pool.ts): decodes chunks as they come until `end`, handing the chunks'
 * buffers back once decoded, RETURN_BATCH at a time (the reader counts the chunks waiting by these), then answers with the
 * raw matrix. The first decoding error ends it (the rest of the chunks are not read); `abandon` ends
 * it with no matrix.
 */
export function decodeRowsJob(job: DecodeJob): Promise<RawMatrix | null> {
  const { builder, sink } = relationDecoder(job);
  let decoded: ArrayBuffer[] = [];
  return new Promise((resolve, reject) => {
    const done = (settle: () => void) => {
      job.port.close();
      settle();
    };
    job.port.on('message', (message: DecodeMessage) => {
      if ('abandon' in message) done(() => resolve(null));
      else if ('end' in message) done(() => resolve(builder.finish()));
      else {
        try {
          decodeChunk(Buffer.from(message.chunk, 0, message.bytes), sink);
        } catch (error) {
          done(() => reject(error));
          return;
        }
        decoded.push(message.chunk);
        if (decoded.length < RETURN_BATCH) return;
        job.port.postMessage({ decoded } satisfies ChunkDecoded, decoded);
        decoded = [];
      }
    });
  });
}

function megabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0);
}
