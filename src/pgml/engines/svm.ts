/**
 * `svm` and `nu_svm`: scikit-learn's SVC / SVR and NuSVC / NuSVR are thin wrappers over its libsvm
 * fork, with sklearn's defaults (rbf kernel, C=1, epsilon=0.1, nu=0.5, gamma='scale', tol=1e-3).
 * They train with ./libsvm (that fork in TypeScript: the same doubles, and max_iter stops the solver
 * and keeps the model as scikit-learn does). probability=true still trains with libsvm-js (libsvm
 * 3.22 compiled to WebAssembly; Platt scaling and its cross-validation are not ported), whose model
 * persists in libsvm's text format; so do models stored before the port. max_iter there: see
 * requireConvergedWithin.
 */
import { createRequire } from 'node:module';
import { PgError, SqlState } from '../../errors/index.js';
import {
  checkHyperparamNames, numberParam, type Dataset, type Runtime, type Engine, type EngineFactory, type FitOptions, type Task,
} from './engine.js';
import {
  boolParam, checkPredictShape, choiceParam, decodeModel, encodeModel, intParam, invalidParam, notFitted,
  rangeParam, requireFinite, requireLabels, requireNumClasses, requireTask, toRows,
} from './engine-support.js';
import { infeasibleNuPair, svmPredictValues, svmTrain, type SvmModel, type SvmParams } from './libsvm/train.js';

/** The slice of libsvm-js's (untyped) API this engine uses. */
interface LibsvmModel {
  train(samples: number[][], labels: number[]): void;
  predict(samples: number[][]): number[];
  predictProbability(samples: number[][]): { prediction: number; estimates: { label: number; probability: number }[] }[];
  serializeModel(): string;
  free(): void;
}

interface LibsvmClass {
  new (options: Record<string, unknown>): LibsvmModel;
  load(serialized: string): LibsvmModel;
  SVM_TYPES: Record<'C_SVC' | 'EPSILON_SVR' | 'NU_SVC' | 'NU_SVR', string>;
  KERNEL_TYPES: Record<'LINEAR' | 'POLYNOMIAL' | 'RBF' | 'SIGMOID', string>;
}

/** libsvm-js's emscripten Module: its `print` is looked up on every line libsvm's info() writes. */
interface EmscriptenOutput {
  print: (line: string) => void;
}

let libsvm: Promise<LibsvmClass> | undefined;
let output: EmscriptenOutput | undefined;

/**
 * libsvm-js's emscripten loader tries `fetch` on the .wasm path first when fetch exists (Node ≥ 18),
 * fails on the bare file path and logs a warning before reading the file. Hiding fetch for the
 * synchronous require makes it read the file directly and keeps stderr clean.
 */
function loadLibsvm(): Promise<LibsvmClass> {
  libsvm ??= (() => {
    const require = createRequire(import.meta.url);
    const savedFetch = globalThis.fetch;
    Reflect.deleteProperty(globalThis, 'fetch');
    try {
      output = require('libsvm-js/out/wasm/libsvm') as EmscriptenOutput;
      return require('libsvm-js/wasm.js') as Promise<LibsvmClass>;
    } finally {
      globalThis.fetch = savedFetch;
    }
  })();
  return libsvm;
}

/**
 * Runs a (synchronous) libsvm training with its info() lines collected instead of printed, and
 * returns the iteration count of every solver run ("optimization finished, #iter = N": one per
 * binary problem, and per fold of the probability cross-validation).
 */
function solverIterations(train: () => void): number[] {
  const module = output!;
  const print = module.print;
  const counts: number[] = [];
  module.print = (line: string) => {
    const match = /#iter = (\d+)/.exec(line);
    if (match) counts.push(Number(match[1]));
  };
  try {
    train();
  } finally {
    module.print = print;
  }
  return counts;
}

const TASKS: readonly Task[] = ['regression', 'classification'];
const SHARED = ['kernel', 'degree', 'gamma', 'coef0', 'tol', 'shrinking', 'probability', 'cache_size', 'max_iter'];

/** C-SVM (SVC/SVR: C, epsilon) or nu-SVM (NuSVC: nu; NuSVR: nu and C). */
interface Variant {
  algorithm: 'svm' | 'nu_svm';
  hyperparams: readonly string[];
}
const C_SVM: Variant = { algorithm: 'svm', hyperparams: ['C', 'epsilon', ...SHARED] };
const NU_SVM: Variant = { algorithm: 'nu_svm', hyperparams: ['nu', 'C', ...SHARED] };
const KERNELS = ['rbf', 'linear', 'poly', 'sigmoid'] as const;

