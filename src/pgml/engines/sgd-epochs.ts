/**
 * The epochs of scikit-learn's _plain_sgd (linear_model/_sgd_fast.pyx) for one binary (y in ±1) or
 * regression problem. The per-row loop is the whole cost of a fit, and most fits are small enough
 * to end before V8's optimizing compiler has compiled a loop it has not compiled before. So the
 * loops are shaped for V8: small functions (the gradient step per penalty, and passive-aggressive's), their
 * settings passed as plain numbers and booleans (an object's shape is one more thing optimized code
 * checks and throws away on a miss), and the losses called through a parameter (sgd-losses.ts). Only
 * work whose result is never read is skipped: every operation that reaches the weights or the
 * stopping rule is done in scikit-learn's order, so the model is scikit-learn's (sgd.test.ts).
 */
import { PgError, SqlState } from '../../errors/index.js';
import { LOSSES, type LossFunction, type LossName } from './sgd-losses.js';
import type { SparseRows } from './sgd-rows.js';
import {
  KERNEL_LOSSES, KERNEL_RATES, STATE_INTERCEPT, STATE_SCALE, STATE_SPARSE, STATE_SQ_NORM, STATE_T, sgdKernelRows, type SgdKernelRows,
} from './sgd-kernel.js';
import { shuffleRows } from './sgd-shuffle.js';

const MAX_DLOSS = 1e12;

export const RATES = ['optimal', 'constant', 'invscaling'] as const;
export const PENALTIES = ['l2', 'l1', 'elasticnet', 'none'] as const;

export interface Settings {
  loss: LossName;
  /** huber's and the epsilon-insensitive losses' epsilon. */
  epsilon: number;
  /** 'pa1' is the passive-aggressive step min(C, loss / |x|²). */
  rate: (typeof RATES)[number] | 'pa1';
  alpha: number;
  l1Ratio: number;
  penalty: (typeof PENALTIES)[number];
  eta0: number;
  powerT: number;
  C: number;
  /** Multiplies the PA step's sign for hinge (by y) or for regression (by sign of y - p). */
  hinge: boolean;
  fitIntercept: boolean;
  maxIter: number;
  tol: number;
  patience: number;
  shuffle: boolean;
}

const NO_INDEX = new Int32Array(0);
const NO_VALUES = new Float32Array(0);

/**
 * Whether the settings' loop is in the WebAssembly kernel (sgd-kernel.ts): passive_aggressive; SGD with the l2 penalty and the losses hinge, log_loss or squared_error (SGDClassifier's and SGDRegressor's
 * defaults, and logistic regression's), or with no penalty and those or perceptron (Perceptron's default), each
 * with the rates optimal, constant, or invscaling with power_t 0.25 or 0.5 (other powers take V8's Math.pow,
 * which the kernel does not have). The others run in JavaScript.
 */
export function kernelServes(s: Settings, sparse?: SparseRows): boolean {
  if (s.rate === 'pa1') return true;
  if (s.rate === 'invscaling' && s.powerT !== 0.25 && s.powerT !== 0.5) return false;
  if (s.penalty === 'l2') return s.loss === 'hinge' || s.loss === 'log_loss' || s.loss === 'squared_error';
  return s.penalty === 'none' && s.loss in KERNEL_LOSSES;
}

/** One fit's rows in the kernel, for each of its problems, or undefined where its loop is JavaScript. */
export function kernelRowsFor(x: Float32Array, rows: number, cols: number, s: Settings, sparse?: SparseRows): SgdKernelRows | undefined {
  return kernelServes(s, sparse) ? sgdKernelRows(x, rows, cols, sparse) : undefined;
}

/**
 * The problem's weights then its intercept. With `sparse` (sgd-rows.ts: x's nonzero entries), the
 * loops skip x's zeros where that leaves every result unchanged. `kernel`: the fit's rows in the WebAssembly
 * kernel (kernelRowsFor), true to make them here where the settings allow, false for the JavaScript loops.
 */
