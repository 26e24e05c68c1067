/**
 * `svm` and `nu_svm`: scikit-learn's SVC / SVR and NuSVC / NuSVR are thin wrappers over its libsvm
 * fork, with sklearn's defaults (rbf kernel, C=1, epsilon=0.1, nu=0.5, gamma='scale', tol=1e-3).
 * They train with ./libsvm (that fork in TypeScript: the same doubles, max_iter stops the solver and
 * keeps the model as scikit-learn does, and probability=true fits Platt's sigmoids on the fork's
 * 5-fold cross-validation, shuffled by the seed scikit-learn draws from random_state), whose solvers
 * run on native libsvm (Debian's libsvm3, ./libsvm/native.ts) when it is installed and max_iter is
 * not set (upstream has none). Either way the model is the port's and predicts with the port.
 * Models stored while these engines trained with libsvm-js (libsvm 3.22 in WebAssembly) keep
 * libsvm's model file and predict from it here (./libsvm/model-file.ts).
 */
import { PgError, SqlState } from '../../errors/index.js';
import {
  checkHyperparamNames, numberParam, type Dataset, type Runtime, type Engine, type EngineFactory, type FitOptions, type Task,
} from './engine.js';
import {
  boolParam, checkPredictShape, choiceParam, decodeModel, encodeModel, intParam, invalidParam, notFitted,
  rangeParam, requireFinite, requireLabels, requireNumClasses, requireTask, seedParam,
} from './engine-support.js';
import { readModelFile } from './libsvm/model-file.js';
import { describeLibsvm, libsvmStatus, NativeRows, nativeSvmTrain } from './libsvm/native.js';
import {
  infeasibleNuPair, supportVectors, svmPredictProbability, svmPredictValues, svmTrain, type ClassifierTrainer, type SvmModel,
  type SvmParams,
} from './libsvm/train.js';
import { NumpyRandomState } from './numpy-random.js';

const TASKS: readonly Task[] = ['regression', 'classification'];
const SHARED = ['kernel', 'degree', 'gamma', 'coef0', 'tol', 'shrinking', 'probability', 'cache_size', 'max_iter', 'random_state'];

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
  /** Platt's sigmoids per pair of classes (probability=true). */
  probA?: number[];
  probB?: number[];
}

interface SvmState {
  task: 'regression' | 'classification';
  cols: number;
  numClasses: number;
  probability: boolean;
  /** libsvm's model file (svm_save_model), in models stored while these engines trained with libsvm-js. */
  model?: string;
  ported?: PortedModel;
  /** 'native' when upstream libsvm trained `ported`; absent: the TypeScript port (or libsvm-js) did. */
  runtime?: 'native';
}

/** A model ready to predict: arrays for the port's svm_predict_values. */
interface Loaded {
  model: SvmModel;
  params: Pick<SvmParams, 'kernel' | 'degree' | 'gamma' | 'coef0'>;
  sv: Float64Array;
}

class SvmEngine implements Engine {
  constructor(private readonly variant: Variant, private state?: SvmState, private loaded?: Loaded) {}

  /** What trained the model; before a fit, what a default fit would use. */
  get runtime(): Runtime {
    if (this.state) return this.state.runtime ?? 'js';
    return libsvmStatus().status === 'loaded' ? 'native' : 'js';
  }

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
    const x = Float64Array.from(data.x);
    const params: SvmParams = {
      type: task === 'classification' ? (nu ? 'nu_svc' : 'c_svc') : nu ? 'nu_svr' : 'epsilon_svr',
      kernel: choiceParam(algorithm, hp, 'kernel', 'rbf', KERNELS),
      degree: intParam(algorithm, hp, 'degree', 3, 0),
      gamma: gamma(algorithm, hp, x, data.cols),
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
    if (probability) {
      // BaseLibSVM.fit: random_seed = check_random_state(random_state).randint(np.iinfo('i').max)
      params.probability = true;
      params.randomSeed = new NumpyRandomState(seedParam(algorithm, hp)).bounded(MAX_SEED);
    }
    const y = Float64Array.from(labels);
    const { model, native } = train(x, y, data, params);
    const sv = supportVectors(x, data.cols, model.support);
    this.loaded = { model, params, sv };
    this.state = {
      task, cols: data.cols, numClasses, probability, ...(native ? { runtime: 'native' as const } : {}),
      ported: {
        params, labels: model.labels, nSV: model.nSV, svCoef: model.svCoef.map(numbers),
        rho: numbers(model.rho), support: numbers(model.support), sv: numbers(sv),
        ...(model.probA && model.probB ? { probA: numbers(model.probA), probB: numbers(model.probB) } : {}),
      },
    };
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const { state, loaded } = this.fitted();
    checkPredictShape(this.algorithm, x, rows, state.cols);
    const values = Float64Array.from(x);
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) out[r] = svmPredictValues(loaded.model, loaded.params, loaded.sv, state.cols, values, r * state.cols);
    return out;
  }

  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    const { state, loaded } = this.fitted();
    checkPredictShape(this.algorithm, x, rows, state.cols);
    if (state.task !== 'classification') {
      throw new PgError(SqlState.FeatureNotSupported, `${this.algorithm} regression does not produce probabilities`);
    }
    const { model } = loaded;
    if (!state.probability || !model.probA) {
      throw new PgError(SqlState.FeatureNotSupported, `this ${this.algorithm} model was trained without probability estimates`, {
        hint: 'train it with hyperparams => \'{"probability": true}\' (Platt scaling, as scikit-learn\'s SVC)',
      });
    }
    const k = state.numClasses;
    const values = Float64Array.from(x);
    const p = new Float64Array(model.labels.length);
    const out = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      svmPredictProbability(model, loaded.params, loaded.sv, state.cols, values, r * state.cols, p);
      model.labels.forEach((label, c) => (out[r * k + label] = p[c]!));
    }
    return out;
  }

  async serialize(): Promise<Uint8Array> {
    return encodeModel(formatOf(this.variant), this.fitted().state);
  }

  private fitted(): { state: SvmState; loaded: Loaded } {
    const state = this.state;
    if (!state) throw notFitted(this.algorithm);
    this.loaded ??= state.ported ? loadPorted(state.ported) : loadModelFile(this.algorithm, state);
    return { state, loaded: this.loaded };
  }
}

