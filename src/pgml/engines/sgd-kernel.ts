/**
 * PassiveAggressive's epochs over dense rows in WebAssembly (sgd-kernel.wat): the same operations in the same
 * order as sgd-epochs.ts's JavaScript loop, so the same model bit for bit (sgd-kernel.test.ts), in half its CPU:
 * on a 75,000 × 30 table 96–98 ms against 190 (scikit-learn 116–128 ms; BENCHMARKS.md, sgd5). V8's loop pays
 * bounds and detach checks on every element; WebAssembly's memory accesses are checked by the hardware.
 * Each fit has its own instance and memory (x copied in once, freed when the instance is collected); the compiled
 * module is kept for the thread's lifetime.
 */
import { SGD_KERNEL_BASE64 } from './sgd-kernel-bytes.js';

/**
 * Above this many bytes of rows (about 530,000 rows of 30 features) the copy into the kernel's memory is not made:
 * a large training's matrix would be held twice while it fits (issue 15 counts peak memory). Those fits take the
 * JavaScript loop.
 */
export const MAX_KERNEL_MATRIX_BYTES = 64 * 1024 * 1024;

const PAGE_BYTES = 65536;

type EpochFunction = (
  xp: number, op: number, yp: number, np: number, wp: number, rows: number, cols: number,
  epsilon: number, C: number, hinge: number, fitIntercept: number,
) => number;

/** The part of the WebAssembly JS API used here (this TypeScript's lib, ES2023 without the DOM, leaves it out). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;

/** One fit's rows in the kernel's memory, with the views the epoch loop (sgd-epochs.ts) works on. */
export interface PassiveAggressiveKernel {
  /** The row order, shuffled in place before each epoch as sgd-shuffle.ts does. */
  order: Int32Array;
  /** Each row's |x|², filled by the caller in the JavaScript loop's order. */
  rowSqNorms: Float64Array;
  /** The weights, then the intercept. */
  weights: Float64Array;
  /** Runs one epoch over `order`; the summed loss. */
  epoch(): number;
}

/** The kernel for one fit, or undefined when the rows are too large to copy. */
export function passiveAggressiveKernel(
  x: Float32Array, rows: number, cols: number, y: Float64Array, epsilon: number, C: number, hinge: boolean, fitIntercept: boolean,
): PassiveAggressiveKernel | undefined {
  const xBytes = rows * cols * 4;
  if (xBytes > MAX_KERNEL_MATRIX_BYTES) return undefined;
  compiled ??= new wasm.Module(Buffer.from(SGD_KERNEL_BASE64, 'base64'));
  const instance = new wasm.Instance(compiled);
  const memory = instance.exports.memory as WasmMemory;
  const run = instance.exports.passiveAggressiveEpoch as EpochFunction;
  const align = (bytes: number): number => Math.ceil(bytes / 8) * 8;
  const xp = 0;
  const op = align(xp + xBytes);
  const yp = align(op + rows * 4);
  const np = yp + rows * 8;
  const wp = np + rows * 8;
  const end = wp + (cols + 1) * 8;
  memory.grow(Math.max(0, Math.ceil(end / PAGE_BYTES) - memory.buffer.byteLength / PAGE_BYTES));
  const buffer = memory.buffer;
  new Float32Array(buffer, xp, rows * cols).set(x.subarray(0, rows * cols));
  new Float64Array(buffer, yp, rows).set(y.subarray(0, rows));
  const order = new Int32Array(buffer, op, rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  return {
    order,
    rowSqNorms: new Float64Array(buffer, np, rows),
    weights: new Float64Array(buffer, wp, cols + 1),
    epoch: () => run(xp, op, yp, np, wp, rows, cols, epsilon, C, hinge ? 1 : 0, fitIntercept ? 1 : 0),
  };
}
