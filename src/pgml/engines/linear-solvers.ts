/**
 * The numerics behind `linear`, `ridge`, `lasso` and `elastic_net`, following scikit-learn's
 * formulations so the same data gives the same coefficients: features and targets are centred when
 * an intercept is fitted (the intercept is never penalised), OLS is a minimum-norm least-squares
 * solve, ridge a Cholesky solve of the normal equations, and lasso / elastic net the cyclic
 * coordinate descent of sklearn's `enet_coordinate_descent` with its duality-gap stopping rule.
 */
import { CholeskyDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import { columnMeans } from './engine-support.js';

/** Coefficients for each output: `coef[o]` has one weight per feature. */
export interface LinearCoefficients {
  coef: number[][];
  intercept: number[];
}

interface Centred {
  x: Matrix;
  y: Matrix;
  xMean: Float64Array;
  yMean: Float64Array;
}

/** `y` is rows × outputs row-major. */
function centre(x: Float32Array, rows: number, cols: number, y: Float64Array, outputs: number, fitIntercept: boolean): Centred {
  const xMean = fitIntercept ? columnMeans(x, rows, cols) : new Float64Array(cols);
  const yMean = fitIntercept ? columnMeans(y, rows, outputs) : new Float64Array(outputs);
  const xm = new Matrix(rows, cols);
  const ym = new Matrix(rows, outputs);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) xm.set(r, c, x[r * cols + c]! - xMean[c]!);
    for (let o = 0; o < outputs; o++) ym.set(r, o, y[r * outputs + o]! - yMean[o]!);
  }
  return { x: xm, y: ym, xMean, yMean };
}

function withIntercepts(weights: Matrix, centred: Pick<Centred, 'xMean' | 'yMean'>): LinearCoefficients {
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
  if (rows <= cols) {
    const centred = centre(x, rows, cols, y, outputs, fitIntercept);
    const svd = new SingularValueDecomposition(centred.x, { autoTranspose: true });
    return withIntercepts(svd.solve(centred.y), centred);
  }
  // The same centred values as centre(), written straight into the columns the QR works on.
  const xMean = fitIntercept ? columnMeans(x, rows, cols) : new Float64Array(cols);
  const yMean = fitIntercept ? columnMeans(y, rows, outputs) : new Float64Array(outputs);
  const columns = Array.from({ length: cols }, () => new Float64Array(rows));
  const targets = Array.from({ length: outputs }, () => new Float64Array(rows));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) columns[c]![r] = x[r * cols + c]! - xMean[c]!;
    for (let o = 0; o < outputs; o++) targets[o]![r] = y[r * outputs + o]! - yMean[o]!;
  }
  return withIntercepts(tallMinimumNormSolve(columns, targets, rows), { xMean, yMean });
}

/**
 * The minimum-norm solution of X w ≈ Y for X with more rows than columns, through a Householder QR
 * first: X = QR has R's singular values, so SVD-solving R w = QᵀY (cut off at the same
 * ε/2 · rows · s₀ as ml-matrix's solve on X) is the same answer in O(rows · cols²), where ml-matrix's
 * SVD of the whole X took seconds on 75,000 rows.
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

/** Ridge: (XᵀX + αI) w = Xᵀy on centred data (sklearn's 'cholesky' solver, its choice for dense input). */
export function ridge(
  x: Float32Array, rows: number, cols: number, y: Float64Array, outputs: number, alpha: number, fitIntercept: boolean,
): LinearCoefficients {
  const centred = centre(x, rows, cols, y, outputs, fitIntercept);
  const xt = centred.x.transpose();
  const gram = xt.mmul(centred.x);
  for (let c = 0; c < cols; c++) gram.set(c, c, gram.get(c, c) + alpha);
  const rhs = xt.mmul(centred.y);
  const cholesky = new CholeskyDecomposition(gram);
  // alpha = 0 on collinear features leaves the Gram matrix singular: fall back to the least-squares solve.
  const weights = cholesky.isPositiveDefinite()
    ? cholesky.solve(rhs)
    : new SingularValueDecomposition(gram).solve(rhs);
  return withIntercepts(weights, centred);
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
 * (Lasso is ρ = 1). Stops when the duality gap falls below tol·‖y‖².
 */
export function elasticNet(
  x: Float32Array, rows: number, cols: number, y: Float64Array, options: ElasticNetOptions,
): ElasticNetResult {
  const xMean = options.fitIntercept ? columnMeans(x, rows, cols) : new Float64Array(cols);
  const yMean = options.fitIntercept ? columnMeans(y, rows, 1)[0]! : 0;
  // Column-major copy: coordinate descent sweeps one feature column at a time.
  const columns: Float64Array[] = [];
  const normSq = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    const col = new Float64Array(rows);
    for (let r = 0; r < rows; r++) col[r] = x[r * cols + c]! - xMean[c]!;
    columns.push(col);
    normSq[c] = dot(col, col);
  }
  const target = new Float64Array(rows);
  for (let r = 0; r < rows; r++) target[r] = y[r]! - yMean;

  const l1 = options.alpha * options.l1Ratio * rows;
  const l2 = options.alpha * (1 - options.l1Ratio) * rows;
  const tol = options.tol * dot(target, target);
  const w = new Float64Array(cols);
  const residual = Float64Array.from(target);
  let gap = tol + 1;
  let iteration = 0;

  for (iteration = 0; iteration < options.maxIter; iteration++) {
    let maxWeight = 0;
    let maxUpdate = 0;
    for (let c = 0; c < cols; c++) {
      if (normSq[c] === 0) continue;
      const col = columns[c]!;
      const old = w[c]!;
      if (old !== 0) for (let r = 0; r < rows; r++) residual[r]! += old * col[r]!;
      const rho = dot(col, residual);
      const next = Math.sign(rho) * Math.max(Math.abs(rho) - l1, 0) / (normSq[c]! + l2);
      w[c] = next;
      if (next !== 0) for (let r = 0; r < rows; r++) residual[r]! -= next * col[r]!;
      maxUpdate = Math.max(maxUpdate, Math.abs(next - old));
      maxWeight = Math.max(maxWeight, Math.abs(next));
    }
    const lastIteration = iteration === options.maxIter - 1;
    if (maxWeight === 0 || maxUpdate / maxWeight < options.tol || lastIteration) {
      gap = dualityGap(columns, w, residual, target, l1, l2);
      if (gap < tol) {
        iteration++;
        break;
      }
    }
  }

  let intercept = yMean;
  for (let c = 0; c < cols; c++) intercept -= xMean[c]! * w[c]!;
  return { coef: [Array.from(w)], intercept: [intercept], iterations: iteration, dualGap: gap };
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
