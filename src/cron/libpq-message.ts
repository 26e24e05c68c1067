/**
 * A failed run's return_message as pg_cron stores it: PQresultErrorMessage, which libpq builds
 * from the ErrorResponse's fields (pqBuildErrorMessage3 in fe-protocol3.c, default verbosity,
 * CONTEXT shown for errors). Every line ends in a newline, the last one included:
 *
 *   ERROR:  relation "nosuch" does not exist
 *   LINE 1: SELECT * FROM nosuch
 *                         ^
 *   DETAIL:  ...
 *   HINT:  ...
 *   QUERY:  ...      (the internal query, when the position points into it)
 *   CONTEXT:  ...
 */

/** The ErrorResponse fields libpq reads at default verbosity, as node-postgres names them. */
export interface ErrorFields {
  severity?: string | undefined;
  message: string;
  detail?: string | undefined;
  hint?: string | undefined;
  /** 1-based character position in the query that was sent. */
  position?: string | undefined;
  /** 1-based character position in `internalQuery` (e.g. a statement inside a function). */
  internalPosition?: string | undefined;
  internalQuery?: string | undefined;
  where?: string | undefined;
}

/** `query` is the text sent (libpq's last_query), which a position without an internal query points into. */
export function libpqErrorMessage(fields: ErrorFields, query: string): string {
  let out = fields.severity === undefined ? '' : `${fields.severity}:  `;
  out += fields.message;
  let cursorText: string | undefined;
  let cursorPosition = 0;
  let internalQuery: string | undefined;
  if (fields.position !== undefined) {
    cursorText = query;
    cursorPosition = parseInt(fields.position, 10);
  } else if (fields.internalPosition !== undefined) {
    if (fields.internalQuery !== undefined) {
      cursorText = internalQuery = fields.internalQuery;
      cursorPosition = parseInt(fields.internalPosition, 10);
    } else {
      out += ` at character ${fields.internalPosition}`;
    }
  }
  out += '\n';
  if (cursorText !== undefined && cursorPosition > 0) out += errorCursor(cursorText, cursorPosition);
  if (fields.detail !== undefined) out += `DETAIL:  ${fields.detail}\n`;
  if (fields.hint !== undefined) out += `HINT:  ${fields.hint}\n`;
  if (internalQuery !== undefined) out += `QUERY:  ${internalQuery}\n`;
  if (fields.where !== undefined) out += `CONTEXT:  ${fields.where}\n`;
  return out;
}

/** libpq's DISPLAY_SIZE and MIN_RIGHT_CUT: screen columns of the quoted line, and room kept right of the cursor. */
const DISPLAY_SIZE = 60;
const MIN_RIGHT_CUT = 10;

/**
 * reportErrorPosition: the `LINE n:` line holding the 1-based character `position`, cut to about
 * 60 columns around it, and a caret under it. Tabs print as spaces; each \r, \n or \r\n ends a
 * line. Nothing when the position is past the end of the text.
 */
export function errorCursor(text: string, position: number): string {
  const loc = position - 1;
  if (loc < 0) return '';
  const chars = [...text].map((ch) => (ch === '\t' ? ' ' : ch));
  // columns[i]: the screen column where character i starts; filled up to the end of loc's line.
  const columns: number[] = [];
  let column = 0;
  let line = 1;
  let begin = 0;
  let end = -1;
  let index = 0;
  for (; index < chars.length; index++) {
    const ch = chars[index] as string;
    columns[index] = column;
    if (ch === '\r' || ch === '\n') {
      if (index < loc) {
        if (ch === '\r' || index === 0 || chars[index - 1] !== '\r') line++;
        begin = index + 1;
      } else {
        end = index;
        break;
      }
    }
    column += Math.max(displayWidth(ch), 1);
  }
  if (end < 0) {
    end = index;
    columns[end] = column;
  }
  if (loc > index) return '';

  const at = (i: number): number => columns[i] as number;
  let cutLeft = false;
  let cutRight = false;
  if (at(end) - at(begin) > DISPLAY_SIZE) {
    if (at(begin) + DISPLAY_SIZE >= at(loc) + MIN_RIGHT_CUT) {
      while (at(end) - at(begin) > DISPLAY_SIZE) end--;
      cutRight = true;
    } else {
      while (at(loc) + MIN_RIGHT_CUT < at(end)) {
        end--;
        cutRight = true;
      }
      while (at(end) - at(begin) > DISPLAY_SIZE) {
        begin++;
        cutLeft = true;
      }
    }
  }
  const prefix = `LINE ${line}: ${cutLeft ? '...' : ''}`;
  const quoted = `${prefix}${chars.slice(begin, end).join('')}${cutRight ? '...' : ''}\n`;
  const caretColumn = prefix.length + at(loc) - at(begin);
  return `${quoted}${' '.repeat(caretColumn)}^\n`;
}

/**
 * Screen columns of one character in UTF-8, as libpq's pg_encoding_dsplen sees it: 2 for East
 * Asian wide and fullwidth characters, 0 for combining marks and controls (which the caller
 * counts as 1). The wide ranges are ucs_wcwidth's classic ones plus the emoji blocks; Postgres's
 * generated tables differ from them only for rare characters.
 */
function displayWidth(ch: string): number {
  const code = ch.codePointAt(0) ?? 0;
  if (code === 0 || code < 0x20 || (code >= 0x7f && code < 0xa0)) return 0;
  if ((code >= 0x0300 && code <= 0x036f) || (code >= 0x200b && code <= 0x200f) || (code >= 0xfe20 && code <= 0xfe2f)) return 0;
  const wide =
    code >= 0x1100 &&
    (code <= 0x115f ||
      (code >= 0x2e80 && code <= 0xa4cf && (code & ~0x0011) !== 0x300a && code !== 0x303f) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe6f) ||
      (code >= 0xff00 && code <= 0xff5f) ||
      (code >= 0xffe0 && code <= 0xffe6) ||
      (code >= 0x1f300 && code <= 0x1f64f) ||
      (code >= 0x1f900 && code <= 0x1f9ff) ||
      (code >= 0x20000 && code <= 0x3fffd));
  return wide ? 2 : 1;
}
