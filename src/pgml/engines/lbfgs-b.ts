/**
 * scipy's L-BFGS-B (`scipy.optimize.minimize(method='L-BFGS-B')`, the solver scikit-learn's
 * LogisticRegression(solver='lbfgs') calls) for problems without bounds, step for step:
 *
 * - Without bounds the generalized Cauchy point and the subspace minimisation of L-BFGS-B reduce to
 *   the quasi-Newton step d = −H·g of the limited-memory matrix B = θI − (compact correction) with
 *   θ = yᵀy / sᵀy of the newest pair: the two-loop recursion with H₀ = I/θ computes the same d. The
 *   first direction (no pairs) is −g, as the Cauchy point with θ = 1 gives.
 * - The line search is Moré–Thuente's (more-thuente.ts) with L-BFGS-B's constants (ftol 1e-3,
 *   gtol 0.9, xtol 0.1, steps in [0, 1e10]), starting from 1/‖d‖ on the first iteration and 1 after,
 *   with at most `maxls` evaluations; when it fails, the iterate is restored and the memory dropped
 *   (a steepest-descent restart), or, with an empty memory, the run ends.
 * - A pair is kept only when sᵀy > ε·(−gᵀs) (machine ε), the oldest dropped beyond `memory` pairs.
 * - Each iteration ends, in scipy's order: the iteration limit (and scipy's maxfun), then
 *   max|g| ≤ gtol, then (f_k − f_{k+1}) ≤ ftol·max(|f_k|, |f_{k+1}|, 1).
 *
 * Two work arrays a pair and a handful of vectors, all allocated at start: the iterations allocate nothing.
 */
import { MoreThuenteSearch } from './more-thuente.js';
import { axpy, dot, maxAbs, negate, pointAlong, scale } from './vector-ops.js';

export interface LbfgsBOptions {
  /** scipy's maxiter: iterations (accepted steps), not evaluations. */
  maxIter: number;
  /** scipy's gtol (pgtol): stop when max |∂f/∂xᵢ| ≤ gtol. */
  gtol: number;
  /** scipy's ftol (factr·ε); scipy's default 2.220446049250313e-9. */
  ftol?: number;
  /** scipy's maxcor (default 10). */
  memory?: number;
  /** scipy's maxls: evaluations per line search (default 20). */
  maxls?: number;
  /** scipy's maxfun: stop after the iteration in which the evaluations pass it (default 15000). */
  maxEvaluations?: number;
  /** scipy's callback: after each iteration, with its iterate and value (tests compare trajectories with it). */
  onIteration?: (x: Float64Array, value: number) => void;
}

export type LbfgsBStop = 'gtol' | 'ftol' | 'max_iter' | 'max_evaluations' | 'line_search';

export interface LbfgsBResult {
  x: Float64Array;
  value: number;
  /** scipy's nit. */
  iterations: number;
  /** scipy's nfev: objective evaluations, the one at the start included. */
  evaluations: number;
  stop: LbfgsBStop;
}

