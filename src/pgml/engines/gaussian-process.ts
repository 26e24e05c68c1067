/**
 * `gaussian_process`: scikit-learn's GaussianProcessRegressor and GaussianProcessClassifier with their
 * default kernels (what PostgresML's hyperparameters can reach: a kernel object cannot be passed as JSON).
 * - Regression: ConstantKernel(1) · RBF(1) with both hyperparameters fitted by maximising the log marginal
 *   likelihood (L-BFGS on log θ within sklearn's bounds 1e-5..1e5, from θ = 1; optimizer => null keeps
 *   θ = 1), alpha added to the diagonal, optional normalize_y; the prediction is the posterior mean.
 *   The likelihood can have several local maxima, and a different optimizer may stop in another one
 *   than scipy's. Joint targets natively.
 * - Classification: the fixed 1 · RBF(1) kernel, the Laplace approximation's posterior mode by Newton
 *   iterations (max_iter_predict), probabilities by sklearn's erf-mixture approximation of the probit
 *   integral; more than two classes one-vs-rest, as multi_class='one_vs_rest'. warm_start (PostgresML's
 *   classification guide passes it) is accepted as sklearn accepts it: it seeds the next search for the
 *   posterior mode with the last one, and with the fixed default kernel the mode is searched once per
 *   fit, so in sklearn too it changes nothing.
 */
import { PgError, SqlState } from '../../errors/index.js';
import { checkHyperparamNames, type Dataset, type Engine, type EngineFactory, type FitOptions } from './engine.js';
import {
  argmaxRows, boolParam, checkPredictShape, choiceParam, decodeState, encodeModel, intParam, notFitted, rangeParam,
  requireFinite, requireLabels, requireNumClasses, requireTask,
} from './engine-support.js';
import {
  choleskyInPlace, choleskyInverseInPlace, choleskySolve, choleskySolveMany, choleskyWellConditioned, forwardSolve, requireKernelRows,
} from './kernels.js';
import { xTimes } from './blas.js';
import { minimizeLbfgs } from './lbfgs.js';

const ALGORITHM = 'gaussian_process';
const FORMAT = 'pgml-proxy/gaussian-process';
const LOG_BOUND = Math.log(1e5);
/** Williams and Barber's approximation of the logistic-Gaussian integral, as sklearn's _gpc.py. */
const LAMBDAS = [0.41, 0.4, 0.37, 0.44, 0.39];
const COEFS = [-1854.8214151, 3516.89893646, 221.29346712, 128.12323805, -2010.49422654];

/** ‖aᵢ − bⱼ‖² of row i of `a` and row j of `b`. */
function pairDistance(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, cols: number): number {
  let s = 0;
  for (let c = 0; c < cols; c++) s += (a[i * cols + c]! - b[j * cols + c]!) ** 2;
  return s;
}

function squaredDistances(a: ArrayLike<number>, aRows: number, b: ArrayLike<number>, bRows: number, cols: number): Float64Array {
  const d = new Float64Array(aRows * bRows);
  for (let i = 0; i < aRows; i++) for (let j = 0; j < bRows; j++) d[i * bRows + j] = pairDistance(a, i, b, j, cols);
  return d;
}

/** squaredDistances of the training rows against themselves: each pair once, mirrored (the same doubles). */
function trainingDistances(x: ArrayLike<number>, n: number, cols: number): Float64Array {
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const s = pairDistance(x, i, x, j, cols);
      d[i * n + j] = s;
      d[j * n + i] = s;
    }
  }
  return d;
}

/** c · exp(−d² / 2ℓ²) elementwise. */
function rbf(distances: Float64Array, constant: number, lengthScale: number): Float64Array {
  return distances.map((d) => constant * Math.exp((-0.5 * d) / (lengthScale * lengthScale)));
}

/**
 * rbf of a symmetric n × n distance matrix (the training rows against themselves): each exp computed
 * once per pair and mirrored, the same values as rbf's (distances[i][j] and [j][i] are equal doubles).
 */