/** The ported solver's model, as JSON (doubles round-trip exactly). */
interface PortedModel {
  params: SvmParams;
  labels: number[];
  nSV: number[];
  svCoef: number[][];
  rho: number[];
  /** The support vectors' training rows (scikit-learn's support_). */
  support: number[];
  /** Support vectors, row-major. */
  sv: number[];
}

interface SvmState {
  task: 'regression' | 'classification';
  cols: number;
  numClasses: number;
  probability: boolean;
  /** libsvm-js's model file, as svm_save_model writes it (probability=true, and models stored before the port). */
  model?: string;
  ported?: PortedModel;
}

/** A loaded model: the port's (arrays ready for prediction) or libsvm-js's. */
type Loaded = { kind: 'ported'; model: SvmModel; params: SvmParams; sv: Float64Array } | { kind: 'wasm'; model: LibsvmModel };

class SvmEngine implements Engine {
  /** libsvm-js (WebAssembly) for probability estimates and models stored before the port, else the port. */
  get runtime(): Runtime {
    return this.state?.model !== undefined ? 'wasm' : 'js';
  }

  constructor(private readonly variant: Variant, private state?: SvmState, private loaded?: Loaded) {}

  get algorithm(): string {
    return this.variant.algorithm;
  }

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    const { algorithm } = this;
    checkHyperparamNames(algorithm, options.hyperparams, this.variant.hyperparams);
    const task = requireTask(algorithm, options, TASKS) as SvmState['task'];
    requireFinite(algorithm, data.x);
    const labels = requireLabels(algorithm, data);
    const numClasses = task === 'classification' ? requireNumClasses(algorithm, options) : 0;
    const hp = options.hyperparams;
    const probability = task === 'classification' && boolParam(algorithm, hp, 'probability', false);
    const nu = this.variant.algorithm === 'nu_svm';
    if (nu && task === 'classification' && hp.C !== undefined) {
      throw new PgError(SqlState.InvalidParameterValue, 'hyperparameter C for nu_svm applies to regression only (NuSVR); NuSVC takes nu');
    }
    const params: SvmParams = {
      type: task === 'classification' ? (nu ? 'nu_svc' : 'c_svc') : nu ? 'nu_svr' : 'epsilon_svr',
      kernel: choiceParam(algorithm, hp, 'kernel', 'rbf', KERNELS),
      degree: intParam(algorithm, hp, 'degree', 3, 0),
      gamma: gamma(algorithm, hp, data),
      coef0: numberParam(algorithm, hp, 'coef0', 0),
      C: rangeParam(algorithm, hp, 'C', 1.0, { min: 0, exclusiveMin: true }),
      nu: rangeParam(algorithm, hp, 'nu', 0.5, { min: 0, max: 1, exclusiveMin: true }),
      epsilon: rangeParam(algorithm, hp, 'epsilon', 0.1, { min: 0 }),
      tol: rangeParam(algorithm, hp, 'tol', 1e-3, { min: 0, exclusiveMin: true }),
      shrinking: boolParam(algorithm, hp, 'shrinking', true),
      cacheSize: rangeParam(algorithm, hp, 'cache_size', 200, { min: 0, exclusiveMin: true }),
      maxIter: maxIterations(algorithm, hp),
    };
    const infeasible = params.type === 'nu_svc' ? infeasibleNuPair(labels, params.nu) : undefined;
    if (infeasible) {
      throw new PgError(SqlState.InvalidParameterValue, `specified nu is infeasible: nu ${params.nu} asks for more support vectors than classes ${infeasible[0]} and ${infeasible[1]} can give`, {
        detail: 'libsvm (and so scikit-learn\'s NuSVC) requires nu · (n_i + n_j) / 2 <= min(n_i, n_j) for every pair of classes i, j in the training rows.',
        hint: 'lower nu',
      });
    }
    const common = { task, cols: data.cols, numClasses, probability };
    if (!probability) {
      const model = svmTrain({ x: Float64Array.from(data.x), y: Float64Array.from(labels), rows: data.rows, cols: data.cols }, params);
      const sv = new Float64Array(model.support.length * data.cols);
      model.support.forEach((row, i) => sv.set(data.x.subarray(row * data.cols, (row + 1) * data.cols), i * data.cols));
      this.freeWasm();
      this.loaded = { kind: 'ported', model, params, sv };
      this.state = {
        ...common,
        ported: {
          params, labels: model.labels, nSV: model.nSV, svCoef: model.svCoef.map((row) => Array.from(row)),
          rho: Array.from(model.rho), support: Array.from(model.support), sv: Array.from(sv),
        },
      };
      return;
    }
    const { model, loaded } = await trainWithLibsvmJs(algorithm, params, data, labels);
    this.freeWasm();
    this.loaded = loaded;
    this.state = { ...common, model };
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const { state, loaded } = await this.fitted();
    checkPredictShape(this.algorithm, x, rows, state.cols);
    if (loaded.kind === 'wasm') return Float32Array.from(loaded.model.predict(toRows(x, rows, state.cols)));
    const values = Float64Array.from(x);
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) out[r] = svmPredictValues(loaded.model, loaded.params, loaded.sv, state.cols, values, r * state.cols);
    return out;
  }

  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    const { state, loaded } = await this.fitted();
    checkPredictShape(this.algorithm, x, rows, state.cols);
    if (state.task !== 'classification') {
      throw new PgError(SqlState.FeatureNotSupported, `${this.algorithm} regression does not produce probabilities`);
    }
    if (!state.probability || loaded.kind !== 'wasm') {
      throw new PgError(SqlState.FeatureNotSupported, `this ${this.algorithm} model was trained without probability estimates`, {
        hint: 'train it with hyperparams => \'{"probability": true}\' (Platt scaling, as scikit-learn\'s SVC)',
      });
    }
    const k = state.numClasses;
    const out = new Float32Array(rows * k);
    loaded.model.predictProbability(toRows(x, rows, state.cols)).forEach((row, r) => {
      for (const estimate of row.estimates) out[r * k + estimate.label] = estimate.probability;
    });
    return out;
  }

  async serialize(): Promise<Uint8Array> {
    return encodeModel(formatOf(this.variant), (await this.fitted()).state);
  }

  private freeWasm(): void {
    if (this.loaded?.kind === 'wasm') this.loaded.model.free();
  }

  private async fitted(): Promise<{ state: SvmState; loaded: Loaded }> {
    const state = this.state;
    if (!state) throw notFitted(this.algorithm);
    if (!this.loaded) this.loaded = state.ported ? loadPorted(state.ported) : { kind: 'wasm', model: (await loadLibsvm()).load(state.model!) };
    return { state, loaded: this.loaded };
  }
}

