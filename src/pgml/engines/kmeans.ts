/**
 * `kmeans` (Lloyd's algorithm from ml-kmeans, started from scikit-learn's own seeding: k-means++ or
 * random rows drawn from numpy's generator; best of n_init runs by inertia as scikit-learn's KMeans) and
 * `mini_batch_kmeans` (scikit-learn's MiniBatchKMeans, draw for draw: mini-batch-kmeans.ts).
 * Both predict the index of the nearest centroid.
 */
import { kmeans } from 'ml-kmeans';
import {
  checkHyperparamNames, type Dataset, type Engine, type EngineFactory, type FitOptions, type Task,
} from './engine.js';
import {
  checkPredictShape, choiceParam, decodeState, encodeModel, intParam, notFitted, rangeParam, requireFinite,
  requireTask, seedParam, toRows,
} from './engine-support.js';
import {
  clusterCount, inertia, INITS, kmeansPlusPlus, nearest, randomRows, scaledTolerance, type CentroidState,
} from './kmeans-seeding.js';
import { fitMiniBatch } from './mini-batch-kmeans.js';
import { NumpyRandomState } from './numpy-random.js';

const TASKS: readonly Task[] = ['clustering'];
const FORMAT = 'pgml-proxy/kmeans';

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
  'n_clusters', 'init', 'n_init', 'init_size', 'batch_size', 'max_iter', 'max_no_improvement', 'reassignment_ratio', 'tol',
  'random_state',
]);
