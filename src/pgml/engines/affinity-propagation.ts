/**
 * `affinity_propagation`: scikit-learn's AffinityPropagation on negative squared euclidean
 * similarities, preference = their median by default, a little seeded noise to break ties, and the
 * damped responsibility / availability updates until the exemplar set has not changed for
 * convergence_iter iterations (max_iter at most); then sklearn's refinement of each cluster's exemplar.
 * Predicts the nearest exemplar. A fit that finds no exemplar is refused instead of labelling every row −1.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { Dataset } from './engine.js';
import { intParam, rangeParam, seedParam, seededDraw, choiceParam } from './engine-support.js';
import { clusteringFactory, type CentreModel } from './clustering-support.js';
import { requireKernelRows } from './kernels.js';
import { converged, messageKernel } from './affinity-kernel.js';

const ALGORITHM = 'affinity_propagation';
const EPS = 2.220446049250313e-16;
const TINY = 2.2250738585072014e-308;

function fit(data: Dataset, hp: Record<string, unknown>): CentreModel {
  const { x, rows: n, cols } = data;
  requireKernelRows(ALGORITHM, n, 'similarity matrix');
  choiceParam(ALGORITHM, hp, 'affinity', 'euclidean', ['euclidean']);
  const damping = rangeParam(ALGORITHM, hp, 'damping', 0.5, { min: 0.5, max: 1 });
  if (damping >= 1) throw new PgError(SqlState.InvalidParameterValue, `hyperparameter damping for ${ALGORITHM} must be in [0.5, 1), got ${damping}`);
  const maxIter = intParam(ALGORITHM, hp, 'max_iter', 200);
  const convergenceIter = intParam(ALGORITHM, hp, 'convergence_iter', 15);
  // The similarities are written into the message kernel's memory, where the passes read them.
  const kernel = messageKernel(n);
  const s = negativeSquaredDistances(x, n, cols, kernel?.similarities ?? new Float64Array(n * n));
  const preference = hp.preference === undefined || hp.preference === null
    ? median(s)
    : rangeParam(ALGORITHM, hp, 'preference', 0, {});
  if (n === 1) return { centres: Array.from(x) };
  for (let i = 0; i < n; i++) s[i * n + i] = preference;
  addTieNoise(s, seedParam(ALGORITHM, hp));

  const exemplars = passMessages(s, n, damping, maxIter, convergenceIter, kernel);
  let chosen = exemplars.reduce<number[]>((acc, e, k) => (e ? [...acc, k] : acc), []);
  if (chosen.length === 0) {
    throw new PgError(SqlState.InvalidParameterValue, `${ALGORITHM} found no exemplar in ${maxIter} iterations`, {
      hint: 'raise max_iter or damping, or set preference (a larger preference gives more clusters)',
    });
  }
  // Refinement: each cluster's exemplar becomes the member with the largest summed similarity to the others.
  const refined = Int32Array.from(chosen);
  refineExemplars(s, n, refined);
  chosen = Array.from(refined);
  const centres = [...new Set(chosen)].sort((p, q) => p - q);
  return { centres: centres.flatMap((i) => Array.from(x.subarray(i * cols, (i + 1) * cols))) };
}

/**
 * The refinement, in place: each row joins its own cluster where it is an exemplar, else the exemplar it is most
 * similar to (the first of equals); then each cluster's exemplar becomes its member with the largest summed
 * similarity to its members (the first of equals). One function of typed arrays, as the loops below: as closures
 * over `fit`'s locals (an Int32Array.from callback, a map callback filtering the rows of each cluster), it was too
 * cold in the warm-up's 60-row fits for V8 to optimize, and a user's first iris fit compiled it beside itself,
 * 3.1–3.7 ms of a compiler thread against a 3 ms fit (BENCHMARKS.md, tiny17).
 */
function refineExemplars(s: Float64Array, n: number, exemplars: Int32Array): void {
  const clusters = new Int32Array(n);
  const members = new Int32Array(n);
  const count = exemplars.length;
  for (let i = 0; i < n; i++) {
    let best = -1;
    for (let k = 0; k < count; k++) {
      if (exemplars[k] === i) {
        best = k;
        break;
      }
    }
    if (best < 0) {
      best = 0;
      for (let k = 1; k < count; k++) if (s[i * n + exemplars[k]!]! > s[i * n + exemplars[best]!]!) best = k;
    }
    clusters[i] = best;
  }
  for (let k = 0; k < count; k++) {
    let size = 0;
    for (let i = 0; i < n; i++) if (clusters[i] === k) members[size++] = i;
    let best = members[0]!;
    let bestSum = -Infinity;
    for (let a = 0; a < size; a++) {
      const j = members[a]!;
      let sum = 0;
      for (let m = 0; m < size; m++) sum += s[members[m]! * n + j]!;
      if (sum > bestSum) {
        bestSum = sum;
        best = j;
      }
    }
    exemplars[k] = best;
  }
}

