/**
 * float4out's text with extra_float_digits ≥ 1 (the default since Postgres 12): the shortest
 * decimal that reads back as the float4, as Postgres's src/common/f2s.c (Ulf Adams's Ryu) writes it.
 *
 * The conversion is float4-text.wat, a WebAssembly module compiled into float4-text-wasm.ts by
 * scripts/build-wasm.mjs: Ryu wants 32×64-bit multiplies, which JavaScript's doubles could only do in
 * 22-bit pieces; an embedding's 384 values took ~31 µs of the main thread's CPU that way and take ~14 µs
 * in WebAssembly, the whole array in one call (BENCHMARKS.md, issue 16, embed12).
 */
import { FLOAT4_TEXT_WASM } from './float4-text-wasm.js';

/** The part of the WebAssembly JS API used here (this TypeScript's lib, ES2023 without the DOM, leaves it out). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, never>) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const { exports } = new wasm.Instance(new wasm.Module(Buffer.from(FLOAT4_TEXT_WASM, 'base64')), {});
const memory = exports.memory as WasmMemory;
/** float4-text.wat's `float4`: the text of the float4 with bits w written at `at`; returns the end. */
const float4 = exports.float4 as (w: number, at: number) => number;
/** float4-text.wat's `array`: array_out of n float4s read from `input`, written at `at`; returns the end. */
const array = exports.array as (input: number, n: number, at: number) => number;

/** Where the module's tables end: the floats to write go here, their text after them. */
const INPUT = 1024;
const PAGE_BYTES = 65536;
/** The most bytes one float4's text takes (`-1.23456789e-38`), and its comma. */
const ELEMENT_MAX = 16;

/**
 * Views of the module's memory, made again when it grows (growing detaches the old buffer), and its
 * size, kept here: reading memory.buffer is a call into the engine.
 */
let bytes = Buffer.from(memory.buffer);
let floats = new Float32Array(memory.buffer);
let capacity = bytes.length;

/** Grows the memory to hold INPUT + `size` bytes: as large as the largest array written so far. */
function reserve(size: number): void {
  if (INPUT + size <= capacity) return;
  memory.grow(Math.ceil((INPUT + size - capacity) / PAGE_BYTES));
  bytes = Buffer.from(memory.buffer);
  floats = new Float32Array(memory.buffer);
  capacity = bytes.length;
}

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
  reserve(4 * n + 2 + ELEMENT_MAX * n);
  if (items instanceof Float32Array) {
    floats.set(items, INPUT / 4);
  } else {
    for (let i = 0; i < n; i++) {
      const item = items[i];
      if (typeof item !== 'number') return undefined;
      floats[INPUT / 4 + i] = item;
    }
  }
  const start = INPUT + 4 * n;
  return Buffer.from(bytes.subarray(start, array(INPUT, n, start)));
}
