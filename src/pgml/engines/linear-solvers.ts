/**
 * The numerics behind `linear`, `ridge`, `lasso` and `elastic_net`, following scikit-learn's
 * formulations so the same data gives the same coefficients: features and targets are centred when
 * an intercept is fitted (the intercept is never penalised), OLS is a minimum-norm least-squares
 * solve, ridge a Cholesky solve of the normal equations (LAPACK's where the BLAS carries it), and
 * lasso / elastic net the cyclic coordinate descent of sklearn's `enet_coordinate_descent` with its
 * duality-gap stopping rule.
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { centredProductsFloat32, columnMeansFloat32, lapackCholesky, leastSquaresLapack, xTy, xTyFloat32 } from './blas.js';
import { columnMeans } from './engine-support.js';
import { choleskyInPlace, choleskySolveMany } from './kernels.js';
import { reusedHugePages } from './native-pages.js';

/** Coefficients for each output: `coef[o]` has one weight per feature. */
export interface LinearCoefficients {
  coef: number[][];
  intercept: number[];
}

/** Training rows handed to an estimator's fit: y is rows × outputs, row-major, in float64. */
export interface RegressionRows {
  x: Float32Array;
  rows: number;
  cols: number;
  y: Float64Array;
  outputs: number;
}

/** X and y centred on their training means (sklearn's _preprocess_data), X row-major in float64. */
export interface CentredRows {
  x: Float64Array;
  y: Float64Array;
  xMean: Float64Array;
  yMean: Float64Array;
}

export function centreRows(data: RegressionRows, fitIntercept: boolean): CentredRows {
  const { rows, cols, outputs } = data;
  // One float32 → float64 conversion, X's column means as Xᵀ1 / rows from the BLAS, then the
  // subtraction in place: on 75,000 × 30 rows half the time of a JavaScript sum and a copying pass.
  const x = new Float64Array(data.x);
  const y = Float64Array.from(data.y);
  const xMean = fitIntercept ? xTy(x, rows, cols, new Float64Array(rows).fill(1 / Math.max(rows, 1))) : new Float64Array(cols);
  const yMean = fitIntercept ? columnMeans(data.y, rows, outputs) : new Float64Array(outputs);
  if (fitIntercept) {
    subtractColumnMeans(x, rows, cols, xMean);
    subtractColumnMeans(y, rows, outputs, yMean);
  }
  return { x, y, xMean, yMean };
}

/** The centred X's Gram matrix and Xᵀy for each centred target, with the means they were centred on. */
export interface CentredGram {
  gram: Float64Array;
  xTargets: Float64Array[];
  /** Each target column, centred. */
  targets: Float64Array[];
  xMean: Float64Array;
  yMean: Float64Array;
}

/**
 * What the estimators that work on sklearn's precomputed Gram matrix need (Lars, LassoLars and
 * OrthogonalMatchingPursuit: _pre_fit's Gram and Xy of the centred data; ridge's normal equations too), straight from the float32
 * rows a block at a time: the float64 copy of X that centreRows makes (18 MB at 75,000 × 30, fresh pages)
 * and its subtraction pass took half of least_angle's 100k fit. The entries agree with centreRows' up to
 * the sums' rounding (see centredProductsFloat32).
 */
export function centredGram(data: RegressionRows, fitIntercept: boolean): CentredGram {
  const { rows, cols, outputs } = data;
  const xMean = fitIntercept ? xTyFloat32(data.x, rows, cols, new Float64Array(rows).fill(1 / Math.max(rows, 1))) : new Float64Array(cols);
  const yMean = fitIntercept ? columnMeans(data.y, rows, outputs) : new Float64Array(outputs);
  const targets = Array.from({ length: outputs }, (_, o) => {
    const y = outputColumn(data.y, rows, outputs, o);
    for (let r = 0; r < rows; r++) y[r]! -= yMean[o]!;
    return y;
  });
  const { gram: g, xTargets } = centredProductsFloat32(data.x, rows, cols, xMean, targets);
  return { gram: g, xTargets, targets, xMean, yMean };
}

