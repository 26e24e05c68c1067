/**
 * `pca`: scikit-learn's PCA with svd_solver='auto', for dense rows. Its rule (PCA._fit) sends tall,
 * narrow data (features <= 1000 and rows >= 10 x features: iris, wine, digits) to 'covariance_eigh':
 * the eigendecomposition of the covariance matrix, explained variance its eigenvalues (negatives
 * clipped to 0); here the covariance of the centred rows by the BLAS (centredProductsFloat32) and the
 * eigendecomposition by LAPACK's dsyevd (numpy.linalg.eigh's driver; Jacobi rotations without
 * LAPACK). Everything else goes to its 'full' solver (the SVD of the centred data, explained variance
 * S²/(n − 1)), here ml-pca's SVD. sklearn's 'randomized' solver (more than 500 rows and columns, fewer
 * components than 0.8 × min(rows, cols)) is not reproduced: the exact SVD gives the components that
 * solver approximates. As sklearn: n_components defaults to min(rows, cols), a fraction in (0, 1)
 * keeps the fewest components whose cumulative share of variance exceeds it, and each component's
 * sign is svd_flip's (u_based_decision=False: its largest-magnitude loading, the first of equal
 * ones, positive). Predict returns the projected rows.
 */
import { PCA } from 'ml-pca';
import { centredProductsFloat32 } from './blas.js';
import { symmetricEigen } from './symmetric-pinv.js';
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
    const mean = columnMeans(data.x, data.rows, data.cols);
    const { variances, loadings } = usesCovarianceEigh(data.rows, data.cols)
      ? covarianceEigh(data.x, data.rows, data.cols, mean)
      : fullSvd(data.x, data.rows, data.cols);
    let total = 0;
    for (const v of variances) total += v;
    const ratios = Array.from(variances, (v) => v / total);
    const keep = componentCount(options.hyperparams, Math.min(data.rows, data.cols), ratios);
    this.state = {
      cols: data.cols,
      mean: Array.from(mean),
      components: loadings.slice(0, keep).map(signFlipped),
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

interface Decomposition {
  /** Explained variance per component, largest first (min(rows, cols) of them). */
  variances: Float64Array;
  /** Each component's unit-length loading vector (length cols), in the same order, signs not yet fixed. */
  loadings: number[][];
}

/** sklearn's svd_solver='auto' rule for 'covariance_eigh' (PCA._fit, scikit-learn 1.5+). */
export function usesCovarianceEigh(rows: number, cols: number): boolean {
  return cols <= 1000 && rows >= 10 * cols;
}

/**
 * sklearn's 'covariance_eigh': C = (X − mean)ᵀ(X − mean) / (n − 1) and its eigendecomposition, the
 * eigenvalues turned largest first and clipped at 0. sklearn forms C as XᵀX − n·mean·meanᵀ without
 * centring X; centring first, as here, gives the same matrix up to rounding and loses no digits
 * where the means are large against the spread.
 */
function covarianceEigh(x: Float32Array, rows: number, cols: number, mean: Float64Array): Decomposition {
  const { gram } = centredProductsFloat32(x, rows, cols, mean, []);
  for (let i = 0; i < gram.length; i++) gram[i]! /= rows - 1;
  const { values, vectors } = symmetricEigen(gram, cols);
  // Largest first, as sklearn's flip of eigh's ascending order: LAPACK's order reversed, equal eigenvalues
  // included (the later first); Jacobi's come in no order and are sorted the same way.
  const order = Array.from(values.keys()).sort((a, b) => values[b]! - values[a]! || b - a);
  const variances = Float64Array.from(order, (k) => Math.max(values[k]!, 0));
  const loadings = order.map((k) => {
    const loading = new Array<number>(cols);
    for (let c = 0; c < cols; c++) loading[c] = vectors[c * cols + k]!;
    return loading;
  });
  return { variances, loadings };
}

/** sklearn's 'full': the SVD of the centred rows (ml-pca), variance S²/(n − 1) per singular value. */
function fullSvd(x: Float32Array, rows: number, cols: number): Decomposition {
  const pca = new PCA(toRows(x, rows, cols), { center: true, scale: false, method: 'SVD' });
  const vectors = pca.getEigenvectors();
  const count = Math.min(rows, cols);
  return {
    variances: Float64Array.from(pca.getEigenvalues().slice(0, count)),
    loadings: Array.from({ length: count }, (_, k) => vectors.getColumn(k)),
  };
}

/** svd_flip(u_based_decision=False): the loading largest in magnitude (numpy's argmax: the first of equal ones) made positive. */
function signFlipped(loading: number[]): number[] {
  let largest = 0;
  for (let c = 1; c < loading.length; c++) if (Math.abs(loading[c]!) > Math.abs(loading[largest]!)) largest = c;
  return loading[largest]! < 0 ? loading.map((v) => -v) : loading;
}

function componentCount(hp: Record<string, unknown>, max: number, ratios: number[]): number {
  const requested = numberParam(ALGORITHM, hp, 'n_components', max);
  if (requested > 0 && requested < 1) {
    let cumulative = 0;
    for (let k = 0; k < max; k++) {
      cumulative += ratios[k]!;
      // numpy's searchsorted(side='right') + 1 in sklearn: the cumulative share must exceed the fraction.
      if (cumulative > requested) return k + 1;
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
