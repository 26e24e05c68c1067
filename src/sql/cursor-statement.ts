/**
 * What a statement does to SQL cursors, read from its parse tree: the proxy keeps per-session
 * knowledge of the cursors it declared over one-pass plans (src/proxy/one-pass-cursors.ts).
 */
import { nodeOf, num, str } from './ast.js';
import { parseStatements } from './parser.js';

export type CursorStatement =
  | { kind: 'fetch'; name: string; move: boolean }
  | { kind: 'close'; name: string | undefined }
  | { kind: 'discardAll' }
  | { kind: 'declare'; name: string; hold: boolean };

/** Postgres's CURSOR_OPT_HOLD (parsenodes.h). */
const CURSOR_OPT_HOLD = 0x0020;

/** Each statement of the text's effect on cursors (undefined: none), or undefined if it does not parse. */
export function cursorStatements(sql: string): (CursorStatement | undefined)[] | undefined {
  try {
    return parseStatements(sql).map((raw) => cursorStatementOf(raw.stmt));
  } catch {
    return undefined;
  }
}

export function cursorStatementOf(stmt: unknown): CursorStatement | undefined {
  const fetch = nodeOf(stmt, 'FetchStmt');
  if (fetch !== undefined) return { kind: 'fetch', name: str(fetch.portalname) ?? '', move: fetch.ismove === true };
  const close = nodeOf(stmt, 'ClosePortalStmt');
  if (close !== undefined) return { kind: 'close', name: str(close.portalname) };
  if (nodeOf(stmt, 'DiscardStmt')?.target === 'DISCARD_ALL') return { kind: 'discardAll' };
  const declare = nodeOf(stmt, 'DeclareCursorStmt');
  if (declare !== undefined) return { kind: 'declare', name: str(declare.portalname) ?? '', hold: ((num(declare.options) ?? 0) & CURSOR_OPT_HOLD) !== 0 };
  return undefined;
}