function symmetricRbf(distances: Float64Array, n: number, constant: number, lengthScale: number, k = new Float64Array(n * n)): Float64Array {
  const squared = lengthScale * lengthScale;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const value = constant * Math.exp((-0.5 * distances[i * n + j]!) / squared);
      k[i * n + j] = value;
      k[j * n + i] = value;
    }
  }
  return k;
}

interface RegressorState {
  constant: number;
  lengthScale: number;
  /** rows × outputs dual weights (K + αI)⁻¹ y on the normalised targets. */
  dual: number[];
  yMean: number[];
  yStd: number[];
}

/**
 * −log marginal likelihood of log θ = [log c, log ℓ] and its gradient (sklearn's, summed over outputs).
 * The kernel, its factor and the duals live in buffers reused by every evaluation of one fit.
 */
function negativeLogLikelihood(distances: Float64Array, n: number, y: Float64Array, outputs: number, alpha: number) {
  const kernel = new Float64Array(n * n);
  const factor = new Float64Array(n * n);
  /** One output's right-hand side after another, as choleskySolveMany takes them. */
  const duals = new Float64Array(n * outputs);
  return (theta: Float64Array, grad: Float64Array): number => {
    if (Math.abs(theta[0]!) > LOG_BOUND || Math.abs(theta[1]!) > LOG_BOUND) return Infinity;
    const constant = Math.exp(theta[0]!);
    const lengthScale = Math.exp(theta[1]!);
    symmetricRbf(distances, n, constant, lengthScale, kernel);
    factor.set(kernel);
    for (let i = 0; i < n; i++) factor[i * n + i]! += alpha;
    if (!choleskyWellConditioned(factor, n)) return Infinity;
    for (let o = 0; o < outputs; o++) for (let r = 0; r < n; r++) duals[o * n + r] = y[r * outputs + o]!;
    choleskySolveMany(factor, n, duals, outputs);
    let value = 0;
    for (let o = 0; o < outputs; o++) {
      let fit = 0;
      for (let r = 0; r < n; r++) fit += y[r * outputs + o]! * duals[o * n + r]!;
      value += 0.5 * fit;
    }
    let logDet = 0;
    for (let i = 0; i < n; i++) logDet += Math.log(factor[i * n + i]!);
    value += outputs * (logDet + 0.5 * n * Math.log(2 * Math.PI));
    // 0.5 tr((ααᵀ − K⁻¹) ∂K): K⁻¹ from the factor (sklearn's cho_solve(L, I)), its lower triangle.
    choleskyInverseInPlace(factor, n);
    likelihoodGradient(duals, outputs, factor, kernel, distances, n, 1 / (lengthScale * lengthScale), grad);
    return value;
  };
}

/**
 * The gradient in log θ: −½ Σ_ij (Σ_o α_o,i α_o,j − outputs · K⁻¹_ij) ∂K_ij, with ∂K/∂log c = K and
 * ∂K/∂log ℓ = K d²/ℓ². Every matrix here is symmetric: the sum runs over the lower triangle (where
 * `inverse` holds K⁻¹), each off-diagonal entry counted twice; d² is 0 on the diagonal.
 */
function likelihoodGradient(
  duals: Float64Array, outputs: number, inverse: Float64Array, kernel: Float64Array, distances: Float64Array, n: number,
  scale: number, grad: Float64Array,
): void {
  let gConstant = 0;
  let gLength = 0;
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let rowConstant = 0;
    let rowLength = 0;
    for (let j = 0; j < i; j++) {
      let outer = 0;
      for (let o = 0; o < outputs; o++) outer += duals[o * n + i]! * duals[o * n + j]!;
      const mk = (outer - outputs * inverse[row + j]!) * kernel[row + j]!;
      rowConstant += mk;
      rowLength += mk * distances[row + j]!;
    }
    let outer = 0;
    for (let o = 0; o < outputs; o++) outer += duals[o * n + i]! * duals[o * n + i]!;
    gConstant += 2 * rowConstant + (outer - outputs * inverse[row + i]!) * kernel[row + i]!;
    gLength += 2 * rowLength;
  }
  grad[0] = -0.5 * gConstant;
  grad[1] = -0.5 * gLength * scale;
}

