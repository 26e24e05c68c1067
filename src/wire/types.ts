/**
 * Type OIDs the proxy needs to name (pg_type.dat), and value codecs for parameters: the proxy
 * reads the parameters of intercepted calls (text or binary, as the client sent them) and sends
 * its own parameters in text format.
 */
import pgTypes from 'pg-types';
import { PgError, SqlState } from '../errors/index.js';
import { splitArrayText } from './array-text.js';
import { arrayInput, TextInputs, type TextInput } from './text-input.js';

export const TypeOid = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  unknown: 705,
  _bool: 1000,
  _int2: 1005,
  _int4: 1007,
  _text: 1009,
  _int8: 1016,
  _float4: 1021,
  _float8: 1022,
  varchar: 1043,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  _numeric: 1231,
  record: 2249,
  void: 2278,
  jsonb: 3802,
  _jsonb: 3807,
} as const;

/** SQL spellings of the types used in proxy function signatures, to OIDs. */
const oidByName: Record<string, number> = {
  boolean: TypeOid.bool,
  bool: TypeOid.bool,
  bytea: TypeOid.bytea,
  bigint: TypeOid.int8,
  int8: TypeOid.int8,
  smallint: TypeOid.int2,
  int2: TypeOid.int2,
  integer: TypeOid.int4,
  int: TypeOid.int4,
  int4: TypeOid.int4,
  text: TypeOid.text,
  varchar: TypeOid.varchar,
  json: TypeOid.json,
  jsonb: TypeOid.jsonb,
  real: TypeOid.float4,
  float4: TypeOid.float4,
  'double precision': TypeOid.float8,
  float8: TypeOid.float8,
  numeric: TypeOid.numeric,
  timestamptz: TypeOid.timestamptz,
  'timestamp with time zone': TypeOid.timestamptz,
  timestamp: TypeOid.timestamp,
  'boolean[]': TypeOid._bool,
  'bool[]': TypeOid._bool,
  'smallint[]': TypeOid._int2,
  'int2[]': TypeOid._int2,
  'integer[]': TypeOid._int4,
  'int4[]': TypeOid._int4,
  'int[]': TypeOid._int4,
  'bigint[]': TypeOid._int8,
  'int8[]': TypeOid._int8,
  'text[]': TypeOid._text,
  'real[]': TypeOid._float4,
  'float4[]': TypeOid._float4,
  'double precision[]': TypeOid._float8,
  'float8[]': TypeOid._float8,
  'numeric[]': TypeOid._numeric,
  'jsonb[]': TypeOid._jsonb,
  void: TypeOid.void,
  record: TypeOid.record,
};

const nameByOid = new Map<number, string>(
  Object.entries(TypeOid).map(([name, oid]) => [oid, name.startsWith('_') ? `${name.slice(1)}[]` : name]),
);

/** SQL name of a type OID listed in TypeOid; undefined for others. */
export function typeNameOf(oid: number): string | undefined {
  return nameByOid.get(oid);
}

/** OID for a SQL type name; 0 (let the server infer) for names the proxy does not know. */
export function typeOidOf(name: string): number {
  return oidByName[name.trim().toLowerCase()] ?? 0;
}

const textInputOf: Record<number, TextInput> = {
  [TypeOid.bool]: TextInputs.boolean,
  [TypeOid.int2]: TextInputs.smallint,
  [TypeOid.int4]: TextInputs.integer,
  [TypeOid.int8]: TextInputs.bigint,
  [TypeOid.oid]: TextInputs.oid,
  [TypeOid.float4]: TextInputs.real,
  [TypeOid.float8]: TextInputs.double,
  [TypeOid.numeric]: TextInputs.numeric,
  [TypeOid.json]: TextInputs.json,
  [TypeOid.jsonb]: TextInputs.json,
  [TypeOid.timestamp]: TextInputs.timestamp,
  [TypeOid.timestamptz]: TextInputs.timestamptz,
};

const elementOf: Record<number, number> = {
  [TypeOid._bool]: TypeOid.bool,
  [TypeOid._int2]: TypeOid.int2,
  [TypeOid._int4]: TypeOid.int4,
  [TypeOid._int8]: TypeOid.int8,
  [TypeOid._float4]: TypeOid.float4,
  [TypeOid._float8]: TypeOid.float8,
  [TypeOid._numeric]: TypeOid.numeric,
  [TypeOid._text]: TypeOid.text,
  [TypeOid._jsonb]: TypeOid.jsonb,
};

