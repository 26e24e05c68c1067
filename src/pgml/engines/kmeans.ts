/**
 * `kmeans` (Lloyd's algorithm from ml-kmeans, started from scikit-learn's own seeding: k-means++ or
 * random rows drawn from numpy's generator; best of n_init runs by inertia as scikit-learn's KMeans) and
 * `mini_batch_kmeans` (Sculley's web-scale mini-batch k-means as in sklearn's MiniBatchKMeans: the same
 * seeding, per-centre learning rate 1/count, early stop on stalled inertia).
 * Both predict the index of the nearest centroid.
 */
import { kmeans } from 'ml-kmeans';
import {
  checkHyperparamNames, type Dataset, type Engine, type EngineFactory, type FitOptions, type Task,
} from './engine.js';
import {
  checkPredictShape, choiceParam, decodeState, encodeModel, intParam, invalidParam, notFitted, rangeParam,
  requireFinite, requireTask, seedParam, seededRandom, toRows,
} from './engine-support.js';
import { NumpyRandomState } from './numpy-random.js';

const TASKS: readonly Task[] = ['clustering'];
const FORMAT = 'pgml-proxy/kmeans';
const INITS = ['k-means++', 'random'] as const;

interface CentroidState {
  algorithm: string;
  cols: number;
  centroids: number[][];
  inertia: number;
}

