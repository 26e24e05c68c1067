/**
 * e^x in half of Math.exp's time, and nearer glibc's exp (which NumPy, scikit-learn's losses and
 * upstream libsvm's kernel call): for the softmax of logistic regression's multinomial loss, where
 * V8's Math.exp (fdlibm's, called out of the optimized code) took about half of a digits fit (13,470
 * exponentials an evaluation), and for the precomputed rbf kernel matrix (libsvm/precomputed.ts).
 * The method is the table-driven one of ARM's optimized-routines, glibc's exp since 2.28:
 * x = k·ln2/128 + r with |r| ≤ ln2/256, e^x = 2^(k/128)·e^r, 2^(j/128) from a 128-entry table kept as
 * the nearest double and its relative rounding error (the "tail"), e^r − 1 − r by glibc's polynomial.
 * Within 0.51 ulp of e^x (fdlibm's: 0.81); equal to glibc's on all but 110 of 170,000 arguments, against
 * Math.exp's 155,207 (BENCHMARKS.md, linear3). Not glibc's bit for bit: its x86-64 build fuses
 * multiply-adds that JavaScript rounds twice. Outside |x| < 700 (overflow, subnormal results) and
 * for NaN, Math.exp answers.
 */

const TABLE_BITS = 7;
const N = 1 << TABLE_BITS;
/** N / ln 2, and −ln 2 / N split so that k · NEG_LN2_HI_N is exact (its low 17 bits are zero). */
const INV_LN2_N = 184.6649652337873;
const NEG_LN2_HI_N = -0.005415212348111709;
const NEG_LN2_LO_N = -1.2864023111638346e-14;
/** 1.5 · 2^52: adding it rounds a number below 2^51 in magnitude to an integer. */
const SHIFT = 6755399441055744;
/** glibc's exp_data.c coefficients of e^r − 1 − r (its EXP_POLY_ORDER 5, N 128). */
const C2 = 0.49999999999996786;
const C3 = 0.16666666666665886;
const C4 = 0.0416666808410674;
const C5 = 0.008333335853059549;
/** 2^(1/128) as a double and its remainder (hi + lo to 106 bits). */
const ROOT_HI = 1.0054299011128027;
const ROOT_LO = 9.499186535455032e-17;
/** Powers 2^e for e = −1023 … 1023 (index e + 1023): 2^k as a factor without building bits. */
const POW2_BIAS = 1023;

const scales = new Float64Array(N);
const tails = new Float64Array(N);
const pow2 = new Float64Array(2 * POW2_BIAS + 1);

/** Dekker's exact product without fma: a·b = p + e. */
const SPLITTER = 134217729; // 2^27 + 1
function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  let t = SPLITTER * a;
  const aHi = t - (t - a);
  const aLo = a - aHi;
  t = SPLITTER * b;
  const bHi = t - (t - b);
  const bLo = b - bHi;
  return [p, aHi * bHi - p + aHi * bLo + aLo * bHi + aLo * bLo];
}

// 2^(j/128) = (2^(1/128))^j in double-double arithmetic (relative error below 2^-98 after 127 products):
// each table entry is the double nearest it, and its tail the remaining relative error.
{
  let hi = 1;
  let lo = 0;
  for (let j = 0; j < N; j++) {
    scales[j] = hi;
    tails[j] = lo / hi;
    // (hi + lo)·(ROOT_HI + ROOT_LO), renormalised.
    const [p, e] = twoProduct(hi, ROOT_HI);
    const l = e + hi * ROOT_LO + lo * ROOT_HI;
    hi = p + l;
    lo = l - (hi - p);
  }
  for (let e = -POW2_BIAS; e <= POW2_BIAS; e++) pow2[e + POW2_BIAS] = 2 ** e;
}

export function tableExp(x: number): number {
  if (!(x > -700 && x < 700)) return Math.exp(x);
  // k = round(x·N/ln2); r = x − k·ln2/N in [−ln2/2N, ln2/2N].
  const kd = x * INV_LN2_N + SHIFT - SHIFT;
  const r = x + kd * NEG_LN2_HI_N + kd * NEG_LN2_LO_N;
  const k = kd | 0;
  const j = k & (N - 1);
  const scale = scales[j]! * pow2[(k >> TABLE_BITS) + POW2_BIAS]!;
  const r2 = r * r;
  const tmp = tails[j]! + r + r2 * (C2 + r * C3) + r2 * r2 * (C4 + r * C5);
  return scale + scale * tmp;
}