function subtractColumnMeans(a: Float64Array, rows: number, cols: number, means: Float64Array): void {
  for (let r = 0, i = 0; r < rows; r++) for (let c = 0; c < cols; c++, i++) a[i]! -= means[c]!;
}

/** Column `o` of a row-major rows × outputs matrix (a target, or a feature of X). */
export function outputColumn(y: Float64Array, rows: number, outputs: number, o: number): Float64Array {
  const column = new Float64Array(rows);
  for (let r = 0; r < rows; r++) column[r] = y[r * outputs + o]!;
  return column;
}

function withIntercepts(weights: Matrix, centred: Pick<CentredRows, 'xMean' | 'yMean'>): LinearCoefficients {
  const outputs = weights.columns;
  const coef: number[][] = [];
  const intercept: number[] = [];
  for (let o = 0; o < outputs; o++) {
    const w = weights.getColumn(o);
    coef.push(w);
    let b = centred.yMean[o]!;
    for (let c = 0; c < w.length; c++) b -= centred.xMean[c]! * w[c]!;
    intercept.push(b);
  }
  return { coef, intercept };
}

/** Ordinary least squares; the SVD solve gives the minimum-norm answer for rank-deficient X, like lstsq. */
export function leastSquares(
  x: Float32Array, rows: number, cols: number, y: Float64Array, outputs: number, fitIntercept: boolean,
): LinearCoefficients {
  const data = { x, rows, cols, y, outputs };
  if (rows <= cols) {
    const centred = centreRows(data, fitIntercept);
    const xm = new Matrix(rows, cols);
    const ym = new Matrix(rows, outputs);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) xm.set(r, c, centred.x[r * cols + c]!);
      for (let o = 0; o < outputs; o++) ym.set(r, o, centred.y[r * outputs + o]!);
    }
    const svd = new SingularValueDecomposition(xm, { autoTranspose: true });
    return withIntercepts(svd.solve(ym), centred);
  }
  // X's column-major copy in huge pages where the system gives them, the thread's mapping kept between
  // uses (native-pages.ts): at 75,000 × 30 its 18 MB took 4,480 faults of 4 kB pages and the centring pass
  // 58–71 ms of CPU on this VM, against 95 faults and 16–20 ms in 2 MB pages (BENCHMARKS.md, lin100k).
  const pages = reusedHugePages(rows * cols * 8);
  let lapack: Float64Array | undefined;
  let centred: CentredColumnMajor;
  try {
    centred = centreColumnMajor(data, fitIntercept, pages && new Float64Array(pages.view, 0, rows * cols));
    lapack = leastSquaresLapack(centred.x, rows, cols, centred.y, outputs, (Number.EPSILON / 2) * rows);
  } finally {
    pages?.free();
  }
  if (lapack) {
    const w = new Matrix(cols, outputs);
    for (let o = 0; o < outputs; o++) for (let c = 0; c < cols; c++) w.set(c, o, lapack[o * cols + c]!);
    return withIntercepts(w, centred);
  }
  // dgelsd overwrites X and y when its SVD does not converge: centred again for the JavaScript solve
  // (a second pass only where LAPACK is missing or failed).
  const again = centreColumnMajor(data, fitIntercept);
  const a = Array.from({ length: cols }, (_, c) => again.x.subarray(c * rows, (c + 1) * rows));
  const b = Array.from({ length: outputs }, (_, o) => again.y.subarray(o * rows, (o + 1) * rows));
  return withIntercepts(tallMinimumNormSolve(a, b, rows), again);
}

/** CentredRows' values with X (rows × cols) and y (rows × outputs) each in column-major order. */
export interface CentredColumnMajor {
  x: Float64Array;
  y: Float64Array;
  xMean: Float64Array;
  yMean: Float64Array;
}

/**
 * centreRows' X and y in column-major order, as LAPACK's dgelsd takes them, written in one pass
 * from the float32 rows: the same doubles as columnMajor(centreRows(data).x) without the row-major
 * float64 copy between (18 MB of fresh pages at 75,000 × 30, about 45 ms of first-touch faults on
 * this VM). X's means are centreRows' bits where the BLAS allows it (columnMeansFloat32). X is written
 * into `into` (rows × cols doubles, every one written) when given.
 */
