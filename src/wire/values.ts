/**
 * Result values the proxy itself puts into DataRows (per-row results evaluated in one pass), in
 * the format the client asked for, byte for byte as the server's output functions would write
 * them: float4out/float8out (shortest round-trip digits, printf-style exponent thresholds),
 * array_out, and the typsend binary layouts. Only the types listed here can be written; the
 * planner sends calls returning other types another way.
 */
import { PgError, SqlState } from '../errors/index.js';
import { float4ArrayText, float4Text } from './float4-shortest.js';
import { TypeOid, arrayElement, parseBinary, parseText } from './types.js';

const SCALARS = new Set<number>([TypeOid.float4, TypeOid.float8, TypeOid.int4, TypeOid.int8, TypeOid.text, TypeOid.bool]);

/** The element type of an array type whose values can be written, else undefined. */
function writableElement(oid: number): number | undefined {
  const element = arrayElement(oid);
  return element !== undefined && SCALARS.has(element) ? element : undefined;
}

/** Whether encodeValue can write values of this type. */
export function canEncode(oid: number): boolean {
  return SCALARS.has(oid) || writableElement(oid) !== undefined;
}

/** A column value as the client receives it (format 0 text, 1 binary); null for SQL NULL. */
export function encodeValue(oid: number, format: number, value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  const element = writableElement(oid);
  if (element !== undefined) {
    if (format === 0 && element === TypeOid.float4 && (Array.isArray(value) || value instanceof Float32Array)) {
      const text = float4ArrayText(value);
      if (text !== undefined) return text;
    }
    const items = asItems(oid, value);
    return format === 1 ? binaryArray(element, items) : Buffer.from(textArray(element, items), 'utf8');
  }
  return format === 1 ? binaryScalar(oid, value) : Buffer.from(textScalar(oid, value), 'utf8');
}

/** Reads a value the upstream sent in either format (the arguments of per-row calls). */
export function decodeValue(oid: number, format: number, raw: Buffer | null): unknown {
  if (raw === null) return null;
  if (format === 1) return parseBinary(oid, raw);
  return (NUMBER_ARRAYS.has(oid) ? numberArray(raw) : undefined) ?? parseText(oid, raw.toString('utf8'));
}

/** Arrays whose elements read as JS numbers exactly as node-postgres reads them (not int8: strings). */
const NUMBER_ARRAYS = new Set<number>([TypeOid._float4, TypeOid._float8, TypeOid._int2, TypeOid._int4]);

const COMMA = 0x2c;
const CLOSE = 0x7d;
/** Powers of ten that are exact doubles (Clinger's fast path divides or multiplies by one of them). */
const EXACT_POWERS = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * A one-dimensional numeric array literal such as `{1.5,-2,NULL}` read straight from its bytes,
 * without the general array parser (feature vectors are most of what per-row evaluation decodes);
 * undefined for any other shape (nested, quoted), which the general parser reads.
 */
function numberArray(raw: Buffer): (number | null)[] | undefined {
  const end = raw.length - 1;
  if (raw[0] !== 0x7b || raw[end] !== CLOSE) return undefined;
  const out: (number | null)[] = [];
  if (end === 1) return out;
  for (let at = 1; at <= end; ) {
    const next = elementEnd(raw, at);
    const value = numberAt(raw, at, next);
    if (value === undefined) return undefined;
    out.push(value);
    at = next + 1;
  }
  return out;
}

/** Index of the comma or closing brace after the element starting at `at`. */
function elementEnd(raw: Buffer, at: number): number {
  let i = at;
  while (raw[i] !== COMMA && raw[i] !== CLOSE && i < raw.length) i++;
  return i;
}

/**
 * The element in raw[start, end): NULL, or a number as Number() reads it. The common case, at most
 * 2^53 in its digits and a power of ten up to 22 apart, is one exact operation on two exact doubles
 * and so correctly rounded (Clinger); the rest (long digit strings, NaN, Infinity) goes to Number().
 */
function numberAt(raw: Buffer, start: number, end: number): number | null | undefined {
  if (start === end) return undefined;
  let at = start;
  const negative = raw[at] === 0x2d;
  if (negative) at++;
  let digits = 0;
  let mantissa = 0;
  let scale = 0;
  let point = false;
  for (; at < end; at++) {
    const c = raw[at]!;
    if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      if (point) scale--;
    } else if (c === 0x2e && !point) point = true;
    else break;
  }
  if (at < end && (raw[at] === 0x65 || raw[at] === 0x45) && digits > 0) {
    at++;
    const sign = raw[at] === 0x2d ? -1 : 1;
    if (raw[at] === 0x2d || raw[at] === 0x2b) at++;
    let exponent = 0;
    const first = at;
    for (; at < end && raw[at]! >= 0x30 && raw[at]! <= 0x39 && exponent < 10_000; at++) exponent = exponent * 10 + (raw[at]! - 0x30);
    if (at === first) return undefined;
    scale += sign * exponent;
  }
  if (at === end && digits > 0 && mantissa <= Number.MAX_SAFE_INTEGER && Math.abs(scale) <= 22) {
    const value = scale < 0 ? mantissa / EXACT_POWERS[-scale]! : mantissa * EXACT_POWERS[scale]!;
    return negative ? -value : value;
  }
  const text = raw.toString('latin1', start, end);
  if (text === 'NULL') return null;
  const value = Number(text);
  return Number.isNaN(value) && text !== 'NaN' ? undefined : value;
}

