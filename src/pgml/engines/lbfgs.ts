/**
 * Limited-memory BFGS for smooth objectives (huber, gaussian_process; logistic regression runs scipy's
 * own algorithm, lbfgs-b.ts). Stopping rules mirror scipy's L-BFGS-B as scikit-learn calls it:
 * projected-gradient max-norm ≤ gtol, relative decrease ≤ ftol, or maxIter iterations. The line search backtracks until the Armijo condition holds, and
 * the curvature pair is kept only when sᵀy > 0 so the inverse-Hessian estimate stays positive definite.
 */
import { axpy, dot, maxAbs } from './vector-ops.js';

export interface LbfgsOptions {
  maxIter: number;
  /** Stop when max |∂f/∂xᵢ| ≤ gtol (scipy's pgtol; sklearn passes its `tol`). */
  gtol: number;
  /** Stop when (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ ftol (scipy's default factr·eps). */
  ftol?: number;
  memory?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
}

/** Writes the gradient into `grad` and returns the objective value. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export function minimizeLbfgs(objective: Objective, start: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = start.length;
  const memory = options.memory ?? 10;
  const ftol = options.ftol ?? 2.220446049250313e-9;
  let x = Float64Array.from(start);
  let grad = new Float64Array(n);
  let value = objective(x, grad);
  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  const direction = new Float64Array(n);
  const alphas = new Float64Array(memory);

  for (let iteration = 0; iteration < options.maxIter; iteration++) {
    if (maxAbs(grad) <= options.gtol) return { x, value, iterations: iteration, converged: true };

    // Two-loop recursion: direction = −H·grad.
    direction.set(grad);
    for (let i = sHistory.length - 1; i >= 0; i--) {
      const a = rhoHistory[i]! * dot(sHistory[i]!, direction);
      alphas[i] = a;
      axpy(-a, yHistory[i]!, direction);
    }
    if (sHistory.length > 0) {
      const last = sHistory.length - 1;
      const gamma = dot(sHistory[last]!, yHistory[last]!) / dot(yHistory[last]!, yHistory[last]!);
      for (let i = 0; i < n; i++) direction[i]! *= gamma;
    } else {
      // First step: a unit-length steepest-descent probe, as scipy does, keeps the first jump sane.
      const scale = 1 / Math.max(Math.sqrt(dot(grad, grad)), 1e-12);
      for (let i = 0; i < n; i++) direction[i]! *= scale;
    }
    for (let i = 0; i < sHistory.length; i++) {
      const b = rhoHistory[i]! * dot(yHistory[i]!, direction);
      axpy(alphas[i]! - b, sHistory[i]!, direction);
    }
    for (let i = 0; i < n; i++) direction[i] = -direction[i]!;

    let slope = dot(grad, direction);
    if (slope >= 0) {
      // Lost descent (numerical noise): restart from steepest descent.
      sHistory.length = yHistory.length = rhoHistory.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -grad[i]!;
      slope = dot(grad, direction);
    }

    let step = 1;
    const nextX = new Float64Array(n);
    const nextGrad = new Float64Array(n);
    let nextValue = Infinity;
    for (let tries = 0; tries < 50; tries++) {
      for (let i = 0; i < n; i++) nextX[i] = x[i]! + step * direction[i]!;
      nextValue = objective(nextX, nextGrad);
      if (Number.isFinite(nextValue) && nextValue <= value + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(nextValue < value)) return { x, value, iterations: iteration, converged: true };

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = nextX[i]! - x[i]!;
      y[i] = nextGrad[i]! - grad[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12 * dot(y, y)) {
      if (sHistory.length === memory) {
        sHistory.shift();
        yHistory.shift();
        rhoHistory.shift();
      }
      sHistory.push(s);
      yHistory.push(y);
      rhoHistory.push(1 / sy);
    }
    const decrease = (value - nextValue) / Math.max(Math.abs(value), Math.abs(nextValue), 1);
    x = nextX;
    grad = nextGrad;
    value = nextValue;
    if (decrease <= ftol) return { x, value, iterations: iteration + 1, converged: true };
  }
  return { x, value, iterations: options.maxIter, converged: maxAbs(grad) <= options.gtol };
}
