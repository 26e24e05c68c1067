/**
 * The reading half of the training relation's binary read: a row sink on the event loop that only
 * copies DataRow messages into a chunk (one memcpy per run of rows the socket read holds, rowRun, or
 * per row cut between two reads, row) and hands full chunks, transferred, to a
 * decoding job on an engine pool thread (decode-job.ts). A result that fits in one chunk (small
 * relations, e.g. breast_cancer) is decoded here at the end instead: a bounded step of at most
 * CHUNK_BYTES, which spares the small fit a worker round trip.
 *
 * Turns: after each chunk the sink pauses the upstream until the next turn of the event loop, so
 * other sessions get theirs between two chunks of the read; while other sessions are active, until
 * the read's byte budget allows the next chunk (read-pacer.ts), so they also get the CPU.
 *
 * Memory: at most MAX_CHUNKS_WAITING chunks sent and not yet decoded, on top of the matrix. When
 * the decoder falls behind (every pool thread busy with other fits, so the job waits in the pool's
 * queue) the sink pauses the session's upstream socket and resumes it once half of them are decoded;
 * the rest of the socket read that was under way (up to 64 KB, two chunks) still arrives. Decoded
 * chunks' buffers come back, RETURN_BATCH in one message (decode-job.ts), and are filled again: no
 * allocation per chunk once the read runs.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { BinaryRowSink, ReadFlow } from '../../db/queryable.js';
import { runInWorker } from '../engines/pool.js';
import type { RawMatrix } from '../preparation/raw-matrix.js';
import { DATA_ROW_HEADER, decodeChunk, relationDecoder, type ChunkDecoded, type DecodeJob, type DecodeMessage } from './decode-job.js';
import { ReadPacer, type PaceSettings } from './read-pacer.js';

/**
 * 64 KB (about 260 rows of 30 float4 features): decoding one on the event loop took 0.5-1.2 ms
 * (median of 30, load average 13-14 on the shared 2-core machine; BENCHMARKS.md, "Training's
 * binary read decoded off the event loop").
 */
export const CHUNK_BYTES = 64 * 1024;

/** Chunks that may wait for the decoder before the upstream is paused: 1 MB. */
export const MAX_CHUNKS_WAITING = 16;
const RESUME_AT = MAX_CHUNKS_WAITING / 2;

const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
/** The decoding job's module, by URL for the pool (warmTrainingWorkers loads it ahead). */
export const DECODE_MODULE = new URL(`./decode-job.${extension}`, import.meta.url).href;

export class OffThreadRowSink implements BinaryRowSink {
  private chunk: Buffer = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private used = 0;
  private port: MessagePort | undefined;
  private decoded: Promise<RawMatrix | null> | undefined;
  private control: ReadFlow | undefined;
  /** Why the upstream is paused: too many chunks wait for the decoder, or this turn has read its chunk. */
  private backlogged = false;
  private yielding = false;
  /** The timer that ends this turn's pause when the pacer asked for one. */
  private paceTimer: NodeJS.Timeout | undefined;
  private readonly pacer: ReadPacer | undefined;
  /** Chunks sent to the job and not decoded yet, and the most that ever waited at once. */
  private waiting = 0;
  private peak = 0;
  /** Buffers of decoded chunks, to fill again. */
  private readonly spare: ArrayBuffer[] = [];
  /** The job has answered or failed: nothing more is decoded, and nothing holds the upstream back. */
  private ended = false;

  /** `pace`, when given, holds the read to its byte budget while other sessions are active. */
  constructor(
    private readonly job: Omit<DecodeJob, 'port'>,
    pace?: PaceSettings,
  ) {
    this.pacer = pace === undefined ? undefined : new ReadPacer(pace, CHUNK_BYTES);
  }

  flow(control: ReadFlow): void {
    this.control = control;
  }

  /** The most chunks that waited for the decoder at once during this read. */
  get peakWaiting(): number {
    return this.peak;
  }

  /**
   * `data` is a whole DataRow message as the session frames it (its body at 5). It is copied whole:
   * a copy from offset 0 allocates no view, one object less per row on the event loop. Its length
   * field is rewritten so that the chunk is a run of well-formed messages whatever the header held.
   */
  row(data: Buffer, start: number): void {
    if (this.ended) return;
    if (start !== DATA_ROW_HEADER) throw new Error(`a DataRow's body starts at ${DATA_ROW_HEADER}, not ${start}`);
    if (this.used + data.length > this.chunk.length) {
      this.send();
      this.chunk = this.emptyChunk(data.length);
    }
    data.copy(this.chunk, this.used);
    this.chunk.writeInt32BE(data.length - 1, this.used + 1);
    this.used += data.length;
  }