/**
 * Parses a value in text format as node-postgres would, after checking it as Postgres's input
 * function would: a malformed value is the server's 22P02 (or 22003, 22007), never a JS error.
 */
export function parseText(oid: number, text: string): unknown {
  const input = textInputOf[oid];
  if (input !== undefined) return input(text, pgTypes.getTypeParser(oid, 'text'));
  const element = elementOf[oid];
  if (element !== undefined) return arrayInput(text, splitArrayText, (value) => parseText(element, value));
  return pgTypes.getTypeParser(oid, 'text')(text);
}

/** Sizes of the fixed-width binary layouts: any other length is malformed, never a partial read. */
const binaryLengthOf: Record<number, number> = {
  [TypeOid.bool]: 1,
  [TypeOid.int2]: 2,
  [TypeOid.int4]: 4,
  [TypeOid.oid]: 4,
  [TypeOid.int8]: 8,
  [TypeOid.float4]: 4,
  [TypeOid.float8]: 8,
};

const incorrectBinary = (): PgError => new PgError(SqlState.InvalidBinaryRepresentation, 'incorrect binary data format');


/** The element type of an array type listed in TypeOid; undefined for other types. */
export function arrayElement(oid: number): number | undefined {
  return elementOf[oid];
}

/** Decodes a parameter sent in binary format (the server's typsend layouts). */
export function parseBinary(oid: number, value: Buffer): unknown {
  const length = binaryLengthOf[oid];
  if (length !== undefined && value.length !== length) throw incorrectBinary();
  try {
    return decodeBinary(oid, value);
  } catch (error) {
    // A read past the end of a truncated array: the bytes are malformed, not the proxy.
    if (error instanceof RangeError) throw incorrectBinary();
    throw error;
  }
}

function decodeBinary(oid: number, value: Buffer): unknown {
  switch (oid) {
    case TypeOid.bool:
      return value[0] === 1;
    case TypeOid.int2:
      return value.readInt16BE(0);
    case TypeOid.int4:
      return value.readInt32BE(0);
    case TypeOid.oid:
      return value.readUInt32BE(0);
    case TypeOid.int8: {
      const v = value.readBigInt64BE(0);
      return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    }
    case TypeOid.float4:
      return value.readFloatBE(0);
    case TypeOid.float8:
      return value.readDoubleBE(0);
    case TypeOid.text:
    case TypeOid.varchar:
    case TypeOid.unknown:
    case TypeOid.json:
      return value.toString('utf8');
    case TypeOid.jsonb:
      // Version byte 1, then the JSON text.
      return TextInputs.json(value.toString('utf8', 1), JSON.parse);
    case TypeOid.bytea:
      return Buffer.from(value);
  }
  const element = elementOf[oid];
  if (element !== undefined) return parseBinaryArray(value, element);
  throw new PgError(SqlState.FeatureNotSupported, `binary format for type ${oid} is not supported by pgml-proxy`, {
    hint: 'Send this parameter in text format.',
  });
}

function parseBinaryArray(value: Buffer, element: number): unknown[] {
  const ndim = value.readInt32BE(0);
  if (ndim === 0) return [];
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(value.readInt32BE(12 + d * 8));
  let offset = 12 + ndim * 8;
  const readElement = (): unknown => {
    const length = value.readInt32BE(offset);
    offset += 4;
    if (length === -1) return null;
    if (length < 0 || offset + length > value.length) throw incorrectBinary();
    const v = parseBinary(element, value.subarray(offset, offset + length));
    offset += length;
    return v;
  };
  const build = (depth: number): unknown[] => {
    const out: unknown[] = [];
    for (let i = 0; i < dims[depth]!; i++) out.push(depth + 1 === ndim ? readElement() : build(depth + 1));
    return out;
  };
  return build(0);
}

/** Text-format encoding of a JS value as a parameter (the server casts it to the declared type). */
export function encodeText(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  return Buffer.from(textOf(value), 'utf8');
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return arrayLiteral(Array.from(value as ArrayLike<unknown>));
  return JSON.stringify(value);
}

function arrayLiteral(values: unknown[]): string {
  const items = values.map((v) => {
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v) || ArrayBuffer.isView(v)) return arrayLiteral(Array.from(v as ArrayLike<unknown>));
    const s = textOf(v);
    return typeof v === 'number' || typeof v === 'boolean' ? s : `"${s.replace(/[\\"]/g, '\\$&')}"`;
  });
  return `{${items.join(',')}}`;
}