export function plainSgd(
  x: Float32Array, rows: number, cols: number, y: Float64Array, s: Settings, seed: number, sparse?: SparseRows,
  kernel: SgdKernelRows | boolean = true,
): Float64Array {
  const { value, derivative } = LOSSES[s.loss];
  const stop = stoppingRule(s.tol, s.patience);
  const start = sparse?.start ?? NO_INDEX;
  const columns = sparse?.columns ?? NO_INDEX;
  const values = sparse?.values ?? NO_VALUES;
  const rowsKernel = kernel === true ? kernelRowsFor(x, rows, cols, s, sparse) : kernel === false ? undefined : kernel;
  if (s.rate === 'pa1') {
    // The WebAssembly loop (sgd-kernel.ts), the same model in half the CPU.
    if (rowsKernel) return passiveAggressiveKernelEpochs(rowsKernel, y, seed, s, stop);
    return passiveAggressiveEpochs(
      x, rows, cols, y, start, columns, values, seed, s.shuffle, s.maxIter, stop, value, s.epsilon, s.C, s.hinge, s.fitIntercept,
    );
  }
  let optimalInit = 0;
  if (s.rate === 'optimal') {
    const typw = Math.sqrt(1 / Math.sqrt(s.alpha));
    const eta0 = typw / Math.max(1, derivative(-typw, 1, s.epsilon));
    optimalInit = 1 / (eta0 * s.alpha);
  }
  // The two defaults (SGD's l2, perceptron's none) each have a loop of their own: smaller to compile than the
  // general one, and not deoptimized by a branch only another penalty takes (see l2Epochs).
  if (rowsKernel) return sgdKernelEpochs(rowsKernel, y, seed, s, stop, optimalInit);
  if (s.penalty === 'l2' || s.penalty === 'none') {
    const epochs = s.penalty === 'l2' ? l2Epochs : unpenalizedEpochs;
    return epochs(
      x, rows, cols, y, start, columns, values, seed, s.shuffle, s.maxIter, stop, value, derivative, s.epsilon,
      s.rate === 'optimal', optimalInit, s.rate === 'invscaling', s.eta0, s.powerT, s.alpha, s.fitIntercept,
    );
  }
  // l1 and elasticnet: penalized, truncated, and shrunk by elasticnet's l2 part.
  return gradientEpochs(
    x, rows, cols, y, start, columns, values, seed, s.shuffle, s.maxIter, stop, value, derivative, s.epsilon,
    s.rate === 'optimal', optimalInit, s.rate === 'invscaling', s.eta0, s.powerT,
    s.alpha, s.penalty === 'l1' ? 1 : s.l1Ratio, true, s.penalty === 'elasticnet', true, s.fitIntercept,
  );
}

/**
 * SGD with penalty 'l2' (SGDClassifier's and SGDRegressor's default): gradientEpochs with l1_ratio 0,
 * each of its terms as that function computes it (factor 1 - 1·eta·alpha, objective term
 * (1 - 0)·0.5·‖w‖² + 0·0), so the same model. A loop of its own: V8 compiles the whole epoch loop as one
 * function, and a branch the warm-up or another penalty takes for the first time deoptimized it; the
 * next fit then ran unoptimized until TurboFan had recompiled it, 100–250 ms under load, more than
 * a fit of digits takes warm (BENCHMARKS.md, sgd4).
 */