/** Function results arrive as JS values or as array literals (embeddings): read them as SQL would. */
function asItems(oid: number, value: unknown): unknown[] {
  if (typeof value === 'string') return parseText(oid, value) as unknown[];
  if (Array.isArray(value)) return value;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>);
  throw new PgError(SqlState.DatatypeMismatch, `a function result of type ${oid} is not an array`);
}

function textScalar(oid: number, value: unknown): string {
  switch (oid) {
    case TypeOid.float4:
      return float4Text(Math.fround(toNumber(value)));
    case TypeOid.float8:
      return float8Text(toNumber(value));
    case TypeOid.bool:
      return value === true || value === 't' ? 't' : 'f';
    default:
      return String(value);
  }
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  const n = Number(value);
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(n)) return n;
  if (value === 'NaN') return Number.NaN;
  throw new PgError(SqlState.InvalidTextRepresentation, `invalid input syntax for type real: "${String(value)}"`);
}

/**
 * float8out with extra_float_digits > 0 (the default since Postgres 12): shortest digits (as
 * JavaScript's), fixed notation for decimal exponents in [-4, 15), otherwise d.ddde+XX.
 */
function float8Text(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const text = x.toExponential();
  const at = text.indexOf('e');
  const e = Number(text.slice(at + 1));
  // JavaScript writes exponents from -7 to 20 in fixed notation, with the same digits.
  if (e >= -4 && e < 15) return String(x);
  return `${text.slice(0, at)}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** array_out: elements quoted when they would not read back as themselves. */
function textArray(element: number, items: readonly unknown[]): string {
  const parts = items.map((item) => {
    if (item === null || item === undefined) return 'NULL';
    if (Array.isArray(item)) return textArray(element, item);
    const text = textScalar(element, item);
    if (element !== TypeOid.text) return text;
    const plain = text !== '' && text.toUpperCase() !== 'NULL' && !/[{},"\\\s]/.test(text);
    return plain ? text : `"${text.replace(/[\\"]/g, '\\$&')}"`;
  });
  return `{${parts.join(',')}}`;
}

function binaryScalar(oid: number, value: unknown): Buffer {
  switch (oid) {
    case TypeOid.float4: {
      const out = Buffer.alloc(4);
      out.writeFloatBE(toNumber(value));
      return out;
    }
    case TypeOid.float8: {
      const out = Buffer.alloc(8);
      out.writeDoubleBE(toNumber(value));
      return out;
    }
    case TypeOid.int4: {
      const out = Buffer.alloc(4);
      out.writeInt32BE(Number(value));
      return out;
    }
    case TypeOid.int8: {
      const out = Buffer.alloc(8);
      out.writeBigInt64BE(BigInt(value as number | bigint | string));
      return out;
    }
    case TypeOid.bool:
      return Buffer.from([value === true || value === 't' ? 1 : 0]);
    default:
      return Buffer.from(String(value), 'utf8');
  }
}

/** array_send for a one-dimensional array (lower bound 1), the only shape function results take. */
function binaryArray(element: number, items: readonly unknown[]): Buffer {
  if (items.some(Array.isArray)) {
    throw new PgError(SqlState.FeatureNotSupported, 'pgml-proxy cannot send a multidimensional array result in binary format', {
      hint: 'Ask for this column in text format.',
    });
  }
  const encoded = items.map((item) => (item === null || item === undefined ? null : binaryScalar(element, item)));
  const header = Buffer.alloc(items.length === 0 ? 12 : 20);
  header.writeInt32BE(items.length === 0 ? 0 : 1, 0);
  header.writeInt32BE(encoded.includes(null) ? 1 : 0, 4);
  header.writeInt32BE(element, 8);
  if (items.length > 0) {
    header.writeInt32BE(items.length, 12);
    header.writeInt32BE(1, 16);
  }
  const parts: Buffer[] = [header];
  for (const item of encoded) {
    const length = Buffer.alloc(4);
    length.writeInt32BE(item === null ? -1 : item.length);
    parts.push(length);
    if (item !== null) parts.push(item);
  }
  return Buffer.concat(parts);
}

/**
 * array_send of a real[] (one dimension, lower bound 1, no NULLs) straight from a Float32Array: how
 * per-row evaluation writes embeddings upstream, exact and with nothing for the server to parse.
 */
export function float4ArrayBinary(values: Float32Array): Buffer {
  if (values.length === 0) return binaryArray(TypeOid.float4, []);
  const out = Buffer.allocUnsafe(20 + 8 * values.length);
  // A DataView (big-endian by default): 7x faster than Buffer's writeFloatBE over 384k values.
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setInt32(0, 1);
  view.setInt32(4, 0);
  view.setInt32(8, TypeOid.float4);
  view.setInt32(12, values.length);
  view.setInt32(16, 1);
  for (let i = 0, at = 20; i < values.length; i += 1, at += 8) {
    view.setInt32(at, 4);
    view.setFloat32(at + 4, values[i]!);
  }
  return out;
}
