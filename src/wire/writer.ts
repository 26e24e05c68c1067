/**
 * Builds one protocol message. The header (type byte and length) is filled in by `finish`,
 * so callers only append the body.
 */
export class Writer {
  private buf: Buffer;
  private offset: number;

  constructor(
    private readonly code: number | null,
    initialSize = 256,
  ) {
    this.buf = Buffer.allocUnsafe(initialSize);
    // Typed messages start with the code byte; the untyped startup packet starts with its length.
    this.offset = code === null ? 4 : 5;
  }

  private ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.offset + n));
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }

  byte(v: number): this {
    this.ensure(1);
    this.buf[this.offset++] = v;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.offset);
    this.offset += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.offset);
    this.offset += 4;
    return this;
  }

  /** OIDs are unsigned: type OIDs of 2^31 and more exist on long-lived clusters. */
  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.offset);
    this.offset += 4;
    return this;
  }

  cstring(s: string): this {
    const n = Buffer.byteLength(s);
    this.ensure(n + 1);
    this.buf.write(s, this.offset, 'utf8');
    this.offset += n;
    this.buf[this.offset++] = 0;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
    return this;
  }

  /** Int32 length then the bytes; null is written as length -1. */
  lengthPrefixed(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).bytes(b);
  }

  finish(): Buffer {
    if (this.code === null) {
      this.buf.writeInt32BE(this.offset, 0);
    } else {
      this.buf[0] = this.code;
      this.buf.writeInt32BE(this.offset - 1, 1);
    }
    return this.buf.subarray(0, this.offset);
  }
}