/*
 * The loops over the n × n matrix live in functions of typed arrays and numbers: `fit` itself is
 * deoptimized by a user's first Dataset (another object shape than the warm-up's), and a loop inside
 * it would run unoptimized again until TurboFan had recompiled it (tens of ms on a loaded machine).
 */

/** −‖x_i − x_j‖² for every pair into `s` (zeros), from the upper triangle. */
function negativeSquaredDistances(x: Float32Array, n: number, cols: number, s: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let d = 0;
      for (let c = 0; c < cols; c++) d += (x[i * cols + c]! - x[j * cols + c]!) ** 2;
      s[i * n + j] = -d;
      s[j * n + i] = -d;
    }
  }
  return s;
}

/**
 * sklearn's tie-breaking noise: s += (ε·s + 100·tiny) · N(0, 1), the normal by Box–Muller from seededRandom(seed)'s
 * draws 2i + 1 and 2i + 2 for entry i. Indexed rather than drawn from the generator's closure: the two closure
 * calls an entry were a third of the noise's CPU (BENCHMARKS.md, small4).
 */
function addTieNoise(s: Float64Array, seed: number): void {
  for (let i = 0; i < s.length; i++) {
    const normal = Math.sqrt(-2 * Math.log(1 - seededDraw(seed, 2 * i + 1))) * Math.cos(2 * Math.PI * seededDraw(seed, 2 * i + 2));
    s[i]! += (EPS * s[i]! + TINY * 100) * normal;
  }
}

/**
 * The damped responsibility and availability updates until the exemplar set has been the same for
 * convergence_iter iterations (sklearn's test, counted per sample) or max_iter: in the WebAssembly kernel
 * (affinity-kernel.ts) when its memory can be had, s copied there unless it is the kernel's own. The kernel takes
 * max(v, 0) and min(u, 0) without a branch, (v + |v|)/2 and (u − |u|)/2: the signs of the responsibilities follow
 * no pattern the processor predicts, and the branches cost a fifth of the passes (BENCHMARKS.md, small2). Both
 * are exact (the same double as max(v, 0), min(u, 0), signed zeros included) unless v + |v| or u − |u|
 * overflows, at |v| ≥ 2¹⁰²³: an overflow leaves an availability NaN or infinite, which the kernel reports, and
 * the passes then run again here, in JavaScript with branches.
 */
export function passMessages(
  s: Float64Array, n: number, damping: number, maxIter: number, convergenceIter: number, kernel = messageKernel(n),
): Uint8Array {
  if (kernel) {
    if (kernel.similarities !== s) kernel.similarities.set(s);
    const exemplars = kernel.passMessages(damping, maxIter, convergenceIter);
    if (exemplars) return exemplars;
  }
  return passMessagesWithBranches(s, n, damping, maxIter, convergenceIter);
}

/**
 * The passes row by row over typed arrays, with branches: the responsibilities (summing their positive parts by
 * column on the way), then the availabilities, each row's two largest a + s for the next iteration's
 * responsibilities found as its availabilities are written. The first iteration's come from an availability
 * pass over the zero messages.
 */
function passMessagesWithBranches(s: Float64Array, n: number, damping: number, maxIter: number, convergenceIter: number): Uint8Array {
  const a = new Float64Array(n * n);
  const r = new Float64Array(n * n);
  const columnSums = new Float64Array(n);
  const largest: RowMaxima = { first: new Float64Array(n), second: new Float64Array(n), arg: new Int32Array(n) };
  const diagonal = new Float64Array(n);
  const history = new Uint8Array(convergenceIter * n);
  const timesExemplar = new Int32Array(n);
  const exemplars = new Uint8Array(n);
  // The first iteration's maxima, of 0 + s: an availability pass over the zero messages leaves a at +0.
  updateAvailabilities(r, a, s, n, damping, columnSums, largest);
  for (let it = 0; it < maxIter; it++) {
    updateResponsibilities(s, r, n, damping, columnSums, largest);
    updateAvailabilities(r, a, s, n, damping, columnSums, largest);
    for (let k = 0; k < n; k++) diagonal[k] = a[k * n + k]! + r[k * n + k]!;
    if (converged(diagonal, it, convergenceIter, history, timesExemplar, exemplars)) break;
  }
  return exemplars;
}

