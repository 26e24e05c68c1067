/**
 * `affinity_propagation`: scikit-learn's AffinityPropagation on negative squared euclidean
 * similarities, preference = their median by default, a little seeded noise to break ties, and the
 * damped responsibility / availability updates until the exemplar set has not changed for
 * convergence_iter iterations (max_iter at most); then sklearn's refinement of each cluster's exemplar.
 * Predicts the nearest exemplar. A fit that finds no exemplar is refused instead of labelling every row −1.
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { Dataset } from './engine.js';
import { intParam, rangeParam, seedParam, seededRandom, choiceParam } from './engine-support.js';
import { clusteringFactory, type CentreModel } from './clustering-support.js';
import { requireKernelRows } from './kernels.js';

const ALGORITHM = 'affinity_propagation';
const EPS = 2.220446049250313e-16;
const TINY = 2.2250738585072014e-308;

function standardNormal(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function fit(data: Dataset, hp: Record<string, unknown>): CentreModel {
  const { x, rows: n, cols } = data;
  requireKernelRows(ALGORITHM, n, 'similarity matrix');
  choiceParam(ALGORITHM, hp, 'affinity', 'euclidean', ['euclidean']);
  const damping = rangeParam(ALGORITHM, hp, 'damping', 0.5, { min: 0.5, max: 1 });
  if (damping >= 1) throw new PgError(SqlState.InvalidParameterValue, `hyperparameter damping for ${ALGORITHM} must be in [0.5, 1), got ${damping}`);
  const maxIter = intParam(ALGORITHM, hp, 'max_iter', 200);
  const convergenceIter = intParam(ALGORITHM, hp, 'convergence_iter', 15);
  const s = negativeSquaredDistances(x, n, cols);
  const preference = hp.preference === undefined || hp.preference === null
    ? median(s)
    : rangeParam(ALGORITHM, hp, 'preference', 0, {});
  if (n === 1) return { centres: Array.from(x) };
  for (let i = 0; i < n; i++) s[i * n + i] = preference;
  addTieNoise(s, standardNormal(seededRandom(seedParam(ALGORITHM, hp))));

  const exemplars = passMessages(s, n, damping, maxIter, convergenceIter);
  let chosen = exemplars.reduce<number[]>((acc, e, k) => (e ? [...acc, k] : acc), []);
  if (chosen.length === 0) {
    throw new PgError(SqlState.InvalidParameterValue, `${ALGORITHM} found no exemplar in ${maxIter} iterations`, {
      hint: 'raise max_iter or damping, or set preference (a larger preference gives more clusters)',
    });
  }
  const assign = (centres: number[]) =>
    Int32Array.from({ length: n }, (_, i) => {
      const own = centres.indexOf(i);
      if (own >= 0) return own;
      let best = 0;
      for (let k = 1; k < centres.length; k++) if (s[i * n + centres[k]!]! > s[i * n + centres[best]!]!) best = k;
      return best;
    });
  // Refinement: each cluster's exemplar becomes the member with the largest summed similarity to the others.
  const clusters = assign(chosen);
  chosen = chosen.map((_, k) => {
    const members = [...clusters.keys()].filter((i) => clusters[i] === k);
    let best = members[0]!;
    let bestSum = -Infinity;
    for (const j of members) {
      let sum = 0;
      for (const i of members) sum += s[i * n + j]!;
      if (sum > bestSum) {
        bestSum = sum;
        best = j;
      }
    }
    return best;
  });
  const centres = [...new Set(chosen)].sort((p, q) => p - q);
  return { centres: centres.flatMap((i) => Array.from(x.subarray(i * cols, (i + 1) * cols))) };
}

/*
 * The loops over the n × n matrix live in functions of typed arrays and numbers: `fit` itself is
 * deoptimized by a user's first Dataset (another object shape than the warm-up's), and a loop inside
 * it would run unoptimized again until TurboFan had recompiled it (tens of ms on a loaded machine).
 */

