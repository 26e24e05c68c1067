/**
 * What the kernel estimators (kernel_ridge, gaussian_process) share: scikit-learn's pairwise kernels
 * with their default gamma (1 / n_features), a dense Cholesky factorisation and solve on Float64Array
 * (LAPACK's through blas.ts where rounding allows), and the training-row limit that keeps the n × n
 * kernel matrix within memory.
 */
import { PgError } from '../../errors/index.js';
import { lapackCholesky, lapackCholeskyInverse, lapackCholeskySolve, rowGram } from './blas.js';

const PROGRAM_LIMIT_EXCEEDED = '54000';
/** 10,000 rows make an 800 MB kernel matrix in float64; scikit-learn needs the same n² memory. */
export const KERNEL_MAX_ROWS = 10_000;

/** `matrix` names the rows × rows matrix the algorithm keeps ("kernel matrix", "similarity matrix"). */
export function requireKernelRows(algorithm: string, rows: number, matrix = 'kernel matrix'): void {
  if (rows <= KERNEL_MAX_ROWS) return;
  throw new PgError(
    PROGRAM_LIMIT_EXCEEDED,
    `${algorithm} is limited to ${KERNEL_MAX_ROWS} training rows, this training set has ${rows}`,
    { hint: `its ${matrix} has rows² entries (${rows} rows would need ${Math.round((rows * rows * 8) / 2 ** 30)} GB); sample the relation or pick another algorithm` },
  );
}

export const KERNELS = ['linear', 'poly', 'polynomial', 'rbf', 'laplacian', 'sigmoid', 'cosine'] as const;
export type KernelName = (typeof KERNELS)[number];

export interface KernelSpec {
  kernel: KernelName;
  gamma: number;
  degree: number;
  coef0: number;
}

/** k(a, b) for rows a of `x` and b of `y` (both `cols` wide). */
export function kernelValue(spec: KernelSpec, x: ArrayLike<number>, a: number, y: ArrayLike<number>, b: number, cols: number): number {
  const ao = a * cols;
  const bo = b * cols;
  switch (spec.kernel) {
    case 'linear':
    case 'poly':
    case 'polynomial':
    case 'sigmoid': {
      let s = 0;
      for (let c = 0; c < cols; c++) s += x[ao + c]! * y[bo + c]!;
      if (spec.kernel === 'linear') return s;
      if (spec.kernel === 'sigmoid') return Math.tanh(spec.gamma * s + spec.coef0);
      return (spec.gamma * s + spec.coef0) ** spec.degree;
    }
    case 'rbf': {
      let s = 0;
      for (let c = 0; c < cols; c++) s += (x[ao + c]! - y[bo + c]!) ** 2;
      return Math.exp(-spec.gamma * s);
    }
    case 'laplacian': {
      let s = 0;
      for (let c = 0; c < cols; c++) s += Math.abs(x[ao + c]! - y[bo + c]!);
      return Math.exp(-spec.gamma * s);
    }
    case 'cosine': {
      let s = 0;
      let nx = 0;
      let ny = 0;
      for (let c = 0; c < cols; c++) {
        s += x[ao + c]! * y[bo + c]!;
        nx += x[ao + c]! ** 2;
        ny += y[bo + c]! ** 2;
      }
      return nx === 0 || ny === 0 ? 0 : s / Math.sqrt(nx * ny);
    }
  }
}

/** K[a][b] = k(xₐ, y_b): xRows × yRows, row-major. */
export function kernelMatrix(spec: KernelSpec, x: ArrayLike<number>, xRows: number, y: ArrayLike<number>, yRows: number, cols: number): Float64Array {
  const k = new Float64Array(xRows * yRows);
  for (let a = 0; a < xRows; a++) for (let b = 0; b < yRows; b++) k[a * yRows + b] = kernelValue(spec, x, a, y, b, cols);
  return k;
}

/**
 * kernelMatrix of the training rows against themselves. The kernels of a dot product (linear, poly,
 * sigmoid) take every pair's product from one BLAS call (XXᵀ by dsyrk), as scikit-learn's
 * pairwise_kernels does with NumPy's; the others compute each pair as kernelMatrix does.
 */