/** Each row's largest a(i,k) + s(i,k), its column (the first of equals), and the largest of the other columns. */
interface RowMaxima {
  first: Float64Array;
  second: Float64Array;
  arg: Int32Array;
}

/**
 * r(i,k) ← s(i,k) − max_{k'≠k} (a(i,k') + s(i,k')), damped; columnSums(k) ← r(k,k) + Σ_{i≠k} max(0, r(i,k)).
 */
function updateResponsibilities(s: Float64Array, r: Float64Array, n: number, damping: number, columnSums: Float64Array, largest: RowMaxima): void {
  const keep = 1 - damping;
  columnSums.fill(0);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    const first = largest.first[i]!;
    const second = largest.second[i]!;
    const arg = largest.arg[i]!;
    for (let k = 0; k < n; k++) {
      const v = damping * r[row + k]! + keep * (s[row + k]! - (k === arg ? second : first));
      r[row + k] = v;
      // The diagonal counts whatever its sign.
      columnSums[k]! += k === i || v > 0 ? v : 0;
    }
  }
}

/**
 * a(i,k) ← min(0, r(k,k) + Σ_{i'∉{i,k}} max(0, r(i',k))), a(k,k) ← Σ_{i'≠k} max(0, r(i',k)), damped;
 * and the RowMaxima of the new a + s.
 */
function updateAvailabilities(
  r: Float64Array, a: Float64Array, s: Float64Array, n: number, damping: number, columnSums: Float64Array, largest: RowMaxima,
): void {
  const keep = 1 - damping;
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let first = -Infinity;
    let second = -Infinity;
    let arg = 0;
    for (let k = 0; k < n; k++) {
      const v = r[row + k]!;
      let update: number;
      if (k === i) {
        update = columnSums[k]! - v;
      } else {
        const u = columnSums[k]! - (v > 0 ? v : 0);
        update = u > 0 ? 0 : u;
      }
      const next = damping * a[row + k]! + keep * update;
      a[row + k] = next;
      const sum = next + s[row + k]!;
      if (sum > first) {
        second = first;
        first = sum;
        arg = k;
      } else if (sum > second) {
        second = sum;
      }
    }
    largest.first[i] = first;
    largest.second[i] = second;
    largest.arg[i] = arg;
  }
}

/**
 * np.median of the n² similarities by selection (Hoare's quickselect), without sorting them all. No loop of its own:
 * the second middle value is a second selection, so that V8 never marks this small function for TurboFan. With the
 * largest-below loop here, the warm-up's eighth 60-row fit marked median for TurboFan, and a user's first iris fit
 * compiled it twice beside itself (the call that follows a marking starts the compile; then the loop's OSR), 2 ms of
 * a compiler thread against a 3 ms fit (BENCHMARKS.md, issue 17, ap2).
 */
export function median(values: Float64Array): number {
  const a = values.slice();
  const mid = a.length >> 1;
  selectInPlace(a, mid, 0, a.length - 1);
  if (a.length % 2) return a[mid]!;
  // Everything before mid is at most a[mid]: the other middle value is the largest of them.
  selectInPlace(a, mid - 1, 0, mid - 1);
  return (a[mid - 1]! + a[mid]!) / 2;
}

/**
 * Reorders a[from..to] so that a[k] is its (k − from)-th smallest value, the values before it (from `from`) no larger,
 * those after it (to `to`) no smaller.
 */
function selectInPlace(a: Float64Array, k: number, from: number, to: number): void {
  let lo = from;
  let hi = to;
  while (hi > lo) {
    const [p, q, t] = [a[lo]!, a[(lo + hi) >> 1]!, a[hi]!];
    const pivot = Math.max(Math.min(p, q), Math.min(Math.max(p, q), t));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const swap = a[i]!;
        a[i++] = a[j]!;
        a[j--] = swap;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

export const affinityPropagationFactory = clusteringFactory({
  algorithm: ALGORITHM,
  hyperparams: ['damping', 'max_iter', 'convergence_iter', 'preference', 'affinity', 'random_state'],
  fit,
});
