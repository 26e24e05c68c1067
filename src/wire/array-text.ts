/**
 * Splits a Postgres array literal (`{1,NULL,"a \"b\"",{2,3}}`, optionally led by dimension
 * decoration `[1:2]=`) into nested arrays of element texts, NULL as null, the way array_in reads
 * it: quoted elements keep their white space, unquoted ones are trimmed, a backslash escapes the
 * next character in either, and an unquoted NULL (any case) is null.
 *
 * One left-to-right pass. postgres-array (pg-types' parser) looks for the next backslash from every
 * quoted element to the end of the text, which is quadratic: a bound text[] of 200,000 elements
 * held the event loop for about 100 s.
 */
export type ArrayText = (string | null | ArrayText)[];

export function splitArrayText(text: string): ArrayText {
  let position = 0;
  const fail = (): never => {
    throw new SyntaxError('malformed array literal');
  };
  const skipSpace = (): void => {
    while (position < text.length && isSpace(text.charCodeAt(position))) position++;
  };

  skipSpace();
  if (text[position] === '[') {
    const equals = text.indexOf('=', position);
    if (equals < 0) fail();
    position = equals + 1;
    skipSpace();
  }

  const readElement = (): string | null => {
    let out = '';
    // Quotes or a backslash make the element a literal: `"NULL"` and `\NULL` are the text NULL.
    let quotedAny = false;
    // Trailing white space of an unquoted element is dropped; spaces inside quotes are kept.
    let keep = 0;
    for (;;) {
      if (position >= text.length) fail();
      const ch = text[position]!;
      if (ch === '"') {
        quotedAny = true;
        const start = ++position;
        let chunkStart = start;
        for (;;) {
          if (position >= text.length) fail();
          const c = text[position]!;
          if (c === '"') break;
          if (c === '\\') {
            out += text.slice(chunkStart, position);
            position++;
            if (position >= text.length) fail();
            chunkStart = position;
          }
          position++;
        }
        out += text.slice(chunkStart, position);
        position++;
        keep = out.length;
        continue;
      }
      if (ch === ',' || ch === '}') break;
      if (ch === '{') fail();
      if (ch === '\\') {
        quotedAny = true;
        position++;
        if (position >= text.length) fail();
        out += text[position++];
        keep = out.length;
        continue;
      }
      if (isSpace(ch.charCodeAt(0))) {
        if (out.length > 0 || quotedAny) out += ch;
        position++;
        continue;
      }
      out += ch;
      keep = out.length;
      position++;
    }
    const value = out.slice(0, keep);
    if (!quotedAny && keep === 0) fail();
    return !quotedAny && value.length === 4 && value.toUpperCase() === 'NULL' ? null : value;
  };

  const readArray = (): ArrayText => {
    if (text[position] !== '{') fail();
    position++;
    const items: ArrayText = [];
    skipSpace();
    if (text[position] === '}') {
      position++;
      return items;
    }
    for (;;) {
      skipSpace();
      items.push(text[position] === '{' ? readArray() : readElement());
      skipSpace();
      const ch = text[position];
      position++;
      if (ch === '}') return items;
      if (ch !== ',') fail();
    }
  };

  const result = readArray();
  skipSpace();
  if (position !== text.length) fail();
  return result;
}

/** Postgres's scanner_isspace: space, tab, newline, carriage return, vertical tab, form feed. */
function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}
