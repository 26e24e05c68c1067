/**
 * OpenAI's `stop` texts: where one begins in generated text, and how much of text still being
 * generated may go out without sending the start of a stop text that the next tokens complete.
 */

/** Where the first of `stops` begins in `text`, if one is there. */
export function stopIndex(text: string, stops: readonly string[]): number | undefined {
  const found = stops.map((s) => text.indexOf(s)).filter((i) => i !== -1);
  return found.length === 0 ? undefined : Math.min(...found);
}

/**
 * The length of `text`'s start that no stop text can reach into, given that `text` holds none
 * yet: all of it but its longest end that is the start of one of `stops` (`"Hello wo"` with the
 * stop `"world"` keeps back `"wo"`).
 */
export function stopSafeLength(text: string, stops: readonly string[]): number {
  let held = 0;
  for (const stop of stops) {
    for (let k = Math.min(stop.length - 1, text.length); k > held; k -= 1) {
      if (text.endsWith(stop.slice(0, k))) {
        held = k;
        break;
      }
    }
  }
  return text.length - held;
}
