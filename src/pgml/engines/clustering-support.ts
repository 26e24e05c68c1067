/**
 * The engine shell of the clustering estimators that end in a set of centres and predict the nearest
 * one (affinity_propagation, mean_shift) or the label of the nearest subcluster (birch), as
 * scikit-learn's predict does for each of them.
 */
import { checkHyperparamNames, type Dataset, type Engine, type EngineFactory, type FitOptions } from './engine.js';
import { checkPredictShape, decodeState, encodeModel, notFitted, requireFinite, requireTask } from './engine-support.js';

export interface CentreModel {
  /** Centres, row-major, `cols` wide. */
  centres: number[];
  /** The cluster each centre stands for (birch's global clustering of its subclusters); identity when absent. */
  labels?: number[];
}

export interface ClusteringSpec {
  algorithm: string;
  hyperparams: readonly string[];
  fit(data: Dataset, hyperparams: Record<string, unknown>): CentreModel;
}

interface ClusteringState extends CentreModel {
  algorithm: string;
  cols: number;
}

const FORMAT = 'pgml-proxy/centres';

/** Index of the centre nearest to row r of x (squared euclidean; the first on ties, as argmin). */
export function nearestCentre(centres: ArrayLike<number>, count: number, x: ArrayLike<number>, r: number, cols: number): number {
  let best = 0;
  let bestDistance = Infinity;
  for (let k = 0; k < count; k++) {
    let d = 0;
    for (let c = 0; c < cols; c++) d += (x[r * cols + c]! - centres[k * cols + c]!) ** 2;
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return best;
}

class ClusteringEngine implements Engine {
  readonly runtime = 'js' as const;

  constructor(private readonly spec: ClusteringSpec, private state?: ClusteringState) {}

  get algorithm(): string {
    return this.spec.algorithm;
  }

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    checkHyperparamNames(this.spec.algorithm, options.hyperparams, this.spec.hyperparams);
    requireTask(this.spec.algorithm, options, ['clustering']);
    requireFinite(this.spec.algorithm, data.x);
    this.state = { algorithm: this.spec.algorithm, cols: data.cols, ...this.spec.fit(data, options.hyperparams) };
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted();
    checkPredictShape(state.algorithm, x, rows, state.cols);
    const count = state.centres.length / state.cols;
    return Float32Array.from({ length: rows }, (_, r) => {
      const k = nearestCentre(state.centres, count, x, r, state.cols);
      return state.labels ? state.labels[k]! : k;
    });
  }

  async serialize(): Promise<Uint8Array> {
    return encodeModel(FORMAT, this.fitted());
  }

  private fitted(): ClusteringState {
    if (!this.state) throw notFitted(this.spec.algorithm);
    return this.state;
  }
}

export function clusteringFactory(spec: ClusteringSpec): EngineFactory {
  return {
    algorithm: spec.algorithm,
    tasks: ['clustering'],
    hyperparams: spec.hyperparams,
    create: () => new ClusteringEngine(spec),
    async deserialize(bytes: Uint8Array): Promise<Engine> {
      const state = decodeState<ClusteringState>(FORMAT, spec.algorithm, bytes);
      return new ClusteringEngine(spec, state);
    },
  };
}
