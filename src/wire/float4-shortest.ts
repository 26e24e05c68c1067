/**
 * float4out's text with extra_float_digits ≥ 1 (the default since Postgres 12): the shortest
 * decimal that reads back as the float4, written straight into bytes.
 *
 * A port of Postgres's src/common/f2s.c (float_to_shortest_decimal_bufn), which is Ulf Adams's Ryu
 * (github.com/ulfjack/ryu, f2s.c, Boost Software License 1.0) as Postgres builds it:
 * STRICTLY_SHORTEST 0 (a decimal exactly halfway to a neighbouring float4 is never chosen, even
 * where reading it would round to this one), the small-integer fast path (an integer below 2^24
 * prints all its digits), fixed notation for decimal exponents -4..5 and otherwise d.ddde±XX. The
 * steps and names follow f2s.c so the two can be read side by side.
 *
 * The only change is the 32×64-bit multiply (mulShift): JavaScript numbers are exact only below
 * 2^53, so the 64-bit table factors are split into 22-bit pieces whose products with a multiplier
 * below 2^26 stay below 2^49. Every other quantity is a uint32 as in C, and every division of one
 * by 10 is exact (div10).
 */

const FLOAT_MANTISSA_BITS = 23;
const FLOAT_BIAS = 127;
const FLOAT_POW5_INV_BITCOUNT = 59;
const FLOAT_POW5_BITCOUNT = 61;

/** f2s.c's FLOAT_POW5_INV_SPLIT, as decimal text (the 64-bit values are split below). */
const POW5_INV_SPLIT = [
  '576460752303423489', '461168601842738791', '368934881474191033', '295147905179352826',
  '472236648286964522', '377789318629571618', '302231454903657294', '483570327845851670',
  '386856262276681336', '309485009821345069', '495176015714152110', '396140812571321688',
  '316912650057057351', '507060240091291761', '405648192073033409', '324518553658426727',
  '519229685853482763', '415383748682786211', '332306998946228969', '531691198313966350',
  '425352958651173080', '340282366920938464', '544451787073501542', '435561429658801234',
  '348449143727040987', '557518629963265579', '446014903970612463', '356811923176489971',
  '570899077082383953', '456719261665907162', '365375409332725730',
];

/** f2s.c's FLOAT_POW5_SPLIT. */
const POW5_SPLIT = [
  '1152921504606846976', '1441151880758558720', '1801439850948198400', '2251799813685248000',
  '1407374883553280000', '1759218604441600000', '2199023255552000000', '1374389534720000000',
  '1717986918400000000', '2147483648000000000', '1342177280000000000', '1677721600000000000',
  '2097152000000000000', '1310720000000000000', '1638400000000000000', '2048000000000000000',
  '1280000000000000000', '1600000000000000000', '2000000000000000000', '1250000000000000000',
  '1562500000000000000', '1953125000000000000', '1220703125000000000', '1525878906250000000',
  '1907348632812500000', '1192092895507812500', '1490116119384765625', '1862645149230957031',
  '1164153218269348144', '1455191522836685180', '1818989403545856475', '2273736754432320594',
  '1421085471520200371', '1776356839400250464', '2220446049250313080', '1387778780781445675',
  '1734723475976807094', '2168404344971008868', '1355252715606880542', '1694065894508600678',
  '2117582368135750847', '1323488980084844279', '1654361225106055349', '2067951531382569187',
  '1292469707114105741', '1615587133892632177', '2019483917365790221',
];

const PIECE = 2 ** 22;
const PIECE_INVERSE = 2 ** -22;
const PIECE_BITS = 22n;
const PIECE_MASK = (1n << PIECE_BITS) - 1n;

/** A table factor as three 22-bit pieces, high to low: [f >> 44, (f >> 22) & mask, f & mask]. */
function pieces(table: readonly string[]): Float64Array {
  const out = new Float64Array(table.length * 3);
  table.forEach((text, i) => {
    const f = BigInt(text);
    out[3 * i] = Number(f >> (2n * PIECE_BITS));
    out[3 * i + 1] = Number((f >> PIECE_BITS) & PIECE_MASK);
    out[3 * i + 2] = Number(f & PIECE_MASK);
  });
  return out;
}

const POW5_INV = pieces(POW5_INV_SPLIT);
const POW5 = pieces(POW5_SPLIT);
/** 2^k and 2^-k: multiplying by a power of two is exact, and faster than dividing by one. */
const POW2 = Float64Array.from({ length: 64 }, (_, k) => 2 ** k);
const POW2_INVERSE = Float64Array.from({ length: 64 }, (_, k) => 2 ** -k);