export function centreColumnMajor(data: RegressionRows, fitIntercept: boolean, into?: Float64Array): CentredColumnMajor {
  const { rows, cols, outputs } = data;
  const xMean = fitIntercept ? columnMeansFloat32(data.x, rows, cols) : new Float64Array(cols);
  const yMean = fitIntercept ? columnMeans(data.y, rows, outputs) : new Float64Array(outputs);
  // Row after row: one column at a time read all of X once per feature (centredColumns' measurement).
  const x = into ?? new Float64Array(rows * cols);
  for (let r = 0, i = 0; r < rows; r++) for (let c = 0; c < cols; c++, i++) x[c * rows + r] = data.x[i]! - xMean[c]!;
  const y = new Float64Array(rows * outputs);
  for (let r = 0, i = 0; r < rows; r++) for (let o = 0; o < outputs; o++, i++) y[o * rows + r] = data.y[i]! - yMean[o]!;
  return { x, y, xMean, yMean };
}

/**
 * The minimum-norm solution of X w ≈ Y for X (its columns `a`, targets `b`, both overwritten) with
 * more rows than columns, through a Householder QR first: X = QR has R's singular values, so
 * SVD-solving R w = QᵀY (cut off at the same ε/2 · rows · s₀ as ml-matrix's solve on X) is the same
 * answer in O(rows · cols²), where ml-matrix's SVD of the whole X took seconds on 75,000 rows.
 */
function tallMinimumNormSolve(a: Float64Array[], b: Float64Array[], m: number): Matrix {
  const n = a.length;
  const v = new Float64Array(m);
  for (let k = 0; k < n; k++) {
    const column = a[k]!;
    let norm = 0;
    for (let i = k; i < m; i++) norm += column[i]! * column[i]!;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = column[k]! > 0 ? -norm : norm;
    let vNorm = 0;
    for (let i = k; i < m; i++) {
      v[i] = i === k ? column[i]! - alpha : column[i]!;
      vNorm += v[i]! * v[i]!;
    }
    column[k] = alpha;
    for (let i = k + 1; i < m; i++) column[i] = 0;
    for (const target of [...a.slice(k + 1), ...b]) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i]! * target[i]!;
      const scale = (2 * dot) / vNorm;
      for (let i = k; i < m; i++) target[i]! -= scale * v[i]!;
    }
  }
  const r = new Matrix(n, n);
  for (let c = 0; c < n; c++) for (let i = 0; i <= c; i++) r.set(i, c, a[c]![i]!);
  const qty = new Matrix(n, b.length);
  for (let o = 0; o < b.length; o++) for (let i = 0; i < n; i++) qty.set(i, o, b[o]![i]!);
  const svd = new SingularValueDecomposition(r);
  const cutoff = (Number.EPSILON / 2) * m * (svd.diagonal[0] ?? 0);
  const inverse = Matrix.diag(svd.diagonal.map((s) => (Math.abs(s) <= cutoff ? 0 : 1 / s)));
  return svd.rightSingularVectors.mmul(inverse).mmul(svd.leftSingularVectors.transpose()).mmul(qty);
}

/**
 * Ridge: (XᵀX + αI) w = Xᵀy on centred data (sklearn's 'cholesky' solver, its choice for dense input,
 * which solves through LAPACK's Cholesky as we do). XᵀX and Xᵀy come from the BLAS as scikit-learn's
 * do (blas.ts; JavaScript loops without one).
 */
