/**
 * neural_network's training loop and forward pass on TensorFlow.js's WebAssembly backend. Importing
 * TensorFlow.js takes seconds (2.4 s at load 18), so neural-network.ts loads this module only when a
 * network trains or predicts: other engine workers and the proxy's main thread never pay for it.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's node build leaves gradients out; the @tensorflow/tfjs bundle registers them on the same core.
import '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { PgError, SqlState } from '../../errors/index.js';
import type { Dataset } from './engine.js';
import { shuffleInPlace } from './engine-support.js';

export type Activation = 'relu' | 'tanh' | 'logistic' | 'identity';

export interface Layer {
  fanIn: number;
  fanOut: number;
  /** fanIn × fanOut, row-major. */
  weights: number[];
  biases: number[];
}

export interface NetworkState {
  task: 'regression' | 'classification';
  cols: number;
  outputs: number;
  numClasses: number;
  activation: Activation;
  layers: Layer[];
  iterations: number;
}

/** What fit decided from the hyperparameters; the loop below only runs it. */
export interface TrainingPlan {
  task: NetworkState['task'];
  /** Layer widths, input and output included. */
  sizes: number[];
  outputs: number;
  /** rows × outputs: regression values, the binary label, or one-hot classes. */
  targets: Float32Array;
  activation: Activation;
  alpha: number;
  batchSize: number;
  maxIter: number;
  shuffle: boolean;
  tol: number;
  patience: number;
  /** learning rate, beta_1, beta_2, epsilon. */
  adam: readonly [number, number, number, number];
  random: () => number;
  /** For the divergence error's message. */
  algorithm: string;
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

/** Adam over shuffled minibatches until max_iter or n_iter_no_change epochs without a tol improvement. */
export async function trainNetwork(data: Dataset, plan: TrainingPlan): Promise<{ layers: Layer[]; iterations: number }> {
  const { sizes, outputs, targets, activation, batchSize, random } = plan;
  await wasmBackend();
  const optimizer = tf.train.adam(...plan.adam);
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
    for (epoch = 0; epoch < plan.maxIter; epoch++) {
      if (plan.shuffle) shuffleInPlace(order, random);
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
          const loss = plan.task === 'regression'
            ? tf.div(tf.mean(tf.squaredDifference(scores, y)), 2)
            : outputs === 1
              ? tf.mean(tf.sub(tf.softplus(scores), tf.mul(y, scores)))
              : tf.mean(tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(scores)), 1)));
          // sklearn's L2 term: alpha / (2 · batch) · Σ‖W‖², biases unpenalised.
          const penalty = tf.mul(plan.alpha / (2 * n), tf.addN(weights.map((w) => tf.sum(tf.square(w)))));
          return tf.add(loss, penalty) as tf.Scalar;
        }, true, [...weights, ...biases]);
        epochLoss += (await cost!.data())[0]! * n;
        cost!.dispose();
      }
      epochLoss /= data.rows;
      if (!Number.isFinite(epochLoss)) {
        throw new PgError(SqlState.NumericValueOutOfRange, `${plan.algorithm} training diverged`, {
          hint: 'scale the features or lower learning_rate_init',
        });
      }
      stalled = epochLoss > bestLoss - plan.tol ? stalled + 1 : 0;
      bestLoss = Math.min(bestLoss, epochLoss);
      if (stalled > plan.patience) {
        epoch++;
        break;
      }
    }
    const layers = await Promise.all(weights.map(async (w, i) => ({
      fanIn: w.shape[0],
      fanOut: w.shape[1],
      weights: Array.from(await w.data()),
      biases: Array.from(await biases[i]!.data()),
    })));
    return { layers, iterations: epoch };
  } finally {
    optimizer.dispose();
    for (const v of [...weights, ...biases]) v.dispose();
  }
}

/** rows × outputs: regression values, or class probabilities (sigmoid for one output, softmax for more). */
export async function networkScores(state: NetworkState, x: Float32Array, rows: number): Promise<Float32Array> {
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
  return scores;
}
