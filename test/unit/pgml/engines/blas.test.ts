// XᵀX and Xᵀy through the machine's BLAS (cblas_dsyrk, cblas_dgemv) against the JavaScript loops they
// replace: only the order of the additions differs, so every entry agrees within the rounding bound of
// a sum of `rows` products (2·rows·ε·Σ|terms|, both sides' worst case), on random and real data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  blasStatus, describeBlas, gram, gramJs, rowBandProducts, rowBandProductsExact32, lapackCholesky, lapackCholeskySolve, lapackSymmetricEigen, leastSquaresLapack, xTimes, xTy, xTyFloat32, xTyJs, centredProductsFloat32,
  weightsTimesRowsFloat32,
} from '../../../../src/pgml/engines/blas.js';
import { jacobiEigen } from '../../../../src/pgml/engines/symmetric-pinv.js';
import { backwardSolve, choleskyInPlace, forwardSolve } from '../../../../src/pgml/engines/kernels.js';
import { centreRows } from '../../../../src/pgml/engines/linear-regressor.js';
import { centreColumnMajor, centredGram, leastSquares } from '../../../../src/pgml/engines/linear-solvers.js';
import { assertCentredColumnMajor, CENTRED_SHAPES } from '../../../support/centred-column-major.js';
import { loadSplit } from './sklearn-reference.js';

function random(n: number, seed: number): Float64Array {
  let state = seed;
  return Float64Array.from({ length: n }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32 - 0.5;
  });
}

/** Σ_r |a_r·b_r| over the rows, for the rounding bound of one entry. */
function absoluteSum(rows: number, a: (r: number) => number, b: (r: number) => number): number {
  let s = 0;
  for (let r = 0; r < rows; r++) s += Math.abs(a(r) * b(r));
  return s;
}

function assertGramAgrees(x: Float64Array, rows: number, cols: number): void {
  const ours = gram(x, rows, cols);
  const js = gramJs(x, rows, cols);
  assert.equal(ours.length, cols * cols);
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < cols; j++) {
      const bound = 2 * rows * Number.EPSILON * absoluteSum(rows, (r) => x[r * cols + i]!, (r) => x[r * cols + j]!);
      const [a, b] = [ours[i * cols + j]!, js[i * cols + j]!];
      assert.ok(Math.abs(a - b) <= bound, `(${i},${j}) of ${rows}×${cols}: ${a} vs ${b}`);
      assert.equal(a, ours[j * cols + i], `symmetric at (${i},${j})`);
    }
  }
}

function assertXtyAgrees(x: Float64Array, rows: number, cols: number, y: Float64Array): void {
  const ours = xTy(x, rows, cols, y);
  const js = xTyJs(x, rows, cols, y);
  assert.equal(ours.length, cols);
  for (let c = 0; c < cols; c++) {
    const bound = 2 * rows * Number.EPSILON * absoluteSum(rows, (r) => x[r * cols + c]!, (r) => y[r]!);
    assert.ok(Math.abs(ours[c]! - js[c]!) <= bound, `column ${c} of ${rows}×${cols}: ${ours[c]} vs ${js[c]}`);
  }
}

