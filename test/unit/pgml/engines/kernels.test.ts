import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  KERNELS, choleskyInPlace, choleskyInverseInPlace, choleskySolve, kernelMatrix, trainingKernelMatrix,
} from '../../../../src/pgml/engines/kernels.js';
import { kernelRidgeDual } from '../../../../src/pgml/engines/kernel-ridge.js';

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

/** Gaussian elimination with partial pivoting on a dense copy: an independent solve of A c = b. */
function eliminate(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    const p = m.reduce((best, _, r) => (r >= c && Math.abs(m[r]![c]!) > Math.abs(m[best]![c]!) ? r : best), c);
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

describe('kernelRidgeDual', () => {
  it('solves K + αI by least squares where it is not positive definite, from the matrix the failed factorisation left', () => {
    // The factorisation fails at the second or third column, after it has overwritten the diagonal and the
    // lower triangle before it: the fallback must read K + αI from the upper triangle and the kept diagonal.
    const cases: [number[][], number, number[]][] = [
      [[[4, 2], [2, -1]], 0, [1, 1]],
      [[[4, 2], [2, -1]], 1, [1, -2]],
      [[[4, 2, 1], [2, 5, 3], [1, 3, -2]], 0.5, [1, 2, 3]],
      [[[9, 3, 0.5], [3, -4, 1], [0.5, 1, 2]], 0, [-1, 0.5, 2]],
    ];
    for (const [matrix, alpha, y] of cases) {
      const n = y.length;
      const dual = kernelRidgeDual(Float64Array.from(matrix.flat()), n, Float64Array.from(y), 1, alpha);
      const expected = eliminate(matrix.map((row, i) => row.map((v, j) => v + (i === j ? alpha : 0))), y);
      for (let i = 0; i < n; i++) assert.ok(Math.abs(dual[i]! - expected[i]!) <= 1e-12 * Math.max(1, Math.abs(expected[i]!)), `${JSON.stringify(matrix)}, α ${alpha}: ${Array.from(dual)} against ${expected}`);
    }
  });

  it('solves a positive definite K + αI by Cholesky, for several outputs', () => {
    const matrix = [[4, 2, 1], [2, 5, 3], [1, 3, 6]];
    const y = [1, -1, 2, 0.5, 3, -2]; // rows × outputs: two outputs
    const dual = kernelRidgeDual(Float64Array.from(matrix.flat()), 3, Float64Array.from(y), 2, 0.25);
    const shifted = matrix.map((row, i) => row.map((v, j) => v + (i === j ? 0.25 : 0)));
    for (let o = 0; o < 2; o++) {
      const expected = eliminate(shifted, [y[o]!, y[2 + o]!, y[4 + o]!]);
      for (let i = 0; i < 3; i++) assert.ok(Math.abs(dual[i * 2 + o]! - expected[i]!) <= 1e-12 * Math.max(1, Math.abs(expected[i]!)));
    }
  });
});
