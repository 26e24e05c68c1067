/**
 * L2-regularised logistic regression as scikit-learn's LogisticRegression(solver='lbfgs') defines it:
 * minimise mean log-loss + ‖W‖² / (2·C·n), intercept unpenalised. Two classes use one weight vector
 * (the binomial model); more classes the full multinomial softmax with one vector per class.
 */
import { minimizeLbfgs } from './lbfgs.js';

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

export function fitLogistic(
  x: Float32Array, rows: number, cols: number, labels: Float32Array, numClasses: number, options: LogisticOptions,
): LogisticModel {
  const outputs = numClasses === 2 ? 1 : numClasses;
  const stride = cols + 1; // weights then intercept, per output
  const l2 = Number.isFinite(options.c) ? 1 / (options.c * rows) : 0;
  const scores = new Float64Array(outputs);

  const objective = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      const label = labels[r]!;
      const offset = r * cols;
      for (let o = 0; o < outputs; o++) {
        let s = options.fitIntercept ? theta[o * stride + cols]! : 0;
        for (let c = 0; c < cols; c++) s += theta[o * stride + c]! * x[offset + c]!;
        scores[o] = s;
      }
      if (outputs === 1) {
        const z = scores[0]!;
        const target = label === 1 ? 1 : 0;
        // log(1 + e^z) − t·z, computed without overflow for large |z|.
        loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - target * z;
        scores[0] = sigmoid(z) - target;
      } else {
        let max = -Infinity;
        for (let o = 0; o < outputs; o++) max = Math.max(max, scores[o]!);
        let sum = 0;
        for (let o = 0; o < outputs; o++) sum += Math.exp(scores[o]! - max);
        loss += max + Math.log(sum) - scores[label]!;
        for (let o = 0; o < outputs; o++) scores[o] = Math.exp(scores[o]! - max) / sum - (o === label ? 1 : 0);
      }
      for (let o = 0; o < outputs; o++) {
        const residual = scores[o]!;
        for (let c = 0; c < cols; c++) grad[o * stride + c]! += residual * x[offset + c]!;
        if (options.fitIntercept) grad[o * stride + cols]! += residual;
      }
    }
    loss /= rows;
    for (let i = 0; i < grad.length; i++) grad[i]! /= rows;
    for (let o = 0; o < outputs; o++) {
      for (let c = 0; c < cols; c++) {
        const w = theta[o * stride + c]!;
        loss += 0.5 * l2 * w * w;
        grad[o * stride + c]! += l2 * w;
      }
    }
    return loss;
  };

  const result = minimizeLbfgs(objective, new Float64Array(outputs * stride), {
    maxIter: options.maxIter,
    gtol: options.tol,
  });
  const coef: number[][] = [];
  const intercept: number[] = [];
  for (let o = 0; o < outputs; o++) {
    coef.push(Array.from(result.x.subarray(o * stride, o * stride + cols)));
    intercept.push(options.fitIntercept ? result.x[o * stride + cols]! : 0);
  }
  return { coef, intercept, numClasses };
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
