/**
 * `neural_network`: a multi-layer perceptron shaped like scikit-learn's MLPRegressor / MLPClassifier
 * (hidden_layer_sizes [100], relu, adam at 0.001, L2 alpha 1e-4, batch min(200, n), max_iter epochs,
 * stop after n_iter_no_change epochs without a tol improvement), on TensorFlow.js's WebAssembly
 * backend. Weights are initialised, batches shuffled, and the model persisted from this module so a
 * random_state makes fits repeatable and a stored model reproduces its predictions exactly.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's node build leaves gradients out; the @tensorflow/tfjs bundle registers them on the same core.
import '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { PgError, SqlState } from '../../errors/index.js';
import {
  checkHyperparamNames, type Dataset, type Engine, type EngineFactory, type FitOptions, type Task,
} from './engine.js';
import {
  argmaxRows, boolParam, checkPredictShape, choiceParam, decodeModel, encodeModel, intParam, invalidParam, notFitted,
  rangeParam, requireFinite, requireNumClasses, requireTask, seedParam, seededRandom, shuffleInPlace,
} from './engine-support.js';

const ALGORITHM = 'neural_network';
const FORMAT = 'pgml-proxy/neural_network';
const TASKS: readonly Task[] = ['regression', 'classification'];
const HYPERPARAMS = [
  'hidden_layer_sizes', 'activation', 'alpha', 'batch_size', 'learning_rate_init', 'max_iter', 'shuffle',
  'random_state', 'tol', 'n_iter_no_change', 'beta_1', 'beta_2', 'epsilon',
] as const;
const ACTIVATIONS = ['relu', 'tanh', 'logistic', 'identity'] as const;
type Activation = (typeof ACTIVATIONS)[number];

interface NetworkState {
  task: 'regression' | 'classification';
  cols: number;
  outputs: number;
  numClasses: number;
  activation: Activation;
  /** Per layer: weights (fanIn × fanOut, row-major) and biases. */
  layers: { fanIn: number; fanOut: number; weights: number[]; biases: number[] }[];
  iterations: number;
}

let backend: Promise<void> | undefined;

/** The .wasm files ship inside the npm package: point the loader at them so nothing is fetched. */
function wasmBackend(): Promise<void> {
  backend ??= (async () => {
    const require = createRequire(import.meta.url);
    setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
    if (!(await tf.setBackend('wasm'))) throw new PgError(SqlState.InternalError, 'TensorFlow.js WebAssembly backend failed to start');
    await tf.ready();
  })();
  return backend;
}

function activate(x: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  switch (activation) {
    case 'relu': return tf.relu(x);
    case 'tanh': return tf.tanh(x);
    case 'logistic': return tf.sigmoid(x);
    case 'identity': return x;
  }
}

/** Forward pass up to the output layer's raw scores (no output activation). */
function forward(input: tf.Tensor2D, weights: tf.Tensor2D[], biases: tf.Tensor1D[], activation: Activation): tf.Tensor2D {
  let h = input;
  for (let i = 0; i < weights.length; i++) {
    h = tf.add(tf.matMul(h, weights[i]!), biases[i]!);
    if (i < weights.length - 1) h = activate(h, activation);
  }
  return h;
}