  /**
   * Whole DataRow messages back to back at data[start, end), a slice of the upstream's socket read:
   * copied into the chunk with one memcpy per chunk they fill, and no object per row. The messages
   * come framed (their lengths checked and exact), so they go into the chunk as they are.
   */
  rowRun(data: Buffer, start: number, end: number): void {
    if (this.ended) return;
    let at = start;
    while (at < end) {
      const stop = lastFitting(data, at, end, this.chunk.length - this.used);
      if (stop === at) {
        // Not even the next row fits in what is left: hand the chunk over, as row() does.
        this.send();
        this.chunk = this.emptyChunk(1 + data.readInt32BE(at + 1));
        continue;
      }
      data.copy(this.chunk, this.used, at, stop);
      this.used += stop - at;
      at = stop;
    }
  }

  /** Every row has arrived: the matrix, decoded here when it all fit in one chunk. */
  async finish(): Promise<RawMatrix> {
    if (this.port === undefined) {
      const { builder, sink } = relationDecoder(this.job);
      decodeChunk(this.chunk.subarray(0, this.used), sink);
      return builder.finish();
    }
    this.send();
    this.post({ end: true });
    // The read is over: the rest of the session's answers must flow whatever the decoder does.
    this.unpause();
    return (await this.decoded) as RawMatrix;
  }

  /** The read failed upstream: the job stops and its error, if it had one, is not the one reported. */
  abandon(): void {
    this.unpause();
    if (this.port === undefined) return;
    this.post({ abandon: true });
    this.decoded?.catch(() => {});
  }

  /** Hands the filled part of the chunk over (transferred: the chunk is unusable after it). */
  private send(): void {
    if (this.port === undefined) this.start();
    if (this.used === 0) return;
    const buffer = this.chunk.buffer as ArrayBuffer;
    const bytes = this.used;
    this.port!.postMessage({ chunk: buffer, bytes } satisfies DecodeMessage, [buffer]);
    this.used = 0;
    this.waiting++;
    this.peak = Math.max(this.peak, this.waiting);
    if (this.ended) return;
    if (this.waiting >= MAX_CHUNKS_WAITING) this.hold('backlogged');
    // libuv reads a readable socket up to 32 times in a row: without a pause here one turn of the
    // event loop could copy 2 MB of rows while other sessions wait. One chunk per turn instead.
    // Every chunk counts against the budget, also one that came in the turn's paused socket read.
    const delay = this.pacer?.delayAfter(bytes) ?? 0;
    if (!this.yielding) {
      this.hold('yielding');
      if (delay > 0) this.paceTimer = setTimeout(() => this.release('yielding'), delay);
      else setImmediate(() => this.release('yielding'));
    }
  }

  /** A decoded chunk's buffer when one is free and large enough, else a new one. */
  private emptyChunk(needed: number): Buffer {
    const spare = needed <= CHUNK_BYTES ? this.spare.pop() : undefined;
    return spare === undefined ? Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, needed)) : Buffer.from(spare);
  }

  private onDecoded(message: ChunkDecoded): void {
    this.waiting -= message.decoded.length;
    this.spare.push(...message.decoded);
    if (this.waiting <= RESUME_AT) this.release('backlogged');
  }

  private hold(reason: 'backlogged' | 'yielding'): void {
    if (this.control === undefined || this[reason]) return;
    const paused = this.backlogged || this.yielding;
    this[reason] = true;
    if (!paused) this.control.pause();
  }

  private release(reason: 'backlogged' | 'yielding'): void {
    if (!this[reason]) return;
    this[reason] = false;
    if (!this.backlogged && !this.yielding) this.control?.resume();
  }

  /** Nothing holds the upstream back any more (the read is over, or the decoder has ended). */
  private unpause(): void {
    clearTimeout(this.paceTimer);
    this.release('backlogged');
    this.release('yielding');
  }

  private start(): void {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    port1.on('message', (message: ChunkDecoded) => this.onDecoded(message));
    const input = { module: DECODE_MODULE, name: 'decodeRowsJob', input: { ...this.job, port: port2 }, what: 'reading the training data' };
    // A MessagePort is transferable like a buffer; the pool's signature names buffers only.
    this.decoded = runInWorker('dataset', 'run', input, [port2 as unknown as ArrayBuffer]) as Promise<RawMatrix | null>;
    const ended = (): void => {
      this.ended = true;
      this.unpause();
      port1.close();
    };
    this.decoded.then(ended, ended);
    // Raised by finish(), or dropped by abandon(); never unhandled meanwhile.
    this.decoded.catch(() => {});
  }

  private post(message: DecodeMessage): void {
    // The job closes its end once it is done; messages posted after that go nowhere.
    this.port!.postMessage(message);
  }
}

/** The end of the longest run of whole messages from `at` (before `end`) that fits in `room` bytes. */
function lastFitting(data: Buffer, at: number, end: number, room: number): number {
  if (end - at <= room) return end;
  const limit = at + room;
  let stop = at;
  for (;;) {
    const next = stop + 1 + data.readInt32BE(stop + 1);
    if (next > limit) return stop;
    stop = next;
  }
}
