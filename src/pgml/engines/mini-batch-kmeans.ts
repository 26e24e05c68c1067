/**
 * `mini_batch_kmeans`: scikit-learn's MiniBatchKMeans.fit step for step, on numpy's generator drawn in
 * sklearn's order, so that the same random_state gives the same centres (up to rounding):
 * a validation sample of init_size rows (randint), n_init seedings (k-means++ or random, each on its
 * own init_size sample when that is smaller than the data) kept by their inertia on the validation
 * rows, then floor(max_iter · rows / batch_size) steps, each on batch_size rows drawn with replacement
 * (choice), that move every centre to the running mean of the rows it has been given (counts kept
 * across steps), move centres that got under reassignment_ratio of the largest count onto random rows
 * of the batch, and stop early on the tolerance or when the smoothed batch inertia has not improved for
 * max_no_improvement steps. The earlier port drew its batches from another generator, skipped the
 * validation draw, the reassignment and sklearn's first-step rule: on iris its labels were not sklearn's.
 */
import type { Dataset } from './engine.js';
import { choiceParam, intParam, rangeParam, seedParam } from './engine-support.js';
import {
  clusterCount, inertia, INITS, kmeansPlusPlus, scaledTolerance, type CentroidState,
} from './kmeans-seeding.js';
import { choiceWithoutReplacement, NumpyRandomState } from './numpy-random.js';

const ALGORITHM = 'mini_batch_kmeans';

interface MiniBatchOptions {
  k: number;
  init: (typeof INITS)[number];
  runs: number;
  batchSize: number;
  initSize: number;
  maxIter: number;
  maxNoImprovement: number;
  reassignmentRatio: number;
  tol: number;
}

/** sklearn's parameters and their defaults, as _check_params_vs_input resolves them. */
function options(data: Dataset, hp: Record<string, unknown>): MiniBatchOptions {
  const k = clusterCount(ALGORITHM, hp, data);
  const init = choiceParam(ALGORITHM, hp, 'init', 'k-means++', INITS);
  const batchSize = Math.min(intParam(ALGORITHM, hp, 'batch_size', 1024), data.rows);
  // init_size: 3 × batch_size by default, and never under 3 × n_clusters; at most the rows.
  const requestedInitSize = intParam(ALGORITHM, hp, 'init_size', 3 * batchSize);
  const initSize = Math.min(requestedInitSize < k ? 3 * k : requestedInitSize, data.rows);
  return {
    k,
    init,
    // n_init='auto': one seeding for k-means++, three for random.
    runs: intParam(ALGORITHM, hp, 'n_init', init === 'k-means++' ? 1 : 3),
    batchSize,
    initSize,
    maxIter: intParam(ALGORITHM, hp, 'max_iter', 100),
    // None (SQL null) turns the inertia rule off, as in sklearn.
    maxNoImprovement: hp.max_no_improvement === null ? Infinity : intParam(ALGORITHM, hp, 'max_no_improvement', 10, 0),
    reassignmentRatio: rangeParam(ALGORITHM, hp, 'reassignment_ratio', 0.01, { min: 0 }),
    tol: scaledTolerance(data, rangeParam(ALGORITHM, hp, 'tol', 0, { min: 0 })),
  };
}

/** The rows of `data` at `indices`, as a dataset of their own (X[indices]). */
function rowsAt(data: Dataset, indices: Int32Array): Dataset {
  const { x, cols } = data;
  const out = new Float32Array(indices.length * cols);
  for (let i = 0; i < indices.length; i++) out.set(x.subarray(indices[i]! * cols, (indices[i]! + 1) * cols), i * cols);
  return { x: out, rows: indices.length, cols };
}

/** RandomState.randint(0, n, size). */
function randint(random: NumpyRandomState, n: number, size: number): Int32Array {
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) out[i] = random.bounded(n - 1);
  return out;
}