describe('BLAS', () => {
  it('is loaded from the machine (README installs libopenblas0-pthread) and says where from', () => {
    const status = blasStatus();
    assert.equal(status.status, 'loaded', describeBlas());
    assert.match(describeBlas(), /^BLAS loaded from \//);
  });

  for (const [rows, cols] of [[2000, 30], [5, 12], [1, 4], [300, 1], [1, 1]] as const) {
    it(`XᵀX and Xᵀy of a random ${rows}×${cols} matrix equal the JavaScript loops' up to rounding`, () => {
      const x = random(rows * cols, rows * 31 + cols);
      assertGramAgrees(x, rows, cols);
      assertXtyAgrees(x, rows, cols, random(rows, 5));
    });
  }

  // Blocks of 1,024 rows: fewer rows than a block, exactly one, and a part block after whole ones.
  for (const rows of [300, 1024, 2500]) {
    it(`Xᵀy of a float32 ${rows}×7 matrix, converted a block of rows at a time, equals the float64 loop's up to rounding`, () => {
      const cols = 7;
      const x = Float32Array.from(random(rows * cols, rows));
      const y = random(rows, 11);
      const ours = xTyFloat32(x, rows, cols, y);
      const js = xTyJs(Float64Array.from(x), rows, cols, y);
      for (let c = 0; c < cols; c++) {
        const bound = 2 * rows * Number.EPSILON * absoluteSum(rows, (r) => x[r * cols + c]!, (r) => y[r]!);
        assert.ok(Math.abs(ours[c]! - js[c]!) <= bound, `column ${c}: ${ours[c]} vs ${js[c]}`);
      }
    });
  }

  for (const rows of [300, 2500]) {
    it(`the centred XᵀX and Xᵀy of a float32 ${rows}×7 matrix, a block of rows at a time, equal one centred copy's up to rounding`, () => {
      const cols = 7;
      const x = Float32Array.from(random(rows * cols, rows + 3), (v, i) => v + (i % cols));
      const y = random(rows, 13);
      const centred = centreRows({ x, rows, cols, y, outputs: 1 }, true);
      const { gram: g, xTargets } = centredProductsFloat32(x, rows, cols, centred.xMean, [centred.y, y]);
      const wholeGram = gramJs(centred.x, rows, cols);
      for (let i = 0; i < cols; i++) {
        for (let j = 0; j < cols; j++) {
          const bound = 2 * rows * Number.EPSILON * absoluteSum(rows, (r) => centred.x[r * cols + i]!, (r) => centred.x[r * cols + j]!);
          assert.ok(Math.abs(g[i * cols + j]! - wholeGram[i * cols + j]!) <= bound, `(${i},${j})`);
        }
      }
      for (const [o, target] of [centred.y, y].entries()) {
        const whole = xTyJs(centred.x, rows, cols, target);
        for (let c = 0; c < cols; c++) {
          const bound = 2 * rows * Number.EPSILON * absoluteSum(rows, (r) => centred.x[r * cols + c]!, (r) => target[r]!);
          assert.ok(Math.abs(xTargets[o]![c]! - whole[c]!) <= bound, `target ${o} column ${c}`);
        }
      }
    });
  }

  // least_angle, lasso_least_angle and orthogonal_matching_pursuit fit on these instead of centreRows' float64 copy.
  for (const fitIntercept of [true, false]) {
    it(`centredGram of two targets over 2500 float32 rows${fitIntercept ? '' : ', no intercept'}: centreRows' means, Gram and Xᵀy up to rounding`, () => {
      const [rows, cols, outputs] = [2500, 6, 2];
      const x = Float32Array.from(random(rows * cols, 29), (v, i) => v + 3 * (i % cols) - 5);
      const y = Float64Array.from(random(rows * outputs, 31), (v, i) => v * 10 + (i % outputs ? -40 : 7));
      const ours = centredGram({ x, rows, cols, y, outputs }, fitIntercept);
      const whole = centreRows({ x, rows, cols, y, outputs }, fitIntercept);
      const close = (a: number, b: number, scale: number, what: string) =>
        assert.ok(Math.abs(a - b) <= 4 * rows * Number.EPSILON * scale, `${what}: ${a} vs ${b}`);
      assert.deepEqual(Array.from(ours.yMean), Array.from(whole.yMean));
      for (let c = 0; c < cols; c++) close(ours.xMean[c]!, whole.xMean[c]!, Math.abs(whole.xMean[c]!) + 1, `mean ${c}`);
      const wholeGram = gramJs(whole.x, rows, cols);
      for (let i = 0; i < cols * cols; i++) {
        const [a, b] = [Math.floor(i / cols), i % cols];
        close(ours.gram[i]!, wholeGram[i]!, absoluteSum(rows, (r) => whole.x[r * cols + a]!, (r) => whole.x[r * cols + b]!), `gram (${a},${b})`);
      }
      for (let o = 0; o < outputs; o++) {
        const target = Float64Array.from({ length: rows }, (_, r) => whole.y[r * outputs + o]!);
        assert.deepEqual(Array.from(ours.targets[o]!), Array.from(target), `target ${o}`);
        const xy = xTyJs(whole.x, rows, cols, target);
        for (let c = 0; c < cols; c++) close(ours.xTargets[o]![c]!, xy[c]!, absoluteSum(rows, (r) => whole.x[r * cols + c]!, (r) => target[r]!), `target ${o} column ${c}`);
      }
    });
  }

  // Bit for bit under the kernels this machine's OpenBLAS runs (Cooperlake's, and Haswell's, SkylakeX's, Zen's
  // under OPENBLAS_CORETYPE); Prescott's dgemv sums in another order, and the means then agree to rounding
  // (columnMeansFloat32).
  const status = blasStatus();
  const exactMeans = status.status !== 'loaded' || status.value.core !== 'Prescott';
  for (const shape of CENTRED_SHAPES) {
    for (const fitIntercept of [true, false]) {
      it(`least squares' column-major centred X and y are centreRows' bit for bit (${shape.join(' × ')}, fit_intercept ${fitIntercept})`, () =>
        assertCentredColumnMajor(centreRows, centreColumnMajor, shape, fitIntercept, exactMeans));
    }
  }

  it('centres a block as x − mean exactly: one block of float32 rows gives the BLAS XᵀX and Xᵀy of the centred float64 copy bit for bit', () => {
    const [rows, cols] = [700, 9];
    // Means far from zero and values that are not multiples of them: a centring off by one rounding shows.
    const x = Float32Array.from(random(rows * cols, 17), (v, i) => v * 3 + 1000 * ((i % cols) - 4) + 0.1);
    const means = Float64Array.from({ length: cols }, (_, c) => 1000 * (c - 4) + 0.1 + random(1, c + 1)[0]!);
    const y = random(rows, 19);
    const centred = Float64Array.from(x, (v, i) => v - means[i % cols]!);
    const { gram: g, xTargets } = centredProductsFloat32(x, rows, cols, means, [y]);
    assert.deepEqual(g, gram(centred, rows, cols));
    assert.deepEqual(xTargets[0], xTy(centred, rows, cols, y));
  });

  it('a one-row matrix gives the outer product, exactly as before', () => {
    const x = Float64Array.of(1.5, -2, 3);
    assert.deepEqual(Array.from(gram(x, 1, 3)), Array.from(gramJs(x, 1, 3)));
    assert.deepEqual(Array.from(xTy(x, 1, 3, Float64Array.of(2))), [3, -4, 6]);
  });

  it('no rows give zeros and no columns give empty results, as before', () => {
    assert.deepEqual(Array.from(gram(new Float64Array(0), 0, 3)), new Array(9).fill(0));
    assert.deepEqual(Array.from(xTy(new Float64Array(0), 0, 3, new Float64Array(0))), [0, 0, 0]);
    assert.equal(gram(new Float64Array(0), 4, 0).length, 0);
    assert.equal(xTy(new Float64Array(0), 4, 0, new Float64Array(4)).length, 0);
  });

  it('a NaN stays visible: its column\'s diagonal entry and its Xᵀy entry are NaN on both paths', () => {
    const x = random(20 * 3, 9);
    x[7 * 3 + 1] = Number.NaN;
    const y = random(20, 4);
    for (const g of [gram(x, 20, 3), gramJs(x, 20, 3)]) assert.ok(Number.isNaN(g[1 * 3 + 1]!));
    for (const v of [xTy(x, 20, 3, y), xTyJs(x, 20, 3, y)]) assert.ok(Number.isNaN(v[1]!));
  });

  it('on diabetes, centred as the estimators centre it, XᵀX and Xᵀy equal the JavaScript ones up to rounding', () => {
    const { train } = loadSplit('diabetes');
    const centred = centreRows({ x: train.x, rows: train.rows, cols: train.cols, y: Float64Array.from(train.y!), outputs: 1 }, true);
    assertGramAgrees(centred.x, train.rows, train.cols);
    assertXtyAgrees(centred.x, train.rows, train.cols, centred.y);
  });

  it('LAPACK\'s dgelsd solves a consistent tall system to the weights that made it, for two targets', () => {
    const [rows, cols] = [500, 8];
    const x = random(rows * cols, 77);
    const weights = [Float64Array.from({ length: cols }, (_, c) => c - 3.5), Float64Array.from({ length: cols }, (_, c) => 1 / (c + 1))];
    const a = new Float64Array(rows * cols);
    const b = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) a[c * rows + r] = x[r * cols + c]!;
      weights.forEach((w, o) => {
        let t = 0;
        for (let c = 0; c < cols; c++) t += x[r * cols + c]! * w[c]!;
        b[o * rows + r] = t;
      });
    }
    const solution = leastSquaresLapack(a, rows, cols, b, 2, Number.EPSILON * rows);
    assert.ok(solution, 'OpenBLAS carries LAPACK');
    weights.forEach((w, o) => w.forEach((v, c) => assert.ok(Math.abs(solution[o * cols + c]! - v) < 1e-10, `target ${o}, weight ${c}: ${solution[o * cols + c]} vs ${v}`)));
  });

  it('with two equal columns, least squares gives the minimum-norm weights (half on each), as lstsq does', () => {
    const rows = 200;
    const base = random(rows * 2, 13);
    const x = new Float32Array(rows * 3);
    const y = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      x[r * 3] = base[r * 2]!;
      x[r * 3 + 1] = base[r * 2 + 1]!;
      x[r * 3 + 2] = base[r * 2 + 1]!;
      y[r] = 2 * x[r * 3]! + x[r * 3 + 1]! + 0.25;
    }
    const { coef, intercept } = leastSquares(x, rows, 3, y, 1, true);
    [2, 0.5, 0.5].forEach((v, c) => assert.ok(Math.abs(coef[0]![c]! - v) < 1e-9, `weight ${c}: ${coef[0]![c]}`));
    assert.ok(Math.abs(intercept[0]! - 0.25) < 1e-9, `intercept ${intercept[0]}`);
  });

  // The second fit's X is written over the first's, in the same kept mapping: a value it failed to write would be the first's.
  it("least squares recovers two relations fitted one after the other on 4,000 then 3,000 × 30 rows (X in the thread's kept huge-page mapping)", () => {
    const cols = 30;
    for (const [rows, seed, outputs] of [[4000, 23, 2], [3000, 29, 1]] as const) {
      const x = Float32Array.from(random(rows * cols, seed), (v, i) => v * 4 + (i % cols) - 10);
      const weights = Array.from({ length: outputs }, (_, o) => random(cols, seed + o + 1));
      const y = new Float64Array(rows * outputs);
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < outputs; o++) {
          let t = 3 - o;
          for (let c = 0; c < cols; c++) t += weights[o]![c]! * x[r * cols + c]!;
          y[r * outputs + o] = t;
        }
      }
      const { coef, intercept } = leastSquares(x, rows, cols, y, outputs, true);
      weights.forEach((w, o) => {
        w.forEach((v, c) => assert.ok(Math.abs(coef[o]![c]! - v) < 1e-9, `seed ${seed} output ${o} weight ${c}: ${coef[o]![c]} vs ${v}`));
        assert.ok(Math.abs(intercept[o]! - (3 - o)) < 1e-8, `seed ${seed} output ${o} intercept ${intercept[o]}`);
      });
    }
  });

  it("LAPACK's Cholesky factor and solve of a positive definite matrix equal the JavaScript loop's up to rounding", () => {
    const n = 60;
    const b = random(n * n, 11);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j]! += b[i * n + k]! * b[j * n + k]!;
    for (let i = 0; i < n; i++) a[i * n + i]! += 0.5;
    const lapack = Float64Array.from(a);
    const js = Float64Array.from(a);
    assert.equal(lapackCholesky(lapack, n), true);
    assert.equal(choleskyInPlace(js, n), true);
    for (let i = 0; i < n * n; i++) assert.ok(Math.abs(lapack[i]! - js[i]!) <= 1e-12 * Math.max(1, Math.abs(js[i]!)), `factor entry ${i}`);
    const rhs = random(2 * n, 3);
    const expected = Float64Array.from(rhs);
    for (const column of [expected.subarray(0, n), expected.subarray(n)]) {
      forwardSolve(js, n, column);
      backwardSolve(js, n, column);
    }
    assert.equal(lapackCholeskySolve(lapack, n, rhs, 2), true);
    for (let i = 0; i < 2 * n; i++) assert.ok(Math.abs(rhs[i]! - expected[i]!) <= 1e-9 * Math.max(1, Math.abs(expected[i]!)), `solution entry ${i}`);
  });

  it('a matrix that is not positive definite is refused by LAPACK as by the JavaScript loop', () => {
    const a = Float64Array.of(1, 2, 2, 1);
    assert.equal(lapackCholesky(Float64Array.from(a), 2), false);
    assert.equal(choleskyInPlace(Float64Array.from(a), 2), false);
  });

  it("LAPACK's symmetric eigendecomposition has the Jacobi rotations' eigenvalues and rebuilds the matrix", () => {
    const n = 12;
    const b = random(n * n, 21);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = b[i * n + j]! + b[j * n + i]!;
    const before = Float64Array.from(a);
    const lapack = lapackSymmetricEigen(a, n);
    assert.ok(lapack, 'OpenBLAS carries LAPACK');
    assert.deepEqual(a, before, 'the input is left as it was');
    const jacobi = [...jacobiEigen(a, n).values].sort((p, q) => p - q);
    lapack.values.forEach((v, k) => assert.ok(Math.abs(v - jacobi[k]!) <= 1e-12, `eigenvalue ${k}: ${v} vs ${jacobi[k]}`));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let rebuilt = 0;
        for (let k = 0; k < n; k++) rebuilt += lapack.vectors[i * n + k]! * lapack.values[k]! * lapack.vectors[j * n + k]!;
        assert.ok(Math.abs(rebuilt - a[i * n + j]!) <= 1e-12, `(${i},${j}): ${rebuilt} vs ${a[i * n + j]}`);
      }
    }
  });

  it('X·w through dgemv equals the row-by-row sums up to rounding', () => {
    const [rows, cols] = [300, 7];
    const x = random(rows * cols, 5);
    const w = random(cols, 6);
    const ours = xTimes(x, rows, cols, w);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += x[r * cols + c]! * w[c]!;
      assert.ok(Math.abs(ours[r]! - s) <= 1e-14, `row ${r}: ${ours[r]} vs ${s}`);
    }
  });

  it('W·Xᵀ of float32 rows over several blocks (ransac\'s batched trials) equals each row\'s running sums up to rounding', () => {
    // 2500 rows: two full blocks of 1024 and a short one; every output value written, nothing past k·rows.
    const [rows, cols, k] = [2500, 7, 5];
    const x = Float32Array.from(random(rows * cols, 12));
    const w = random(k * cols, 13);
    const out = new Float64Array(k * rows + 3).fill(NaN);
    weightsTimesRowsFloat32(w, k, x, rows, cols, out);
    for (let v = 0; v < k; v++) {
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += w[v * cols + c]! * x[r * cols + c]!;
        assert.ok(Math.abs(out[v * rows + r]! - s) <= 1e-14, `vector ${v}, row ${r}: ${out[v * rows + r]} vs ${s}`);
      }
    }
    assert.ok(out.subarray(k * rows).every(Number.isNaN));
  });

  it('a band of XXᵀ (rows from … to against the rows from first on) equals the running sums, exactly on integers', () => {
    // integer features (as digits'): every order of additions gives the same doubles
    const rows = 37;
    const cols = 9;
    const x = Float64Array.from(random(rows * cols, 7), (v) => Math.round(v * 32));
    for (const [from, to, first] of [[0, 37, 0], [5, 13, 5], [30, 37, 12], [8, 9, 0]] as const) {
      const width = rows - first;
      const out = new Float64Array((to - from) * width).fill(NaN);
      rowBandProducts(x, rows, cols, from, to, first, out);
      for (let i = from; i < to; i++) {
        for (let j = first; j < rows; j++) {
          let s = 0;
          for (let c = 0; c < cols; c++) s += x[i * cols + c]! * x[j * cols + c]!;
          assert.equal(out[(i - from) * width + j - first], s, `rows ${from}–${to} from ${first}: (${i}, ${j})`);
        }
      }
    }
  });

  it('in single precision, a band of integer rows\' products below 2^24 equals the double running sums', () => {
    const rows = 41;
    const cols = 64;
    const x = Float64Array.from(random(rows * cols, 11), (v) => Math.round((v + 0.5) * 16));
    const out = new Float32Array(10 * rows);
    assert.equal(rowBandProductsExact32(Float32Array.from(x), rows, cols, 20, 30, 3, out), true);
    for (let i = 20; i < 30; i++) {
      for (let j = 3; j < rows; j++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += x[i * cols + c]! * x[j * cols + c]!;
        assert.equal(out[(i - 20) * (rows - 3) + j - 3], s, `(${i}, ${j})`);
      }
    }
  });
});