function l2Epochs(
  x: Float32Array, rows: number, cols: number, y: Float64Array, start: Int32Array, columns: Int32Array, values: Float32Array,
  seed: number, shuffle: boolean, maxIter: number, stop: Float64Array,
  value: LossFunction, derivative: LossFunction, epsilon: number,
  optimal: boolean, optimalInit: number, invscaling: boolean, eta0: number, powerT: number, alpha: number, fitIntercept: boolean,
): Float64Array {
  const w = new Float64Array(cols);
  let intercept = 0;
  let scale = 1;
  let t = 1;
  // sklearn's WeightVector keeps ‖w‖² on add and scale (see gradientEpochs); its ‖w‖₁ only ever adds 0 here.
  let sqNorm = 0;
  let skipZeros = start.length > 0;
  const order = identityOrder(rows);
  for (let epoch = 0; epoch < maxIter; epoch++) {
    if (shuffle) shuffleRows(order, seed);
    let sumObjective = 0;
    for (let i = 0; i < rows; i++) {
      const r = order[i]!;
      const off = r * cols;
      const dot = skipZeros ? sparseDot(w, start[r]!, start[r + 1]!, columns, values) : denseDot(w, x, off, cols);
      const p = dot * scale + intercept;
      const target = y[r]!;
      const eta = optimal ? 1 / (alpha * (optimalInit + t - 1)) : invscaling ? eta0 / powerOf(t, powerT) : eta0;
      const norm = Math.sqrt(sqNorm);
      sumObjective += value(p, target, epsilon);
      sumObjective += alpha * (0.5 * (norm * norm));
      const update = -eta * Math.max(-MAX_DLOSS, Math.min(MAX_DLOSS, derivative(p, target, epsilon)));
      const factor = Math.max(0, 1 - eta * alpha);
      scale *= factor;
      sqNorm *= factor * factor;
      if (scale < 1e-9) {
        for (let c = 0; c < cols; c++) w[c]! *= scale;
        scale = 1;
      }
      if (update !== 0) {
        const sq = addWithSquares(w, x, off, cols, update / scale);
        sqNorm = sq * (scale * scale);
        if (!Number.isFinite(sq)) skipZeros = false;
        if (fitIntercept) intercept += update;
      }
      t++;
    }
    if (epochEnds(stop, sumObjective, intercept, rows)) break;
  }
  return withIntercept(w, scale, intercept);
}

/**
 * SGD with penalty 'none' (Perceptron's default): gradientEpochs with no penalty, whose weight scale
 * stays 1 (dot·1 and update/1 are dot and update), so the same model; a loop of its own as l2Epochs.
 */
function unpenalizedEpochs(
  x: Float32Array, rows: number, cols: number, y: Float64Array, start: Int32Array, columns: Int32Array, values: Float32Array,
  seed: number, shuffle: boolean, maxIter: number, stop: Float64Array,
  value: LossFunction, derivative: LossFunction, epsilon: number,
  optimal: boolean, optimalInit: number, invscaling: boolean, eta0: number, powerT: number, alpha: number, fitIntercept: boolean,
): Float64Array {
  const w = new Float64Array(cols);
  let intercept = 0;
  let t = 1;
  let skipZeros = start.length > 0;
  const order = identityOrder(rows);
  for (let epoch = 0; epoch < maxIter; epoch++) {
    if (shuffle) shuffleRows(order, seed);
    let sumObjective = 0;
    for (let i = 0; i < rows; i++) {
      const r = order[i]!;
      const off = r * cols;
      const p = (skipZeros ? sparseDot(w, start[r]!, start[r + 1]!, columns, values) : denseDot(w, x, off, cols)) + intercept;
      const target = y[r]!;
      const eta = optimal ? 1 / (alpha * (optimalInit + t - 1)) : invscaling ? eta0 / powerOf(t, powerT) : eta0;
      sumObjective += value(p, target, epsilon);
      const update = -eta * Math.max(-MAX_DLOSS, Math.min(MAX_DLOSS, derivative(p, target, epsilon)));
      if (update !== 0) {
        // No weight is ever -0 here, so adding x·update = ±0 for a zero x changes none.
        if (!Number.isFinite(update)) skipZeros = false;
        if (skipZeros) skipZeros = addSparse(w, start[r]!, start[r + 1]!, columns, values, update);
        else for (let c = 0; c < cols; c++) w[c]! += x[off + c]! * update;
        if (fitIntercept) intercept += update;
      }
      t++;
    }
    if (epochEnds(stop, sumObjective, intercept, rows)) break;
  }
  return withIntercept(w, 1, intercept);
}

