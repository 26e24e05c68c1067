/**
 * The reading half of the training relation's binary read: a row sink on the event loop that only
 * copies each DataRow body into a chunk (one memcpy) and hands full chunks, transferred, to a
 * decoding job on an engine pool thread (decode-job.ts). A result that fits in one chunk (small
 * relations, e.g. breast_cancer) is decoded here at the end instead: a bounded step of at most
 * CHUNK_BYTES, which spares the small fit a worker round trip.
 *
 * Memory: the chunks in flight (sent, not yet decoded) on top of the matrix. Nothing holds the
 * upstream back when the decoder falls behind: while every pool thread is busy (another training's
 * fit) the job waits in the pool's queue and the chunks queue in its port, up to the whole result.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { BinaryRowSink } from '../../db/queryable.js';
import { runInWorker } from '../engines/pool.js';
import type { RawMatrix } from '../preparation/raw-matrix.js';
import { decodeChunk, relationDecoder, type DecodeJob, type DecodeMessage } from './decode-job.js';

/**
 * 64 KB (about 260 rows of 30 float4 features): decoding one on the event loop took 0.5-1.2 ms
 * (median of 30, load average 13-14 on the shared 2-core machine; BENCHMARKS.md, "Training's
 * binary read decoded off the event loop").
 */
export const CHUNK_BYTES = 64 * 1024;

const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
/** The decoding job's module, by URL for the pool (warmTrainingWorkers loads it ahead). */
export const DECODE_MODULE = new URL(`./decode-job.${extension}`, import.meta.url).href;

export class OffThreadRowSink implements BinaryRowSink {
  private chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private used = 0;
  private port: MessagePort | undefined;
  private decoded: Promise<RawMatrix | null> | undefined;

  constructor(private readonly job: Omit<DecodeJob, 'port'>) {}

  row(data: Buffer, start: number): void {
    const length = data.length - start;
    if (this.used + 4 + length > this.chunk.length) this.send(4 + length);
    this.chunk.writeInt32LE(length, this.used);
    data.copy(this.chunk, this.used + 4, start);
    this.used += 4 + length;
  }

  /** Every row has arrived: the matrix, decoded here when it all fit in one chunk. */
  async finish(): Promise<RawMatrix> {
    if (this.port === undefined) {
      const { builder, sink } = relationDecoder(this.job);
      decodeChunk(this.chunk.subarray(0, this.used), sink);
      return builder.finish();
    }
    this.send(0);
    this.post({ end: true });
    return (await this.decoded) as RawMatrix;
  }

  /** The read failed upstream: the job stops and its error, if it had one, is not the one reported. */
  abandon(): void {
    if (this.port === undefined) return;
    this.post({ abandon: true });
    this.decoded?.catch(() => {});
  }

  /** Hands the filled part of the chunk over and starts a new one of at least `needed` bytes. */
  private send(needed: number): void {
    if (this.port === undefined) this.start();
    if (this.used > 0) {
      const buffer = this.chunk.buffer as ArrayBuffer;
      this.port!.postMessage({ chunk: buffer, bytes: this.used } satisfies DecodeMessage, [buffer]);
    }
    this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, needed));
    this.used = 0;
  }

  private start(): void {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const input = { module: DECODE_MODULE, name: 'decodeRowsJob', input: { ...this.job, port: port2 }, what: 'reading the training data' };
    // A MessagePort is transferable like a buffer; the pool's signature names buffers only.
    this.decoded = runInWorker('dataset', 'run', input, [port2 as unknown as ArrayBuffer]) as Promise<RawMatrix | null>;
    // Raised by finish(), or dropped by abandon(); never unhandled meanwhile.
    this.decoded.catch(() => {});
  }

  private post(message: DecodeMessage): void {
    // The job closes its end once it is done; messages posted after that go nowhere.
    this.port!.postMessage(message);
  }
}
