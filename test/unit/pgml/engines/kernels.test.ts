import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  KERNELS, choleskyInPlace, choleskyInverseInPlace, choleskySolve, kernelMatrix, trainingKernelMatrix,
} from '../../../../src/pgml/engines/kernels.js';

/** The textbook row-by-row lower Cholesky (one running sum per entry), the order choleskyInPlace keeps. */
function rowByRow(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= a[j * n + k]! ** 2;
    const pivot = Math.sqrt(d);
    a[j * n + j] = pivot;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= a[i * n + k]! * a[j * n + k]!;
      a[i * n + j] = s / pivot;
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = 0;
}

describe('choleskyInPlace', () => {
  it('factors four rows at a time into the doubles of the row-by-row loop, for every remainder of n / 4', () => {
    for (let n = 1; n <= 11; n++) {
      // B Bᵀ + n I: symmetric positive definite, entries of mixed magnitude
      const b = Float64Array.from({ length: n * n }, (_, k) => Math.sin(k * 2.3) * 10 ** ((k % 3) - 1));
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = i === j ? n : 0;
          for (let k = 0; k < n; k++) s += b[i * n + k]! * b[j * n + k]!;
          a[i * n + j] = s;
        }
      }
      const expected = Float64Array.from(a);
      rowByRow(expected, n);
      assert.equal(choleskyInPlace(a, n), true);
      assert.deepEqual(Array.from(a), Array.from(expected), `n = ${n}`);
    }
  });

  it('refuses a matrix that is not positive definite', () => {
    assert.equal(choleskyInPlace(Float64Array.of(1, 2, 2, 1), 2), false);
  });
});

describe('choleskyInverseInPlace', () => {
  it("writes (L Lᵀ)⁻¹ into the factor's lower triangle: the JavaScript solves' columns, and A·A⁻¹ = I", () => {
    const n = 45;
    const b = Float64Array.from({ length: n * n }, (_, k) => Math.sin(k * 1.3));
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = i === j ? 0.5 : 0;
        for (let k = 0; k < n; k++) s += b[i * n + k]! * b[j * n + k]!;
        a[i * n + j] = s;
      }
    }
    const l = Float64Array.from(a);
    assert.equal(choleskyInPlace(l, n), true);
    const inverse = Float64Array.from(l);
    choleskyInverseInPlace(inverse, n);
    const at = (i: number, j: number): number => (i >= j ? inverse[i * n + j]! : inverse[j * n + i]!);
    for (let j = 0; j < n; j++) {
      const column = Float64Array.from({ length: n }, (_, i) => (i === j ? 1 : 0));
      choleskySolve(l, n, column);
      for (let i = j; i < n; i++) {
        assert.ok(Math.abs(at(i, j) - column[i]!) <= 1e-9 * Math.max(1, Math.abs(column[i]!)), `(${i},${j}): ${at(i, j)} vs ${column[i]}`);
      }
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * at(k, j);
        assert.ok(Math.abs(s - (i === j ? 1 : 0)) <= 1e-8, `(A·A⁻¹)(${i},${j}) = ${s}`);
      }
    }
  });
});

describe('trainingKernelMatrix', () => {
  it("equals kernelMatrix of the rows against themselves for every kernel, up to the dot products' rounding", () => {
    const [rows, cols] = [37, 5];
    const x = Float32Array.from({ length: rows * cols }, (_, k) => Math.sin(k * 0.61) * 1.7);
    for (const kernel of KERNELS) {
      const spec = { kernel, gamma: 0.3, degree: 3, coef0: 0.5 };
      const fast = trainingKernelMatrix(spec, x, rows, cols);
      const slow = kernelMatrix(spec, x, rows, x, rows, cols);
      assert.equal(fast.length, rows * rows);
      for (let i = 0; i < rows * rows; i++) {
        assert.ok(Math.abs(fast[i]! - slow[i]!) <= 1e-12 * Math.max(1, Math.abs(slow[i]!)), `${kernel} entry ${i}: ${fast[i]} vs ${slow[i]}`);
      }
    }
  });
});