/** w·x over the row's columns, in column order (sklearn's dot). */
function denseDot(w: Float64Array, x: Float32Array, off: number, cols: number): number {
  let dot = 0;
  for (let c = 0; c < cols; c++) dot += w[c]! * x[off + c]!;
  return dot;
}

/**
 * w·x over the row's nonzero columns only: the same sum while every weight is finite (sgd-rows.ts).
 * Four terms a pass, each added in turn (the same sum bit for bit): fewer loop tests and bounds checks
 * around the lookups, 70–100 ns a digits row against 85–125 for one term a pass (in-process, loaded machine).
 */
function sparseDot(w: Float64Array, from: number, to: number, columns: Int32Array, values: Float32Array): number {
  let dot = 0;
  let j = from;
  for (; j + 3 < to; j += 4) {
    dot += w[columns[j]!]! * values[j]!;
    dot += w[columns[j + 1]!]! * values[j + 1]!;
    dot += w[columns[j + 2]!]! * values[j + 2]!;
    dot += w[columns[j + 3]!]! * values[j + 3]!;
  }
  for (; j < to; j++) dot += w[columns[j]!]! * values[j]!;
  return dot;
}

/** w += x·step over every column, and the new Σ w² in column order, as sklearn's WeightVector.add. */
function addWithSquares(w: Float64Array, x: Float32Array, off: number, cols: number, step: number): number {
  let sq = 0;
  for (let c = 0; c < cols; c++) {
    const v = (w[c]! += x[off + c]! * step);
    sq += v * v;
  }
  return sq;
}

/**
 * SGD's step, -eta · dloss, with the l1 or elasticnet penalty: elasticnet's l2 part shrinks the weights
 * by a scale factor (sklearn's WeightVector.wscale), l1 truncates them (Tsuruoka et al.'s cumulative
 * penalty, sklearn's u and q).
 */