function fitRegressor(data: Dataset, hp: Record<string, unknown>): RegressorState {
  const { rows: n, cols } = data;
  const outputs = data.yCols ?? 1;
  const alpha = rangeParam(ALGORITHM, hp, 'alpha', 1e-10, { min: 0 });
  const normalize = boolParam(ALGORITHM, hp, 'normalize_y', false);
  // sklearn's optimizer=None (JSON null) keeps the kernel's initial hyperparameters.
  const optimize = !('optimizer' in hp && hp.optimizer === null) && choiceParam(ALGORITHM, hp, 'optimizer', 'fmin_l_bfgs_b', ['fmin_l_bfgs_b']) !== undefined;
  const yMean = new Array<number>(outputs).fill(0);
  const yStd = new Array<number>(outputs).fill(1);
  const y = Float64Array.from(data.y!);
  if (normalize) {
    for (let o = 0; o < outputs; o++) {
      let mean = 0;
      for (let r = 0; r < n; r++) mean += y[r * outputs + o]!;
      mean /= n;
      let variance = 0;
      for (let r = 0; r < n; r++) variance += (y[r * outputs + o]! - mean) ** 2;
      const std = Math.sqrt(variance / n);
      yMean[o] = mean;
      yStd[o] = std === 0 ? 1 : std;
      for (let r = 0; r < n; r++) y[r * outputs + o] = (y[r * outputs + o]! - mean) / yStd[o]!;
    }
  }
  const distances = trainingDistances(data.x, n, cols);
  const objective = negativeLogLikelihood(distances, n, y, outputs, alpha);
  const theta = optimize
    ? minimizeLbfgs(objective, new Float64Array(2), { maxIter: 15_000, gtol: 1e-5 }).x
    : new Float64Array(2);
  const constant = Math.exp(theta[0]!);
  const lengthScale = Math.exp(theta[1]!);
  const l = symmetricRbf(distances, n, constant, lengthScale);
  for (let i = 0; i < n; i++) l[i * n + i]! += alpha;
  // The model's own factor stays the JavaScript loop (see choleskyWellConditioned): its rounding is what
  // the tests hold to scikit-learn's predictions; the optimizer's evaluations above factor through LAPACK.
  if (!choleskyInPlace(l, n)) {
    throw new PgError(SqlState.InvalidParameterValue, `${ALGORITHM}: the kernel matrix is not positive definite; raise alpha`, {
      hint: 'duplicate training rows make it singular; alpha adds to its diagonal (default 1e-10)',
    });
  }
  const dual = new Float64Array(n * outputs);
  for (let o = 0; o < outputs; o++) {
    const a = Float64Array.from({ length: n }, (_, r) => y[r * outputs + o]!);
    choleskySolve(l, n, a);
    for (let r = 0; r < n; r++) dual[r * outputs + o] = a[r]!;
  }
  return { constant, lengthScale, dual: Array.from(dual), yMean, yStd };
}

interface BinaryLaplace {
  /** y − π at the posterior mode: the latent mean of a new row is K(x, X)·(y − π). */
  residual: number[];
  /** √W at the mode, to rebuild the Cholesky factor of B = I + √W K √W for the latent variance. */
  wSqrt: number[];
}

/**
 * The posterior mode by sklearn's Newton iterations (_posterior_mode), and the Cholesky factor of B at
 * its √W (sklearn's L_, kept for the latent variance). K·b and K·a through the BLAS (dgemv, as NumPy's
 * K.dot), the solve with B's factor through LAPACK's dpotrs where the library carries it. maxIter ≥ 1
 * (intParam's minimum): the factor and √W returned are the last iteration's.
 */
