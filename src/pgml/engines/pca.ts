/**
 * `pca`: decomposition via ml-pca (SVD of the centred data), with scikit-learn's PCA conventions so
 * results line up: n_components defaults to min(rows, cols), a fraction in (0, 1) keeps the fewest
 * components explaining that share of variance, and each component's sign is fixed the way sklearn's
 * svd_flip does (largest-magnitude loading positive). Predict returns the projected rows.
 */
import { PCA } from 'ml-pca';
import { PgError, SqlState } from '../../errors/index.js';
import {
  checkHyperparamNames, numberParam, type Dataset, type Engine, type EngineFactory, type FitOptions, type Task,
} from './engine.js';
import {
  checkPredictShape, columnMeans, decodeModel, encodeModel, invalidParam, notFitted, requireFinite, requireTask, toRows,
} from './engine-support.js';

const ALGORITHM = 'pca';
const FORMAT = 'pgml-proxy/pca';
const TASKS: readonly Task[] = ['decomposition'];
const HYPERPARAMS = ['n_components'] as const;

interface PcaState {
  cols: number;
  mean: number[];
  /** One unit-length loading vector (length cols) per kept component. */
  components: number[][];
  explainedVarianceRatio: number[];
}

class PcaEngine implements Engine {
  readonly algorithm = ALGORITHM;
  readonly runtime = 'js' as const;

  constructor(private state?: PcaState) {}

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    checkHyperparamNames(ALGORITHM, options.hyperparams, HYPERPARAMS);
    requireTask(ALGORITHM, options, TASKS);
    requireFinite(ALGORITHM, data.x);
    if (data.rows < 2) throw new PgError(SqlState.InvalidParameterValue, 'pca needs at least 2 training rows');
    const pca = new PCA(toRows(data.x, data.rows, data.cols), { center: true, scale: false, method: 'SVD' });
    const ratios = pca.getExplainedVariance();
    const keep = componentCount(options.hyperparams, Math.min(data.rows, data.cols), ratios);
    const vectors = pca.getEigenvectors();
    const components: number[][] = [];
    for (let k = 0; k < keep; k++) {
      const loading = vectors.getColumn(k);
      let largest = 0;
      for (let c = 1; c < loading.length; c++) if (Math.abs(loading[c]!) > Math.abs(loading[largest]!)) largest = c;
      components.push(loading[largest]! < 0 ? loading.map((v) => -v) : loading);
    }
    this.state = {
      cols: data.cols,
      mean: Array.from(columnMeans(data.x, data.rows, data.cols)),
      components,
      explainedVarianceRatio: ratios.slice(0, keep),
    };
  }

  /** rows × n_components, row-major. */
  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted();
    checkPredictShape(ALGORITHM, x, rows, state.cols);
    const k = state.components.length;
    const out = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < k; j++) {
        const component = state.components[j]!;
        let s = 0;
        for (let c = 0; c < state.cols; c++) s += (x[r * state.cols + c]! - state.mean[c]!) * component[c]!;
        out[r * k + j] = s;
      }
    }
    return out;
  }

  /** Share of the training variance each kept component explains (sklearn's explained_variance_ratio_). */
  get explainedVarianceRatio(): readonly number[] {
    return this.fitted().explainedVarianceRatio;
  }

  async serialize(): Promise<Uint8Array> {
    return encodeModel(FORMAT, this.fitted());
  }

  private fitted(): PcaState {
    if (!this.state) throw notFitted(ALGORITHM);
    return this.state;
  }
}

function componentCount(hp: Record<string, unknown>, max: number, ratios: number[]): number {
  const requested = numberParam(ALGORITHM, hp, 'n_components', max);
  if (requested > 0 && requested < 1) {
    let cumulative = 0;
    for (let k = 0; k < max; k++) {
      cumulative += ratios[k]!;
      if (cumulative >= requested) return k + 1;
    }
    return max;
  }
  if (!Number.isInteger(requested) || requested < 1 || requested > max) {
    throw invalidParam(ALGORITHM, 'n_components', `an integer between 1 and min(rows, features) = ${max}, or a fraction in (0, 1)`, hp.n_components);
  }
  return requested;
}

export const pcaFactory: EngineFactory = {
  algorithm: ALGORITHM,
  tasks: TASKS,
  hyperparams: HYPERPARAMS,
  create: () => new PcaEngine(),
  async deserialize(bytes: Uint8Array): Promise<Engine> {
    return new PcaEngine(decodeModel<PcaState>(FORMAT, bytes));
  },
};