/**
 * The model, trained on native libsvm (`native`) when every solver could run there. The training rows
 * go to native memory once (NativeRows: rbf's kernel matrix, precomputed, where it fits in
 * cache_size) and every svm_train call of the fit reads them. One call trains C-SVC's every pair of
 * classes and the regressions; nu-SVC's pairs (each pair's rows set its start) and probability=true's
 * folds and pairs (the fork's seeded folds and Platt's fits, run by the port) go one binary problem per
 * call through the port's svm_train. A problem upstream cannot start as the fork does is the port's
 * (nativeSvmTrain's undefined).
 */
function train(x: Float64Array, y: Float64Array, data: Dataset, params: SvmParams): { model: SvmModel; native: boolean } {
  const problem = { x, y, rows: data.rows, cols: data.cols };
  if (portOnlyReason(params) !== undefined || libsvmStatus().status !== 'loaded') {
    return { model: svmTrain(problem, params), native: false };
  }
  const classification = params.type === 'c_svc' || params.type === 'nu_svc';
  const rows = NativeRows.of(x, data.cols, params, classification ? { classes: y } : {});
  try {
    if (params.probability || params.type === 'nu_svc') {
      let native = true;
      const solver: ClassifierTrainer = (...args) => {
        const model = nativeSvmTrain(...args, rows);
        native &&= model !== undefined;
        return model;
      };
      const model = svmTrain(problem, params, undefined, solver);
      return { model, native };
    }
    const model = nativeSvmTrain(x, y, data.rows, data.cols, params, undefined, rows);
    return model ? { model, native: true } : { model: svmTrain(problem, params), native: false };
  } finally {
    rows.free();
  }
}

/**
 * A typed array's values as a plain array (the stored model's JSON), by a loop: Array.from walks the
 * array's iterator, a result object and a boxed double per value (digits' nu_svm support vectors: 4 MB
 * of garbage per fit, and with it a young-generation collection every other fit; BENCHMARKS.md, svm9).
 */
function numbers(values: Float64Array | Int32Array): number[] {
  // pushed, not new Array(length): from 100,000 values on, V8 would make that a dictionary
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) out.push(values[i]!);
  return out;
}

function loadPorted(ported: PortedModel): Loaded {
  const model: SvmModel = {
    labels: ported.labels, nSV: ported.nSV, svCoef: ported.svCoef.map((row) => Float64Array.from(row)),
    rho: Float64Array.from(ported.rho), support: Int32Array.from(ported.support), iterations: [], timedOut: false,
    ...(ported.probA && ported.probB ? { probA: Float64Array.from(ported.probA), probB: Float64Array.from(ported.probB) } : {}),
  };
  return { model, params: ported.params, sv: Float64Array.from(ported.sv) };
}

/** A model stored while these engines trained with libsvm-js: its libsvm model file. */
function loadModelFile(algorithm: string, state: SvmState): Loaded {
  try {
    const file = readModelFile(state.model ?? '', state.cols);
    return { model: file.model, params: file.params, sv: file.sv };
  } catch (e) {
    throw new PgError(SqlState.DataCorrupted, `this stored ${algorithm} model cannot be read`, {
      detail: `its libsvm model file: ${(e as Error).message}`,
      hint: 'train the model again',
    });
  }
}

