/**
 * The SGD family's row loops in WebAssembly (sgd-kernel.wat): PassiveAggressive's epoch and SGD's epoch with the l2
 * penalty or none, over dense or sparse rows, each the same operations in the same order as its
 * JavaScript loop in sgd-epochs.ts, so the same model bit for bit (sgd-kernel.test.ts), in about half its CPU:
 * V8's loop pays bounds and detach checks on every element; WebAssembly's memory accesses are checked by the
 * hardware (BENCHMARKS.md, sgd5 and sgd6).
 *
 * One fit's rows are copied into one instance's memory once and serve each of its binary problems (one vs all:
 * digits' 10): each problem writes its targets, clears its weights and runs its epochs there. The memory is freed
 * with the instance when the fit ends; the compiled module is kept for the thread's lifetime. The loops that run
 * once over every row of a fit (the first row order, the rows' |x|²) are in the kernel too: a user's first fit
 * of a size the warm-up's 60-row sets never reach ran them unoptimized in V8 (2 of passive_aggressive's ~6 ms on
 * breast_cancer through the proxy, BENCHMARKS.md, sgd6).
 */
import { SGD_KERNEL_BASE64 } from './sgd-kernel-bytes.js';
import type { SparseRows } from './sgd-rows.js';
import { wasmKernel } from './wasm-kernel.js';

/**
 * Above this many bytes of rows (about 530,000 rows of 30 features) the copy into the kernel's memory is not made:
 * a large training's matrix would be held twice while it fits (issue 15 counts peak memory). Those fits take the
 * JavaScript loops.
 */
export const MAX_KERNEL_MATRIX_BYTES = 64 * 1024 * 1024;

/** The SGD epochs' loss and rate codes (sgd-kernel.wat); l2Epoch has the first three losses only. */
export const KERNEL_LOSSES = { hinge: 0, log_loss: 1, squared_error: 2, perceptron: 3 } as const;
export const KERNEL_RATES = { optimal: 0, invscaling025: 1, invscaling05: 2, constant: 3 } as const;

type PassiveAggressiveEpoch = (
  xp: number, sp: number, cp: number, vp: number, op: number, yp: number, np: number, wp: number, statep: number, rows: number, cols: number,
  epsilon: number, C: number, hinge: number, fitIntercept: number,
) => number;
type SgdEpoch = (
  xp: number, sp: number, cp: number, vp: number, op: number, yp: number, wp: number, statep: number, rows: number, cols: number,
  loss: number, rate: number, alpha: number, eta0: number, optimalInit: number, fitIntercept: number,
) => number;

/** log_loss's exp and log1p are the JavaScript loop's own functions, so the kernel's losses are its bits. */
const IMPORTS = { math: { exp: Math.exp, log1p: Math.log1p } };

/** The kernel's module, compiled once per thread. */
const instance = wasmKernel(SGD_KERNEL_BASE64, IMPORTS);

/** l2Epoch's state between epochs (sgd-kernel.wat): f64 slots. */
export const STATE_INTERCEPT = 0;
export const STATE_SCALE = 1;
export const STATE_T = 2;
export const STATE_SQ_NORM = 3;
export const STATE_SPARSE = 4;

/** One fit's rows in the kernel's memory, and the epochs that run over them. */
export interface SgdKernelRows {
  readonly rows: number;
  readonly cols: number;
  /** Whether the rows' nonzero entries were copied too (l2Epoch's sparse dot). */
  readonly sparse: boolean;
  /** The row order, shuffled in place before each epoch as sgd-shuffle.ts does. */
  readonly order: Int32Array;
  /** The problem's targets (±1 for a binary problem). */
  readonly targets: Float64Array;
  /** The weights, then passive_aggressive's intercept. */
  readonly weights: Float64Array;
  /** The SGD epochs' intercept, scale, t, ‖w‖², and whether zeros are skipped (passive_aggressive's too). */
  readonly state: Float64Array;
  /** A new problem: the identity order, zero weights. */
  startProblem(): void;
  /** Each row's |x|² (computed once a fit, on the first call). */
  fillRowSqNorms(): void;
  passiveAggressiveEpoch(epsilon: number, C: number, hinge: boolean, fitIntercept: boolean): number;
  /** One epoch of SGD with the l2 penalty (l2Epochs), or none (unpenalizedEpochs); the state in `state`. */
  sgdEpoch(l2: boolean, loss: number, rate: number, alpha: number, eta0: number, optimalInit: number, fitIntercept: boolean): number;
}

/** The kernel's copy of one fit's rows, or undefined when they are too large to copy. */
export function sgdKernelRows(x: Float32Array, rows: number, cols: number, sparse?: SparseRows): SgdKernelRows | undefined {
  const align = (bytes: number): number => Math.ceil(bytes / 8) * 8;
  const nonzero = sparse ? sparse.start[rows]! : 0;
  const xp = 0;
  const sp = align(xp + rows * cols * 4);
  const cp = align(sp + (sparse ? (rows + 1) * 4 : 0));
  const vp = align(cp + nonzero * 4);
  const op = align(vp + nonzero * 4);
  const yp = align(op + rows * 4);
  const np = yp + rows * 8;
  const wp = np + rows * 8;
  const statep = wp + (cols + 1) * 8;
  const end = statep + 5 * 8;
  if (end > MAX_KERNEL_MATRIX_BYTES) return undefined;
  const kernel = instance(end);
  if (!kernel) return undefined;
  const { exports, buffer } = kernel;
  new Float32Array(buffer, xp, rows * cols).set(x.subarray(0, rows * cols));
  if (sparse) {
    new Int32Array(buffer, sp, rows + 1).set(sparse.start.subarray(0, rows + 1));
    new Int32Array(buffer, cp, nonzero).set(sparse.columns.subarray(0, nonzero));
    new Float32Array(buffer, vp, nonzero).set(sparse.values.subarray(0, nonzero));
  }
  const paEpoch = exports.passiveAggressiveEpoch as PassiveAggressiveEpoch;
  const l2Epoch = exports.l2Epoch as SgdEpoch;
  const unpenalizedEpoch = exports.unpenalizedEpoch as SgdEpoch;
  const identityOrder = exports.identityOrder as (op: number, rows: number) => void;
  const rowSqNorms = exports.rowSqNorms as (xp: number, np: number, rows: number, cols: number) => void;
  const weights = new Float64Array(buffer, wp, cols + 1);
  let normsFilled = false;
  return {
    rows,
    cols,
    sparse: sparse !== undefined,
    order: new Int32Array(buffer, op, rows),
    targets: new Float64Array(buffer, yp, rows),
    weights,
    state: new Float64Array(buffer, statep, 5),
    startProblem: () => {
      identityOrder(op, rows);
      weights.fill(0);
    },
    fillRowSqNorms: () => {
      if (!normsFilled) rowSqNorms(xp, np, rows, cols);
      normsFilled = true;
    },
    passiveAggressiveEpoch: (epsilon, C, hinge, fitIntercept) =>
      paEpoch(xp, sp, cp, vp, op, yp, np, wp, statep, rows, cols, epsilon, C, hinge ? 1 : 0, fitIntercept ? 1 : 0),
    sgdEpoch: (l2, loss, rate, alpha, eta0, optimalInit, fitIntercept) =>
      (l2 ? l2Epoch : unpenalizedEpoch)(xp, sp, cp, vp, op, yp, wp, statep, rows, cols, loss, rate, alpha, eta0, optimalInit, fitIntercept ? 1 : 0),
  };
}
