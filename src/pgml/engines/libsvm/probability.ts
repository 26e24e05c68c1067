/**
 * libsvm's probability outputs as scikit-learn's fork has them (sklearn/svm/src/libsvm/svm.cpp):
 * sigmoid_train (Platt scaling with the improvements of Lin, Lin and Weng, "A note on Platt's
 * probabilistic outputs for support vector machines", 2007), sigmoid_predict, and
 * multiclass_probability (pairwise coupling, method 2 of Wu, Lin and Weng, JMLR 2004). The fork runs
 * the coupling for two classes too (upstream libsvm special-cases them), so predict_proba's binary
 * rows are the coupling's, not the sigmoid's. Operation order follows the C++.
 */
import { cMax, cMin } from './solver.js';

/** sigmoid_train: Newton's method with backtracking on Platt's regularized log-likelihood; returns [A, B]. */
export function sigmoidTrain(l: number, decision: Float64Array, labels: Float64Array): [number, number] {
  let prior1 = 0;
  let prior0 = 0;
  for (let i = 0; i < l; i++) {
    if (labels[i]! > 0) prior1 += 1;
    else prior0 += 1;
  }
  const maxIter = 100;
  const minStep = 1e-10;
  const sigma = 1e-12; // keeps the Hessian strictly positive definite
  const eps = 1e-5;
  const hiTarget = (prior1 + 1.0) / (prior1 + 2.0);
  const loTarget = 1 / (prior0 + 2.0);
  const t = new Float64Array(l);
  let A = 0.0;
  let B = Math.log((prior0 + 1.0) / (prior1 + 1.0));
  for (let i = 0; i < l; i++) t[i] = labels[i]! > 0 ? hiTarget : loTarget;
  const objective = (a: number, b: number): number => {
    let f = 0.0;
    for (let i = 0; i < l; i++) {
      const fApB = decision[i]! * a + b;
      if (fApB >= 0) f += t[i]! * fApB + Math.log(1 + Math.exp(-fApB));
      else f += (t[i]! - 1) * fApB + Math.log(1 + Math.exp(fApB));
    }
    return f;
  };
  let fval = objective(A, B);
  for (let iter = 0; iter < maxIter; iter++) {
    let h11 = sigma;
    let h22 = sigma;
    let h21 = 0.0;
    let g1 = 0.0;
    let g2 = 0.0;
    for (let i = 0; i < l; i++) {
      const fApB = decision[i]! * A + B;
      let p: number;
      let q: number;
      if (fApB >= 0) {
        p = Math.exp(-fApB) / (1.0 + Math.exp(-fApB));
        q = 1.0 / (1.0 + Math.exp(-fApB));
      } else {
        p = 1.0 / (1.0 + Math.exp(fApB));
        q = Math.exp(fApB) / (1.0 + Math.exp(fApB));
      }
      const d2 = p * q;
      h11 += decision[i]! * decision[i]! * d2;
      h22 += d2;
      h21 += decision[i]! * d2;
      const d1 = t[i]! - p;
      g1 += decision[i]! * d1;
      g2 += d1;
    }
    if (Math.abs(g1) < eps && Math.abs(g2) < eps) break;

    const det = h11 * h22 - h21 * h21;
    const dA = -(h22 * g1 - h21 * g2) / det;
    const dB = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * dA + g2 * dB;
    let stepsize = 1;
    while (stepsize >= minStep) {
      const newA = A + stepsize * dA;
      const newB = B + stepsize * dB;
      const newf = objective(newA, newB);
      if (newf < fval + 0.0001 * stepsize * gd) {
        A = newA;
        B = newB;
        fval = newf;
        break;
      }
      stepsize = stepsize / 2.0;
    }
    if (stepsize < minStep) break; // libsvm: "Line search fails in two-class probability estimates"
  }
  return [A, B];
}

/** sigmoid_predict: 1 / (1 + exp(A·f + B)), written to avoid cancellation in 1 − p. */
export function sigmoidPredict(decision: number, A: number, B: number): number {
  const fApB = decision * A + B;
  if (fApB >= 0) return Math.exp(-fApB) / (1.0 + Math.exp(-fApB));
  return 1.0 / (1 + Math.exp(fApB));
}

/** multiclass_probability: class probabilities p (length k) from pairwise ones r (k × k, row-major). */
export function multiclassProbability(k: number, r: Float64Array, p: Float64Array): void {
  const maxIter = Math.max(100, k);
  const Q = new Float64Array(k * k);
  const Qp = new Float64Array(k);
  const eps = 0.005 / k;
  for (let t = 0; t < k; t++) {
    p[t] = 1.0 / k;
    Q[t * k + t] = 0;
    for (let j = 0; j < t; j++) {
      Q[t * k + t] = Q[t * k + t]! + r[j * k + t]! * r[j * k + t]!;
      Q[t * k + j] = Q[j * k + t]!;
    }
    for (let j = t + 1; j < k; j++) {
      Q[t * k + t] = Q[t * k + t]! + r[j * k + t]! * r[j * k + t]!;
      Q[t * k + j] = -r[j * k + t]! * r[t * k + j]!;
    }
  }
  for (let iter = 0; iter < maxIter; iter++) {
    // recomputed every round for numerical accuracy, as libsvm does
    let pQp = 0;
    for (let t = 0; t < k; t++) {
      Qp[t] = 0;
      for (let j = 0; j < k; j++) Qp[t] = Qp[t]! + Q[t * k + j]! * p[j]!;
      pQp += p[t]! * Qp[t]!;
    }
    let maxError = 0;
    for (let t = 0; t < k; t++) {
      const error = Math.abs(Qp[t]! - pQp);
      if (error > maxError) maxError = error;
    }
    if (maxError < eps) break;
    for (let t = 0; t < k; t++) {
      const diff = (-Qp[t]! + pQp) / Q[t * k + t]!;
      p[t] = p[t]! + diff;
      pQp = (pQp + diff * (diff * Q[t * k + t]! + 2 * Qp[t]!)) / (1 + diff) / (1 + diff);
      for (let j = 0; j < k; j++) {
        Qp[j] = (Qp[j]! + diff * Q[t * k + j]!) / (1 + diff);
        p[j] = p[j]! / (1 + diff);
      }
    }
  }
}

const MIN_PROB = 1e-7;

/**
 * svm_predict_probability's estimates from a row's pairwise decision values (pair order (0,1), (0,2),
 * …, (1,2), …): each pair's sigmoid clipped to [1e-7, 1 − 1e-7], then coupled into `p` (length k).
 * Upstream libsvm (3.22, which libsvm-js compiled) answers two classes with the one sigmoid instead
 * of coupling: `coupleTwo` false does that, for models it trained.
 */
export function probabilitiesFromDecisions(
  k: number, decision: Float64Array, probA: Float64Array, probB: Float64Array, p: Float64Array, coupleTwo = true,
): void {
  const pairwise = new Float64Array(k * k);
  let pair = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      pairwise[i * k + j] = cMin(cMax(sigmoidPredict(decision[pair]!, probA[pair]!, probB[pair]!), MIN_PROB), 1 - MIN_PROB);
      pairwise[j * k + i] = 1 - pairwise[i * k + j]!;
      pair++;
    }
  }
  if (k === 2 && !coupleTwo) {
    p[0] = pairwise[1]!;
    p[1] = pairwise[2]!;
    return;
  }
  multiclassProbability(k, pairwise, p);
}
