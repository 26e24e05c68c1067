/**
 * The few float64 vector loops the quasi-Newton solvers share (lbfgs.ts, lbfgs-b.ts), summed in index
 * order so that a solver's iterates do not depend on which module runs them. Each loop is its own small
 * function: called every iteration, it is optimized during an engine thread's warm-up (warm-up.ts), where
 * the same loop inside a solver's one long call ran unoptimized through a user's first fit.
 */

export function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** y += a·x */
export function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i]! += a * x[i]!;
}

/** out = x + a·d */
export function pointAlong(out: Float64Array, x: Float64Array, a: number, d: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = x[i]! + a * d[i]!;
}

/** x = a·x */
export function scale(a: number, x: Float64Array): void {
  for (let i = 0; i < x.length; i++) x[i]! *= a;
}

/** out = −x */
export function negate(out: Float64Array, x: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = -x[i]!;
}

export function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