function gradientEpochs(
  x: Float32Array, rows: number, cols: number, y: Float64Array, start: Int32Array, columns: Int32Array, values: Float32Array,
  seed: number, shuffle: boolean, maxIter: number, stop: Float64Array,
  value: LossFunction, derivative: LossFunction, epsilon: number,
  optimal: boolean, optimalInit: number, invscaling: boolean, eta0: number, powerT: number,
  alpha: number, l1Ratio: number, penalized: boolean, shrinks: boolean, l1: boolean, fitIntercept: boolean,
): Float64Array {
  const w = new Float64Array(cols);
  let intercept = 0;
  let scale = 1;
  let t = 1;
  let u = 0;
  const q = new Float64Array(l1 ? cols : 0);
  // sklearn's stopping rule watches the objective, loss plus penalty. Its WeightVector keeps ‖w‖²
  // and ‖w‖₁ up to date on add and scale only (not after the L1 truncation): so do these, so that
  // the same epoch stops. Unpenalized, neither is read; with l1_ratio 0 the L1 norm only ever adds
  // 0 · ‖w‖₁ = 0 (or a NaN where ‖w‖² is already infinite), so it is not kept.
  const keepsL1 = penalized && l1Ratio !== 0;
  let sqNorm = 0;
  let l1Norm = 0;
  // Zeros are skipped while every weight is finite (sgd-rows.ts); the checks below watch for the first that is not.
  let skipZeros = start.length > 0;
  const order = identityOrder(rows);
  for (let epoch = 0; epoch < maxIter; epoch++) {
    if (shuffle) shuffleRows(order, seed);
    let sumObjective = 0;
    for (let i = 0; i < rows; i++) {
      const r = order[i]!;
      const off = r * cols;
      let dot = 0;
      if (skipZeros) {
        for (let j = start[r]!, end = start[r + 1]!; j < end; j++) dot += w[columns[j]!]! * values[j]!;
      } else for (let c = 0; c < cols; c++) dot += w[c]! * x[off + c]!;
      const p = dot * scale + intercept;
      const target = y[r]!;
      const eta = optimal ? 1 / (alpha * (optimalInit + t - 1)) : invscaling ? eta0 / powerOf(t, powerT) : eta0;
      sumObjective += value(p, target, epsilon);
      if (penalized) sumObjective += alpha * ((1 - l1Ratio) * 0.5 * Math.sqrt(sqNorm) ** 2 + l1Ratio * l1Norm);
      const update = -eta * Math.max(-MAX_DLOSS, Math.min(MAX_DLOSS, derivative(p, target, epsilon)));
      if (shrinks) {
        const factor = Math.max(0, 1 - (1 - l1Ratio) * eta * alpha);
        scale *= factor;
        sqNorm *= factor * factor;
        l1Norm *= factor;
      }
      if (scale < 1e-9) {
        for (let c = 0; c < cols; c++) w[c]! *= scale;
        scale = 1;
      }
      if (update !== 0) {
        const step = update / scale;
        if (keepsL1) {
          let sq = 0;
          let abs = 0;
          for (let c = 0; c < cols; c++) {
            const v = (w[c]! += x[off + c]! * step);
            sq += v * v;
            abs += Math.abs(v);
          }
          sqNorm = sq * (scale * scale);
          l1Norm = abs * scale;
          if (!Number.isFinite(sq)) skipZeros = false;
        } else if (penalized) {
          let sq = 0;
          for (let c = 0; c < cols; c++) {
            const v = (w[c]! += x[off + c]! * step);
            sq += v * v;
          }
          sqNorm = sq * (scale * scale);
          if (!Number.isFinite(sq)) skipZeros = false;
        } else {
          // Unpenalized, no weight is ever -0, so adding x·step = ±0 for a zero x changes none.
          if (!Number.isFinite(step)) skipZeros = false;
          if (skipZeros) skipZeros = addSparse(w, start[r]!, start[r + 1]!, columns, values, step);
          else for (let c = 0; c < cols; c++) w[c]! += x[off + c]! * step;
        }
        if (fitIntercept) intercept += update;
      }
      if (l1) {
        u += l1Ratio * eta * alpha;
        for (let c = 0; c < cols; c++) {
          const z = w[c]!;
          if (scale * z > 0) w[c] = Math.max(0, z - (u + q[c]!) / scale);
          else if (scale * z < 0) w[c] = Math.min(0, z + (u - q[c]!) / scale);
          q[c]! += scale * (w[c]! - z);
        }
        if (!Number.isFinite(u)) skipZeros = false;
      }
      t++;
    }
    if (epochEnds(stop, sumObjective, intercept, rows)) break;
  }
  return withIntercept(w, scale, intercept);
}

/**
 * PassiveAggressive's PA-I step, min(C, loss / |x|²) signed by y (hinge) or by y - p (regression).
 * Unpenalized: sklearn's weight scale stays 1, and its objective is the loss alone.
 */
function passiveAggressiveEpochs(
  x: Float32Array, rows: number, cols: number, y: Float64Array, start: Int32Array, columns: Int32Array, values: Float32Array,
  seed: number, shuffle: boolean, maxIter: number, stop: Float64Array,
  value: LossFunction, epsilon: number, C: number, hinge: boolean, fitIntercept: boolean,
): Float64Array {
  const w = new Float64Array(cols);
  let intercept = 0;
  // The step divides by |x|², the same for a row every epoch: computed once, in sklearn's order.
  const rowSqNorms = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    let norm = 0;
    for (let c = 0; c < cols; c++) norm += x[off + c]! ** 2;
    rowSqNorms[r] = norm;
  }
  let skipZeros = start.length > 0;
  const order = identityOrder(rows);
  for (let epoch = 0; epoch < maxIter; epoch++) {
    if (shuffle) shuffleRows(order, seed);
    let sumObjective = 0;
    for (let i = 0; i < rows; i++) {
      const r = order[i]!;
      const off = r * cols;
      const p = (skipZeros ? sparseDot(w, start[r]!, start[r + 1]!, columns, values) : denseDot(w, x, off, cols)) + intercept;
      const target = y[r]!;
      const loss = value(p, target, epsilon);
      sumObjective += loss;
      const norm = rowSqNorms[r]!;
      if (norm === 0) continue;
      const update = Math.min(C, loss / norm) * (hinge ? target : target - p < 0 ? -1 : 1);
      if (update !== 0) {
        if (!Number.isFinite(update)) skipZeros = false;
        if (skipZeros) skipZeros = addSparse(w, start[r]!, start[r + 1]!, columns, values, update);
        else for (let c = 0; c < cols; c++) w[c]! += x[off + c]! * update;
        if (fitIntercept) intercept += update;
      }
    }
    if (epochEnds(stop, sumObjective, intercept, rows)) break;
  }
  return withIntercept(w, 1, intercept);
}

