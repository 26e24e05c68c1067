import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { choleskyInPlace } from '../../../../src/pgml/engines/kernels.js';

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
