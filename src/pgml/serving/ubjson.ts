/**
 * A reader of Universal Binary JSON (ubjson.org, draft 12) as libxgboost writes its models
 * (`XGBoosterSaveModelToBuffer` with `{"format":"ubj"}`): big-endian numbers, objects and arrays
 * with or without a count, and typed arrays (`[$d#L<n>`), which come back as typed arrays (float32
 * as Float32Array, so the model's values keep their exact float32 bits). npm's UBJSON decoders do not
 * read these models: @shelacek/ubjson 1.1 ("quick and dirty", in its own words) refuses int64 values,
 * which libxgboost writes (`L`, container counts included). This is the subset the format has, and
 * anything else is refused rather than guessed.
 */
import { PgError, SqlState } from '../../errors/index.js';

export type UbjValue = null | boolean | number | bigint | string | UbjValue[] | TypedValues | { [key: string]: UbjValue };
type TypedValues = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array;

export function decodeUbjson(bytes: Uint8Array): UbjValue {
  const reader = new Reader(bytes);
  const value = reader.value(reader.marker());
  if (reader.at !== bytes.length) throw malformed('bytes after the value');
  return value;
}

function malformed(why: string): PgError {
  return new PgError(SqlState.DataCorrupted, `invalid UBJSON model: ${why}`);
}

/** The typed-array form of each numeric marker, and its width in bytes. */
const TYPED: Record<string, [new (buffer: ArrayBuffer) => TypedValues, number]> = {
  i: [Int8Array, 1],
  U: [Uint8Array, 1],
  I: [Int16Array, 2],
  l: [Int32Array, 4],
  L: [BigInt64Array, 8],
  d: [Float32Array, 4],
  D: [Float64Array, 8],
};

const UTF8 = new TextDecoder();

class Reader {
  at = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  marker(): string {
    if (this.at >= this.bytes.length) throw malformed('truncated');
    return String.fromCharCode(this.bytes[this.at++]!);
  }

  value(marker: string): UbjValue {
    switch (marker) {
      case 'Z':
        return null;
      case 'T':
        return true;
      case 'F':
        return false;
      case 'S':
        return this.string();
      case '[':
        return this.array();
      case '{':
        return this.object();
      default:
        return this.number(marker);
    }
  }

  private number(marker: string): number | bigint {
    const typed = TYPED[marker];
    if (typed === undefined) throw malformed(`unknown marker ${JSON.stringify(marker)}`);
    const at = this.take(typed[1]);
    const view = this.view;
    switch (marker) {
      case 'i':
        return view.getInt8(at);
      case 'U':
        return view.getUint8(at);
      case 'I':
        return view.getInt16(at);
      case 'l':
        return view.getInt32(at);
      case 'L': {
        const n = view.getBigInt64(at);
        return Number.isSafeInteger(Number(n)) ? Number(n) : n;
      }
      case 'd':
        return view.getFloat32(at);
      default:
        return view.getFloat64(at);
    }
  }

  private take(width: number): number {
    const at = this.at;
    if (at + width > this.bytes.length) throw malformed('truncated');
    this.at += width;
    return at;
  }

  private count(): number {
    const n = this.number(this.marker());
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw malformed('bad length');
    return n;
  }

  private string(): string {
    const n = this.count();
    const at = this.take(n);
    return UTF8.decode(this.bytes.subarray(at, at + n));
  }

  /** `$<type>#<count>`, `#<count>` or neither, after a container's opening marker. */
  private header(): { type?: string; count?: number } {
    if (this.bytes[this.at] === 0x24 /* $ */) {
      this.at++;
      const type = this.marker();
      if (this.marker() !== '#') throw malformed('typed container without a count');
      return { type, count: this.count() };
    }
    if (this.bytes[this.at] === 0x23 /* # */) {
      this.at++;
      return { count: this.count() };
    }
    return {};
  }

  private array(): UbjValue[] | TypedValues {
    const { type, count } = this.header();
    if (type !== undefined) return this.typed(type, count!);
    const items: UbjValue[] = [];
    if (count !== undefined) {
      for (let i = 0; i < count; i++) items.push(this.value(this.marker()));
      return items;
    }
    for (let marker = this.marker(); marker !== ']'; marker = this.marker()) items.push(this.value(marker));
    return items;
  }

  /** Big-endian elements copied into a little-endian typed array (one byte loop for every type). */
  private typed(type: string, count: number): TypedValues {
    const typed = TYPED[type];
    if (typed === undefined) throw malformed(`typed array of ${JSON.stringify(type)}`);
    const [Kind, width] = typed;
    const at = this.take(count * width);
    // A copy of its own (a Buffer's slice would share its pool's memory).
    const bytes = new Uint8Array(count * width);
    bytes.set(this.bytes.subarray(at, at + count * width));
    for (let i = 0; i < bytes.length; i += width) {
      for (let lo = i, hi = i + width - 1; lo < hi; lo++, hi--) {
        const b = bytes[lo]!;
        bytes[lo] = bytes[hi]!;
        bytes[hi] = b;
      }
    }
    return new Kind(bytes.buffer);
  }

  private object(): { [key: string]: UbjValue } {
    const { type, count } = this.header();
    if (type !== undefined) throw malformed('typed object');
    const out: { [key: string]: UbjValue } = {};
    if (count !== undefined) {
      for (let i = 0; i < count; i++) {
        const key = this.string();
        out[key] = this.value(this.marker());
      }
      return out;
    }
    while (this.bytes[this.at] !== 0x7d /* } */) {
      const key = this.string();
      out[key] = this.value(this.marker());
    }
    this.at++;
    return out;
  }
}