/** Writes the gradient into `grad` and returns the objective value. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

const EPSILON = 2.220446049250313e-16;
const STEP_MAX = 1e10;

export function minimizeLbfgsB(objective: Objective, start: Float64Array, options: LbfgsBOptions): LbfgsBResult {
  const n = start.length;
  const memory = options.memory ?? 10;
  const ftol = options.ftol ?? 2.220446049250313e-9;
  const maxls = options.maxls ?? 20;
  const maxEvaluations = options.maxEvaluations ?? 15_000;

  const x = Float64Array.from(start);
  const g = new Float64Array(n);
  const previousX = new Float64Array(n); // L-BFGS-B's t
  const previousG = new Float64Array(n); // L-BFGS-B's r
  const d = new Float64Array(n);
  // Pairs in a ring: slot (head + i) % memory is the i-th oldest of `count`.
  const s = Array.from({ length: memory }, () => new Float64Array(n));
  const y = Array.from({ length: memory }, () => new Float64Array(n));
  const rho = new Float64Array(memory);
  const alpha = new Float64Array(memory);
  let head = 0;
  let count = 0;
  let theta = 1;
  const search = new MoreThuenteSearch(1e-3, 0.9, 0.1, 0, STEP_MAX);

  let f = objective(x, g);
  let evaluations = 1;
  const done = (iterations: number, stop: LbfgsBStop): LbfgsBResult => ({ x, value: f, iterations, evaluations, stop });
  if (maxAbs(g) <= options.gtol) return done(0, 'gtol');

  let iteration = 0;
  for (;;) {
    searchDirection(d, g, s, y, rho, alpha, head, count, memory, theta);
    previousX.set(x);
    previousG.set(g);
    const fOld = f;
    let stp = iteration === 0 ? Math.min(1 / Math.sqrt(dot(d, d)), STEP_MAX) : 1;
    const gdOld = dot(g, d);
    let gd = gdOld;
    let accepted = false;
    if (gdOld < 0) {
      let task = search.start(f, gdOld, stp);
      for (let tries = 0; task === 'FG' && tries < maxls; tries++) {
        stp = search.stp;
        pointAlong(x, previousX, stp, d);
        f = objective(x, g);
        evaluations++;
        gd = dot(g, d);
        task = search.next(f, gd);
      }
      accepted = task === 'CONVERGENCE' || task === 'WARNING';
    }
    if (!accepted) {
      // An ascent direction, a line search error or maxls evaluations without a step: back to the last iterate.
      x.set(previousX);
      g.set(previousG);
      f = fOld;
      if (count === 0) return done(iteration, 'line_search');
      count = 0;
      head = 0;
      theta = 1;
      continue;
    }

    iteration++;
    options.onIteration?.(x, f);
    if (iteration >= options.maxIter) return done(iteration, 'max_iter');
    if (evaluations > maxEvaluations) return done(iteration, 'max_evaluations');
    if (maxAbs(g) <= options.gtol) return done(iteration, 'gtol');
    if (fOld - f <= ftol * Math.max(Math.abs(fOld), Math.abs(f), 1)) return done(iteration, 'ftol');

    // The new pair: s = stp·d, y = g − g_old; sᵀy from the directional derivatives, as L-BFGS-B.
    const sy = (gd - gdOld) * stp;
    if (sy <= EPSILON * (-gdOld * stp)) continue;
    const slot = count < memory ? (head + count) % memory : head;
    if (count < memory) count++;
    else head = (head + 1) % memory;
    rho[slot] = 1 / sy;
    theta = storePair(s[slot]!, y[slot]!, stp, d, g, previousG) / sy;
  }
}

/** s = stp·d, y = g − g_old; returns yᵀy. */
function storePair(sNew: Float64Array, yNew: Float64Array, stp: number, d: Float64Array, g: Float64Array, previousG: Float64Array): number {
  let yy = 0;
  for (let i = 0; i < sNew.length; i++) {
    sNew[i] = stp * d[i]!;
    const yi = g[i]! - previousG[i]!;
    yNew[i] = yi;
    yy += yi * yi;
  }
  return yy;
}

/** d = −H·g by the two-loop recursion over the stored pairs, H₀ = I/θ. */
function searchDirection(
  d: Float64Array, g: Float64Array, s: Float64Array[], y: Float64Array[], rho: Float64Array, alpha: Float64Array,
  head: number, count: number, memory: number, theta: number,
): void {
  negate(d, g);
  for (let k = count - 1; k >= 0; k--) {
    const slot = (head + k) % memory;
    const a = rho[slot]! * dot(s[slot]!, d);
    alpha[slot] = a;
    axpy(-a, y[slot]!, d);
  }
  scale(1 / theta, d);
  for (let k = 0; k < count; k++) {
    const slot = (head + k) % memory;
    const b = rho[slot]! * dot(y[slot]!, d);
    axpy(alpha[slot]! - b, s[slot]!, d);
  }
}
