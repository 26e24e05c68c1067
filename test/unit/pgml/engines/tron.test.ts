// liblinear's trust region Newton method (tron.ts) on problems with known answers: a strictly convex
// quadratic (its minimizer solves A·w = b, one Newton step), L2-regularized logistic regression (several
// steps), the stopping rule ‖∇f‖ ≤ eps·‖∇f(0)‖, and the step limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { minimizeTron, type TronObjective } from '../../../../src/pgml/engines/tron.js';

/** f(w) = ½ wᵀAw − bᵀw for a symmetric positive definite A (row-major n × n). */
function quadratic(a: number[], b: number[]): TronObjective {
  const n = b.length;
  const times = (v: Float64Array, out: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += a[i * n + j]! * v[j]!;
      out[i] = sum;
    }
  };
  const av = new Float64Array(n);
  return {
    size: n,
    value(w) {
      times(w, av);
      let f = 0;
      for (let i = 0; i < n; i++) f += 0.5 * w[i]! * av[i]! - b[i]! * w[i]!;
      return f;
    },
    gradient(w, g) {
      times(w, g);
      for (let i = 0; i < n; i++) g[i]! -= b[i]!;
    },
    hessianTimes: times,
  };
}

function gradientNorm(a: number[], b: number[], w: Float64Array): number {
  const n = b.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let gi = -b[i]!;
    for (let j = 0; j < n; j++) gi += a[i * n + j]! * w[j]!;
    sum += gi * gi;
  }
  return Math.sqrt(sum);
}

// A strictly diagonally dominant (so positive definite) matrix, condition number about 1000, and a right-hand side.
const A = [100, 1, 0, 0, 1, 10, 2, 0, 0, 2, 5, 0.1, 0, 0, 0.1, 0.2];
const B = [1, -2, 3, 0.5];

/** ½‖w‖² + C Σ log(1 + exp(−yᵢ xᵢ·w)) on fixed rows: strictly convex, not quadratic (Newton takes several steps). */
function logistic(x: number[][], y: number[], c: number): TronObjective & { gradientCalls: number; gradientNorm(w: Float64Array): number } {
  const n = x[0]!.length;
  const margin = (i: number, w: Float64Array): number => y[i]! * x[i]!.reduce((sum, v, j) => sum + v * w[j]!, 0);
  const sigma = new Float64Array(y.length);
  const gradientAt = (w: Float64Array, g: Float64Array): void => {
    g.set(w);
    x.forEach((row, i) => {
      const coefficient = -c * y[i]! / (1 + Math.exp(margin(i, w)));
      row.forEach((v, j) => (g[j]! += coefficient * v));
    });
  };
  return {
    size: n,
    gradientCalls: 0,
    value(w) {
      let f = 0.5 * w.reduce((sum, v) => sum + v * v, 0);
      y.forEach((_, i) => (f += c * Math.log1p(Math.exp(-margin(i, w)))));
      return f;
    },
    gradient(w, g) {
      this.gradientCalls++;
      gradientAt(w, g);
      y.forEach((_, i) => {
        const p = 1 / (1 + Math.exp(-margin(i, w)));
        sigma[i] = p * (1 - p);
      });
    },
    hessianTimes(s, out) {
      out.set(s);
      x.forEach((row, i) => {
        const coefficient = c * sigma[i]! * row.reduce((sum, v, j) => sum + v * s[j]!, 0);
        row.forEach((v, j) => (out[j]! += coefficient * v));
      });
    },
    gradientNorm(w) {
      const g = new Float64Array(n);
      gradientAt(w, g);
      return Math.hypot(...g);
    },
  };
}

const ROWS = [[1, 2, 1], [2, -1, 1], [-1, -3, 1], [3, 0.5, 1], [-2, 1, 1], [0.5, -2, 1], [4, 4, 1], [-3, -0.5, 1]];
const LABELS = [1, 1, -1, 1, -1, -1, 1, -1];

describe('minimizeTron', () => {
  it('finds the minimizer of a strictly convex quadratic', () => {
    const { w } = minimizeTron(quadratic(A, B), 1e-9, 1000);
    assert.ok(gradientNorm(A, B, w) <= 1e-9 * Math.hypot(...B), `‖∇f‖ = ${gradientNorm(A, B, w)}`);
  });

  it('stops as soon as ‖∇f‖ ≤ eps·‖∇f(0)‖, not before', () => {
    const eps = 1e-3;
    const objective = logistic(ROWS, LABELS, 10);
    const { w, iterations } = minimizeTron(objective, eps, 1000);
    const initial = objective.gradientNorm(new Float64Array(3));
    assert.ok(objective.gradientNorm(w) <= eps * initial);
    // Every accepted step computes one gradient (plus the one at w = 0); the last one met the rule.
    assert.equal(objective.gradientCalls, iterations + 1);
    const tighter = minimizeTron(logistic(ROWS, LABELS, 10), eps / 1000, 1000);
    assert.ok(tighter.iterations > iterations, `${tighter.iterations} steps at eps/1000, ${iterations} at eps`);
    assert.ok(iterations > 1);
  });

  it('takes at most maxIter accepted steps', () => {
    const objective = logistic(ROWS, LABELS, 10);
    const { w, iterations } = minimizeTron(objective, 1e-10, 2);
    assert.equal(iterations, 2);
    assert.ok(objective.gradientNorm(w) > 1e-10 * objective.gradientNorm(new Float64Array(3)));
  });

  it('returns w = 0 when the gradient at 0 is already zero', () => {
    const { w, iterations } = minimizeTron(quadratic(A, [0, 0, 0, 0]), 1e-4, 100);
    assert.deepEqual(Array.from(w), [0, 0, 0, 0]);
    assert.equal(iterations, 0);
  });
});
