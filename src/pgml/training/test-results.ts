/**
 * What the dashboard's model plots need from the held-out rows, computed once with the winning
 * engine and registered with the model (pgml.model_test_results, migration 0022). Bounded: at
 * most MAX_ROWS rows, probabilities for at most MAX_PROBA_CLASSES classes, and permutation
 * importance (tree models) for at most MAX_IMPORTANCE_FEATURES features, so it costs a few
 * predictions on a small sample whatever the data's size, on the engine pool like any prediction.
 */
import { probabilitiesIfAny, type Engine, type Task } from '../engines/engine.js';
import type { TrainingDataset } from '../preparation/dataset.js';
import { regressionMetrics } from './metrics.js';
import type { TestResults } from '../store/index.js';
import { projectedShares, type Predictions } from './score.js';

export const MAX_ROWS = 500;
const MAX_PROBA_CLASSES = 20;
const MAX_IMPORTANCE_FEATURES = 50;
/** Algorithms whose feature importance the model page plots (PostgresML's dashboard shows it for trees). */
const TREE_ALGORITHMS = new Set([
  'xgboost',
  'xgboost_random_forest',
  'lightgbm',
  'random_forest',
  'extra_trees',
  'gradient_boosting_trees',
  'hist_gradient_boosting',
  'ada_boost',
  'bagging',
]);

/**
 * Null when there are no held-out rows (test_size => 0): nothing was scored, so nothing is plotted.
 * `heldOut` is what scoring already predicted for the held-out rows: its first rows are not asked again.
 */
export async function testResults(
  engine: Engine,
  data: TrainingDataset,
  task: Task,
  algorithm: string,
  heldOut?: Predictions,
): Promise<TestResults | null> {
  const rows = Math.min(data.numTestRows, MAX_ROWS);
  if (rows === 0) return null;
  const cols = data.numFeatures;
  const x = data.xTest.slice(0, rows * cols);
  const predicted = heldOut ? firstRows(heldOut.predicted, data.numTestRows, rows) : await engine.predict(x, rows);
  const results: Record<string, unknown> = { rows };
  switch (task) {
    case 'regression':
      results.y_true = column(data.yTest, rows, data.numLabels);
      results.y_pred = column(predicted, rows, predicted.length / rows);
      break;
    case 'classification':
      results.classes = data.labels?.kind === 'classes' ? data.labels.classes.map(String) : [];
      results.y_true = Array.from(data.yTest.subarray(0, rows));
      results.y_pred = Array.from(predicted);
      if (data.numClasses <= MAX_PROBA_CLASSES) {
        results.y_score = heldOut?.proba
          ? rowsOf(firstRows(heldOut.proba, data.numTestRows, rows), rows, data.numClasses)
          : await probabilities(engine, x, rows, data.numClasses);
      }
      break;
    case 'clustering':
      results.y_pred = Array.from(predicted);
      break;
    case 'decomposition':
      results.explained_variance = projectedShares({ task, x, rows, cols, y: data.yTest, yCols: 0, numClasses: 0 }, predicted).map(round);
      break;
  }
  const supervised = task === 'regression' || task === 'classification';
  if (supervised && TREE_ALGORITHMS.has(algorithm) && cols <= MAX_IMPORTANCE_FEATURES) {
    results.importance = await permutationImportance(engine, data, x, rows, predicted, task);
  }
  return { testRows: data.numTestRows, results };
}

/** The first label or output of each row (`stride` values a row). */
function column(values: Float32Array, rows: number, stride: number): number[] {
  return Array.from({ length: rows }, (_, r) => round(values[r * stride] as number));
}

/** rows × classes probabilities, or null for estimators without a probability model. */
async function probabilities(engine: Engine, x: Float32Array, rows: number, classes: number): Promise<number[][] | null> {
  const proba = await probabilitiesIfAny(engine, x, rows);
  return proba === undefined ? null : rowsOf(proba, rows, classes);
}

function rowsOf(proba: Float32Array, rows: number, classes: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from(proba.subarray(r * classes, (r + 1) * classes), round));
}

/** The first `rows` of `total` rows of an engine's output (any number of values a row). */
function firstRows(values: Float32Array, total: number, rows: number): Float32Array {
  return values.subarray(0, rows * (values.length / total));
}

/**
 * How much the score (accuracy, or R² for regression) drops when one feature's values are
 * shuffled among the sampled rows (scikit-learn's permutation_importance with one repeat). The
 * shuffle is a fixed rotation, so the same model always gets the same importances.
 */
async function permutationImportance(
  engine: Engine,
  data: TrainingDataset,
  x: Float32Array,
  rows: number,
  predicted: Float32Array,
  task: Task,
): Promise<{ feature: string; importance: number }[]> {
  const cols = data.numFeatures;
  const yTrue = column(data.yTest, rows, data.numLabels);
  const score = (prediction: Float32Array): number => {
    const yPred = column(prediction, rows, prediction.length / rows);
    if (task === 'regression') return regressionMetrics(yTrue, yPred).r2;
    return yPred.filter((p, r) => p === yTrue[r]).length / rows;
  };
  const baseline = score(predicted);
  const names = data.pipeline.featureNames();
  const shift = Math.max(1, Math.floor(rows / 2));
  const importance: { feature: string; importance: number }[] = [];
  for (let c = 0; c < cols; c++) {
    const shuffled = x.slice();
    for (let r = 0; r < rows; r++) shuffled[r * cols + c] = x[((r + shift) % rows) * cols + c] as number;
    importance.push({ feature: names[c] ?? `feature ${c + 1}`, importance: round(baseline - score(await engine.predict(shuffled, rows))) });
  }
  return importance;
}

/** Six significant digits keep the JSON small without changing what a plot shows. */
function round(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(6)) : value;
}
