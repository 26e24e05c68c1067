/**
 * What scikit-learn's KMeans and MiniBatchKMeans share: k-means++ and random seeding drawn from numpy's
 * generator as sklearn draws them, the nearest centre, inertia, the scaled tolerance and n_clusters'
 * check. kmeans.ts (Lloyd) and mini-batch-kmeans.ts build on them.
 */
import type { Dataset } from './engine.js';
import { intParam, invalidParam } from './engine-support.js';
import type { NumpyRandomState } from './numpy-random.js';

export const INITS = ['k-means++', 'random'] as const;

export interface CentroidState {
  algorithm: string;
  cols: number;
  centroids: number[][];
  inertia: number;
}

export function nearest(centroids: number[][], x: Float32Array, offset: number, cols: number): { index: number; distance: number } {
  let index = 0;
  let distance = Infinity;
  for (let k = 0; k < centroids.length; k++) {
    const centre = centroids[k]!;
    let d = 0;
    for (let c = 0; c < cols; c++) d += (x[offset + c]! - centre[c]!) ** 2;
    if (d < distance) {
      distance = d;
      index = k;
    }
  }
  return { index, distance };
}

export function inertia(centroids: number[][], data: Dataset): number {
  let sum = 0;
  for (let r = 0; r < data.rows; r++) sum += nearest(centroids, data.x, r * data.cols, data.cols).distance;
  return sum;
}

/** sklearn scales tol by the mean per-feature variance so it is independent of the data's units. */
export function scaledTolerance(data: Dataset, tol: number): number {
  let total = 0;
  for (let c = 0; c < data.cols; c++) {
    let sum = 0;
    let sumSq = 0;
    for (let r = 0; r < data.rows; r++) {
      const v = data.x[r * data.cols + c]!;
      sum += v;
      sumSq += v * v;
    }
    total += sumSq / data.rows - (sum / data.rows) ** 2;
  }
  return (tol * total) / data.cols;
}

export function clusterCount(algorithm: string, hp: Record<string, unknown>, data: Dataset): number {
  const k = intParam(algorithm, hp, 'n_clusters', 8);
  if (k > data.rows) throw invalidParam(algorithm, 'n_clusters', `at most the number of rows (${data.rows})`, hp.n_clusters);
  return k;
}

/**
 * scikit-learn's _kmeans_plusplus draw for draw on numpy's generator, so the same random_state seeds
 * the same centres: the first row by choice(n) (a uniform double against the cumulative shares), then
 * for each further centre 2 + ln k candidates drawn by searchsorted(cumsum(squared distance), u × potential),
 * keeping the candidate that lowers the potential most.
 */
export function kmeansPlusPlus(data: Dataset, k: number, random: NumpyRandomState): number[][] {
  const { x, rows, cols } = data;
  const row = (r: number) => Array.from(x.subarray(r * cols, (r + 1) * cols));
  const distancesTo = (centre: number[]) => {
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let d = 0;
      for (let c = 0; c < cols; c++) d += (x[r * cols + c]! - centre[c]!) ** 2;
      out[r] = d;
    }
    return out;
  };
  const sum = (values: Float64Array) => values.reduce((a, b) => a + b, 0);
  const centroids = [row(firstChoice(rows, random.randomSample()))];
  let closest: Float64Array = distancesTo(centroids[0]!);
  let potential = sum(closest);
  const trials = 2 + Math.floor(Math.log(k));
  const cumulative = new Float64Array(rows);
  while (centroids.length < k) {
    let running = 0;
    for (let r = 0; r < rows; r++) cumulative[r] = running += closest[r]!;
    const draws = Array.from({ length: trials }, () => random.randomSample() * potential);
    let best: { centre: number[]; distances: Float64Array; potential: number } | undefined;
    for (const draw of draws) {
      const centre = row(Math.min(searchsortedLeft(cumulative, draw), rows - 1));
      const distances = distancesTo(centre);
      for (let r = 0; r < rows; r++) distances[r] = Math.min(distances[r]!, closest[r]!);
      const candidatePotential = sum(distances);
      if (best === undefined || candidatePotential < best.potential) best = { centre, distances, potential: candidatePotential };
    }
    centroids.push(best!.centre);
    closest = best!.distances;
    potential = best!.potential;
  }
  return centroids;
}

/** numpy's choice(n, p=uniform): the cumulative shares, normalised by the last, searched right of u. */
export function firstChoice(rows: number, u: number): number {
  const cdf = new Float64Array(rows);
  let running = 0;
  for (let r = 0; r < rows; r++) cdf[r] = running += 1 / rows;
  let index = 0;
  while (index < rows && cdf[index]! / running <= u) index++;
  return Math.min(index, rows - 1);
}

/** np.searchsorted(sorted, value): the first index whose value is >= value. */
function searchsortedLeft(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** sklearn's init='random': the first k rows of a numpy permutation. */
export function randomRows(data: Dataset, k: number, random: NumpyRandomState): number[][] {
  const { x, cols } = data;
  return Array.from(random.permutation(data.rows).subarray(0, k), (r) => Array.from(x.subarray(r * cols, (r + 1) * cols)));
}