/** The best of n_init seedings by inertia on a validation sample, as MiniBatchKMeans.fit picks its start. */
function seedCentres(data: Dataset, o: MiniBatchOptions, random: NumpyRandomState): Float64Array {
  const validation = rowsAt(data, randint(random, data.rows, o.initSize));
  let best: { centroids: number[][]; inertia: number } | undefined;
  for (let run = 0; run < o.runs; run++) {
    const sample = o.initSize < data.rows ? rowsAt(data, randint(random, data.rows, o.initSize)) : data;
    const centroids =
      o.init === 'k-means++'
        ? kmeansPlusPlus(sample, o.k, random)
        : Array.from(choiceWithoutReplacement(random, sample.rows, o.k), (r) => Array.from(sample.x.subarray(r * sample.cols, (r + 1) * sample.cols)));
    const candidate = inertia(centroids, validation);
    if (!best || candidate < best.inertia) best = { centroids, inertia: candidate };
  }
  return Float64Array.from(best!.centroids.flat());
}

/**
 * numpy's choice(n, size, p=uniform) with replacement: one double each, searched right of in the
 * cumulative shares (summed as cumsum, normalised by the last), as firstChoice does for one draw.
 */
class UniformChoice {
  private readonly cdf: Float64Array;

  constructor(n: number) {
    this.cdf = new Float64Array(n);
    let running = 0;
    for (let r = 0; r < n; r++) this.cdf[r] = running += 1 / n;
    for (let r = 0; r < n; r++) this.cdf[r]! /= running;
  }

  draw(random: NumpyRandomState): number {
    const u = random.randomSample();
    const cdf = this.cdf;
    let lo = 0;
    let hi = cdf.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! <= u) lo = mid + 1;
      else hi = mid;
    }
    // The last share is 1 and u < 1: lo is a row.
    return lo;
  }
}

/** The running state of the steps: centres, the rows each has been given, the early-stop monitor. */
interface Steps {
  centres: Float64Array;
  next: Float64Array;
  counts: Float64Array;
  sinceReassign: number;
  ewaInertia: number | undefined;
  ewaInertiaMin: number | undefined;
  noImprovement: number;
}

/** Labels of the batch rows against the centres (the first nearest on ties), and their inertia. */
function assign(x: Float32Array, batch: Int32Array, cols: number, centres: Float64Array, k: number, labels: Int32Array): number {
  let total = 0;
  for (let b = 0; b < batch.length; b++) {
    const offset = batch[b]! * cols;
    let best = 0;
    let bestDistance = Infinity;
    for (let j = 0; j < k; j++) {
      let d = 0;
      for (let c = 0; c < cols; c++) {
        const diff = x[offset + c]! - centres[j * cols + c]!;
        d += diff * diff;
      }
      if (d < bestDistance) {
        bestDistance = d;
        best = j;
      }
    }
    labels[b] = best;
    total += bestDistance;
  }
  return total;
}

/**
 * sklearn's _minibatch_update_dense: each centre given rows in this batch becomes the mean of every row
 * it has been given (its old value weighted by its count, then this batch's rows in batch order).
 */
function updateCentres(x: Float32Array, batch: Int32Array, cols: number, labels: Int32Array, s: Steps, k: number): void {
  const { centres, next, counts } = s;
  for (let j = 0; j < k; j++) {
    let given = 0;
    for (let b = 0; b < batch.length; b++) if (labels[b] === j) given++;
    const base = j * cols;
    if (given === 0) {
      for (let c = 0; c < cols; c++) next[base + c] = centres[base + c]!;
      continue;
    }
    for (let c = 0; c < cols; c++) next[base + c] = centres[base + c]! * counts[j]!;
    for (let b = 0; b < batch.length; b++) {
      if (labels[b] !== j) continue;
      const offset = batch[b]! * cols;
      for (let c = 0; c < cols; c++) next[base + c]! += x[offset + c]!;
    }
    counts[j]! += given;
    const alpha = 1 / counts[j]!;
    for (let c = 0; c < cols; c++) next[base + c]! *= alpha;
  }
}

/**
 * sklearn's reassignment: centres whose count is under `ratio` of the largest (at most half the batch,
 * the lowest counts) move onto distinct random rows of the batch, and their counts become the smallest
 * count kept.
 */