/**
 * floor(m · factor / 2^shift) for m < 2^26 and the table's factor i (< 2^62), which Ryu bounds
 * below 2^32: the sum of the pieces' products, carried piece by piece so that each stays exact.
 * (No `%` on these doubles: V8 computes it with a call to fmod.)
 */
function mulShift(m: number, table: Float64Array, i: number, shift: number): number {
  const t0 = m * table[3 * i + 2]!;
  const carry0 = Math.floor(t0 * PIECE_INVERSE);
  const t1 = m * table[3 * i + 1]! + carry0;
  const carry1 = Math.floor(t1 * PIECE_INVERSE);
  const t2 = m * table[3 * i]! + carry1;
  // m · factor = t2 · 2^44 + low, with low < 2^44.
  if (shift >= 44) return Math.floor(t2 * POW2_INVERSE[shift - 44]!);
  const low = (t1 - carry1 * PIECE) * PIECE + (t0 - carry0 * PIECE);
  return t2 * POW2[44 - shift]! + Math.floor(low * POW2_INVERSE[shift]!);
}

/** The last decimal digit of a uint32 held in a double. */
function lastDigit(v: number): number {
  return v - 10 * div10(v);
}

/** ryu_common.h: e == 0 ? 1 : ceil(log2(5^e)). */
function pow5bits(e: number): number {
  return ((e * 1217359) >>> 19) + 1;
}

/** ryu_common.h: floor(log10(2^e)). */
function log10Pow2(e: number): number {
  return (e * 78913) >>> 18;
}

/** ryu_common.h: floor(log10(5^e)). */
function log10Pow5(e: number): number {
  return (e * 732923) >>> 20;
}

function multipleOfPowerOf5(value: number, p: number): boolean {
  let count = 0;
  for (let v = value; v % 5 === 0; v /= 5) count++;
  return count >= p;
}

function multipleOfPowerOf2(value: number, p: number): boolean {
  // value < 2^26 and p < 31: an int32 mask.
  return (value & ((1 << p) - 1)) === 0;
}

function decimalLength(v: number): number {
  if (v >= 100000000) return 9;
  if (v >= 10000000) return 8;
  if (v >= 1000000) return 7;
  if (v >= 100000) return 6;
  if (v >= 10000) return 5;
  if (v >= 1000) return 4;
  if (v >= 100) return 3;
  if (v >= 10) return 2;
  return 1;
}

/** f2d's result, mantissa · 10^exponent: module state rather than an object per value. */
let decimalMantissa = 0;
let decimalExponent = 0;

