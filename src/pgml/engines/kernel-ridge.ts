/**
 * `kernel_ridge`: scikit-learn's KernelRidge. Ridge regression in the kernel's feature space, with no
 * intercept: the dual coefficients solve (K + αI) c = y by Cholesky (least squares when K + αI is not
 * positive definite, as sklearn's fallback), and a prediction is K(x, X_train)·c. Kernels and their
 * parameters as sklearn's pairwise_kernels (gamma defaults to 1 / n_features). Joint targets natively.
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { PgError, SqlState } from '../../errors/index.js';
import { checkHyperparamNames, type Dataset, type Engine, type EngineFactory, type FitOptions } from './engine.js';
import {
  checkPredictShape, choiceParam, decodeState, encodeModel, intParam, notFitted, rangeParam, requireFinite, requireTask,
} from './engine-support.js';
import {
  KERNELS, choleskySolveMany, choleskyWellConditioned, kernelMatrix, requireKernelRows, trainingKernelMatrix, type KernelSpec,
} from './kernels.js';

const ALGORITHM = 'kernel_ridge';
const FORMAT = 'pgml-proxy/kernel-ridge';

interface KernelRidgeState {
  algorithm: typeof ALGORITHM;
  kernel: KernelSpec;
  cols: number;
  outputs: number;
  /** Training rows, row-major (the kernel is evaluated against them at predict time). */
  xFit: number[];
  /** rows × outputs, row-major. */
  dualCoef: number[];
}

export function kernelSpec(algorithm: string, hp: Record<string, unknown>, cols: number, defaultKernel: KernelSpec['kernel']): KernelSpec {
  return {
    kernel: choiceParam(algorithm, hp, 'kernel', defaultKernel, KERNELS),
    gamma: hp.gamma === undefined || hp.gamma === null ? 1 / cols : rangeParam(algorithm, hp, 'gamma', 1, { min: 0 }),
    degree: intParam(algorithm, hp, 'degree', 3, 0),
    coef0: rangeParam(algorithm, hp, 'coef0', 1, {}),
  };
}

/**
 * Dual coefficients for every output column of y (rows × outputs). `k` (symmetric) is overwritten: K + αI
 * is factored in place, without a copy of the n × n matrix (a tenth of a fit on diabetes, BENCHMARKS.md,
 * small2). Both factorisations write only the lower triangle and the diagonal, and stop before zeroing the
 * upper one when K + αI is not positive definite, so the least-squares fallback rebuilds K + αI from the
 * upper triangle and the diagonal kept aside: the same doubles as before the factorisation.
 */
export function kernelRidgeDual(k: Float64Array, rows: number, y: Float64Array, outputs: number, alpha: number): Float64Array {
  const a = k;
  const diagonal = new Float64Array(rows);
  for (let i = 0; i < rows; i++) diagonal[i] = a[i * rows + i]! += alpha;
  const dual = new Float64Array(rows * outputs);
  // LAPACK's dpotrf and dpotrs where the BLAS carries them: scipy's solve(assume_a='pos'), sklearn's.
  if (choleskyWellConditioned(a, rows)) {
    const columns = new Float64Array(rows * outputs);
    for (let o = 0; o < outputs; o++) for (let r = 0; r < rows; r++) columns[o * rows + r] = y[r * outputs + o]!;
    choleskySolveMany(a, rows, columns, outputs);
    for (let o = 0; o < outputs; o++) for (let r = 0; r < rows; r++) dual[r * outputs + o] = columns[o * rows + r]!;
    return dual;
  }
  const system = new Matrix(rows, rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rows; j++) system.set(i, j, i === j ? diagonal[i]! : a[Math.min(i, j) * rows + Math.max(i, j)]!);
  }
  const rhs = new Matrix(rows, outputs);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outputs; o++) rhs.set(r, o, y[r * outputs + o]!);
  const solved = new SingularValueDecomposition(system).solve(rhs);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outputs; o++) dual[r * outputs + o] = solved.get(r, o);
  return dual;
}

class KernelRidgeEngine implements Engine {
  readonly algorithm = ALGORITHM;
  readonly runtime = 'js' as const;

  constructor(private state?: KernelRidgeState) {}

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    const hp = options.hyperparams;
    checkHyperparamNames(ALGORITHM, hp, kernelRidgeFactory.hyperparams);
    requireTask(ALGORITHM, options, ['regression']);
    requireFinite(ALGORITHM, data.x);
    const outputs = data.yCols ?? 1;
    if (!data.y || data.y.length !== data.rows * outputs) {
      throw new PgError(SqlState.InvalidParameterValue, `${ALGORITHM} needs one label per training row`);
    }
    requireKernelRows(ALGORITHM, data.rows);
    const kernel = kernelSpec(ALGORITHM, hp, data.cols, 'linear');
    const alpha = rangeParam(ALGORITHM, hp, 'alpha', 1, { min: 0 });
    const k = trainingKernelMatrix(kernel, data.x, data.rows, data.cols);
    const dual = kernelRidgeDual(k, data.rows, Float64Array.from(data.y), outputs, alpha);
    this.state = { algorithm: ALGORITHM, kernel, cols: data.cols, outputs, xFit: Array.from(data.x), dualCoef: Array.from(dual) };
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted();
    checkPredictShape(ALGORITHM, x, rows, state.cols);
    const trainRows = state.xFit.length / state.cols;
    const k = kernelMatrix(state.kernel, x, rows, state.xFit, trainRows, state.cols);
    const out = new Float32Array(rows * state.outputs);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < state.outputs; o++) {
        let s = 0;
        for (let t = 0; t < trainRows; t++) s += k[r * trainRows + t]! * state.dualCoef[t * state.outputs + o]!;
        out[r * state.outputs + o] = s;
      }
    }
    return out;
  }

  async serialize(): Promise<Uint8Array> {
    return encodeModel(FORMAT, this.fitted());
  }

  private fitted(): KernelRidgeState {
    if (!this.state) throw notFitted(ALGORITHM);
    return this.state;
  }
}

export const kernelRidgeFactory: EngineFactory = {
  algorithm: ALGORITHM,
  tasks: ['regression'],
  hyperparams: ['alpha', 'kernel', 'gamma', 'degree', 'coef0'],
  create: () => new KernelRidgeEngine(),
  async deserialize(bytes: Uint8Array): Promise<Engine> {
    const state = decodeState<KernelRidgeState>(FORMAT, ALGORITHM, bytes);
    return new KernelRidgeEngine(state);
  },
};
