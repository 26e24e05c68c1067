/**
 * Result values the proxy itself puts into DataRows (per-row results evaluated in one pass), in
 * the format the client asked for, byte for byte as the server's output functions would write
 * them: float4out/float8out (shortest round-trip digits, printf-style exponent thresholds),
 * array_out, and the typsend binary layouts. Only the types listed here can be written; the
 * planner sends calls returning other types another way.
 */
import { PgError, SqlState } from '../errors/index.js';
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
    const items = asItems(oid, value);
    return format === 1 ? binaryArray(element, items) : Buffer.from(textArray(element, items), 'utf8');
  }
  return format === 1 ? binaryScalar(oid, value) : Buffer.from(textScalar(oid, value), 'utf8');
}

/** Reads a value the upstream sent in either format (the arguments of per-row calls). */
export function decodeValue(oid: number, format: number, raw: Buffer | null): unknown {
  if (raw === null) return null;
  if (format === 1) return parseBinary(oid, raw);
  const text = raw.toString('latin1');
  return NUMBER_ARRAYS.has(oid) ? (numberArray(text) ?? parseText(oid, raw.toString('utf8'))) : parseText(oid, raw.toString('utf8'));
}

/** Arrays whose elements read as JS numbers exactly as node-postgres reads them (not int8: strings). */
const NUMBER_ARRAYS = new Set<number>([TypeOid._float4, TypeOid._float8, TypeOid._int2, TypeOid._int4]);

/**
 * A one-dimensional numeric array literal such as `{1.5,-2,NULL}`, read without the general array
 * parser (feature vectors are most of what per-row evaluation decodes); undefined for any other shape.
 */
function numberArray(text: string): (number | null)[] | undefined {
  if (text.charCodeAt(0) !== 0x7b || text.indexOf('{', 1) !== -1 || text.includes('"')) return undefined;
  if (text === '{}') return [];
  return text
    .slice(1, -1)
    .split(',')
    .map((item) => (item === 'NULL' ? null : Number(item)));
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
      return floatText(Math.fround(toNumber(value)), 6, shortestFloat4);
    case TypeOid.float8:
      return floatText(toNumber(value), 15, (x) => x.toExponential());
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
 * The shortest decimal (as toExponential gives it) that reads back as this float4. Correctly
 * rounded digits that read back keep doing so with one more digit, so the count is searched.
 */
function shortestFloat4(x: number): string {
  let low = 1;
  let high = 9; // 9 significant digits always identify a float4
  while (low < high) {
    const digits = (low + high) >> 1;
    if (Math.fround(Number(x.toExponential(digits - 1))) === x) high = digits;
    else low = digits + 1;
  }
  return x.toExponential(low - 1);
}

/**
 * float4out/float8out with extra_float_digits > 0 (the default since Postgres 12): shortest digits,
 * fixed notation for decimal exponents in [-4, maxFixed), otherwise d.ddde+XX.
 */
function floatText(x: number, maxFixed: number, exponential: (x: number) => string): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa = '', exp = '0'] = exponential(Math.abs(x)).split('e');
  const digits = mantissa.replace('.', '');
  const e = Number(exp);
  const sign = x < 0 ? '-' : '';
  if (e >= -4 && e < maxFixed) {
    if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
    if (digits.length <= e + 1) return sign + digits + '0'.repeat(e + 1 - digits.length);
    return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
  }
  const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
  return `${sign}${digits[0]}${fraction}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
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
