import { PgError, SqlState } from '../errors/index.js';
import { anyMessage, type HeaderCheck } from './limits.js';

/** `message` is the whole message including its 5-byte header; `code` its type byte. */
export type MessageHandler = (code: number, message: Buffer) => void;

/**
 * Messages of one type handed out in runs rather than one by one: back-to-back whole messages in
 * one chunk come as one call with their bounds, so a consumer of many small messages (a large
 * result's DataRows) costs no view and no call per message. Messages of the type cut by a chunk
 * boundary still come one by one through the MessageHandler.
 */
export interface MessageRuns {
  /** The type byte of the messages handed out in runs. */
  readonly code: number;
  /**
   * Asked at the first whole message of each run: false hands the run's messages out one by one,
   * without asking again before a message of another type (so the answer may change only at one).
   */
  wanted(): boolean;
  /** Whole messages of `code`, back to back, at chunk[start, end); at least one. */
  run(chunk: Buffer, start: number, end: number): void;
}

const HEADER_LENGTH = 5;

/**
 * Splits a byte stream into typed messages. Complete messages are handed out as views into the
 * incoming chunk (no copy). A message cut by a chunk boundary is copied into one buffer of its
 * declared size, allocated once its header is known and checked, so receiving it costs time
 * linear in its size however many chunks it arrives in.
 */
export class MessageFramer {
  /** The header of a message whose first bytes ended a chunk. */
  private readonly header = Buffer.alloc(HEADER_LENGTH);
  private headerFilled = 0;
  /** The message being reassembled, at its full size, and how much of it has arrived. */
  private partial: Buffer | undefined;
  private partialFilled = 0;

  /** `check` sees every header before any of its body is buffered; it may depend on the connection's phase. */
  constructor(private readonly check: HeaderCheck = anyMessage) {}

  /** `runs`, when given, takes back-to-back whole messages of its type in one call each (see MessageRuns). */
  push(chunk: Buffer, onMessage: MessageHandler, runs?: MessageRuns): void {
    let offset = 0;
    // A run declined stays declined up to the next message of another type: passthrough rows ask once.
    let declined = false;
    while (offset < chunk.length) {
      if (this.partial !== undefined) {
        offset = this.fillPartial(chunk, offset, onMessage);
      } else if (this.headerFilled > 0 || chunk.length - offset < HEADER_LENGTH) {
        offset = this.fillHeader(chunk, offset, onMessage);
      } else {
        const code = chunk[offset]!;
        const length = chunk.readInt32BE(offset + 1);
        this.check(code, length);
        const end = offset + 1 + length;
        if (end <= chunk.length) {
          if (runs !== undefined && code === runs.code) {
            if (!declined && runs.wanted()) {
              const last = this.runEnd(chunk, end, code);
              runs.run(chunk, offset, last);
              offset = last;
              continue;
            }
            declined = true;
          } else declined = false;
          onMessage(code, chunk.subarray(offset, end));
          offset = end;
        } else {
          this.startPartial(chunk.subarray(offset, offset + HEADER_LENGTH), code, length, onMessage);
          offset += HEADER_LENGTH;
        }
      }
    }
  }

  /**
   * Where a run that has a whole message before `from` ends: at the first message of another type,
   * one whose header or body the chunk does not hold whole, or one whose header fails the check
   * (push then meets it, and throws, after the run is handed out, as it would one by one).
   */
  private runEnd(chunk: Buffer, from: number, code: number): number {
    let at = from;
    while (chunk.length - at >= HEADER_LENGTH && chunk[at] === code) {
      // By hand: readInt32BE's argument checks were most of this loop's time, per message.
      const length = (chunk[at + 1]! << 24) | (chunk[at + 2]! << 16) | (chunk[at + 3]! << 8) | chunk[at + 4]!;
      try {
        this.check(code, length);
      } catch {
        break;
      }
      const end = at + 1 + length;
      if (end > chunk.length) break;
      at = end;
    }
    return at;
  }

  /** True while part of a message is buffered. */
  get hasPartial(): boolean {
    return this.partial !== undefined || this.headerFilled > 0;
  }

  private fillHeader(chunk: Buffer, offset: number, onMessage: MessageHandler): number {
    const n = Math.min(HEADER_LENGTH - this.headerFilled, chunk.length - offset);
    chunk.copy(this.header, this.headerFilled, offset, offset + n);
    this.headerFilled += n;
    if (this.headerFilled === HEADER_LENGTH) {
      this.headerFilled = 0;
      const code = this.header[0]!;
      const length = this.header.readInt32BE(1);
      this.check(code, length);
      this.startPartial(this.header, code, length, onMessage);
    }
    return offset + n;
  }

  private startPartial(header: Buffer, code: number, length: number, onMessage: MessageHandler): void {
    const message = allocateMessage(1 + length);
    header.copy(message, 0, 0, HEADER_LENGTH);
    if (message.length === HEADER_LENGTH) {
      onMessage(code, message);
      return;
    }
    this.partial = message;
    this.partialFilled = HEADER_LENGTH;
  }

  private fillPartial(chunk: Buffer, offset: number, onMessage: MessageHandler): number {
    const message = this.partial!;
    const n = Math.min(message.length - this.partialFilled, chunk.length - offset);
    chunk.copy(message, this.partialFilled, offset, offset + n);
    this.partialFilled += n;
    if (this.partialFilled === message.length) {
      this.partial = undefined;
      onMessage(message[0]!, message);
    }
    return offset + n;
  }
}

/** Postgres allocates a message's declared size up front too; failing that is its "out of memory". */
function allocateMessage(size: number): Buffer {
  try {
    return Buffer.allocUnsafe(size);
  } catch {
    throw new PgError(SqlState.OutOfMemory, 'out of memory', {
      severity: 'FATAL',
      detail: `Cannot allocate a buffer for a message of ${size} bytes.`,
    });
  }
}
