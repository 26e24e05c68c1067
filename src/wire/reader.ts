import { ProtocolError } from '../errors/index.js';

/** Sequential reader over one message body. Every read is bounds-checked: short bodies are 08P01. */
export class Reader {
  private offset: number;
  constructor(
    private readonly buf: Buffer,
    start = 0,
  ) {
    this.offset = start;
  }

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new ProtocolError('invalid message format');
  }

  byte(): number {
    this.need(1);
    return this.buf[this.offset++]!;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** OIDs are unsigned: type OIDs of 2^31 and more exist on long-lived clusters. */
  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  cstring(): string {
    const end = this.buf.indexOf(0, this.offset);
    if (end < 0) throw new ProtocolError('invalid string in message');
    const s = this.buf.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return s;
  }

  /** A view (no copy) of the next n bytes. */
  bytes(n: number): Buffer {
    if (n < 0) throw new ProtocolError('invalid message format');
    this.need(n);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** Int32 length followed by that many bytes; -1 means NULL. */
  lengthPrefixed(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    return this.bytes(n);
  }
}