/**
 * passiveAggressiveEpochs with each epoch's row loop in the kernel: the rows' |x|² computed there as that function
 * computes them, the shuffle and the stopping rule as there.
 */
function passiveAggressiveKernelEpochs(kernel: SgdKernelRows, y: Float64Array, seed: number, s: Settings, stop: Float64Array): Float64Array {
  const { rows, cols, order, weights } = kernel;
  kernel.targets.set(y.subarray(0, rows));
  kernel.startProblem();
  kernel.fillRowSqNorms();
  kernel.state[STATE_SPARSE] = kernel.sparse ? 1 : 0;
  for (let epoch = 0; epoch < s.maxIter; epoch++) {
    if (s.shuffle) shuffleRows(order, seed);
    const sumObjective = kernel.passiveAggressiveEpoch(s.epsilon, s.C, s.hinge, s.fitIntercept);
    if (epochEnds(stop, sumObjective, weights[cols]!, rows)) break;
  }
  return Float64Array.from(weights);
}

/**
 * l2Epochs or unpenalizedEpochs with each epoch's row loop in the kernel (kernelServes says which settings): the
 * shuffle and the stopping rule as there, and the loop's state (intercept, weight scale, t, ‖w‖², whether zeros
 * are skipped) kept in the kernel's memory between epochs, starting as those functions start.
 */
function sgdKernelEpochs(kernel: SgdKernelRows, y: Float64Array, seed: number, s: Settings, stop: Float64Array, optimalInit: number): Float64Array {
  const { rows, cols, order, weights, state } = kernel;
  kernel.targets.set(y.subarray(0, rows));
  kernel.startProblem();
  state[STATE_INTERCEPT] = 0;
  state[STATE_SCALE] = 1;
  state[STATE_T] = 1;
  state[STATE_SQ_NORM] = 0;
  state[STATE_SPARSE] = kernel.sparse ? 1 : 0;
  const loss = KERNEL_LOSSES[s.loss as keyof typeof KERNEL_LOSSES];
  const rate = s.rate === 'optimal' ? KERNEL_RATES.optimal : s.rate === 'constant' ? KERNEL_RATES.constant
    : s.powerT === 0.25 ? KERNEL_RATES.invscaling025 : KERNEL_RATES.invscaling05;
  for (let epoch = 0; epoch < s.maxIter; epoch++) {
    if (s.shuffle) shuffleRows(order, seed);
    const sumObjective = kernel.sgdEpoch(s.penalty === 'l2', loss, rate, s.alpha, s.eta0, optimalInit, s.fitIntercept);
    if (epochEnds(stop, sumObjective, state[STATE_INTERCEPT]!, rows)) break;
  }
  return withIntercept(weights.subarray(0, cols), state[STATE_SCALE]!, state[STATE_INTERCEPT]!);
}

/**
 * t ** powerT for 'invscaling', the C library's pow (scikit-learn's) for the powers users meet:
 * SGDRegressor's default 0.25 and 0.5. V8's Math.pow is a call into its own port of fdlibm that took
 * half of a default regression fit on diabetes, and it differs from glibc's pow in 1 of 15 values of
 * t; the fourth root below is correctly rounded (as glibc's in all but 1 of 1,200) and 4× faster.
 */