function fitBinaryLaplace(kernel: Float64Array, n: number, target: Float64Array, maxIter: number): { model: BinaryLaplace; factor: Float64Array } {
  let f: Float64Array = new Float64Array(n);
  const factor = new Float64Array(n * n);
  let best = -Infinity;
  const pi = new Float64Array(n);
  const wSqrt = new Float64Array(n);
  const b = new Float64Array(n);
  for (let iteration = 0; iteration < maxIter; iteration++) {
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-f[i]!));
      const w = p * (1 - p);
      pi[i] = p;
      wSqrt[i] = Math.sqrt(w);
      b[i] = w * f[i]! + (target[i]! - p);
    }
    bMatrixFactor(kernel, n, wSqrt, factor);
    // a = b − √W B⁻¹ (√W K b)
    const rhs = xTimes(kernel, n, n, b);
    for (let i = 0; i < n; i++) rhs[i]! *= wSqrt[i]!;
    choleskySolveMany(factor, n, rhs, 1);
    const a = b.map((v, i) => v - wSqrt[i]! * rhs[i]!);
    f = xTimes(kernel, n, n, a);
    let lml = 0;
    for (let i = 0; i < n; i++) {
      lml += -0.5 * a[i]! * f[i]! - Math.log1p(Math.exp(-(target[i]! * 2 - 1) * f[i]!)) - Math.log(factor[i * n + i]!);
    }
    if (lml - best < 1e-10) break;
    best = lml;
  }
  const residual = Array.from(target, (t, i) => t - pi[i]!);
  return { model: { residual, wSqrt: Array.from(wSqrt) }, factor };
}

/**
 * Cholesky factor of B = I + √W K √W (always positive definite), into `into`. The factorisation reads
 * B's lower triangle only: the upper is not filled.
 */
function bMatrixFactor(kernel: Float64Array, n: number, wSqrt: ArrayLike<number>, into = new Float64Array(n * n)): Float64Array {
  for (let i = 0; i < n; i++) {
    const row = i * n;
    const wi = wSqrt[i]!;
    for (let j = 0; j < i; j++) into[row + j] = wi * kernel[row + j]! * wSqrt[j]!;
    into[row + i] = wi * kernel[row + i]! * wi + 1;
  }
  choleskyWellConditioned(into, n);
  return into;
}

interface GaussianProcessState {
  algorithm: typeof ALGORITHM;
  task: 'classification' | 'regression';
  cols: number;
  xFit: number[];
  regressor?: RegressorState;
  /** One binary model for two classes (class 1 positive), one per class otherwise. */
  classifiers?: BinaryLaplace[];
  numClasses: number;
}

class GaussianProcessEngine implements Engine {
  readonly algorithm = ALGORITHM;
  readonly runtime = 'js' as const;
  /** Cholesky factors of B per binary model: kept from the fit, rebuilt lazily after loading. */
  private factors: Float64Array[] | undefined;

