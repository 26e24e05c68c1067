/**
 * `neural_network`: a multi-layer perceptron shaped like scikit-learn's MLPRegressor / MLPClassifier
 * (hidden_layer_sizes [100], relu, adam at 0.001, L2 alpha 1e-4, batch min(200, n), max_iter epochs,
 * stop after n_iter_no_change epochs without a tol improvement), on TensorFlow.js's WebAssembly
 * backend. Weights are initialised, batches shuffled, and the model persisted from this module so a
 * random_state makes fits repeatable and a stored model reproduces its predictions exactly.
 * TensorFlow.js itself is imported on first use (neural-network-tensorflow.ts): a worker that never
 * trains or loads a network, and the proxy's main thread, do not spend seconds importing it.
 */
import { resourceLimits } from 'node:worker_threads';
import { PgError, SqlState } from '../../errors/index.js';
import {
  checkHyperparamNames, type Dataset, type Engine, type EngineFactory, type FitOptions, type Task,
} from './engine.js';
import {
  argmaxRows, boolParam, checkPredictShape, choiceParam, decodeModel, encodeModel, intParam, invalidParam, notFitted,
  perFitMemoryError, rangeParam, requireFinite, requireNumClasses, requireTask, seedParam, seededRandom,
} from './engine-support.js';
import type { Activation, NetworkState } from './neural-network-tensorflow.js';

const ALGORITHM = 'neural_network';
const FORMAT = 'pgml-proxy/neural_network';
const TASKS: readonly Task[] = ['regression', 'classification'];
const HYPERPARAMS = [
  'hidden_layer_sizes', 'activation', 'alpha', 'batch_size', 'learning_rate_init', 'max_iter', 'shuffle',
  'random_state', 'tol', 'n_iter_no_change', 'beta_1', 'beta_2', 'epsilon',
] as const;
const ACTIVATIONS = ['relu', 'tanh', 'logistic', 'identity'] as const satisfies readonly Activation[];

let tensorflow: Promise<typeof import('./neural-network-tensorflow.js')> | undefined;

/** The TensorFlow.js half of this engine, imported once per thread the first time a network is needed. */
function loadTensorflow(): Promise<typeof import('./neural-network-tensorflow.js')> {
  tensorflow ??= import('./neural-network-tensorflow.js');
  return tensorflow;
}

function hiddenLayers(hp: Record<string, unknown>): number[] {
  const value = hp.hidden_layer_sizes ?? [100];
  const sizes = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(sizes) || !sizes.every((s) => Number.isInteger(s) && s >= 1)) {
    throw invalidParam(ALGORITHM, 'hidden_layer_sizes', 'an array of positive integers', value);
  }
  return sizes as number[];
}

/**
 * Heap bytes per weight at the trained network's largest: its state keeps each weight as a number (8
 * bytes in an array of doubles) and the stored model is its JSON (at most 24 characters a number).
 */
const HEAP_BYTES_PER_WEIGHT = 8 + 24;

/**
 * Refuses a network whose weights alone need more than the engine thread's heap bound (--fit-memory-mb,
 * the thread's resourceLimits) with the pool's 53200, before training. Past the bound V8 normally ends
 * the thread and the pool answers 53200, but one array or string larger than the bound does not end
 * the thread: V8 aborts the whole process (nodejs/node#47224), as a [3000, 3000] network's weights
 * did in 2 of 10 runs of the per-fit bound's test. Outside an engine thread there is no bound.
 */
function requireWithinHeapBound(sizes: readonly number[]): void {
  const boundMb = resourceLimits.maxOldGenerationSizeMb;
  if (boundMb === undefined) return;
  let weights = 0;
  for (let layer = 0; layer + 1 < sizes.length; layer++) weights += (sizes[layer]! + 1) * sizes[layer + 1]!;
  const neededMb = Math.ceil((weights * HEAP_BYTES_PER_WEIGHT) / 2 ** 20);
  if (neededMb <= boundMb) return;
  throw perFitMemoryError(`training ${ALGORITHM}`, boundMb,
    `The network has ${weights} weights and biases: about ${neededMb} MB of heap once trained and stored.`);
}

class NeuralNetworkEngine implements Engine {
  readonly algorithm = ALGORITHM;
  readonly runtime = 'wasm' as const;