/** Trains with libsvm-js (WebAssembly, with Platt scaling's probability estimates) and returns its model file. */
async function trainWithLibsvmJs(
  algorithm: string, params: SvmParams, data: Dataset, labels: ArrayLike<number>,
): Promise<{ model: string; loaded: Loaded }> {
  const SVM = await loadLibsvm();
  const types = SVM.SVM_TYPES;
  const svm = new SVM({
    type: { c_svc: types.C_SVC, nu_svc: types.NU_SVC, epsilon_svr: types.EPSILON_SVR, nu_svr: types.NU_SVR }[params.type],
    nu: params.nu,
    kernel: { rbf: SVM.KERNEL_TYPES.RBF, linear: SVM.KERNEL_TYPES.LINEAR, poly: SVM.KERNEL_TYPES.POLYNOMIAL, sigmoid: SVM.KERNEL_TYPES.SIGMOID }[params.kernel],
    degree: params.degree,
    gamma: params.gamma,
    coef0: params.coef0,
    cost: params.C,
    epsilon: params.epsilon,
    tolerance: params.tol,
    shrinking: params.shrinking,
    cacheSize: params.cacheSize,
    probabilityEstimates: true,
    quiet: params.maxIter === -1,
  });
  const samples = toRows(data.x, data.rows, data.cols);
  if (params.maxIter === -1) {
    svm.train(samples, Array.from(labels));
  } else {
    const iterations = solverIterations(() => svm.train(samples, Array.from(labels)));
    requireConvergedWithin(algorithm, params.maxIter, iterations, () => svm.free());
  }
  const model = svm.serializeModel();
  svm.free();
  // libsvm's model file rounds some values (%g); predicting from the reloaded file means this engine
  // and every copy deserialized later answer identically.
  return { model, loaded: { kind: 'wasm', model: SVM.load(model) } };
}

function loadPorted(ported: PortedModel): Loaded {
  const model: SvmModel = {
    labels: ported.labels, nSV: ported.nSV, svCoef: ported.svCoef.map((row) => Float64Array.from(row)),
    rho: Float64Array.from(ported.rho), support: Int32Array.from(ported.support), iterations: [], timedOut: false,
  };
  return { kind: 'ported', model, params: ported.params, sv: Float64Array.from(ported.sv) };
}

