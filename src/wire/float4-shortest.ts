/**
 * float4out's text with extra_float_digits ≥ 1 (the default since Postgres 12): the shortest
 * decimal that reads back as the float4, as Postgres's src/common/f2s.c (Ulf Adams's Ryu) writes it.
 *
 * The conversion is float4-text.wat, a WebAssembly module compiled into float4-text-wasm.ts by
 * scripts/build-wasm.mjs: Ryu wants 32×64-bit multiplies, which JavaScript's doubles could only do in
 * 22-bit pieces; an embedding's 384 values took 33–44 µs of the main thread's CPU that way and take ~15 µs
 * in WebAssembly, the whole array in one call (BENCHMARKS.md, issue 16, embed12).
 */
import { FLOAT4_TEXT_WASM } from './float4-text-wasm.js';

const { exports } = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(FLOAT4_TEXT_WASM, 'base64')), {});
const memory = exports.memory as WebAssembly.Memory;
/** float4-text.wat's `float4`: the text of the float4 with bits w written at `at`; returns the end. */
const float4 = exports.float4 as (w: number, at: number) => number;
/** float4-text.wat's `array`: array_out of n float4s read from `input`, written at `at`; returns the end. */
const array = exports.array as (input: number, n: number, at: number) => number;

/** Where the module's tables end: the floats to write go here, their text after them. */
const INPUT = 1024;
/** The most bytes one float4's text takes (`-1.23456789e-38`), and its comma. */
const ELEMENT_MAX = 16;
/**
 * The most values written in one call: their floats and text fit in the module's one page of memory,
 * which so never grows (a memory cannot shrink: one long array would have held its size for good).
 */
const CHUNK = 2048;

/** The module's memory (one page, never grown). */
const bytes = Buffer.from(memory.buffer);
const floats = new Float32Array(memory.buffer);

const bits = new Float32Array(1);
const word = new Int32Array(bits.buffer);

/** float4out's text of the float4 x (a float4 value: Math.fround'ed) as a string. */
export function float4Text(x: number): string {
  bits[0] = x;
  const end = float4(word[0]!, INPUT);
  return bytes.toString('latin1', INPUT, end);
}

/**
 * array_out of a one-dimensional real[] whose elements are all numbers (float4 values; an
 * embedding's Float32Array), `{a,b,...}`; undefined when one is not a number (NULL, text, a nested
 * array), for the general writer.
 */
export function float4ArrayText(items: ArrayLike<unknown>): Buffer | undefined {
  const n = items.length;
  if (n <= CHUNK) {
    if (!copyIn(items, 0, n)) return undefined;
    const start = INPUT + 4 * n;
    return Buffer.from(bytes.subarray(start, array(INPUT, n, start)));
  }
  // A chunk at a time, each chunk's text without its braces.
  const out = Buffer.allocUnsafe(2 + ELEMENT_MAX * n);
  out[0] = OPEN;
  let at = 1;
  for (let from = 0; from < n; from += CHUNK) {
    const count = Math.min(CHUNK, n - from);
    if (!copyIn(items, from, count)) return undefined;
    const start = INPUT + 4 * count;
    const end = array(INPUT, count, start);
    if (from > 0) out[at++] = COMMA;
    at += bytes.copy(out, at, start + 1, end - 1);
  }
  out[at++] = CLOSE;
  return out.subarray(0, at);
}

const OPEN = 0x7b;
const COMMA = 0x2c;
const CLOSE = 0x7d;

/** Copies items[from, from + count) into the module's input as float4s; false when one is not a number. */
function copyIn(items: ArrayLike<unknown>, from: number, count: number): boolean {
  if (items instanceof Float32Array) {
    floats.set(items.subarray(from, from + count), INPUT / 4);
    return true;
  }
  for (let i = 0; i < count; i++) {
    const item = items[from + i];
    if (typeof item !== 'number') return false;
    floats[INPUT / 4 + i] = item;
  }
  return true;
}