  constructor(private state?: NetworkState) {}

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    checkHyperparamNames(ALGORITHM, options.hyperparams, HYPERPARAMS);
    const task = requireTask(ALGORITHM, options, TASKS) as NetworkState['task'];
    requireFinite(ALGORITHM, data.x);
    const yCols = data.yCols ?? 1;
    if (!data.y || data.y.length !== data.rows * yCols) {
      throw new PgError(SqlState.InvalidParameterValue, `${ALGORITHM} needs one label per training row`);
    }
    const numClasses = task === 'classification' ? requireNumClasses(ALGORITHM, options) : 0;
    const hp = options.hyperparams;
    const activation = choiceParam(ALGORITHM, hp, 'activation', 'relu', ACTIVATIONS);
    const alpha = rangeParam(ALGORITHM, hp, 'alpha', 1e-4, { min: 0 });
    const batchSize = hp.batch_size === 'auto' || hp.batch_size === undefined
      ? Math.min(200, data.rows)
      : Math.min(intParam(ALGORITHM, hp, 'batch_size', 200), data.rows);
    const maxIter = intParam(ALGORITHM, hp, 'max_iter', 200);
    const shuffle = boolParam(ALGORITHM, hp, 'shuffle', true);
    const tol = rangeParam(ALGORITHM, hp, 'tol', 1e-4, { min: 0 });
    const patience = intParam(ALGORITHM, hp, 'n_iter_no_change', 10);
    const random = seededRandom(seedParam(ALGORITHM, hp));
    const adam = [
      rangeParam(ALGORITHM, hp, 'learning_rate_init', 1e-3, { min: 0, exclusiveMin: true }),
      rangeParam(ALGORITHM, hp, 'beta_1', 0.9, { min: 0, max: 1 }),
      rangeParam(ALGORITHM, hp, 'beta_2', 0.999, { min: 0, max: 1 }),
      rangeParam(ALGORITHM, hp, 'epsilon', 1e-8, { min: 0, exclusiveMin: true }),
    ] as const;
    // Binary classification uses one logistic output, like sklearn; more classes a softmax.
    const outputs = task === 'regression' ? yCols : numClasses === 2 ? 1 : numClasses;
    if (task === 'classification' && yCols !== 1) {
      throw new PgError(SqlState.FeatureNotSupported, `${ALGORITHM} classification takes one label column`);
    }
    const sizes = [data.cols, ...hiddenLayers(hp), outputs];
    requireWithinHeapBound(sizes);
    const targets = new Float32Array(data.rows * outputs);
    if (task === 'regression' || outputs === 1) targets.set(data.y);
    else for (let r = 0; r < data.rows; r++) targets[r * outputs + data.y[r]!] = 1;

    const { trainNetwork } = await loadTensorflow();
    const trained = await trainNetwork(data, {
      task, sizes, outputs, targets, activation, alpha, batchSize, maxIter, shuffle, tol, patience, adam, random, algorithm: ALGORITHM,
    });
    this.state = { task, cols: data.cols, outputs, numClasses, activation, ...trained };
  }

  /** Raw output scores, rows × outputs. */
  private async scores(x: Float32Array, rows: number): Promise<{ state: NetworkState; scores: Float32Array }> {
    const state = this.fitted();
    checkPredictShape(ALGORITHM, x, rows, state.cols);
    const { networkScores } = await loadTensorflow();
    const scores = await networkScores(state, x, rows);
    return { state, scores };
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const { state, scores } = await this.scores(x, rows);
    if (state.task === 'regression') return scores;
    if (state.outputs === 1) return Float32Array.from(scores, (p) => (p > 0.5 ? 1 : 0));
    return argmaxRows(scores, rows, state.outputs);
  }

  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    const { state, scores } = await this.scores(x, rows);
    if (state.task !== 'classification') {
      throw new PgError(SqlState.FeatureNotSupported, `${ALGORITHM} regression does not produce probabilities`);
    }
    if (state.outputs > 1) return scores;
    const out = new Float32Array(rows * 2);
    scores.forEach((p, r) => {
      out[r * 2] = 1 - p;
      out[r * 2 + 1] = p;
    });
    return out;
  }

  async serialize(): Promise<Uint8Array> {
    return encodeModel(FORMAT, this.fitted());
  }

  private fitted(): NetworkState {
    if (!this.state) throw notFitted(ALGORITHM);
    return this.state;
  }
}

export const neuralNetworkFactory: EngineFactory = {
  algorithm: ALGORITHM,
  tasks: TASKS,
  hyperparams: HYPERPARAMS,
  create: () => new NeuralNetworkEngine(),
  async deserialize(bytes: Uint8Array): Promise<Engine> {
    return new NeuralNetworkEngine(decodeModel<NetworkState>(FORMAT, bytes));
  },
};
