/**
 * Token-level extents. The AST gives only start offsets, so the end of a call (its matching close
 * paren), the extent of each argument, and the end of a FROM item's alias come from the scanner's
 * tokens. All offsets here are UTF-8 byte offsets, as the scanner reports them.
 */
import type { ScanToken } from 'libpg-query';
import { PgError, SqlState } from '../errors/index.js';

export interface TokenRange {
  /** Index of the first and last token (inclusive) in the significant-token list. */
  first: number;
  last: number;
}

/** Scanner tokens without comments: comments never affect structure. */
export function significantTokens(tokens: readonly ScanToken[]): ScanToken[] {
  return tokens.filter((t) => t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT');
}

export function tokenIndexAt(tokens: readonly ScanToken[], byteStart: number): number {
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const start = (tokens[mid] as ScanToken).start;
    if (start === byteStart) return mid;
    if (start < byteStart) lo = mid + 1;
    else hi = mid - 1;
  }
  throw internal(`no token starts at byte ${byteStart}`);
}

export interface CallTokens {
  open: number;
  close: number;
}

/** From the first token of a function name, finds its argument list's parentheses. */
export function callTokens(tokens: readonly ScanToken[], nameIndex: number): CallTokens {
  let open = nameIndex;
  while (open < tokens.length && tokens[open]?.text !== '(') open++;
  const close = matchingParen(tokens, open);
  return { open, close };
}

export function matchingParen(tokens: readonly ScanToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const text = (tokens[i] as ScanToken).text;
    if (text === '(') depth++;
    else if (text === ')' && --depth === 0) return i;
  }
  throw internal('unbalanced parentheses in a parsed statement');
}

/** Splits the tokens strictly between open and close at commas outside (), [] nesting. */
export function argumentRanges(tokens: readonly ScanToken[], call: CallTokens): TokenRange[] {
  const ranges: TokenRange[] = [];
  if (call.close === call.open + 1) return ranges;
  let depth = 0;
  let first = call.open + 1;
  for (let i = call.open + 1; i < call.close; i++) {
    const text = (tokens[i] as ScanToken).text;
    if (text === '(' || text === '[') depth++;
    else if (text === ')' || text === ']') depth--;
    else if (text === ',' && depth === 0) {
      ranges.push({ first, last: i - 1 });
      first = i + 1;
    }
  }
  ranges.push({ first, last: call.close - 1 });
  return ranges;
}

export interface FromSuffix {
  ordinality: boolean;
  hasAlias: boolean;
  hasColumnList: boolean;
}

/**
 * Last token of a RangeFunction whose call ends at `close`: `[WITH ORDINALITY] [[AS] alias]
 * [(columns)]`. The parser already accepted the text, so the AST says which parts exist.
 */
export function fromItemLastToken(tokens: readonly ScanToken[], close: number, suffix: FromSuffix): number {
  let last = close;
  if (suffix.ordinality) last += 2;
  if (!suffix.hasAlias && !suffix.hasColumnList) return last;
  if (tokens[last + 1]?.text.toLowerCase() === 'as') last++;
  if (suffix.hasAlias) last++;
  if (suffix.hasColumnList) last = matchingParen(tokens, last + 1);
  return last;
}

function internal(message: string): PgError {
  return new PgError(SqlState.InternalError, `SQL tokenizer out of step with parser: ${message}`);
}
