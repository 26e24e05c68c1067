import { scanTokens, TextOffsets } from './parser.js';

/** The highest `$n` a statement uses (0 for none), read from the real scanner's PARAM tokens. */
export function maxParamIndex(sql: string): number {
  let max = 0;
  for (const token of scanTokens(sql)) {
    if (token.tokenName === 'PARAM') max = Math.max(max, Number(token.text.slice(1)));
  }
  return max;
}

/**
 * The statement with every `$n` replaced by `(sqlOf(n))`: for running a fragment of a client's
 * prepared statement (the per-row enumeration query) with the values bound to it, as a statement
 * of the proxy's own that has no parameters. PARAM tokens come from the real scanner, so a `$1`
 * inside a string literal, a comment or a dollar-quoted body is left alone.
 */
export function inlineParams(sql: string, sqlOf: (index: number) => string): string {
  const offsets = new TextOffsets(sql);
  let out = '';
  let last = 0;
  for (const token of scanTokens(sql)) {
    if (token.tokenName !== 'PARAM') continue;
    const start = offsets.charIndex(token.start);
    out += `${sql.slice(last, start)}(${sqlOf(Number(token.text.slice(1)))})`;
    last = offsets.charIndex(token.end);
  }
  return out + sql.slice(last);
}

/**
 * The text with the `$n` it uses renumbered `$1, $2...` in order of first use, and the original
 * index each new number stands for: for running a fragment of a client's statement with only the
 * parameters it uses (Postgres cannot type a parameter it does not see). `fixed(n)`, when it
 * returns SQL, stands in for `$n` instead.
 */
export function renumberParams(sql: string, fixed: (index: number) => string | undefined = () => undefined): { sql: string; used: number[] } {
  const used: number[] = [];
  const text = inlineParams(sql, (n) => {
    const replacement = fixed(n);
    if (replacement !== undefined) return replacement;
    if (!used.includes(n)) used.push(n);
    return `$${used.indexOf(n) + 1}`;
  });
  return { sql: text, used };
}