/** sklearn's gamma: 'scale' = 1 / (n_features · X.var()), 'auto' = 1 / n_features, or a number. */
function gamma(algorithm: string, hp: Record<string, unknown>, x: Float64Array, cols: number): number {
  const value = hp.gamma ?? 'scale';
  if (value === 'auto') return 1 / cols;
  if (value === 'scale') {
    const variance = numpyVariance(x);
    return variance !== 0 ? 1.0 / (cols * variance) : 1.0;
  }
  const g = numberParam(algorithm, hp, 'gamma', NaN);
  if (!(g > 0)) throw invalidParam(algorithm, 'gamma', "'scale', 'auto' or a number > 0", value);
  return g;
}

/**
 * numpy's ndarray.var() over all entries, to the last bit (gamma='scale' enters every kernel value):
 * the mean and the mean of squared deviations each summed by numpy's pairwise summation. The squared
 * deviations are summed as they are computed, with no array of them (a fit's external memory brings
 * V8's full collections nearer: BENCHMARKS.md, svm9).
 */
export function numpyVariance(x: Float64Array | Float32Array): number {
  const n = x.length;
  const values = x instanceof Float64Array ? x : Float64Array.from(x);
  const mean = pairwiseSum(values, 0, n, 0, false) / n;
  return pairwiseSum(values, 0, n, mean, true) / n;
}

/** The term numpy sums at a[i]: the value, or its squared deviation from `mean`. */
function termAt(a: Float64Array, i: number, mean: number, squared: boolean): number {
  const v = a[i]!;
  return squared ? (v - mean) * (v - mean) : v;
}

/**
 * numpy's pairwise_sum (loops_utils.h) of termAt(a, i, mean, squared) over i in [from, from + n): 8 running
 * sums over blocks of up to 128, halves above that.
 */
function pairwiseSum(a: Float64Array, from: number, n: number, mean: number, squared: boolean): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += termAt(a, from + i, mean, squared);
    return res;
  }
  if (n <= 128) {
    // numpy's r[0..7] as locals (no array per block: this runs once per 128 entries)
    let r0 = termAt(a, from, mean, squared), r1 = termAt(a, from + 1, mean, squared);
    let r2 = termAt(a, from + 2, mean, squared), r3 = termAt(a, from + 3, mean, squared);
    let r4 = termAt(a, from + 4, mean, squared), r5 = termAt(a, from + 5, mean, squared);
    let r6 = termAt(a, from + 6, mean, squared), r7 = termAt(a, from + 7, mean, squared);
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const at = from + i;
      r0 += termAt(a, at, mean, squared);
      r1 += termAt(a, at + 1, mean, squared);
      r2 += termAt(a, at + 2, mean, squared);
      r3 += termAt(a, at + 3, mean, squared);
      r4 += termAt(a, at + 4, mean, squared);
      r5 += termAt(a, at + 5, mean, squared);
      r6 += termAt(a, at + 6, mean, squared);
      r7 += termAt(a, at + 7, mean, squared);
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += termAt(a, from + i, mean, squared);
    return res;
  }
  let n2 = Math.trunc(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, from, n2, mean, squared) + pairwiseSum(a, from + n2, n - n2, mean, squared);
}

/** Why upstream libsvm cannot give scikit-learn's model for these parameters, or undefined. */
function portOnlyReason(params: Pick<SvmParams, 'maxIter'>): string | undefined {
  if (params.maxIter !== -1) return 'max_iter limits the solver\'s iterations, which only scikit-learn\'s fork of libsvm can';
  return undefined;
}

/** Said when a fit ran on the TypeScript port: why native libsvm did not train it. */
function portNotice(algorithm: string, hyperparams: Record<string, unknown>): string {
  const status = libsvmStatus().status;
  const reason = status !== 'loaded'
    ? describeLibsvm()
    : portOnlyReason({ maxIter: numberParam(algorithm, hyperparams, 'max_iter', -1) })
      ?? (algorithm === 'nu_svm'
        ? 'upstream libsvm cannot start nu-SVM where scikit-learn\'s fork starts for this many rows (it multiplies nu by the rows, the fork sums it), or the engine thread could not load libsvm (the reason is then in the proxy\'s log)'
        : 'the engine thread could not load libsvm although this process can (the reason is in the proxy\'s log)');
  return `${algorithm} trained on the TypeScript port of scikit-learn's libsvm, not on native libsvm: ${reason}`;
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
    runtimeNotice: (ran, hyperparams) => (ran === 'native' ? undefined : portNotice(variant.algorithm, hyperparams ?? {})),
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

/** np.iinfo('i').max - 1: the largest seed scikit-learn's randint(np.iinfo('i').max) draws for libsvm. */
const MAX_SEED = 0x7ffffffe;

export const svmFactory = factory(C_SVM);
export const nuSvmFactory = factory(NU_SVM);
