import { parseStatements, scanTokens, TextOffsets } from './parser.js';

export interface CopyFromStdin {
  /** The statement with `STDIN` replaced by `target`. */
  sql: string;
  binary: boolean;
}

/**
 * A query that is exactly one `COPY ... FROM STDIN`, re-targeted at a file name. The embedded
 * upstream (PGlite) cannot take CopyData over its protocol entry point but reads `/dev/blob`.
 * Returns null for anything else (including unparsable SQL: the backend reports that).
 */
export function copyFromStdin(sql: string, target: string): CopyFromStdin | null {
  let stmts;
  try {
    stmts = parseStatements(sql);
  } catch {
    return null;
  }
  if (stmts.length !== 1) return null;
  const copy = (stmts[0]!.stmt as Record<string, unknown> | undefined)?.CopyStmt as
    | { is_from?: boolean; filename?: string; is_program?: boolean; options?: { DefElem?: { defname?: string; arg?: { String?: { sval?: string } } } }[] }
    | undefined;
  if (!copy?.is_from || copy.filename !== undefined || copy.is_program) return null;
  const tokens = scanTokens(sql);
  const offsets = new TextOffsets(sql);
  const stdin = tokens.find((t, i) => t.text.toLowerCase() === 'stdin' && tokens[i - 1]?.text.toLowerCase() === 'from');
  if (!stdin) return null;
  const start = offsets.charIndex(stdin.start);
  const end = offsets.charIndex(stdin.end);
  const binary = (copy.options ?? []).some(
    (o) => o.DefElem?.defname === 'format' && o.DefElem.arg?.String?.sval?.toLowerCase() === 'binary',
  );
  return { sql: `${sql.slice(0, start)}'${target}'${sql.slice(end)}`, binary };
}
