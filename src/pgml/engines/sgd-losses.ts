/**
 * scikit-learn's plain-SGD losses (linear_model/_sgd_fast.pyx), p the prediction, y the target
 * (±1 for classification) and epsilon huber's and the epsilon-insensitive losses' width.
 *
 * Each loss is its own top-level function, and the row loop (sgd-epochs.ts) calls them through a
 * parameter, for V8: an engine thread fits every loss (warm-up.ts fits them all), so that call site
 * soon sees many targets, and the optimizing compiler then emits a plain call that no new loss
 * invalidates. Each loss keeps its own type feedback: a branch no fit has taken yet (log_loss past
 * ±18, say) deoptimizes that small function alone, not the row loop, which would otherwise run
 * interpreted until TurboFan recompiled it (100–500 ms on a loaded machine, longer than a small fit).
 */
export type LossFunction = (p: number, y: number, epsilon: number) => number;

export interface Loss {
  value: LossFunction;
  /** The derivative with respect to p, as sklearn's dloss. */
  derivative: LossFunction;
}

export const CLASSIFIER_LOSSES = ['hinge', 'log_loss', 'modified_huber', 'squared_hinge', 'perceptron'] as const;
export const REGRESSOR_LOSSES = ['squared_error', 'huber', 'epsilon_insensitive', 'squared_epsilon_insensitive'] as const;
export type LossName = (typeof CLASSIFIER_LOSSES)[number] | (typeof REGRESSOR_LOSSES)[number];

function hinge(p: number, y: number): number {
  return Math.max(0, 1 - p * y);
}

function hingeDerivative(p: number, y: number): number {
  return p * y < 1 ? -y : 0;
}

function perceptron(p: number, y: number): number {
  return Math.max(0, -p * y);
}

function perceptronDerivative(p: number, y: number): number {
  return p * y <= 0 ? -y : 0;
}

function squaredHinge(p: number, y: number): number {
  return Math.max(0, 1 - p * y) ** 2;
}

function squaredHingeDerivative(p: number, y: number): number {
  return 1 - p * y > 0 ? -2 * y * (1 - p * y) : 0;
}

function logLoss(p: number, y: number): number {
  const z = p * y;
  return z > 18 ? Math.exp(-z) : z < -18 ? -z : Math.log1p(Math.exp(-z));
}

function logLossDerivative(p: number, y: number): number {
  const z = p * y;
  return z > 18 ? -y * Math.exp(-z) : z < -18 ? -y : -y / (Math.exp(z) + 1);
}

function modifiedHuber(p: number, y: number): number {
  const z = p * y;
  return z >= 1 ? 0 : z >= -1 ? (1 - z) ** 2 : -4 * z;
}

function modifiedHuberDerivative(p: number, y: number): number {
  const z = p * y;
  return z >= 1 ? 0 : z >= -1 ? -2 * (1 - z) * y : -4 * y;
}

function squaredError(p: number, y: number): number {
  return 0.5 * (p - y) ** 2;
}

function squaredErrorDerivative(p: number, y: number): number {
  return p - y;
}

function huber(p: number, y: number, epsilon: number): number {
  const r = Math.abs(p - y);
  return r <= epsilon ? 0.5 * r * r : epsilon * r - 0.5 * epsilon * epsilon;
}

function huberDerivative(p: number, y: number, epsilon: number): number {
  return Math.max(-epsilon, Math.min(epsilon, p - y));
}

function epsilonInsensitive(p: number, y: number, epsilon: number): number {
  return Math.max(0, Math.abs(y - p) - epsilon);
}

function epsilonInsensitiveDerivative(p: number, y: number, epsilon: number): number {
  return y - p > epsilon ? -1 : p - y > epsilon ? 1 : 0;
}

function squaredEpsilonInsensitive(p: number, y: number, epsilon: number): number {
  return Math.max(0, Math.abs(y - p) - epsilon) ** 2;
}

function squaredEpsilonInsensitiveDerivative(p: number, y: number, epsilon: number): number {
  return y - p > epsilon ? -2 * (y - p - epsilon) : p - y > epsilon ? 2 * (p - y - epsilon) : 0;
}

export const LOSSES: Record<LossName, Loss> = {
  hinge: { value: hinge, derivative: hingeDerivative },
  perceptron: { value: perceptron, derivative: perceptronDerivative },
  squared_hinge: { value: squaredHinge, derivative: squaredHingeDerivative },
  log_loss: { value: logLoss, derivative: logLossDerivative },
  modified_huber: { value: modifiedHuber, derivative: modifiedHuberDerivative },
  squared_error: { value: squaredError, derivative: squaredErrorDerivative },
  huber: { value: huber, derivative: huberDerivative },
  epsilon_insensitive: { value: epsilonInsensitive, derivative: epsilonInsensitiveDerivative },
  squared_epsilon_insensitive: { value: squaredEpsilonInsensitive, derivative: squaredEpsilonInsensitiveDerivative },
};
