/**
 * L2-regularised logistic regression as scikit-learn 1.9's LogisticRegression(solver='lbfgs')
 * computes it: minimise mean log-loss + ‖W‖² / (2·C·n), intercept unpenalised (logistic-loss.ts),
 * from zero, by scipy's L-BFGS-B with the options scikit-learn passes (lbfgs-b.ts): maxiter = max_iter,
 * gtol = tol, ftol = 64·ε, maxls = 50, 10 pairs. Two classes use one weight vector (the binomial
 * model); more classes the full multinomial softmax with one vector per class.
 */
import { minimizeLbfgsB, type LbfgsBOptions, type LbfgsBStop } from './lbfgs-b.js';
import { LogisticLoss } from './logistic-loss.js';

export interface LogisticModel {
  /** One weight row per class (binary: a single row for class 1). */
  coef: number[][];
  intercept: number[];
  numClasses: number;
}

export interface LogisticOptions {
  /** Inverse regularisation strength; Infinity turns the penalty off (penalty=None). */
  c: number;
  fitIntercept: boolean;
  maxIter: number;
  tol: number;
}

export interface LogisticFit {
  model: LogisticModel;
  /** scikit-learn's n_iter_ (scipy's nit, at most max_iter). */
  iterations: number;
  /** Objective evaluations (scipy's nfev). */
  evaluations: number;
  stop: LbfgsBStop;
}

/** scikit-learn's ftol for lbfgs: 64 · float64's machine epsilon. */
const FTOL = 64 * 2.220446049250313e-16;
/** scikit-learn raises scipy's default of 20 line-search evaluations to 50. */
const MAXLS = 50;

export function fitLogistic(
  x: Float32Array, rows: number, cols: number, labels: Float32Array, numClasses: number, options: LogisticOptions,
  trace: Pick<LbfgsBOptions, 'onIteration'> = {},
): LogisticFit {
  const loss = new LogisticLoss(x, rows, cols, labels, numClasses, {
    l2: Number.isFinite(options.c) ? 1 / (options.c * rows) : 0,
    fitIntercept: options.fitIntercept,
  });
  const result = minimizeLbfgsB(loss.evaluate, new Float64Array(loss.size), {
    maxIter: options.maxIter,
    gtol: options.tol,
    ftol: FTOL,
    maxls: MAXLS,
    ...trace,
  });
  const coef: number[][] = [];
  const intercept: number[] = [];
  for (let o = 0; o < loss.outputs; o++) {
    coef.push(Array.from(result.x.subarray(o * loss.stride, o * loss.stride + cols)));
    intercept.push(options.fitIntercept ? result.x[o * loss.stride + cols]! : 0);
  }
  return {
    model: { coef, intercept, numClasses },
    iterations: Math.min(result.iterations, options.maxIter),
    evaluations: result.evaluations,
    stop: result.stop,
  };
}

/** rows × numClasses probabilities, row-major. */
export function logisticProba(model: LogisticModel, x: Float32Array, rows: number, cols: number): Float32Array {
  const k = model.numClasses;
  const out = new Float32Array(rows * k);
  const scores = new Float64Array(model.coef.length);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < model.coef.length; o++) {
      let s = model.intercept[o]!;
      const w = model.coef[o]!;
      for (let c = 0; c < cols; c++) s += w[c]! * x[r * cols + c]!;
      scores[o] = s;
    }
    if (k === 2) {
      const p = sigmoid(scores[0]!);
      out[r * 2] = 1 - p;
      out[r * 2 + 1] = p;
      continue;
    }
    let max = -Infinity;
    for (let o = 0; o < k; o++) max = Math.max(max, scores[o]!);
    let sum = 0;
    for (let o = 0; o < k; o++) sum += Math.exp(scores[o]! - max);
    for (let o = 0; o < k; o++) out[r * k + o] = Math.exp(scores[o]! - max) / sum;
  }
  return out;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
