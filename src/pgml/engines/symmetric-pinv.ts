/**
 * scipy.linalg.pinvh on a small dense symmetric matrix in a Float64Array: the eigendecomposition
 * (LAPACK's dsyevd where the BLAS library carries it, as scipy's eigh; otherwise cyclic Jacobi
 * rotations, accurate to the last digits for symmetric input) and V diag(1/λ) Vᵀ over
 * the eigenvalues with |λ| above scipy's default cutoff n·ε·max|λ|. scikit-learn's ARDRegression takes
 * its posterior covariance from pinvh once per iteration; over a few features this is microseconds.
 */
import { lapackSymmetricEigen } from './blas.js';

const EPSILON = 2.220446049250313e-16;
const MAX_SWEEPS = 60;

export interface SymmetricEigen {
  values: Float64Array;
  /** n × n row-major, eigenvector k in column k. */
  vectors: Float64Array;
}

/** Through LAPACK when it is there (no JavaScript to warm up), the Jacobi rotations otherwise. */
export function symmetricEigen(matrix: Float64Array, n: number): SymmetricEigen {
  return lapackSymmetricEigen(matrix, n) ?? jacobiEigen(matrix, n);
}

/** Cyclic Jacobi rotations until the off-diagonal part is negligible. */
export function jacobiEigen(matrix: Float64Array, n: number): SymmetricEigen {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += a[i]! * a[i]!;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! * a[p * n + q]!;
    if (off <= EPSILON * EPSILON * total * 1e-2) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (a[p * n + q] !== 0) rotate(a, v, n, p, q);
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: v };
}

/** The Jacobi rotation in the (p, q) plane that zeroes a[p][q]: a ← Jᵀ a J, v ← v J. */
function rotate(a: Float64Array, v: Float64Array, n: number, p: number, q: number): void {
  const apq = a[p * n + q]!;
  const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
  const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < n; k++) {
    const akp = a[k * n + p]!;
    const akq = a[k * n + q]!;
    a[k * n + p] = c * akp - s * akq;
    a[k * n + q] = s * akp + c * akq;
    const vkp = v[k * n + p]!;
    const vkq = v[k * n + q]!;
    v[k * n + p] = c * vkp - s * vkq;
    v[k * n + q] = s * vkp + c * vkq;
  }
  for (let k = 0; k < n; k++) {
    const apk = a[p * n + k]!;
    const aqk = a[q * n + k]!;
    a[p * n + k] = c * apk - s * aqk;
    a[q * n + k] = s * apk + c * aqk;
  }
  a[p * n + q] = 0;
  a[q * n + p] = 0;
}

/** pinvh(matrix) with scipy's default tolerances (atol 0, rtol n·ε). */
export function pinvh(matrix: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, n);
  let largest = 0;
  for (let k = 0; k < n; k++) largest = Math.max(largest, Math.abs(values[k]!));
  const cutoff = n * EPSILON * largest;
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    if (!(Math.abs(values[k]!) > cutoff)) continue;
    const inverse = 1 / values[k]!;
    for (let i = 0; i < n; i++) {
      const scaled = vectors[i * n + k]! * inverse;
      if (scaled === 0) continue;
      for (let j = i; j < n; j++) out[i * n + j]! += scaled * vectors[j * n + k]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) out[i * n + j] = out[j * n + i]!;
  return out;
}
