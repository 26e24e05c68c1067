/**
 * Postgres's input rules for the text form of the types the proxy reads itself, with its errors.
 * pg-types (node-postgres's parsers) trusts its input: it reads `abc` as a real NaN and throws
 * plain JavaScript errors on a malformed array. Values from clients are checked here first, so a
 * bad value fails as it would on the server (22P02 `invalid input syntax for type real: "abc"`).
 */
import { PgError, SqlState } from '../errors/index.js';

/** Checks one text value of a scalar type and returns the value pg-types would have made of it. */
export type TextInput = (text: string, parse: (text: string) => unknown) => unknown;

function invalidInput(type: string, text: string, code: string = SqlState.InvalidTextRepresentation): PgError {
  return new PgError(code, `invalid input syntax for type ${type}: "${text}"`);
}

const outOfRange = (type: string, text: string): PgError =>
  new PgError(SqlState.NumericValueOutOfRange, `value "${text.trim()}" is out of range for type ${type}`);

const INTEGER = /^\s*[+-]?\d+\s*$/;
const FLOAT = /^\s*([+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|[+-]?(inf|infinity)|nan)\s*$/i;
const NUMERIC = /^\s*([+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|[+-]?infinity|nan)\s*$/i;
/** parse_bool: any unique prefix of true/false/yes/no, on/off, 1/0. */
const BOOLEAN_TRUE = /^\s*(t|tr|tru|true|y|ye|yes|on|1)\s*$/i;
const BOOLEAN_FALSE = /^\s*(f|fa|fal|fals|false|n|no|of|off|0)\s*$/i;

function integer(type: string, min: bigint, max: bigint): TextInput {
  return (text, parse) => {
    if (!INTEGER.test(text)) throw invalidInput(type, text);
    const value = BigInt(text.trim());
    if (value < min || value > max) throw outOfRange(type, text);
    return parse(text);
  };
}

function float(type: string, max: number): TextInput {
  return (text) => {
    if (!FLOAT.test(text)) throw invalidInput(type, text);
    const spelled = text.trim().toLowerCase();
    if (spelled === 'nan') return NaN;
    if (spelled.includes('inf')) return spelled.startsWith('-') ? -Infinity : Infinity;
    const value = Number(spelled);
    // Postgres refuses a finite spelling that overflows rather than reading it as infinity.
    if (!Number.isFinite(value) || Math.abs(value) > max) {
      throw new PgError(SqlState.NumericValueOutOfRange, `"${text.trim()}" is out of range for type ${type}`);
    }
    return value;
  };
}

export const TextInputs = {
  smallint: integer('smallint', -(2n ** 15n), 2n ** 15n - 1n),
  integer: integer('integer', -(2n ** 31n), 2n ** 31n - 1n),
  bigint: integer('bigint', -(2n ** 63n), 2n ** 63n - 1n),
  oid: integer('oid', 0n, 2n ** 32n - 1n),
  real: float('real', 3.4028234663852886e38),
  double: float('double precision', Number.MAX_VALUE),
  numeric: ((text, parse) => {
    if (!NUMERIC.test(text)) throw invalidInput('numeric', text);
    return parse(text);
  }) as TextInput,
  boolean: ((text) => {
    if (BOOLEAN_TRUE.test(text)) return true;
    if (BOOLEAN_FALSE.test(text)) return false;
    throw invalidInput('boolean', text);
  }) as TextInput,
  json: ((text) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new PgError(SqlState.InvalidTextRepresentation, 'invalid input syntax for type json');
    }
  }) as TextInput,
  timestamp: timestamp('timestamp without time zone'),
  timestamptz: timestamp('timestamp with time zone'),
};

function timestamp(type: string): TextInput {
  return (text, parse) => {
    const value = parse(text);
    if (value instanceof Date && Number.isNaN(value.getTime())) throw invalidInput(type, text, SqlState.InvalidDatetimeFormat);
    if (value === null) throw invalidInput(type, text, SqlState.InvalidDatetimeFormat);
    return value;
  };
}

/**
 * Reads an array literal with `readArray` (splitArrayText) and checks every element with
 * `element`; the reader's complaints become Postgres's.
 */
export function arrayInput(text: string, readArray: (text: string) => unknown, element: (text: string) => unknown): unknown {
  if (!/^\s*(\[[^\]]*\]\s*)*(=\s*)?\{/.test(text)) {
    throw new PgError(SqlState.InvalidTextRepresentation, `malformed array literal: "${text}"`, {
      detail: 'Array value must start with "{" or dimension information.',
    });
  }
  let parsed: unknown;
  try {
    parsed = readArray(text);
  } catch {
    throw new PgError(SqlState.InvalidTextRepresentation, `malformed array literal: "${text}"`);
  }
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    return value === null ? null : element(value as string);
  };
  return walk(parsed);
}
