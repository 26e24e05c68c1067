/**
 * Thin layer over libpg-query (the real PostgreSQL parser compiled to WASM): one-time loading,
 * parse/scan with errors mapped to PgError, and the UTF-8 byte offset <-> JS index conversion the
 * rest of src/sql needs because the parser reports byte offsets into the UTF-8 text.
 */
import { loadModule, parseSync, scanSync, hasSqlDetails } from 'libpg-query';
import { deparseSync } from 'pgsql-deparser';
import type { RawStmt, ScanToken } from 'libpg-query';
import { PgError, SqlState } from '../errors/index.js';

let loaded: Promise<void> | undefined;
let ready = false;

/** Loads the WASM parser once; later calls return the same promise. */
export function initParser(): Promise<void> {
  loaded ??= loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

function ensureReady(): void {
  if (!ready) throw new PgError(SqlState.InternalError, 'SQL parser used before initParser() completed');
}

/**
 * The cheap pre-check run on every Query/Parse: does the text mention `pgml` or `cron` anywhere
 * (case-insensitively)? No allocation, so big passthrough statements cost one linear scan.
 */
export function mentionsInterceptedSchema(sql: string): boolean {
  const last = sql.length - 4;
  for (let i = 0; i <= last; i++) {
    const c = sql.charCodeAt(i) | 0x20; // ASCII lower-casing; non-letters never match below
    if (c === 0x70 /* p */) {
      if (
        (sql.charCodeAt(i + 1) | 0x20) === 0x67 &&
        (sql.charCodeAt(i + 2) | 0x20) === 0x6d &&
        (sql.charCodeAt(i + 3) | 0x20) === 0x6c
      ) {
        return true;
      }
    } else if (c === 0x63 /* c */) {
      if (
        (sql.charCodeAt(i + 1) | 0x20) === 0x72 &&
        (sql.charCodeAt(i + 2) | 0x20) === 0x6f &&
        (sql.charCodeAt(i + 3) | 0x20) === 0x6e
      ) {
        return true;
      }
    }
  }
  return false;
}

/**
 * Maps the parser's UTF-8 byte offsets to JS string indices (UTF-16 code units) and to the
 * 1-based code-point positions Postgres reports in ErrorResponse. ASCII text maps 1:1, which is
 * the common case and needs no table.
 */
export class TextOffsets {
  private readonly byteToChar: Uint32Array | undefined;
  readonly byteLength: number;

  constructor(readonly text: string) {
    this.byteLength = Buffer.byteLength(text, 'utf8');
    if (this.byteLength === text.length) return;
    const table = new Uint32Array(this.byteLength + 1);
    let byte = 0;
    for (let i = 0; i < text.length; ) {
      const cp = text.codePointAt(i) ?? 0;
      const bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      for (let k = 0; k < bytes; k++) table[byte + k] = i;
      byte += bytes;
      i += cp >= 0x10000 ? 2 : 1;
    }
    table[this.byteLength] = text.length;
    this.byteToChar = table;
  }

  /** JS string index of a UTF-8 byte offset. */
  charIndex(byteOffset: number): number {
    if (this.byteToChar === undefined) return byteOffset;
    return this.byteToChar[Math.min(byteOffset, this.byteLength)] ?? this.text.length;
  }

  /** 1-based code-point position (what Postgres puts in the P field) of a JS string index. */
  position(charIndex: number): number {
    if (this.byteToChar === undefined) return charIndex + 1;
    let points = 0;
    for (let i = 0; i < charIndex; i++) {
      const unit = this.text.charCodeAt(i);
      if (unit < 0xdc00 || unit > 0xdfff) points++; // count low surrogates with their high half
    }
    return points + 1;
  }
}

/** Parses SQL into raw statements; syntax errors become 42601 with Postgres's position. */
export function parseStatements(sql: string): RawStmt[] {
  ensureReady();
  if (sql.trim() === '') return [];
  try {
    return parseSync(sql).stmts ?? [];
  } catch (error) {
    throw toSyntaxError(error);
  }
}

/** Lexical tokens with byte offsets; comments come back as SQL_COMMENT / C_COMMENT tokens. */
export function scanTokens(sql: string): ScanToken[] {
  ensureReady();
  try {
    return scanSync(sql).tokens;
  } catch (error) {
    // The scanner only fails on text the parser already rejected, so this is a parser bug.
    throw new PgError(SqlState.InternalError, `could not tokenize query: ${String(error)}`);
  }
}

function toSyntaxError(error: unknown): PgError {
  if (hasSqlDetails(error) && error.sqlDetails !== undefined) {
    // libpg-query hands back Postgres's cursorpos (code points, 1-based) minus one.
    return new PgError(SqlState.SyntaxError, error.sqlDetails.message, {
      position: error.sqlDetails.cursorPosition + 1,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new PgError(SqlState.SyntaxError, message);
}

/**
 * SQL text of one statement node (`{ SelectStmt: ... }`) built or changed by the rewriters, written by
 * pgsql-deparser for the parser's AST version.
 */
export function deparseStatement(node: Record<string, unknown>): string {
  return deparseSync({ version: 170004, stmts: [{ stmt: node }] } as never);
}
