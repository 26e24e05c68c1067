import { ProtocolError } from '../errors/index.js';

/**
 * Postgres' own limit for a message is 1 GB (PQ_LARGE_MESSAGE_LIMIT); the startup packet is
 * limited to 10000 bytes (MAX_STARTUP_PACKET_LENGTH).
 */
export const MAX_MESSAGE_LENGTH = 0x40000000;
export const MAX_STARTUP_LENGTH = 10000;

/** `message` is the whole message including its 5-byte header; `code` its type byte. */
export type MessageHandler = (code: number, message: Buffer) => void;

/**
 * Splits a byte stream into typed messages. Complete messages are handed out as views into the
 * incoming chunk (no copy); only a message cut by a chunk boundary is reassembled.
 */
export class MessageFramer {
  /** Bytes of a message cut by a chunk boundary, kept as parts and joined once complete. */
  private parts: Buffer[] = [];
  private partsLength = 0;

  push(chunk: Buffer, onMessage: MessageHandler): void {
    let offset = 0;
    if (this.partsLength > 0) {
      offset = this.completePending(chunk, onMessage);
      if (offset < 0) return;
    }
    while (offset < chunk.length) {
      if (chunk.length - offset < 5) return this.keep(chunk.subarray(offset));
      const length = chunk.readInt32BE(offset + 1);
      checkLength(length);
      const end = offset + 1 + length;
      if (end > chunk.length) return this.keep(chunk.subarray(offset));
      onMessage(chunk[offset]!, chunk.subarray(offset, end));
      offset = end;
    }
  }

  /** True while part of a message is buffered. */
  get hasPartial(): boolean {
    return this.partsLength > 0;
  }

  private keep(part: Buffer): void {
    // Copy: the caller may reuse the chunk's memory once push returns.
    this.parts.push(Buffer.from(part));
    this.partsLength += part.length;
  }

  /** Returns the offset in `chunk` just after the completed message, or -1 if still incomplete. */
  private completePending(chunk: Buffer, onMessage: MessageHandler): number {
    let used = 0;
    if (this.partsLength < 5) {
      used = Math.min(5 - this.partsLength, chunk.length);
      this.keep(chunk.subarray(0, used));
      if (this.partsLength < 5) return -1;
    }
    const header = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    const length = header.readInt32BE(1);
    checkLength(length);
    const need = 1 + length - this.partsLength;
    if (need > chunk.length - used) {
      this.keep(chunk.subarray(used));
      return -1;
    }
    const message = Buffer.concat([...this.parts, chunk.subarray(used, used + need)], 1 + length);
    this.parts = [];
    this.partsLength = 0;
    onMessage(message[0]!, message);
    return used + need;
  }
}

function checkLength(length: number): void {
  if (length < 4 || length > MAX_MESSAGE_LENGTH) throw new ProtocolError(`invalid message length ${length}`);
}