export function powerOf(t: number, powerT: number): number {
  if (powerT === 0.25) return fourthRoot(t);
  return powerT === 0.5 ? Math.sqrt(t) : t ** powerT;
}

/** Dekker's splitter, 2^27 + 1: splits a double into two halves whose products are exact. */
const SPLIT = 134217729;

/**
 * The correctly rounded fourth root of t ≥ 1: √√t (within an ulp), corrected by one Newton step
 * whose residual r⁴ - t is computed exactly enough with Dekker's products (r² = s + sLow, s² = q + qLow).
 */
function fourthRoot(t: number): number {
  const r = Math.sqrt(Math.sqrt(t));
  const rSplit = SPLIT * r;
  const rHigh = rSplit - (rSplit - r);
  const rLow = r - rHigh;
  const s = r * r;
  const sLow = rHigh * rHigh - s + 2 * rHigh * rLow + rLow * rLow;
  const sSplit = SPLIT * s;
  const sHigh = sSplit - (sSplit - s);
  const sRest = s - sHigh;
  const q = s * s;
  const qLow = sHigh * sHigh - q + 2 * sHigh * sRest + sRest * sRest;
  const residual = q - t + qLow + 2 * s * sLow;
  return r - residual / (4 * r * s);
}

/**
 * w += x·step over the row's nonzero columns only, for the unpenalized loops (their weights are never
 * -0, so the skipped ±0 terms would change nothing). Whether every weight it wrote is still finite.
 */
function addSparse(w: Float64Array, from: number, to: number, columns: Int32Array, values: Float32Array, step: number): boolean {
  let finite = true;
  for (let j = from; j < to; j++) {
    const v = (w[columns[j]!]! += values[j]! * step);
    if (v - v !== 0) finite = false;
  }
  return finite;
}

function identityOrder(rows: number): Int32Array {
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  return order;
}

function withIntercept(w: Float64Array, scale: number, intercept: number): Float64Array {
  const out = new Float64Array(w.length + 1);
  for (let c = 0; c < w.length; c++) out[c] = w[c]! * scale;
  out[w.length] = intercept;
  return out;
}

/**
 * sklearn's stop: after n_iter_no_change epochs whose mean objective does not beat the best by tol.
 * Its state is a Float64Array (tol, patience, the best objective, the epochs since), not an instance of
 * a class: V8's optimized loops check the map of every object they read, a class instance's map lives
 * only while some instance does, and when a collection frees the last one V8 discards every compiled
 * function that checked it ("weak objects" in --trace-deopt). A stopping rule per fit made any full
 * collection between two fits (the proxy's engine threads collect after each large job) throw the
 * loops' optimized code away, so a user's fit after the warm-up ran them in baseline code at 4–6×
 * their optimized CPU (BENCHMARKS.md, sgd5). A typed array's map belongs to the context: it never dies.
 */
function stoppingRule(tol: number, patience: number): Float64Array {
  return Float64Array.of(tol, patience, Infinity, 0);
}

const TOL = 0;
const PATIENCE = 1;
const BEST = 2;
const STALE = 3;

/** Whether to stop after an epoch whose objectives summed to `sum` over `rows` rows (called once an epoch). */
function epochEnds(rule: Float64Array, sum: number, intercept: number, rows: number): boolean {
  if (!Number.isFinite(sum) || !Number.isFinite(intercept)) {
    throw new PgError(SqlState.NumericValueOutOfRange, 'stochastic gradient descent diverged (floating-point overflow)', {
      hint: 'scale the features (preprocess => \'{"column": {"scale": "standard"}}\') or lower eta0/alpha',
    });
  }
  const objective = sum / rows;
  if (objective > rule[BEST]! - rule[TOL]!) rule[STALE]!++;
  else rule[STALE] = 0;
  if (objective < rule[BEST]!) rule[BEST] = objective;
  return rule[STALE]! >= rule[PATIENCE]!;
}