/** f2s.c's f2d: the shortest decimal inside the float4's rounding interval (ends excluded). */
function f2d(ieeeMantissa: number, ieeeExponent: number): void {
  let e2: number;
  let m2: number;
  if (ieeeExponent === 0) {
    // We subtract 2 so that the bounds computation has 2 additional bits.
    e2 = 1 - FLOAT_BIAS - FLOAT_MANTISSA_BITS - 2;
    m2 = ieeeMantissa;
  } else {
    e2 = ieeeExponent - FLOAT_BIAS - FLOAT_MANTISSA_BITS - 2;
    m2 = (1 << FLOAT_MANTISSA_BITS) | ieeeMantissa;
  }

  // Step 2: Determine the interval of legal decimal representations (acceptBounds is false).
  const mv = 4 * m2;
  const mp = 4 * m2 + 2;
  const mmShift = ieeeMantissa !== 0 || ieeeExponent <= 1 ? 1 : 0;
  const mm = 4 * m2 - 1 - mmShift;

  // Step 3: Convert to a decimal power base.
  let vr: number;
  let vp: number;
  let vm: number;
  let e10: number;
  let vrIsTrailingZeros = false;
  let lastRemovedDigit = 0;
  if (e2 >= 0) {
    const q = log10Pow2(e2);
    e10 = q;
    const k = FLOAT_POW5_INV_BITCOUNT + pow5bits(q) - 1;
    const i = -e2 + q + k;
    vr = mulShift(mv, POW5_INV, q, i);
    vp = mulShift(mp, POW5_INV, q, i);
    vm = mulShift(mm, POW5_INV, q, i);
    if (q !== 0 && div10(vp - 1) <= div10(vm)) {
      // We need to know one removed digit even if we are not going to loop below.
      const l = FLOAT_POW5_INV_BITCOUNT + pow5bits(q - 1) - 1;
      lastRemovedDigit = lastDigit(mulShift(mv, POW5_INV, q - 1, -e2 + q - 1 + l));
    }
    if (q <= 9) {
      // Only one of mp, mv, and mm can be a multiple of 5, if any.
      if (mv % 5 === 0) vrIsTrailingZeros = multipleOfPowerOf5(mv, q);
      else if (multipleOfPowerOf5(mp, q)) vp -= 1;
    }
  } else {
    const q = log10Pow5(-e2);
    e10 = q + e2;
    const i = -e2 - q;
    const k = pow5bits(i) - FLOAT_POW5_BITCOUNT;
    let j = q - k;
    vr = mulShift(mv, POW5, i, j);
    vp = mulShift(mp, POW5, i, j);
    vm = mulShift(mm, POW5, i, j);
    if (q !== 0 && div10(vp - 1) <= div10(vm)) {
      j = q - 1 - (pow5bits(i + 1) - FLOAT_POW5_BITCOUNT);
      lastRemovedDigit = lastDigit(mulShift(mv, POW5, i + 1, j));
    }
    if (q <= 1) {
      // {vr,vp,vm} is trailing zeros if {mv,mp,mm} has at least q trailing 0 bits; mv = 4 * m2
      // has at least two, and mp = mv + 2 at least one.
      vrIsTrailingZeros = true;
      vp -= 1;
    } else if (q < 31) {
      vrIsTrailingZeros = multipleOfPowerOf2(mv, q - 1);
    }
  }

  // Step 4: Find the shortest decimal representation in the interval of legal representations.
  let removed = 0;
  let output: number;
  if (vrIsTrailingZeros) {
    // General case, which happens rarely (~4.0%); vmIsTrailingZeros stays false without acceptBounds.
    while (div10(vp) > div10(vm)) {
      vrIsTrailingZeros &&= lastRemovedDigit === 0;
      lastRemovedDigit = lastDigit(vr);
      vr = div10(vr);
      vp = div10(vp);
      vm = div10(vm);
      removed++;
    }
    // Round even if the exact number is .....50..0.
    if (vrIsTrailingZeros && lastRemovedDigit === 5 && lastDigit(vr) % 2 === 0) lastRemovedDigit = 4;
    // We need to take vr + 1 if vr is outside bounds or we need to round up.
    output = vr + (vr === vm || lastRemovedDigit >= 5 ? 1 : 0);
  } else {
    while (div10(vp) > div10(vm)) {
      lastRemovedDigit = lastDigit(vr);
      vr = div10(vr);
      vp = div10(vp);
      vm = div10(vm);
      removed++;
    }
    output = vr + (vr === vm || lastRemovedDigit >= 5 ? 1 : 0);
  }
  decimalMantissa = output;
  decimalExponent = e10 + removed;
}

/** f2s.c's f2d_small_int: an integer float4 below 2^24 is printed with all its digits. */
function smallInt(ieeeMantissa: number, ieeeExponent: number): boolean {
  const e2 = ieeeExponent - FLOAT_BIAS - FLOAT_MANTISSA_BITS;
  if (e2 < -FLOAT_MANTISSA_BITS || e2 > 0) return false;
  if ((ieeeMantissa & ((1 << -e2) - 1)) !== 0) return false;
  decimalMantissa = ((1 << FLOAT_MANTISSA_BITS) | ieeeMantissa) >>> -e2;
  decimalExponent = 0;
  return true;
}

const ZERO = 0x30;
const MINUS = 0x2d;
const PLUS = 0x2b;
const POINT = 0x2e;
const E = 0x65;

/**
 * floor(v / 10) for a uint32 v held in a double. 0.1 is slightly above 1/10 and the error of the
 * product is below half an ulp of the quotient, so the product never falls below an integer
 * quotient, nor reaches the next one from a remainder of at most 9.
 */
function div10(v: number): number {
  return Math.floor(v * 0.1);
}

/**
 * Writes the olength decimal digits of `output` from `at`, with a point after the first
 * `pointAfter` digits (none when pointAfter ≥ olength).
 */
function writeDigits(out: Uint8Array, at: number, output: number, olength: number, pointAfter: number): void {
  let rest = output;
  for (let i = olength - 1; i >= 0; i--) {
    const q = div10(rest);
    out[i < pointAfter ? at + i : at + i + 1] = ZERO + (rest - 10 * q);
    rest = q;
  }
  if (pointAfter < olength) out[at + pointAfter] = POINT;
}

