/**
 * `svm` and `nu_svm`: scikit-learn's SVC / SVR and NuSVC / NuSVR are thin wrappers over libsvm, and
 * libsvm-js is libsvm compiled to WebAssembly, so the same C-SVC / epsilon-SVR / nu-SVC / nu-SVR
 * solvers run here with sklearn's defaults translated (rbf kernel, C=1, epsilon=0.1, nu=0.5,
 * gamma='scale', tol=1e-3). The model persists in libsvm's own text format. max_iter: see
 * requireConvergedWithin.
 */
import { createRequire } from 'node:module';
import { PgError, SqlState } from '../../errors/index.js';
import {
  checkHyperparamNames, numberParam, type Dataset, type Engine, type EngineFactory, type FitOptions, type Task,
} from './engine.js';
import {
  boolParam, checkPredictShape, choiceParam, decodeModel, encodeModel, intParam, invalidParam, notFitted,
  rangeParam, requireFinite, requireLabels, requireNumClasses, requireTask, toRows,
} from './engine-support.js';

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

interface SvmState {
  task: 'regression' | 'classification';
  cols: number;
  numClasses: number;
  probability: boolean;
  /** libsvm's model file, as svm_save_model writes it. */
  model: string;
}

class SvmEngine implements Engine {
  readonly runtime = 'wasm' as const;

  constructor(private readonly variant: Variant, private state?: SvmState, private model?: LibsvmModel) {}

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
    const kernel = choiceParam(algorithm, hp, 'kernel', 'rbf', KERNELS);
    const probability = task === 'classification' && boolParam(algorithm, hp, 'probability', false);
    const nu = this.variant.algorithm === 'nu_svm';
    if (nu && task === 'classification' && hp.C !== undefined) {
      throw new PgError(SqlState.InvalidParameterValue, 'hyperparameter C for nu_svm applies to regression only (NuSVR); NuSVC takes nu');
    }
    const maxIter = maxIterations(algorithm, hp);
    const SVM = await loadLibsvm();
    const types = SVM.SVM_TYPES;
    const svm = new SVM({
      type: task === 'classification' ? (nu ? types.NU_SVC : types.C_SVC) : nu ? types.NU_SVR : types.EPSILON_SVR,
      nu: rangeParam(algorithm, hp, 'nu', 0.5, { min: 0, max: 1, exclusiveMin: true }),
      kernel: { rbf: SVM.KERNEL_TYPES.RBF, linear: SVM.KERNEL_TYPES.LINEAR, poly: SVM.KERNEL_TYPES.POLYNOMIAL, sigmoid: SVM.KERNEL_TYPES.SIGMOID }[kernel],
      degree: intParam(algorithm, hp, 'degree', 3, 0),
      gamma: gamma(algorithm, hp, data),
      coef0: numberParam(algorithm, hp, 'coef0', 0),
      cost: rangeParam(algorithm, hp, 'C', 1.0, { min: 0, exclusiveMin: true }),
      epsilon: rangeParam(algorithm, hp, 'epsilon', 0.1, { min: 0 }),
      tolerance: rangeParam(algorithm, hp, 'tol', 1e-3, { min: 0, exclusiveMin: true }),
      shrinking: boolParam(algorithm, hp, 'shrinking', true),
      cacheSize: rangeParam(algorithm, hp, 'cache_size', 200, { min: 0, exclusiveMin: true }),
      probabilityEstimates: probability,
      quiet: maxIter === -1,
    });
    const samples = toRows(data.x, data.rows, data.cols);
    if (maxIter === -1) {
      svm.train(samples, Array.from(labels));
    } else {
      const iterations = solverIterations(() => svm.train(samples, Array.from(labels)));
      requireConvergedWithin(algorithm, maxIter, iterations, () => svm.free());
    }
    const model = svm.serializeModel();
    svm.free();
    this.model?.free();
    // libsvm's model file rounds some values (%g); predicting from the reloaded file means this engine
    // and every copy deserialized later answer identically.
    this.model = SVM.load(model);
    this.state = { task, cols: data.cols, numClasses, probability, model };
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const { state, model } = await this.fitted();
    checkPredictShape(this.algorithm, x, rows, state.cols);
    return Float32Array.from(model.predict(toRows(x, rows, state.cols)));
  }

  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    const { state, model } = await this.fitted();
    checkPredictShape(this.algorithm, x, rows, state.cols);
    if (state.task !== 'classification') {
      throw new PgError(SqlState.FeatureNotSupported, `${this.algorithm} regression does not produce probabilities`);
    }
    if (!state.probability) {
      throw new PgError(SqlState.FeatureNotSupported, `this ${this.algorithm} model was trained without probability estimates`, {
        hint: 'train it with hyperparams => \'{"probability": true}\' (Platt scaling, as scikit-learn\'s SVC)',
      });
    }
    const k = state.numClasses;
    const out = new Float32Array(rows * k);
    model.predictProbability(toRows(x, rows, state.cols)).forEach((row, r) => {
      for (const estimate of row.estimates) out[r * k + estimate.label] = estimate.probability;
    });
    return out;
  }

  async serialize(): Promise<Uint8Array> {
    return encodeModel(formatOf(this.variant), (await this.fitted()).state);
  }

  private async fitted(): Promise<{ state: SvmState; model: LibsvmModel }> {
    if (!this.state) throw notFitted(this.algorithm);
    if (!this.model) this.model = (await loadLibsvm()).load(this.state.model);
    return { state: this.state, model: this.model };
  }
}

/** sklearn's gamma: 'scale' = 1 / (n_features · Var(X)) over all entries, 'auto' = 1 / n_features, or a number. */
function gamma(algorithm: string, hp: Record<string, unknown>, data: Dataset): number {
  const value = hp.gamma ?? 'scale';
  if (value === 'auto') return 1 / data.cols;
  if (value === 'scale') {
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < data.x.length; i++) {
      sum += data.x[i]!;
      sumSq += data.x[i]! * data.x[i]!;
    }
    const n = data.x.length;
    const variance = sumSq / n - (sum / n) ** 2;
    return variance > 0 ? 1 / (data.cols * variance) : 1;
  }
  const g = numberParam(algorithm, hp, 'gamma', NaN);
  if (!(g > 0)) throw invalidParam(algorithm, 'gamma', "'scale', 'auto' or a number > 0", value);
  return g;
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