/** −‖x_i − x_j‖² for every pair, from the upper triangle. */
function negativeSquaredDistances(x: Float32Array, n: number, cols: number): Float64Array {
  const s = new Float64Array(n * n);
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

/** sklearn's tie-breaking noise: s += (ε·s + 100·tiny) · N(0, 1). */
function addTieNoise(s: Float64Array, normal: () => number): void {
  for (let i = 0; i < s.length; i++) s[i]! += (EPS * s[i]! + TINY * 100) * normal();
}

/**
 * The damped responsibility and availability updates, row by row over typed arrays, until the exemplar
 * set has been the same for convergence_iter iterations (sklearn's test, counted per sample) or max_iter.
 * Two passes over the n × n matrices an iteration: the new responsibilities (summing their positive
 * parts by column on the way), then the availabilities, each row's two largest a + s for the next
 * iteration's responsibilities found as its availabilities are written (instead of a third pass). The
 * first iteration's come from an availability pass over the zero messages, not from a function of their
 * own: called once a fit, it would still be compiling during a user's first fit after the warm-up.
 *
 * The positive and negative parts are taken without a branch, (v + |v|) / 2 and (u − |u|) / 2: the signs
 * of the responsibilities follow no pattern the processor predicts, and the branches cost a fifth of the
 * passes (BENCHMARKS.md, small2). Both are exact (the same double as max(v, 0), min(u, 0), signed zeros
 * included) unless v + |v| or u − |u| overflows, at |v| ≥ 2¹⁰²³: an overflow leaves an availability NaN
 * or infinite, which the passes' finiteness sum shows, and the passes then run again with branches.
 */
export function passMessages(s: Float64Array, n: number, damping: number, maxIter: number, convergenceIter: number): Uint8Array {
  const fast = runPasses(s, n, damping, maxIter, convergenceIter, false);
  return fast ?? runPasses(s, n, damping, maxIter, convergenceIter, true)!;
}

/** passMessages' passes; undefined when a branch-free part overflowed (never with `exact`). */
function runPasses(
  s: Float64Array, n: number, damping: number, maxIter: number, convergenceIter: number, exact: boolean,
): Uint8Array | undefined {
  const a = new Float64Array(n * n);
  const r = new Float64Array(n * n);
  const columnSums = new Float64Array(n);
  const largest: RowMaxima = { first: new Float64Array(n), second: new Float64Array(n), arg: new Int32Array(n) };
  const history = new Uint8Array(convergenceIter * n);
  const timesExemplar = new Int32Array(n);
  const exemplars = new Uint8Array(n);
  // The first iteration's maxima, of 0 + s: an availability pass over the zero messages leaves a at +0.
  let poisoned = updateAvailabilities(r, a, s, n, damping, columnSums, largest, exact);
  for (let it = 0; it < maxIter; it++) {
    updateResponsibilities(s, r, n, damping, columnSums, largest, exact);
    poisoned += updateAvailabilities(r, a, s, n, damping, columnSums, largest, exact);
    const slot = (it % convergenceIter) * n;
    let count = 0;
    for (let k = 0; k < n; k++) {
      const e = a[k * n + k]! + r[k * n + k]! > 0 ? 1 : 0;
      exemplars[k] = e;
      count += e;
      timesExemplar[k]! += e - history[slot + k]!;
      history[slot + k] = e;
    }
    if (it >= convergenceIter && count > 0) {
      let stable = true;
      for (let k = 0; k < n && stable; k++) stable = timesExemplar[k] === 0 || timesExemplar[k] === convergenceIter;
      if (stable) break;
    }
  }
  return exact || poisoned === 0 ? exemplars : undefined;
}

/** Each row's largest a(i,k) + s(i,k), its column (the first of equals), and the largest of the other columns. */
interface RowMaxima {
  first: Float64Array;
  second: Float64Array;
  arg: Int32Array;
}

/** max(v, 0); branch-free unless `exact` (see passMessages). */
function positivePart(v: number, exact: boolean): number {
  return exact ? (v > 0 ? v : 0) : (v + Math.abs(v)) * 0.5;
}

/** min(u, 0); branch-free unless `exact`. */
function negativePart(u: number, exact: boolean): number {
  return exact ? (u > 0 ? 0 : u) : (u - Math.abs(u)) * 0.5;
}

/**
 * r(i,k) ← s(i,k) − max_{k'≠k} (a(i,k') + s(i,k')), damped; columnSums(k) ← r(k,k) + Σ_{i≠k} max(0, r(i,k)).
 */
function updateResponsibilities(
  s: Float64Array, r: Float64Array, n: number, damping: number, columnSums: Float64Array, largest: RowMaxima, exact: boolean,
): void {
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
      columnSums[k]! += k === i ? v : positivePart(v, exact);
    }
  }
}

/**
 * a(i,k) ← min(0, r(k,k) + Σ_{i'∉{i,k}} max(0, r(i',k))), a(k,k) ← Σ_{i'≠k} max(0, r(i',k)), damped;
 * and the RowMaxima of the new a + s. Returns Σ a·0: NaN when an availability is NaN or infinite.
 */
function updateAvailabilities(
  r: Float64Array, a: Float64Array, s: Float64Array, n: number, damping: number, columnSums: Float64Array, largest: RowMaxima,
  exact: boolean,
): number {
  const keep = 1 - damping;
  let poisoned = 0;
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let first = -Infinity;
    let second = -Infinity;
    let arg = 0;
    for (let k = 0; k < n; k++) {
      const v = r[row + k]!;
      const update = k === i ? columnSums[k]! - v : negativePart(columnSums[k]! - positivePart(v, exact), exact);
      const next = damping * a[row + k]! + keep * update;
      a[row + k] = next;
      poisoned += next * 0;
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
  return poisoned;
}

/** np.median of the n² similarities by selection (Hoare's quickselect), without sorting them all. */
export function median(values: Float64Array): number {
  const a = Float64Array.from(values);
  const mid = a.length >> 1;
  selectInPlace(a, mid);
  if (a.length % 2) return a[mid]!;
  // Everything before mid is at most a[mid]: the other middle value is the largest of them.
  let below = -Infinity;
  for (let i = 0; i < mid; i++) if (a[i]! > below) below = a[i]!;
  return (below + a[mid]!) / 2;
}

/** Reorders `a` so that a[k] is its k-th smallest value, the values before it no larger, those after no smaller. */
function selectInPlace(a: Float64Array, k: number): void {
  let lo = 0;
  let hi = a.length - 1;
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
