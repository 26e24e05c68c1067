import { PgError, SqlState } from '../errors/index.js';
import { anyMessage, type HeaderCheck } from './limits.js';

/** `message` is the whole message including its 5-byte header; `code` its type byte. */
export type MessageHandler = (code: number, message: Buffer) => void;

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

  push(chunk: Buffer, onMessage: MessageHandler): void {
    let offset = 0;
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
          onMessage(code, chunk.subarray(offset, end));
          offset = end;
        } else {
          this.startPartial(chunk.subarray(offset, offset + HEADER_LENGTH), code, length, onMessage);
          offset += HEADER_LENGTH;
        }
      }
    }
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