function nearest(centroids: number[][], x: Float32Array, offset: number, cols: number): { index: number; distance: number } {
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

function inertia(centroids: number[][], data: Dataset): number {
  let sum = 0;
  for (let r = 0; r < data.rows; r++) sum += nearest(centroids, data.x, r * data.cols, data.cols).distance;
  return sum;
}

/** sklearn scales tol by the mean per-feature variance so it is independent of the data's units. */
function scaledTolerance(data: Dataset, tol: number): number {
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

function clusterCount(algorithm: string, hp: Record<string, unknown>, data: Dataset): number {
  const k = intParam(algorithm, hp, 'n_clusters', 8);
  if (k > data.rows) throw invalidParam(algorithm, 'n_clusters', `at most the number of rows (${data.rows})`, hp.n_clusters);
  return k;
}

function fitLloyd(data: Dataset, hp: Record<string, unknown>): CentroidState {
  const algorithm = 'kmeans';
  const k = clusterCount(algorithm, hp, data);
  const init = choiceParam(algorithm, hp, 'init', 'k-means++', INITS);
  // sklearn's n_init='auto': one run for k-means++, ten for random seeding.
  const runs = intParam(algorithm, hp, 'n_init', init === 'k-means++' ? 1 : 10);
  const options = {
    maxIterations: intParam(algorithm, hp, 'max_iter', 300),
    tolerance: scaledTolerance(data, rangeParam(algorithm, hp, 'tol', 1e-4, { min: 0 })),
  };
  // One numpy generator for every run's seeding, as sklearn's KMeans.fit passes its random_state on.
  const random = new NumpyRandomState(seedParam(algorithm, hp));
  const points = toRows(data.x, data.rows, data.cols);
  let best: CentroidState | undefined;
  for (let run = 0; run < runs; run++) {
    const initialization = init === 'k-means++' ? kmeansPlusPlus(data, k, random) : randomRows(data, k, random);
    const result = kmeans(points, k, { ...options, initialization });
    const candidate = { algorithm, cols: data.cols, centroids: result.centroids, inertia: inertia(result.centroids, data) };
    if (!best || candidate.inertia < best.inertia) best = candidate;
  }
  return best!;
}

/**
 * scikit-learn's _kmeans_plusplus draw for draw on numpy's generator, so the same random_state seeds
 * the same centres: the first row by choice(n) (a uniform double against the cumulative shares), then
 * for each further centre 2 + ln k candidates drawn by searchsorted(cumsum(squared distance), u × potential),
 * keeping the candidate that lowers the potential most.
 */
function kmeansPlusPlus(data: Dataset, k: number, random: NumpyRandomState): number[][] {
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
function firstChoice(rows: number, u: number): number {
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
function randomRows(data: Dataset, k: number, random: NumpyRandomState): number[][] {
  const { x, cols } = data;
  return Array.from(random.permutation(data.rows).subarray(0, k), (r) => Array.from(x.subarray(r * cols, (r + 1) * cols)));
}

function fitMiniBatch(data: Dataset, hp: Record<string, unknown>): CentroidState {
  const algorithm = 'mini_batch_kmeans';
  const k = clusterCount(algorithm, hp, data);
  const init = choiceParam(algorithm, hp, 'init', 'k-means++', INITS);
  const batchSize = Math.min(intParam(algorithm, hp, 'batch_size', 1024), data.rows);
  const maxIter = intParam(algorithm, hp, 'max_iter', 100);
  const maxNoImprovement = intParam(algorithm, hp, 'max_no_improvement', 10);
  const tol = scaledTolerance(data, rangeParam(algorithm, hp, 'tol', 0, { min: 0 }));
  const seed = seedParam(algorithm, hp);
  const random = seededRandom(seed);
  const { x, rows, cols } = data;

  // Seeding as KMeans seeds; the mini-batches come from our generator (sklearn's differ in any case).
  const seeding = new NumpyRandomState(seed);
  const centroids = init === 'k-means++' ? kmeansPlusPlus(data, k, seeding) : randomRows(data, k, seeding);
  const counts = new Float64Array(k);
  // sklearn's max_iter counts passes over the data, each made of rows / batch_size mini-batches.
  const steps = Math.ceil((maxIter * rows) / batchSize);
  let smoothed: number | undefined;
  let bestSmoothed = Infinity;
  let stalled = 0;
  const assignment = new Int32Array(batchSize);
  for (let step = 0; step < steps; step++) {
    const batch = Int32Array.from({ length: batchSize }, () => Math.floor(random() * rows));
    let batchInertia = 0;
    for (let b = 0; b < batchSize; b++) {
      const hit = nearest(centroids, x, batch[b]! * cols, cols);
      assignment[b] = hit.index;
      batchInertia += hit.distance;
    }
    let shift = 0;
    const old = centroids.map((c) => c.slice());
    for (let b = 0; b < batchSize; b++) {
      const centre = centroids[assignment[b]!]!;
      const rate = 1 / ++counts[assignment[b]!]!;
      const offset = batch[b]! * cols;
      for (let c = 0; c < cols; c++) centre[c]! += rate * (x[offset + c]! - centre[c]!);
    }
    for (let j = 0; j < k; j++) for (let c = 0; c < cols; c++) shift += (centroids[j]![c]! - old[j]![c]!) ** 2;
    if (tol > 0 && shift <= tol) break;
    // Exponentially weighted inertia, as sklearn's convergence check, to ride out noisy batches.
    const alpha = Math.min(1, (batchSize * 2) / (rows + 1));
    smoothed = smoothed === undefined ? batchInertia / batchSize : smoothed * (1 - alpha) + (batchInertia / batchSize) * alpha;
    if (smoothed < bestSmoothed) {
      bestSmoothed = smoothed;
      stalled = 0;
    } else if (++stalled >= maxNoImprovement) {
      break;
    }
  }
  return { algorithm, cols, centroids, inertia: inertia(centroids, data) };
}

class CentroidEngine implements Engine {
  readonly runtime = 'js' as const;

  constructor(
    readonly algorithm: 'kmeans' | 'mini_batch_kmeans',
    private readonly hyperparams: readonly string[],
    private state?: CentroidState,
  ) {}

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    checkHyperparamNames(this.algorithm, options.hyperparams, this.hyperparams);
    requireTask(this.algorithm, options, TASKS);
    requireFinite(this.algorithm, data.x);
    this.state = this.algorithm === 'kmeans' ? fitLloyd(data, options.hyperparams) : fitMiniBatch(data, options.hyperparams);
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted();
    checkPredictShape(this.algorithm, x, rows, state.cols);
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) out[r] = nearest(state.centroids, x, r * state.cols, state.cols).index;
    return out;
  }

  /** Sum of squared distances to the closest centroid on the training rows (sklearn's inertia_). */
  get inertia(): number {
    return this.fitted().inertia;
  }

  async serialize(): Promise<Uint8Array> {
    return encodeModel(FORMAT, this.fitted());
  }

  private fitted(): CentroidState {
    if (!this.state) throw notFitted(this.algorithm);
    return this.state;
  }
}

function factory(algorithm: 'kmeans' | 'mini_batch_kmeans', hyperparams: readonly string[]): EngineFactory {
  return {
    algorithm,
    tasks: TASKS,
    hyperparams,
    create: () => new CentroidEngine(algorithm, hyperparams),
    async deserialize(bytes: Uint8Array): Promise<Engine> {
      const state = decodeState<CentroidState>(FORMAT, algorithm, bytes);
      return new CentroidEngine(algorithm, hyperparams, state);
    },
  };
}

export const kmeansFactory = factory('kmeans', ['n_clusters', 'init', 'n_init', 'max_iter', 'tol', 'random_state']);
export const miniBatchKmeansFactory = factory('mini_batch_kmeans', [
  'n_clusters', 'init', 'batch_size', 'max_iter', 'max_no_improvement', 'tol', 'random_state',
]);