  constructor(private state?: GaussianProcessState) {}

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    const hp = options.hyperparams;
    checkHyperparamNames(ALGORITHM, hp, gaussianProcessFactory.hyperparams);
    const task = requireTask(ALGORITHM, options, ['classification', 'regression']);
    requireFinite(ALGORITHM, data.x);
    requireKernelRows(ALGORITHM, data.rows);
    const base = { algorithm: ALGORITHM, cols: data.cols, xFit: Array.from(data.x) } as const;
    if (task === 'regression') {
      if (!data.y || data.y.length !== data.rows * (data.yCols ?? 1)) {
        throw new PgError(SqlState.InvalidParameterValue, `${ALGORITHM} needs one label per training row`);
      }
      for (const name of ['max_iter_predict', 'multi_class', 'warm_start']) {
        if (hp[name] !== undefined) throw new PgError(SqlState.InvalidParameterValue, `hyperparameter ${name} for ${ALGORITHM} applies to classification only`);
      }
      this.state = { ...base, task, regressor: fitRegressor(data, hp), numClasses: 0 };
      return;
    }
    for (const name of ['alpha', 'normalize_y']) {
      if (hp[name] !== undefined) throw new PgError(SqlState.InvalidParameterValue, `hyperparameter ${name} for ${ALGORITHM} applies to regression only`);
    }
    choiceParam(ALGORITHM, hp, 'multi_class', 'one_vs_rest', ['one_vs_rest']);
    boolParam(ALGORITHM, hp, 'warm_start', false);
    const y = requireLabels(ALGORITHM, data);
    const numClasses = requireNumClasses(ALGORITHM, options);
    const maxIter = intParam(ALGORITHM, hp, 'max_iter_predict', 100);
    const kernel = symmetricRbf(trainingDistances(data.x, data.rows, data.cols), data.rows, 1, 1);
    const classifiers: BinaryLaplace[] = [];
    const factors: Float64Array[] = [];
    for (let k = numClasses === 2 ? 1 : 0; k < numClasses; k++) {
      const { model, factor } = fitBinaryLaplace(kernel, data.rows, Float64Array.from(y, (v) => (v === k ? 1 : 0)), maxIter);
      classifiers.push(model);
      factors.push(factor);
    }
    this.factors = factors;
    this.state = { ...base, task: 'classification', classifiers, numClasses };
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted();
    checkPredictShape(ALGORITHM, x, rows, state.cols);
    const n = state.xFit.length / state.cols;
    if (state.regressor) {
      const { constant, lengthScale, dual, yMean, yStd } = state.regressor;
      const outputs = yMean.length;
      const k = rbf(squaredDistances(x, rows, state.xFit, n, state.cols), constant, lengthScale);
      const out = new Float32Array(rows * outputs);
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < outputs; o++) {
          let s = 0;
          for (let t = 0; t < n; t++) s += k[r * n + t]! * dual[t * outputs + o]!;
          out[r * outputs + o] = s * yStd[o]! + yMean[o]!;
        }
      }
      return out;
    }
    if (state.numClasses === 2) {
      // sklearn's binary predict is the sign of the latent mean.
      const k = rbf(squaredDistances(x, rows, state.xFit, n, state.cols), 1, 1);
      const residual = state.classifiers![0]!.residual;
      return Float32Array.from({ length: rows }, (_, r) => {
        let f = 0;
        for (let t = 0; t < n; t++) f += k[r * n + t]! * residual[t]!;
        return f > 0 ? 1 : 0;
      });
    }
    return argmaxRows(this.positiveProbabilities(x, rows), rows, state.numClasses);
  }

  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted();
    checkPredictShape(ALGORITHM, x, rows, state.cols);
    if (!state.classifiers) throw new PgError(SqlState.FeatureNotSupported, 'gaussian_process regression does not produce probabilities');
    const positive = this.positiveProbabilities(x, rows);
    if (state.numClasses === 2) {
      return Float32Array.from({ length: rows * 2 }, (_, i) => (i % 2 === 1 ? positive[i >> 1]! : 1 - positive[i >> 1]!));
    }
    const k = state.numClasses;
    const out = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < k; c++) sum += positive[r * k + c]!;
      for (let c = 0; c < k; c++) out[r * k + c] = positive[r * k + c]! / sum;
    }
    return out;
  }

  /** rows × binary models: each model's probability of its positive class (sklearn's predict_proba[:, 1]). */
  private positiveProbabilities(x: Float32Array, rows: number): Float64Array {
    const state = this.fitted();
    const n = state.xFit.length / state.cols;
    const kTrain = symmetricRbf(trainingDistances(state.xFit, n, state.cols), n, 1, 1);
    this.factors ??= state.classifiers!.map((c) => bMatrixFactor(kTrain, n, c.wSqrt));
    const kStar = rbf(squaredDistances(x, rows, state.xFit, n, state.cols), 1, 1);
    const models = state.classifiers!.length;
    const out = new Float64Array(rows * models);
    const v = new Float64Array(n);
    state.classifiers!.forEach((model, m) => {
      const l = this.factors![m]!;
      for (let r = 0; r < rows; r++) {
        let mean = 0;
        for (let t = 0; t < n; t++) {
          mean += kStar[r * n + t]! * model.residual[t]!;
          v[t] = model.wSqrt[t]! * kStar[r * n + t]!;
        }
        forwardSolve(l, n, v);
        let variance = 1;
        for (let t = 0; t < n; t++) variance -= v[t]! * v[t]!;
        out[r * models + m] = probitMixture(mean, Math.max(variance, 1e-300));
      }
    });
    return out;
  }

  async serialize(): Promise<Uint8Array> {
    return encodeModel(FORMAT, this.fitted());
  }

  private fitted(): GaussianProcessState {
    if (!this.state) throw notFitted(ALGORITHM);
    return this.state;
  }
}