function hiddenLayers(hp: Record<string, unknown>): number[] {
  const value = hp.hidden_layer_sizes ?? [100];
  const sizes = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(sizes) || !sizes.every((s) => Number.isInteger(s) && s >= 1)) {
    throw invalidParam(ALGORITHM, 'hidden_layer_sizes', 'an array of positive integers', value);
  }
  return sizes as number[];
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
    const targets = new Float32Array(data.rows * outputs);
    if (task === 'regression' || outputs === 1) targets.set(data.y);
    else for (let r = 0; r < data.rows; r++) targets[r * outputs + data.y[r]!] = 1;

    await wasmBackend();
    const optimizer = tf.train.adam(...adam);
    const weights: tf.Variable<tf.Rank.R2>[] = [];
    const biases: tf.Variable<tf.Rank.R1>[] = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const [fanIn, fanOut] = [sizes[i]!, sizes[i + 1]!];
      // sklearn's Glorot-uniform initialisation (factor 2 instead of 6 for logistic units), biases included.
      const bound = Math.sqrt((activation === 'logistic' ? 2 : 6) / (fanIn + fanOut));
      const uniform = (n: number) => Float32Array.from({ length: n }, () => (random() * 2 - 1) * bound);
      weights.push(tf.variable(tf.tensor2d(uniform(fanIn * fanOut), [fanIn, fanOut])));
      biases.push(tf.variable(tf.tensor1d(uniform(fanOut))));
    }

    const order = Int32Array.from({ length: data.rows }, (_, i) => i);
    const xBatch = new Float32Array(batchSize * data.cols);
    const yBatch = new Float32Array(batchSize * outputs);
    let bestLoss = Infinity;
    let stalled = 0;
    let epoch = 0;
    try {
      for (epoch = 0; epoch < maxIter; epoch++) {
        if (shuffle) shuffleInPlace(order, random);
        let epochLoss = 0;
        for (let start = 0; start < data.rows; start += batchSize) {
          const n = Math.min(batchSize, data.rows - start);
          for (let b = 0; b < n; b++) {
            const row = order[start + b]!;
            xBatch.set(data.x.subarray(row * data.cols, (row + 1) * data.cols), b * data.cols);
            yBatch.set(targets.subarray(row * outputs, (row + 1) * outputs), b * outputs);
          }
          const cost = optimizer.minimize(() => {
            const x = tf.tensor2d(xBatch.subarray(0, n * data.cols), [n, data.cols]);
            const y = tf.tensor2d(yBatch.subarray(0, n * outputs), [n, outputs]);
            const scores = forward(x, weights, biases, activation);
            const loss = task === 'regression'
              ? tf.div(tf.mean(tf.squaredDifference(scores, y)), 2)
              : outputs === 1
                ? tf.mean(tf.sub(tf.softplus(scores), tf.mul(y, scores)))
                : tf.mean(tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(scores)), 1)));
            // sklearn's L2 term: alpha / (2 · batch) · Σ‖W‖², biases unpenalised.
            const penalty = tf.mul(alpha / (2 * n), tf.addN(weights.map((w) => tf.sum(tf.square(w)))));
            return tf.add(loss, penalty) as tf.Scalar;
          }, true, [...weights, ...biases]);
          epochLoss += (await cost!.data())[0]! * n;
          cost!.dispose();
        }
        epochLoss /= data.rows;
        if (!Number.isFinite(epochLoss)) {
          throw new PgError(SqlState.NumericValueOutOfRange, `${ALGORITHM} training diverged`, {
            hint: 'scale the features or lower learning_rate_init',
          });
        }
        stalled = epochLoss > bestLoss - tol ? stalled + 1 : 0;
        bestLoss = Math.min(bestLoss, epochLoss);
        if (stalled > patience) {
          epoch++;
          break;
        }
      }
      this.state = {
        task,
        cols: data.cols,
        outputs,
        numClasses,
        activation,
        iterations: epoch,
        layers: await Promise.all(weights.map(async (w, i) => ({
          fanIn: w.shape[0],
          fanOut: w.shape[1],
          weights: Array.from(await w.data()),
          biases: Array.from(await biases[i]!.data()),
        }))),
      };
    } finally {
      optimizer.dispose();
      for (const v of [...weights, ...biases]) v.dispose();
    }
  }

  /** Raw output scores, rows × outputs. */
  private async scores(x: Float32Array, rows: number): Promise<{ state: NetworkState; scores: Float32Array }> {
    const state = this.fitted();
    checkPredictShape(ALGORITHM, x, rows, state.cols);
    await wasmBackend();
    const out = tf.tidy(() => {
      const weights = state.layers.map((l) => tf.tensor2d(l.weights, [l.fanIn, l.fanOut]));
      const biases = state.layers.map((l) => tf.tensor1d(l.biases));
      const scores = forward(tf.tensor2d(x, [rows, state.cols]), weights, biases, state.activation);
      if (state.task === 'regression') return scores;
      return state.outputs === 1 ? tf.sigmoid(scores) : tf.softmax(scores);
    });
    const scores = (await out.data()) as Float32Array;
    out.dispose();
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
