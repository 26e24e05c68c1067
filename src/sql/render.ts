/**
 * SQL literals for values computed by the proxy. Every non-NULL value renders as a quoted literal
 * with a cast ('1.5'::real): precedence-safe wherever a function call stood, and never fusing with
 * a neighbouring `-` into a comment the way a bare -1.5 could.
 */
import { PgError, SqlState } from '../errors/index.js';
import { scanTokens } from './parser.js';

export function renderLiteral(value: unknown, type: string): string {
  const cast = `::${type.trim()}`;
  const text = literalText(value, type);
  return text === null ? `NULL${cast}` : quoteString(text) + cast;
}

/** A value's text as `type`'s input function reads it (what renderLiteral quotes); null for NULL. */
export function literalText(value: unknown, type: string): string | null {
  if (value === null || value === undefined) return null;
  const lowerType = type.trim().toLowerCase();
  if (lowerType.endsWith('[]')) {
    if (typeof value === 'string') return value;
    // Engines hand back embeddings and probabilities as typed arrays.
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return arrayLiteral(Array.from(value as unknown as ArrayLike<number>));
    if (!Array.isArray(value)) throw new TypeError(`cannot render ${typeof value} as ${type}`);
    return arrayLiteral(value);
  }
  if (lowerType === 'json' || lowerType === 'jsonb') return typeof value === 'string' ? value : JSON.stringify(value);
  return scalarText(value);
}

/** Text form of a scalar as Postgres's input functions accept it. */
function scalarText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return numberText(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      if (value instanceof Date) return value.toISOString();
      if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
      return JSON.stringify(value);
  }
}

function numberText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return String(n);
}

/** Array input syntax: `{1,NULL,"a \"b\"",{2,3}}`; every string element is double-quoted. */
export function arrayLiteral(values: readonly unknown[]): string {
  const parts = values.map((element) => {
    if (element === null || element === undefined) return 'NULL';
    if (Array.isArray(element)) return arrayLiteral(element);
    if (typeof element === 'number') return numberText(element);
    if (typeof element === 'bigint') return element.toString();
    if (typeof element === 'boolean') return element ? 't' : 'f';
    const text = typeof element === 'string' ? element : scalarText(element);
    return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  });
  return `{${parts.join(',')}}`;
}

/**
 * A string constant. Backslashes force the E'' form so the result means the same whatever the
 * upstream's standard_conforming_strings says.
 */
export function quoteString(text: string): string {
  if (text.includes('\0')) {
    throw new PgError(SqlState.CharacterNotInRepertoire, 'invalid byte sequence for encoding "UTF8": 0x00');
  }
  const doubled = text.replaceAll("'", "''");
  return text.includes('\\') ? `E'${doubled.replaceAll('\\', '\\\\')}'` : `'${doubled}'`;
}

const SIMPLE_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Quotes an identifier unless Postgres reads it back unchanged in any identifier position:
 * lower-case and not a keyword, or an unreserved one (valid as ColId everywhere).
 */
export function quoteIdent(name: string): string {
  if (SIMPLE_IDENTIFIER.test(name)) {
    const tokens = scanTokens(name);
    const kind = tokens.length === 1 ? tokens[0]?.keywordName : undefined;
    if (kind === 'NO_KEYWORD' || kind === 'UNRESERVED_KEYWORD') return name;
  }
  return `"${name.replaceAll('"', '""')}"`;
}
