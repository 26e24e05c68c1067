/**
 * From a boosted model's raw scores (rows × outputs: one log-odds column for binary, one per class
 * otherwise) to what pgml serves, as scikit-learn's gradient boosting does it: sigmoid or softmax for
 * probabilities, the sign or the argmax for the class.
 */

/** Sigmoid (one raw score per row) or softmax (one per class) into out, rows × outputs. */
export function rawToProbabilities(raw: Float64Array, rows: number, outputs: number, out: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    if (outputs === 1) {
      out[r] = 1 / (1 + Math.exp(-raw[r]!));
      continue;
    }
    let max = -Infinity;
    for (let k = 0; k < outputs; k++) max = Math.max(max, raw[r * outputs + k]!);
    let sum = 0;
    for (let k = 0; k < outputs; k++) sum += out[r * outputs + k] = Math.exp(raw[r * outputs + k]! - max);
    for (let k = 0; k < outputs; k++) out[r * outputs + k]! /= sum;
  }
}

export function rawToClasses(raw: Float64Array, rows: number, outputs: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    if (outputs === 1) {
      out[r] = raw[r]! > 0 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let k = 1; k < outputs; k++) if (raw[r * outputs + k]! > raw[r * outputs + best]!) best = k;
    out[r] = best;
  }
  return out;
}

/** rows × numClasses probabilities; a binary model's single column becomes (1 - p, p). */
export function rawToProbaMatrix(raw: Float64Array, rows: number, outputs: number): Float32Array {
  const prob = new Float64Array(raw.length);
  rawToProbabilities(raw, rows, outputs, prob);
  if (outputs > 1) return Float32Array.from(prob);
  const out = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    out[2 * r] = 1 - prob[r]!;
    out[2 * r + 1] = prob[r]!;
  }
  return out;
}
