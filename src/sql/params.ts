import { scanTokens } from './parser.js';

/** The highest `$n` a statement uses (0 for none), read from the real scanner's PARAM tokens. */
export function maxParamIndex(sql: string): number {
  let max = 0;
  for (const token of scanTokens(sql)) {
    if (token.tokenName === 'PARAM') max = Math.max(max, Number(token.text.slice(1)));
  }
  return max;
}