export function trainingKernelMatrix(spec: KernelSpec, x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  if (spec.kernel === 'rbf' || spec.kernel === 'laplacian' || spec.kernel === 'cosine') return kernelMatrix(spec, x, rows, x, rows, cols);
  const k = rowGram(Float64Array.from(x), rows, cols);
  if (spec.kernel === 'linear') return k;
  const { gamma, coef0, degree } = spec;
  if (spec.kernel === 'sigmoid') return k.map((s) => Math.tanh(gamma * s + coef0));
  return k.map((s) => (gamma * s + coef0) ** degree);
}

/**
 * choleskyInPlace through LAPACK's dpotrf when the machine's BLAS carries it (blas.ts), for matrices
 * conditioned well enough that the order of the additions does not show (gaussian_process's
 * B = I + √W K √W, eigenvalues ≥ 1), or where it shows only in the last digits of a search: the
 * regressor's likelihood evaluations, whose fitted θ moved by 1e-11 relative; and kernel_ridge's
 * K + αI, which scikit-learn factors with LAPACK too (scipy's solve, assume_a='pos'). The regressor's
 * kernel matrix with only alpha = 1e-10 on its diagonal is not well conditioned: the fitted model's
 * factor keeps the JavaScript loop's rounding, which the tests hold to scikit-learn's predictions
 * (LAPACK's moved one 1.4e-3).
 */
export function choleskyWellConditioned(a: Float64Array, n: number): boolean {
  return lapackCholesky(a, n) ?? choleskyInPlace(a, n);
}

/** In-place lower Cholesky factor of a symmetric n × n matrix; false when it is not positive definite. */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let d = a[rowJ + j]!;
    for (let k = 0; k < j; k++) d -= a[rowJ + k]! ** 2;
    if (!(d > 0)) return false;
    const pivot = Math.sqrt(d);
    a[rowJ + j] = pivot;
    // Four rows at a time: four independent chains of subtractions, each in the order of the one-row
    // loop below (the same doubles), so the additions' latency overlaps.
    let i = j + 1;
    for (; i + 3 < n; i += 4) {
      const r0 = i * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      let s0 = a[r0 + j]!;
      let s1 = a[r1 + j]!;
      let s2 = a[r2 + j]!;
      let s3 = a[r3 + j]!;
      for (let k = 0; k < j; k++) {
        const ljk = a[rowJ + k]!;
        s0 -= a[r0 + k]! * ljk;
        s1 -= a[r1 + k]! * ljk;
        s2 -= a[r2 + k]! * ljk;
        s3 -= a[r3 + k]! * ljk;
      }
      a[r0 + j] = s0 / pivot;
      a[r1 + j] = s1 / pivot;
      a[r2 + j] = s2 / pivot;
      a[r3 + j] = s3 / pivot;
    }
    for (; i < n; i++) {
      const rowI = i * n;
      let s = a[rowI + j]!;
      for (let k = 0; k < j; k++) s -= a[rowI + k]! * a[rowJ + k]!;
      a[rowI + j] = s / pivot;
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = 0;
  return true;
}

/** Solves L z = b (forward) in place on one right-hand side. */
export function forwardSolve(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * b[k]!;
    b[i] = s / l[i * n + i]!;
  }
}

/** Solves Lᵀ z = b (backward) in place. */
export function backwardSolve(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * b[k]!;
    b[i] = s / l[i * n + i]!;
  }
}

/** (L Lᵀ)⁻¹ b, in place. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array): void {
  forwardSolve(l, n, b);
  backwardSolve(l, n, b);
}

/** (L Lᵀ)⁻¹ B in place for `nrhs` right-hand sides stored one after another: dpotrs, or one solve each. */
export function choleskySolveMany(l: Float64Array, n: number, b: Float64Array, nrhs: number): void {
  if (lapackCholeskySolve(l, n, b, nrhs)) return;
  for (let r = 0; r < nrhs; r++) choleskySolve(l, n, b.subarray(r * n, (r + 1) * n));
}

/**
 * (L Lᵀ)⁻¹ in place of the factor L: dpotri where LAPACK is loaded, otherwise choleskySolveMany on the
 * identity's columns. Only the lower triangle (row-major, i ≥ j) is the inverse's on both paths.
 */
export function choleskyInverseInPlace(l: Float64Array, n: number): void {
  if (lapackCholeskyInverse(l, n)) return;
  const inverse = new Float64Array(n * n);
  for (let j = 0; j < n; j++) inverse[j * n + j] = 1;
  choleskySolveMany(l, n, inverse, n);
  l.set(inverse);
}