function reassign(x: Float32Array, batch: Int32Array, cols: number, s: Steps, k: number, ratio: number, random: NumpyRandomState): void {
  const { counts, next } = s;
  let largest = 0;
  for (let j = 0; j < k; j++) largest = Math.max(largest, counts[j]!);
  const moved: boolean[] = Array.from(counts, (count) => count < ratio * largest);
  let movedCount = moved.filter(Boolean).length;
  if (movedCount > 0.5 * batch.length) {
    // np.argsort(counts)[int(0.5 · batch):] stay (a stable order: numpy sorts a few values by insertion).
    const order = Array.from(counts.keys()).sort((a, b) => counts[a]! - counts[b]!);
    for (const j of order.slice(Math.floor(0.5 * batch.length))) moved[j] = false;
    movedCount = moved.filter(Boolean).length;
  }
  if (movedCount > 0) {
    const rows = random.permutation(batch.length);
    let pick = 0;
    for (let j = 0; j < k; j++) {
      if (!moved[j]) continue;
      const offset = batch[rows[pick++]!]! * cols;
      for (let c = 0; c < cols; c++) next[j * cols + c] = x[offset + c]!;
    }
  }
  let smallestKept = Infinity;
  for (let j = 0; j < k; j++) if (!moved[j]) smallestKept = Math.min(smallestKept, counts[j]!);
  for (let j = 0; j < k; j++) if (moved[j]) counts[j] = smallestKept;
}

/** sklearn's _mini_batch_convergence: true when the steps should stop after step `step` (0-based). */
function converged(s: Steps, step: number, batchInertia: number, centresShift: number, o: MiniBatchOptions, rows: number): boolean {
  // The first step's inertia is the seeding's: left out of the average.
  if (step === 0) return false;
  const mean = batchInertia / o.batchSize;
  if (s.ewaInertia === undefined) s.ewaInertia = mean;
  else {
    const alpha = Math.min((o.batchSize * 2) / (rows + 1), 1);
    s.ewaInertia = s.ewaInertia * (1 - alpha) + mean * alpha;
  }
  if (o.tol > 0 && centresShift <= o.tol) return true;
  if (s.ewaInertiaMin === undefined || s.ewaInertia < s.ewaInertiaMin) {
    s.noImprovement = 0;
    s.ewaInertiaMin = s.ewaInertia;
  } else {
    s.noImprovement++;
  }
  return s.noImprovement >= o.maxNoImprovement;
}

export function fitMiniBatch(data: Dataset, hp: Record<string, unknown>): CentroidState {
  const o = options(data, hp);
  const { x, rows, cols } = data;
  const { k, batchSize } = o;
  const random = new NumpyRandomState(seedParam(ALGORITHM, hp));
  const s: Steps = {
    centres: seedCentres(data, o, random),
    next: new Float64Array(k * cols),
    counts: new Float64Array(k),
    sinceReassign: 0,
    ewaInertia: undefined,
    ewaInertiaMin: undefined,
    noImprovement: 0,
  };
  const choice = new UniformChoice(rows);
  const batch = new Int32Array(batchSize);
  const labels = new Int32Array(batchSize);
  const steps = Math.floor((o.maxIter * rows) / batchSize);
  for (let step = 0; step < steps; step++) {
    for (let b = 0; b < batchSize; b++) batch[b] = choice.draw(random);
    // _random_reassign, asked before the step: whenever a centre has no rows yet, else every 10·k rows.
    s.sinceReassign += batchSize;
    let reassignNow = false;
    if (s.counts.some((count) => count === 0) || s.sinceReassign >= 10 * k) {
      s.sinceReassign = 0;
      reassignNow = true;
    }
    const batchInertia = assign(x, batch, cols, s.centres, k, labels);
    updateCentres(x, batch, cols, labels, s, k);
    if (reassignNow && o.reassignmentRatio > 0) reassign(x, batch, cols, s, k, o.reassignmentRatio, random);
    let shift = 0;
    if (o.tol > 0) for (let i = 0; i < k * cols; i++) shift += (s.next[i]! - s.centres[i]!) ** 2;
    [s.centres, s.next] = [s.next, s.centres];
    if (converged(s, step, batchInertia, shift, o, rows)) break;
  }
  const centroids = Array.from({ length: k }, (_, j) => Array.from(s.centres.subarray(j * cols, (j + 1) * cols)));
  return { algorithm: ALGORITHM, cols, centroids, inertia: inertia(centroids, data) };
}
