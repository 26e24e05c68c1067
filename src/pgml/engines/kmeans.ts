/**
 * `kmeans` (Lloyd's algorithm from ml-kmeans, k-means++ seeding, best of n_init runs by inertia as
 * scikit-learn's KMeans) and `mini_batch_kmeans` (Sculley's web-scale mini-batch k-means as in
 * sklearn's MiniBatchKMeans: per-centre learning rate 1/count, early stop on stalled inertia).
 * Both predict the index of the nearest centroid.
 */
import { kmeans } from 'ml-kmeans';
import {
  checkHyperparamNames, type Dataset, type Engine, type EngineFactory, type FitOptions, type Task,
} from './engine.js';
import {
  checkPredictShape, choiceParam, decodeState, encodeModel, intParam, invalidParam, notFitted, rangeParam,
  requireFinite, requireTask, seedParam, seededRandom, shuffleInPlace, toRows,
} from './engine-support.js';

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
    initialization: init === 'k-means++' ? ('kmeans++' as const) : ('random' as const),
    maxIterations: intParam(algorithm, hp, 'max_iter', 300),
    tolerance: scaledTolerance(data, rangeParam(algorithm, hp, 'tol', 1e-4, { min: 0 })),
  };
  const random = seededRandom(seedParam(algorithm, hp));
  const points = toRows(data.x, data.rows, data.cols);
  let best: CentroidState | undefined;
  for (let run = 0; run < runs; run++) {
    const result = kmeans(points, k, { ...options, seed: Math.floor(random() * 0x7fffffff) });
    const candidate = { algorithm, cols: data.cols, centroids: result.centroids, inertia: inertia(result.centroids, data) };
    if (!best || candidate.inertia < best.inertia) best = candidate;
  }
  return best!;
}

/** k-means++ seeding (the greedy variant sklearn uses: 2 + ln k candidates per step, keep the best). */
function kmeansPlusPlus(data: Dataset, k: number, random: () => number): number[][] {
  const { x, rows, cols } = data;
  const row = (r: number) => Array.from(x.subarray(r * cols, (r + 1) * cols));
  const centroids = [row(Math.floor(random() * rows))];
  const closest = new Float64Array(rows).fill(Infinity);
  const update = (centre: number[], target: Float64Array) => {
    for (let r = 0; r < rows; r++) {
      let d = 0;
      for (let c = 0; c < cols; c++) d += (x[r * cols + c]! - centre[c]!) ** 2;
      target[r] = Math.min(target[r]!, d);
    }
  };
  update(centroids[0]!, closest);
  const trials = 2 + Math.floor(Math.log(k));
  while (centroids.length < k) {
    const total = closest.reduce((a, b) => a + b, 0);
    let bestCandidate: number[] | undefined;
    let bestPotential = Infinity;
    let bestDistances = closest;
    for (let t = 0; t < trials; t++) {
      let threshold = random() * total;
      let pick = rows - 1;
      for (let r = 0; r < rows; r++) {
        threshold -= closest[r]!;
        if (threshold <= 0) {
          pick = r;
          break;
        }
      }
      const candidate = row(pick);
      const distances = Float64Array.from(closest);
      update(candidate, distances);
      const potential = distances.reduce((a, b) => a + b, 0);
      if (potential < bestPotential) {
        bestPotential = potential;
        bestCandidate = candidate;
        bestDistances = distances;
      }
    }
    centroids.push(bestCandidate!);
    closest.set(bestDistances);
  }
  return centroids;
}

function fitMiniBatch(data: Dataset, hp: Record<string, unknown>): CentroidState {
  const algorithm = 'mini_batch_kmeans';
  const k = clusterCount(algorithm, hp, data);
  const init = choiceParam(algorithm, hp, 'init', 'k-means++', INITS);
  const batchSize = Math.min(intParam(algorithm, hp, 'batch_size', 1024), data.rows);
  const maxIter = intParam(algorithm, hp, 'max_iter', 100);
  const maxNoImprovement = intParam(algorithm, hp, 'max_no_improvement', 10);
  const tol = scaledTolerance(data, rangeParam(algorithm, hp, 'tol', 0, { min: 0 }));
  const random = seededRandom(seedParam(algorithm, hp));
  const { x, rows, cols } = data;

  const order = Int32Array.from({ length: rows }, (_, i) => i);
  const centroids = init === 'k-means++'
    ? kmeansPlusPlus(data, k, random)
    : (shuffleInPlace(order, random), Array.from(order.subarray(0, k), (r) => Array.from(x.subarray(r * cols, (r + 1) * cols))));
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