/** sklearn's approximation of ∫ σ(f) N(f | mean, variance) df. */
function probitMixture(mean: number, variance: number): number {
  const alpha = 1 / (2 * variance);
  let pi = 0;
  for (let i = 0; i < LAMBDAS.length; i++) {
    const lambda = LAMBDAS[i]!;
    const gamma = lambda * mean;
    const integral = (Math.sqrt(Math.PI / alpha) * erf(gamma * Math.sqrt(alpha / (alpha + lambda * lambda)))) / (2 * Math.sqrt(variance * 2 * Math.PI));
    pi += COEFS[i]! * integral;
  }
  return pi + 0.5 * COEFS.reduce((a, b) => a + b, 0);
}

/** erf to double precision (W. J. Cody's rational approximations, as in most C libraries). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 0.5) {
    const t = x * x;
    const p = ((((0.1857777061846031526730 * t + 3.161123743870565596947) * t + 113.8641541510501556495) * t + 377.4852376853020208137) * t + 3209.377589138469472562);
    const q = ((((t + 23.60129095234412093499) * t + 244.0246379344441733056) * t + 1282.616526077372275645) * t + 2844.236833439170622273);
    return (x * p) / q;
  }
  return Math.sign(x) * (1 - erfcPositive(ax));
}

function erfcPositive(x: number): number {
  if (x < 4) {
    const p = [5.64188496988670089e-1, 8.88314979438837594, 6.61191906371416295e1, 2.98635138197400131e2, 8.8195222124176909e2, 1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3, 2.15311535474403846e-8];
    const q = [1, 1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3];
    let num = p[8]! * x;
    let den = x;
    for (let i = 0; i < 7; i++) {
      num = (num + p[i]!) * x;
      den = (den + q[i + 1]!) * x;
    }
    return (Math.exp(-x * x) * (num + p[7]!)) / (den + q[8]!);
  }
  const z = 1 / (x * x);
  const p = [3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2];
  const q = [2.56852019228982242, 1.87295284992346725, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3];
  let num = p[5]! * z;
  let den = z;
  for (let i = 0; i < 4; i++) {
    num = (num + p[i]!) * z;
    den = (den + q[i]!) * z;
  }
  const r = (z * (num + p[4]!)) / (den + q[4]!);
  return (Math.exp(-x * x) / x) * (1 / Math.sqrt(Math.PI) - r);
}

export const gaussianProcessFactory: EngineFactory = {
  algorithm: ALGORITHM,
  tasks: ['classification', 'regression'],
  hyperparams: ['alpha', 'normalize_y', 'optimizer', 'max_iter_predict', 'multi_class', 'warm_start'],
  create: () => new GaussianProcessEngine(),
  async deserialize(bytes: Uint8Array): Promise<Engine> {
    const state = decodeState<GaussianProcessState>(FORMAT, ALGORITHM, bytes);
    return new GaussianProcessEngine(state);
  },
};