export function ridge(
  x: Float32Array, rows: number, cols: number, y: Float64Array, outputs: number, alpha: number, fitIntercept: boolean,
): LinearCoefficients {
  // The centred XᵀX and Xᵀy a block of float32 rows at a time (centredGram), as least_angle's: without
  // centreRows' float64 copy of X, which with its subtraction pass was most of a 100k fit.
  const centred = centredGram({ x, rows, cols, y, outputs }, fitIntercept);
  const g = centred.gram;
  for (let c = 0; c < cols; c++) g[c * cols + c]! += alpha;
  // One right-hand side after another (cols each), as choleskySolveMany takes them.
  const rhs = new Float64Array(cols * outputs);
  for (let o = 0; o < outputs; o++) rhs.set(centred.xTargets[o]!, o * cols);
  const factor = Float64Array.from(g);
  const weights = new Matrix(cols, outputs);
  if (lapackCholesky(factor, cols) ?? choleskyInPlace(factor, cols)) {
    choleskySolveMany(factor, cols, rhs, outputs);
    for (let o = 0; o < outputs; o++) for (let c = 0; c < cols; c++) weights.set(c, o, rhs[o * cols + c]!);
    return withIntercepts(weights, centred);
  }
  // alpha = 0 on collinear features leaves the Gram matrix singular: fall back to the least-squares solve.
  const gm = new Matrix(cols, cols);
  const rm = new Matrix(cols, outputs);
  for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) gm.set(i, j, g[i * cols + j]!);
  for (let o = 0; o < outputs; o++) for (let c = 0; c < cols; c++) rm.set(c, o, rhs[o * cols + c]!);
  return withIntercepts(new SingularValueDecomposition(gm).solve(rm), centred);
}

export interface ElasticNetOptions {
  alpha: number;
  l1Ratio: number;
  fitIntercept: boolean;
  maxIter: number;
  tol: number;
}

export interface ElasticNetResult extends LinearCoefficients {
  iterations: number;
  dualGap: number;
}

/**
 * Minimises (1/2n)‖y − Xw‖² + α·ρ‖w‖₁ + ½α(1−ρ)‖w‖², single output, exactly as sklearn's ElasticNet
 * (Lasso is ρ = 1): its `enet_coordinate_descent` without the gap-safe screening, which only skips
 * features already known to be zero. Stops when the duality gap is at most tol·‖y‖², checked first
 * at w = 0 as scikit-learn 1.9 does.
 */
export function elasticNet(
  x: Float32Array, rows: number, cols: number, y: Float64Array, options: ElasticNetOptions,
): ElasticNetResult {
  const yMean = options.fitIntercept ? columnMeans(y, rows, 1)[0]! : 0;
  const target = new Float64Array(rows);
  for (let r = 0; r < rows; r++) target[r] = y[r]! - yMean;
  const l1 = options.alpha * options.l1Ratio * rows;
  const l2 = options.alpha * (1 - options.l1Ratio) * rows;
  const targetNormSq = dot(target, target);
  const tol = options.tol * targetNormSq;

  // At w = 0 the residual is the centred target, and the gap needs only Xᵀ(y − ȳ), the same for X
  // centred or not (Σ(y − ȳ) = 0; they differ by rounding): an α that zeroes every coefficient (the
  // default α = 1 on unscaled targets, often) ends here, before X is copied, centred or transposed.
  let gap = gapAtZero(xTyFloat32(x, rows, cols, target), targetNormSq, l1);
  const w = new Float64Array(cols);
  if (gap <= tol) return { coef: [Array.from(w)], intercept: [yMean], iterations: 0, dualGap: gap };

  const { columns, xMean, normSq } = centredColumns(x, rows, cols, options.fitIntercept);
  const residual = Float64Array.from(target);
  let iteration = 0;
  for (iteration = 0; iteration < options.maxIter; iteration++) {
    let maxWeight = 0;
    let maxUpdate = 0;
    for (let c = 0; c < cols; c++) {
      if (normSq[c] === 0) continue;
      const col = columns[c]!;
      const old = w[c]!;
      // X_c·(R + w_c X_c) without adding w_c X_c back into R: one pass fewer, as sklearn.
      const rho = dot(col, residual) + old * normSq[c]!;
      const next = Math.sign(rho) * Math.max(Math.abs(rho) - l1, 0) / (normSq[c]! + l2);
      w[c] = next;
      if (next !== old) axpy(old - next, col, residual);
      maxUpdate = Math.max(maxUpdate, Math.abs(next - old));
      maxWeight = Math.max(maxWeight, Math.abs(next));
    }
    const lastIteration = iteration === options.maxIter - 1;
    if (maxWeight === 0 || maxUpdate / maxWeight <= options.tol || lastIteration) {
      gap = dualityGap(columns, w, residual, target, l1, l2);
      if (gap <= tol) {
        iteration++;
        break;
      }
    }
  }

  let intercept = yMean;
  for (let c = 0; c < cols; c++) intercept -= xMean[c]! * w[c]!;
  return { coef: [Array.from(w)], intercept: [intercept], iterations: iteration, dualGap: gap };
}

