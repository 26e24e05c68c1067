/**
 * float4out's text of a float4 between 0.001 and 10 in magnitude (most of an embedding's values),
 * computed with exact integer arithmetic in doubles instead of formatting and parsing decimals
 * (values.ts's general search: about 1.3 µs a value, 0.5 ms for a 384-float embedding).
 *
 * It makes the same choice as the general search, step for step: the decimal of p significant
 * digits nearest to x (halfway rounded up, as toExponential rounds), for p from 8 down, while it
 * lies strictly inside x's rounding interval; the 9-digit one when the 8-digit one does not. A
 * decimal exactly halfway between two p-digit ones, where the general search applies float4out's
 * even-digit rule, is left to it (undefined).
 *
 * Why it is exact: |x| = m·2^e with m < 2^24, and its rounding interval's ends are mm·2^(e-2) and
 * mp·2^(e-2) (mm, mp < 2^26). In the domain a p-digit decimal n·10^-k has k ≤ 11, so comparing it
 * with an end compares n·2^s with mm·5^k (s = 2 - e - k ≥ 0): integers below 2^53, exact in
 * doubles. A decimal that differs from an end is at least 2^(e-2)/5^k > 2^(e-28) from it, more
 * than half a double's ulp at either end (at most 2^(e-29)), so reading its text (as the general
 * search does) never rounds it onto the end: "strictly inside" is the same test. Likewise a
 * decimal of up to 10 digits (k ≤ 12) reads back as x only when it is x, so the general search
 * sees a halfway case exactly where the remainder here is half.
 */

const MIN = 0.001;
const MAX = 10;
const POW5 = Array.from({ length: 12 }, (_, k) => 5 ** k);
const POW2 = Array.from({ length: 64 }, (_, k) => 2 ** k);

const bits = new Float32Array(1);
const word = new Uint32Array(bits.buffer);

/** The text of the float4 x (a float4 value) when 0.001 ≤ |x| < 10 and no halfway decimal decides it; else undefined. */
export function fixedFloat4Text(x: number): string | undefined {
  const a = Math.abs(x);
  if (!(a >= MIN && a < MAX)) return undefined;
  bits[0] = a;
  const w = word[0]!;
  const fraction = w & 0x7fffff;
  const m = fraction | 0x800000;
  const e = (w >>> 23) - 150;
  const mv = 4 * m;
  const mp = mv + 2;
  // The float4 below a power of two is half as far away.
  const mm = fraction === 0 ? mv - 1 : mv - 2;
  // The decimal exponent of a: 10^E ≤ a < 10^(E+1), so the 9-digit decimal has k = 8 - E places.
  // Math.log10 may be off by one next to a power of ten: corrected from the 9-digit floor below.
  let E = Math.min(0, Math.max(-3, Math.floor(Math.log10(a))));
  const floor9 = (exp: number) => Math.floor((mv * POW5[8 - exp]!) / POW2[2 - e - (8 - exp)]!);
  if (floor9(E) < 1e8) E -= 1;
  else if (floor9(E) >= 1e9) E += 1;
  if (E < -3 || E > 0) return undefined;

  /** The p-digit decimal nearest a, as n·10^-k; undefined when a lies exactly halfway. */
  const nearest = (p: number): number | undefined => {
    const k = p - 1 - E;
    const s = 2 - e - k;
    const scaled = mv * POW5[k]!;
    const q = Math.floor(scaled / POW2[s]!);
    const r = scaled - q * POW2[s]!;
    const half = POW2[s - 1]!;
    if (r === half) return undefined;
    return r > half ? q + 1 : q;
  };
  const inside = (n: number, p: number): boolean => {
    const k = p - 1 - E;
    const scaled = n * POW2[2 - e - k]!;
    return scaled > mm * POW5[k]! && scaled < mp * POW5[k]!;
  };

  let n = nearest(8);
  if (n === undefined) return undefined;
  let p = 8;
  if (!inside(n, 8)) {
    n = nearest(9);
    if (n === undefined) return undefined;
    p = 9;
  } else {
    for (let digits = 7; digits >= 1; digits--) {
      const shorter = nearest(digits);
      if (shorter === undefined) return undefined;
      if (!inside(shorter, digits)) break;
      n = shorter;
      p = digits;
    }
  }
  return (x < 0 ? '-' : '') + fixedText(n, p - 1 - E);
}

/** n·10^-k (n < 2^53, 0 ≤ k) as JavaScript writes a number in fixed notation: no trailing zeros. */
function fixedText(n: number, k: number): string {
  while (k > 0 && n % 10 === 0) {
    n /= 10;
    k -= 1;
  }
  const digits = String(n);
  if (k === 0) return digits;
  if (digits.length > k) return `${digits.slice(0, digits.length - k)}.${digits.slice(digits.length - k)}`;
  return `0.${'0'.repeat(k - digits.length)}${digits}`;
}
