import { ProtocolError } from '../errors/index.js';
import { MAX_STARTUP_LENGTH } from '../wire/index.js';

/** Accumulates the untyped first packet (length-prefixed, no type byte) of a connection. */
export class StartupReader {
  private buffered: Buffer = Buffer.alloc(0);

  /** Returns the packet and whatever bytes followed it, once complete. */
  push(chunk: Buffer): { packet: Buffer; rest: Buffer } | null {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    if (this.buffered.length < 4) return null;
    // As Postgres: the length counts itself, and the limit applies to what follows it.
    const length = this.buffered.readInt32BE(0);
    if (length < 8 || length - 4 > MAX_STARTUP_LENGTH) throw new ProtocolError('invalid length of startup packet');
    if (this.buffered.length < length) return null;
    const packet = this.buffered.subarray(0, length);
    const rest = this.buffered.subarray(length);
    this.buffered = Buffer.alloc(0);
    return { packet, rest };
  }
}