/** f2s.c's to_chars_f: fixed notation (the display exponent is -4..5). Returns the end. */
function toCharsFixed(out: Uint8Array, at: number, output: number, exp: number, olength: number): number {
  const nexp = exp + olength;
  if (nexp <= 0) {
    // 0.000ddddd: -nexp zeros after the point.
    out[at] = ZERO;
    out[at + 1] = POINT;
    for (let z = 0; z < -nexp; z++) out[at + 2 + z] = ZERO;
    writeDigits(out, at + 2 - nexp, output, olength, olength);
    return at + 2 - nexp + olength;
  }
  if (exp < 0) {
    // dddd.dddd: the first nexp digits, the point, the rest.
    writeDigits(out, at, output, olength, nexp);
    return at + olength + 1;
  }
  // ddddddddd000: the digits, then exp zeros.
  writeDigits(out, at, output, olength, olength);
  for (let z = 0; z < exp; z++) out[at + olength + z] = ZERO;
  return at + olength + exp;
}

/** f2s.c's to_chars: sign, then fixed or scientific notation. Returns the end. */
function toChars(out: Uint8Array, at: number, sign: boolean, mantissa: number, exponent: number): number {
  let output = mantissa;
  let olength = decimalLength(output);
  let exp = exponent + olength - 1;
  let index = at;
  if (sign) out[index++] = MINUS;
  // The thresholds for fixed-point output are chosen to match printf defaults.
  if (exp >= -4 && exp < 6) return toCharsFixed(out, index, output, exponent, olength);
  // The small-integer path may leave trailing (decimal) zeros: scientific notation drops them.
  if (exponent === 0) {
    while (lastDigit(output) === 0) {
      output /= 10;
      olength--;
    }
  }
  // d.dddd, the point only after a first digit that has others after it.
  writeDigits(out, index, output, olength, 1);
  index += olength > 1 ? olength + 1 : 1;
  out[index++] = E;
  if (exp < 0) {
    out[index++] = MINUS;
    exp = -exp;
  } else {
    out[index++] = PLUS;
  }
  out[index++] = ZERO + Math.floor(exp / 10);
  out[index++] = ZERO + lastDigit(exp);
  return index;
}

const SPECIAL_NAN = [0x4e, 0x61, 0x4e];
const SPECIAL_INFINITY = [0x49, 0x6e, 0x66, 0x69, 0x6e, 0x69, 0x74, 0x79];

const bits = new Float32Array(1);
/** The bits as an int32: a small integer V8 passes unboxed, where a double argument is a heap number. */
const word = new Int32Array(bits.buffer);

/** The most bytes one float4's text takes: `-1.23456789e-38`. */
export const FLOAT4_TEXT_MAX = 15;

/**
 * Writes float4out's text of the float4 x (a float4 value: Math.fround'ed) into out at `at`, which
 * must have FLOAT4_TEXT_MAX bytes free there; returns the end.
 */
export function writeFloat4Text(x: number, out: Uint8Array, at: number): number {
  // Small enough to be inlined where it is called in a loop (an array's elements), so that no
  // element's double is boxed to be passed on: the bits go on as an int32.
  bits[0] = x;
  return writeFloat4Bits(word[0]!, out, at);
}

/** writeFloat4Text of the float4 whose IEEE bits are w (read as an int32). */
function writeFloat4Bits(w: number, out: Uint8Array, at: number): number {
  const sign = w >>> 31 === 1;
  const ieeeMantissa = w & 0x7fffff;
  const ieeeExponent = (w >>> FLOAT_MANTISSA_BITS) & 0xff;
  if (ieeeExponent === 0xff || (ieeeExponent === 0 && ieeeMantissa === 0)) {
    // copy_special_str: NaN (whatever its sign), [-]Infinity, [-]0.
    if (ieeeMantissa !== 0) {
      out.set(SPECIAL_NAN, at);
      return at + 3;
    }
    let index = at;
    if (sign) out[index++] = MINUS;
    if (ieeeExponent !== 0) {
      out.set(SPECIAL_INFINITY, index);
      return index + 8;
    }
    out[index] = ZERO;
    return index + 1;
  }
  if (!smallInt(ieeeMantissa, ieeeExponent)) f2d(ieeeMantissa, ieeeExponent);
  return toChars(out, at, sign, decimalMantissa, decimalExponent);
}

const scratch = new Uint8Array(FLOAT4_TEXT_MAX);

/** float4out's text of the float4 x as a string. */
export function float4Text(x: number): string {
  const end = writeFloat4Text(x, scratch, 0);
  return String.fromCharCode(...scratch.subarray(0, end));
}