/** sklearn's gamma: 'scale' = 1 / (n_features · X.var()), 'auto' = 1 / n_features, or a number. */
function gamma(algorithm: string, hp: Record<string, unknown>, data: Dataset): number {
  const value = hp.gamma ?? 'scale';
  if (value === 'auto') return 1 / data.cols;
  if (value === 'scale') {
    const variance = numpyVariance(data.x);
    return variance !== 0 ? 1.0 / (data.cols * variance) : 1.0;
  }
  const g = numberParam(algorithm, hp, 'gamma', NaN);
  if (!(g > 0)) throw invalidParam(algorithm, 'gamma', "'scale', 'auto' or a number > 0", value);
  return g;
}

/**
 * numpy's ndarray.var() over all entries, to the last bit (gamma='scale' enters every kernel value):
 * the mean and the mean of squared deviations each summed by numpy's pairwise summation.
 */
export function numpyVariance(x: Float32Array): number {
  const n = x.length;
  const mean = pairwiseSum(Float64Array.from(x), 0, n) / n;
  const squares = new Float64Array(n);
  for (let i = 0; i < n; i++) squares[i] = (x[i]! - mean) * (x[i]! - mean);
  return pairwiseSum(squares, 0, n) / n;
}

/** numpy's pairwise_sum (loops_utils.h): 8 running sums over blocks of up to 128, halves above that. */
function pairwiseSum(a: Float64Array, from: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[from + i]!;
    return res;
  }
  if (n <= 128) {
    const r = Array.from(a.subarray(from, from + 8));
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = r[j]! + a[from + i + j]!;
    let res = ((r[0]! + r[1]!) + (r[2]! + r[3]!)) + ((r[4]! + r[5]!) + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[from + i]!;
    return res;
  }
  let n2 = Math.trunc(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, from, n2) + pairwiseSum(a, from + n2, n - n2);
}

function formatOf(variant: Variant): string {
  return `pgml-proxy/${variant.algorithm}`;
}

function factory(variant: Variant): EngineFactory {
  return {
    algorithm: variant.algorithm,
    tasks: TASKS,
    hyperparams: variant.hyperparams,
    create: () => new SvmEngine(variant),
    async deserialize(bytes: Uint8Array): Promise<Engine> {
      return new SvmEngine(variant, decodeModel<SvmState>(formatOf(variant), bytes));
    },
  };
}

/** max_iter as scikit-learn takes it: -1 (no limit, its default) or a count of solver iterations. */
function maxIterations(algorithm: string, hp: Record<string, unknown>): number {
  const maxIter = numberParam(algorithm, hp, 'max_iter', -1);
  if (!Number.isInteger(maxIter) || maxIter < -1) throw invalidParam(algorithm, 'max_iter', '-1 or an integer >= 0', hp.max_iter);
  return maxIter;
}

/**
 * scikit-learn's libsvm fork checks max_iter at the top of its solver loop, before it looks for a
 * violating pair: a solver that converges after N < max_iter iterations gives the model libsvm gives
 * without a limit (the counts are libsvm's own, equal to sklearn's n_iter_), and that model is kept.
 * With N >= max_iter sklearn stops the solver unconverged (a ConvergenceWarning and a different
 * model); libsvm (WebAssembly) cannot stop there, so that training is refused rather than answered
 * with the converged model.
 */
function requireConvergedWithin(algorithm: string, maxIter: number, iterations: number[], free: () => void): void {
  const needed = Math.max(0, ...iterations);
  if (iterations.length > 0 && needed < maxIter) return;
  free();
  throw new PgError(
    SqlState.FeatureNotSupported,
    `${algorithm} needs ${needed} solver iterations on this data, so max_iter ${maxIter} would stop it unconverged, which pgml-proxy cannot reproduce`,
    {
      detail: 'scikit-learn stops its libsvm solver after max_iter iterations with a ConvergenceWarning and keeps that unconverged model; libsvm (WebAssembly) always runs until it converges to tol. Trainings that converge in fewer than max_iter iterations are exactly scikit-learn\'s and are accepted.',
      hint: `raise max_iter above ${needed}, or leave it out (-1, no limit)`,
    },
  );
}

export const svmFactory = factory(C_SVM);
export const nuSvmFactory = factory(NU_SVM);
