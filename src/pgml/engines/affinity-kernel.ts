/**
 * affinity_propagation's message passes in WebAssembly (affinity-kernel.wat): the JavaScript passes' operations in
 * their order, so the same messages bit for bit (clustering.test.ts), in about half their CPU. V8's loops
 * over the n × n Float64Arrays paid a map, detach and bounds check on every element (the engine threads give up
 * V8's detaching protector: array-buffer-detaching.ts), 4–5 ns an element a pass on iris; WebAssembly's memory
 * accesses are checked by the hardware (BENCHMARKS.md, small4).
 *
 * One fit's similarities, availabilities and responsibilities live in one instance's memory, freed with the
 * instance when the fit ends; the compiled module is kept for the thread's lifetime. Each sweep computes one
 * iteration's availabilities and the next iteration's responsibilities row by row (a row's responsibilities
 * need only that row's largest a + s), so the matrices are read once an iteration instead of twice.
 */
import { AFFINITY_KERNEL_BASE64 } from './affinity-kernel-bytes.js';
import { wasmKernel } from './wasm-kernel.js';

/** The kernel's module, compiled once per thread. */
const instance = wasmKernel(AFFINITY_KERNEL_BASE64);

type Sweep = (n: number, damping: number, keep: number, s: number, a: number, r: number, sums: number, next: number, diag: number, more: number) => void;

/** One fit's matrices in the kernel's memory. */
export interface MessageKernel {
  /** The n × n similarities, row-major: the fit writes them here. */
  readonly similarities: Float64Array;
  /**
   * The damped message passes from zero messages until the exemplar set has been the same for convergenceIter
   * iterations or maxIter: the exemplar flags, or undefined when a branch-free part overflowed (an availability
   * infinite or NaN), for the caller to pass the messages again with branches.
   */
  passMessages(damping: number, maxIter: number, convergenceIter: number): Uint8Array | undefined;
}

/** A kernel for n rows, or undefined when its memory (24·n² bytes and some) cannot be had. */
export function messageKernel(n: number): MessageKernel | undefined {
  const nn = n * n;
  const sp = 0;
  const ap = sp + nn * 8;
  const rp = ap + nn * 8;
  const sumsp = rp + nn * 8;
  const nextp = sumsp + n * 8;
  const diagp = nextp + n * 8;
  const end = diagp + n * 8;
  if (end > 2 ** 32) return undefined;
  const kernel = instance(end);
  if (!kernel) return undefined;
  const { exports, buffer } = kernel;
  const sweep = exports.sweep as Sweep;
  const poisoned = exports.poisoned as (a: number, count: number) => number;
  const diagonal = new Float64Array(buffer, diagp, n);
  return {
    similarities: new Float64Array(buffer, sp, nn),
    passMessages(damping, maxIter, convergenceIter) {
      const keep = 1 - damping;
      const history = new Uint8Array(convergenceIter * n);
      const timesExemplar = new Int32Array(n);
      const exemplars = new Uint8Array(n);
      // Sweep −1 leaves the zero availabilities at +0 and computes iteration 0's responsibilities.
      let sums = sumsp;
      let next = nextp;
      for (let it = -1; it < maxIter; it++) {
        sweep(n, damping, keep, sp, ap, rp, sums, next, diagp, it + 1 < maxIter ? 1 : 0);
        const swap = sums;
        sums = next;
        next = swap;
        if (it >= 0 && converged(diagonal, it, convergenceIter, history, timesExemplar, exemplars)) break;
      }
      // An availability that is once infinite or NaN stays so (damping·a + keep·update): the last ones tell.
      return poisoned(ap, nn) === 0 ? exemplars : undefined;
    },
  };
}

/**
 * Records iteration it's exemplar flags (a(k,k) + r(k,k) > 0) and answers sklearn's test: at least convergence_iter
 * iterations, an exemplar, and each sample an exemplar in all or none of the last convergence_iter iterations.
 */
export function converged(
  diagonal: Float64Array, it: number, convergenceIter: number, history: Uint8Array, timesExemplar: Int32Array, exemplars: Uint8Array,
): boolean {
  const n = exemplars.length;
  const slot = (it % convergenceIter) * n;
  let count = 0;
  for (let k = 0; k < n; k++) {
    const e = diagonal[k]! > 0 ? 1 : 0;
    exemplars[k] = e;
    count += e;
    timesExemplar[k]! += e - history[slot + k]!;
    history[slot + k] = e;
  }
  if (it < convergenceIter || count === 0) return false;
  for (let k = 0; k < n; k++) if (timesExemplar[k] !== 0 && timesExemplar[k] !== convergenceIter) return false;
  return true;
}
