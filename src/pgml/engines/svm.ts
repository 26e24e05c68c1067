/**
 * `svm`: scikit-learn's SVC / SVR are thin wrappers over libsvm, and libsvm-js is libsvm compiled to
 * WebAssembly, so the same C-SVC / epsilon-SVR solver runs here with sklearn's defaults translated
 * (rbf kernel, C=1, epsilon=0.1, gamma='scale', tol=1e-3). The model persists in libsvm's own text format.
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
  SVM_TYPES: Record<'C_SVC' | 'EPSILON_SVR', string>;
  KERNEL_TYPES: Record<'LINEAR' | 'POLYNOMIAL' | 'RBF' | 'SIGMOID', string>;
}

let libsvm: Promise<LibsvmClass> | undefined;

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
      return require('libsvm-js/wasm.js') as Promise<LibsvmClass>;
    } finally {
      globalThis.fetch = savedFetch;
    }
  })();
  return libsvm;
}

const ALGORITHM = 'svm';
const FORMAT = 'pgml-proxy/svm';
const TASKS: readonly Task[] = ['regression', 'classification'];
const HYPERPARAMS = ['C', 'kernel', 'degree', 'gamma', 'coef0', 'epsilon', 'tol', 'shrinking', 'probability', 'cache_size'] as const;
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
  readonly algorithm = ALGORITHM;
  readonly runtime = 'wasm' as const;

  constructor(private state?: SvmState, private model?: LibsvmModel) {}

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    checkHyperparamNames(ALGORITHM, options.hyperparams, HYPERPARAMS);
    const task = requireTask(ALGORITHM, options, TASKS) as SvmState['task'];
    requireFinite(ALGORITHM, data.x);
    const labels = requireLabels(ALGORITHM, data);
    const numClasses = task === 'classification' ? requireNumClasses(ALGORITHM, options) : 0;
    const hp = options.hyperparams;
    const kernel = choiceParam(ALGORITHM, hp, 'kernel', 'rbf', KERNELS);
    const probability = task === 'classification' && boolParam(ALGORITHM, hp, 'probability', false);
    const SVM = await loadLibsvm();
    const svm = new SVM({
      type: task === 'classification' ? SVM.SVM_TYPES.C_SVC : SVM.SVM_TYPES.EPSILON_SVR,
      kernel: { rbf: SVM.KERNEL_TYPES.RBF, linear: SVM.KERNEL_TYPES.LINEAR, poly: SVM.KERNEL_TYPES.POLYNOMIAL, sigmoid: SVM.KERNEL_TYPES.SIGMOID }[kernel],
      degree: intParam(ALGORITHM, hp, 'degree', 3, 0),
      gamma: gamma(hp, data),
      coef0: numberParam(ALGORITHM, hp, 'coef0', 0),
      cost: rangeParam(ALGORITHM, hp, 'C', 1.0, { min: 0, exclusiveMin: true }),
      epsilon: rangeParam(ALGORITHM, hp, 'epsilon', 0.1, { min: 0 }),
      tolerance: rangeParam(ALGORITHM, hp, 'tol', 1e-3, { min: 0, exclusiveMin: true }),
      shrinking: boolParam(ALGORITHM, hp, 'shrinking', true),
      cacheSize: rangeParam(ALGORITHM, hp, 'cache_size', 200, { min: 0, exclusiveMin: true }),
      probabilityEstimates: probability,
      quiet: true,
    });
    svm.train(toRows(data.x, data.rows, data.cols), Array.from(labels));
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
    checkPredictShape(ALGORITHM, x, rows, state.cols);
    return Float32Array.from(model.predict(toRows(x, rows, state.cols)));
  }

  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    const { state, model } = await this.fitted();
    checkPredictShape(ALGORITHM, x, rows, state.cols);
    if (state.task !== 'classification') {
      throw new PgError(SqlState.FeatureNotSupported, 'svm regression does not produce probabilities');
    }
    if (!state.probability) {
      throw new PgError(SqlState.FeatureNotSupported, 'this svm model was trained without probability estimates', {
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
    return encodeModel(FORMAT, (await this.fitted()).state);
  }

  private async fitted(): Promise<{ state: SvmState; model: LibsvmModel }> {
    if (!this.state) throw notFitted(ALGORITHM);
    if (!this.model) this.model = (await loadLibsvm()).load(this.state.model);
    return { state: this.state, model: this.model };
  }
}

/** sklearn's gamma: 'scale' = 1 / (n_features · Var(X)) over all entries, 'auto' = 1 / n_features, or a number. */
function gamma(hp: Record<string, unknown>, data: Dataset): number {
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
  const g = numberParam(ALGORITHM, hp, 'gamma', NaN);
  if (!(g > 0)) throw invalidParam(ALGORITHM, 'gamma', "'scale', 'auto' or a number > 0", value);
  return g;
}

export const svmFactory: EngineFactory = {
  algorithm: ALGORITHM,
  tasks: TASKS,
  hyperparams: HYPERPARAMS,
  create: () => new SvmEngine(),
  async deserialize(bytes: Uint8Array): Promise<Engine> {
    return new SvmEngine(decodeModel<SvmState>(FORMAT, bytes));
  },
};