/**
 * X's columns in float64, centred on their means when an intercept is fitted, and their squared
 * norms: coordinate descent sweeps one feature column at a time. One pass over the row-major
 * float32 rows writes them into a column-major copy (a copy per column read all of X once per
 * feature; blocks of rows measured slower); each column's mean then sums its values in row order,
 * as a row-wise sum does, and one more pass centres the column and sums its squares.
 */
function centredColumns(
  x: Float32Array, rows: number, cols: number, fitIntercept: boolean,
): { columns: Float64Array[]; xMean: Float64Array; normSq: Float64Array } {
  const all = new Float64Array(rows * cols);
  for (let r = 0, i = 0; r < rows; r++) for (let c = 0; c < cols; c++, i++) all[c * rows + r] = x[i]!;
  const columns: Float64Array[] = [];
  const xMean = new Float64Array(cols);
  const normSq = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    const col = all.subarray(c * rows, (c + 1) * rows);
    columns.push(col);
    let mean = 0;
    if (fitIntercept) {
      for (let r = 0; r < rows; r++) mean += col[r]!;
      mean /= Math.max(rows, 1);
    }
    // Centred and its square summed in one pass (dot(col, col) adds in the same order).
    let squares = 0;
    for (let r = 0; r < rows; r++) {
      const v = col[r]! - mean;
      col[r] = v;
      squares += v * v;
    }
    xMean[c] = mean;
    normSq[c] = squares;
  }
  return { columns, xMean, normSq };
}

/** dualityGap at w = 0, where the residual is the target: from Xᵀy and ‖y‖² alone. */
function gapAtZero(xTarget: Float64Array, targetNormSq: number, l1: number): number {
  let dualNorm = 0;
  for (let c = 0; c < xTarget.length; c++) dualNorm = Math.max(dualNorm, Math.abs(xTarget[c]!));
  if (dualNorm <= l1) return 0;
  const scale = l1 / dualNorm;
  return 0.5 * (targetNormSq + targetNormSq * scale * scale) - scale * targetNormSq;
}

function dualityGap(
  columns: Float64Array[], w: Float64Array, residual: Float64Array, target: Float64Array, l1: number, l2: number,
): number {
  let dualNorm = 0;
  let l1Norm = 0;
  for (let c = 0; c < columns.length; c++) {
    dualNorm = Math.max(dualNorm, Math.abs(dot(columns[c]!, residual) - l2 * w[c]!));
    l1Norm += Math.abs(w[c]!);
  }
  const rNormSq = dot(residual, residual);
  const wNormSq = dot(w, w);
  let scale = 1;
  let gap = rNormSq;
  if (dualNorm > l1) {
    scale = l1 / dualNorm;
    gap = 0.5 * (rNormSq + rNormSq * scale * scale);
  }
  return gap + l1 * l1Norm - scale * dot(residual, target) + 0.5 * l2 * (1 + scale * scale) * wNormSq;
}

/** r += a·x */
function axpy(a: number, x: Float64Array, r: Float64Array): void {
  for (let i = 0; i < r.length; i++) r[i]! += a * x[i]!;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** X·wᵀ + b for every output: rows × outputs, row-major. */
export function linearPredict(
  model: LinearCoefficients, x: Float32Array, rows: number, cols: number,
): Float64Array {
  const outputs = model.coef.length;
  const out = new Float64Array(rows * outputs);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outputs; o++) {
      const w = model.coef[o]!;
      let s = model.intercept[o]!;
      for (let c = 0; c < cols; c++) s += x[r * cols + c]! * w[c]!;
      out[r * outputs + o] = s;
    }
  }
  return out;
}
