/**
 * Scores a fitted engine on held-out rows with PostgresML's metric keys for the task
 * (metrics.ts), timing the predictions as `score_time` in seconds.
 */
import { probabilitiesIfAny, type Engine, type FitProgress, type PredictedWithProba, type Task } from '../engines/engine.js';
import {
  classificationMetrics,
  cumulativeExplainedVariance,
  regressionMetrics,
  silhouetteScore,
} from './metrics.js';
import type { TrainingDataset } from '../preparation/dataset.js';
import { tracedFit } from './fit-trace.js';

export interface ScoreInput {
  task: Task;
  x: Float32Array;
  rows: number;
  cols: number;
  /** rows × yCols labels (class indexes for classification); empty for unsupervised tasks. */
  y: Float32Array;
  yCols: number;
  numClasses: number;
}

/**
 * The predictions a score was computed from, which the model's test results reuse (test-results.ts):
 * predict's output for the scored rows, and predictProba's for binary classification when the
 * engine gives probabilities.
 */
export type Predictions = PredictedWithProba;

export interface Scored {
  metrics: Record<string, number>;
  predictions: Predictions;
}

/** Rows of a training set: rows × features, and rows × labels (empty for unsupervised tasks). */
export interface Rows {
  x: Float32Array;
  y: Float32Array;
  rows: number;
}

export interface FitScoreInput {
  engine: Engine;
  task: Task;
  hyperparams: Record<string, unknown>;
  train: Rows;
  test: Rows;
  numFeatures: number;
  numLabels: number;
  numClasses: number;
  signal?: AbortSignal | undefined;
  progress?: ((progress: FitProgress) => void) | undefined;
  /** Dataset.discardRows for the training rows: only where nothing reads them after the fit. */
  discardTrainRows?: ((rows: number) => void) | undefined;
}

/** What a fit needs of a training set: its two splits (shared memory, read where they are) and their shapes. */
export type DatasetSplits = Pick<FitScoreInput, 'train' | 'test' | 'numFeatures' | 'numLabels' | 'numClasses'>;

export function datasetSplits(data: TrainingDataset): DatasetSplits {
  return {
    train: { x: data.xTrain, y: data.yTrain, rows: data.numTrainRows },
    test: { x: data.xTest, y: data.yTest, rows: data.numTestRows },
    numFeatures: data.numFeatures,
    numLabels: data.numLabels,
    numClasses: data.numClasses,
  };
}

export interface Fitted {
  metrics: Record<string, number>;
  /** Undefined when nothing was scored (test_size => 0). */
  predictions?: Predictions;
}

/**
 * Fits the engine on the training rows, timing the fit as `fit_time` in seconds, and scores it on
 * the test rows: one candidate of a search (on the pool), or a whole training on a worker (fit-job.ts).
 */
export async function fitAndScore(input: FitScoreInput): Promise<Fitted> {
  const { engine, task, train, test } = input;
  const supervised = task === 'regression' || task === 'classification';
  const fitTime = await tracedFit({ rows: train.rows, cols: input.numFeatures }, async () => {
    const started = performance.now();
    await engine.fit(
      {
        x: train.x,
        rows: train.rows,
        cols: input.numFeatures,
        ...(supervised ? { y: train.y, yCols: input.numLabels } : {}),
        ...(input.discardTrainRows ? { discardRows: input.discardTrainRows } : {}),
      },
      { task, hyperparams: input.hyperparams, ...(task === 'classification' ? { numClasses: input.numClasses } : {}) },
      input.signal,
      input.progress,
    );
    return (performance.now() - started) / 1000;
  });
  // test_size => 0 skips scoring: the model is kept, with timing only (PostgresML scores nothing either).
  if (test.rows === 0) return { metrics: { score_time: 0, fit_time: fitTime } };
  const scored = await scoreEngine(engine, {
    task,
    x: test.x,
    rows: test.rows,
    cols: input.numFeatures,
    y: test.y,
    yCols: input.numLabels,
    numClasses: input.numClasses,
  });
  return { metrics: { ...scored.metrics, fit_time: fitTime }, predictions: scored.predictions };
}

export async function scoreEngine(engine: Engine, input: ScoreInput): Promise<Scored> {
  const started = performance.now();
  const binary = input.task === 'classification' && input.numClasses === 2;
  const { predicted, proba } = binary ? await withProba(engine, input) : { predicted: await engine.predict(input.x, input.rows) };
  const metrics = metricsFor(input, predicted, proba);
  return {
    metrics: { ...metrics, score_time: (performance.now() - started) / 1000 },
    predictions: proba === undefined ? { predicted } : { predicted, proba },
  };
}

function metricsFor(input: ScoreInput, predictions: Float32Array, proba: Float32Array | undefined): Record<string, number> {
  switch (input.task) {
    case 'regression':
      return { ...regressionMetrics(input.y, predictions) };
    case 'classification':
      return { ...classificationMetrics(input.y, predictions, input.numClasses, proba && positiveScores(proba, input.rows)) };
    case 'clustering':
      return { silhouette: silhouetteScore(input.x, input.rows, input.cols, predictions) };
    case 'decomposition':
      return { cumulative_explained_variance: cumulativeExplainedVariance(projectedShares(input, predictions)) };
  }
}

/**
 * Predictions and rows × 2 probabilities, in one engine call where the engine has one. Without
 * probabilities the metrics use the hard predictions, as PostgresML does.
 */
async function withProba(engine: Engine, input: ScoreInput): Promise<PredictedWithProba> {
  if (engine.predictWithProba) return engine.predictWithProba(input.x, input.rows);
  const predicted = await engine.predict(input.x, input.rows);
  const proba = await probabilitiesIfAny(engine, input.x, input.rows);
  return proba === undefined ? { predicted } : { predicted, proba };
}

function positiveScores(proba: Float32Array, rows: number): Float32Array {
  const scores = new Float32Array(rows);
  for (let r = 0; r < rows; r++) scores[r] = proba[r * 2 + 1] as number;
  return scores;
}

/**
 * Share of the held-out rows' total variance that each projected component carries: for a PCA
 * fitted on similar data this is scikit-learn's explained_variance_ratio_, measured out of sample.
 * Also the dashboard's explained-variance plot (test-results.ts).
 */
export function projectedShares(input: ScoreInput, projected: Float32Array): number[] {
  const { x, rows, cols } = input;
  const components = rows === 0 ? 0 : projected.length / rows;
  const total = columnVarianceSum(x, rows, cols);
  const shares: number[] = [];
  for (let k = 0; k < components; k++) {
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += projected[r * components + k] as number;
    mean /= rows;
    let variance = 0;
    for (let r = 0; r < rows; r++) variance += ((projected[r * components + k] as number) - mean) ** 2;
    shares.push(total === 0 ? 0 : variance / total);
  }
  return shares;
}

function columnVarianceSum(x: Float32Array, rows: number, cols: number): number {
  let sum = 0;
  for (let c = 0; c < cols; c++) {
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += x[r * cols + c] as number;
    mean /= rows;
    for (let r = 0; r < rows; r++) sum += ((x[r * cols + c] as number) - mean) ** 2;
  }
  return sum;
}
