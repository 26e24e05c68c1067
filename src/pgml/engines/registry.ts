/**
 * Algorithm name → engine factory. Engines register their in-thread factory here (one line each);
 * callers get the pooled version, which runs fit/predict on worker threads (worker-engine.ts).
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { EngineFactory, Task } from './engine.js';
import { workerFactory } from './worker-engine.js';
import { xgboostFactory, xgboostRandomForestFactory } from './xgboost/index.js';
import { elasticNetFactory, lassoFactory, linearFactory, ridgeFactory } from './linear.js';
import { nuSvmFactory, svmFactory } from './svm.js';
import { randomForestFactory } from './random-forest.js';
import { kmeansFactory, miniBatchKmeansFactory } from './kmeans.js';
import { pcaFactory } from './pca.js';
import { neuralNetworkFactory } from './neural-network.js';
import { lightgbmFactory } from './lightgbm/engine.js';
import { gradientBoostingFactory } from './gradient-boosting.js';
import { histGradientBoostingFactory } from './hist-gradient-boosting.js';
import { baggingFactory, extraTreesFactory } from './forest.js';
import { adaBoostFactory } from './ada-boost.js';
import { passiveAggressiveFactory, perceptronFactory, sgdFactory } from './sgd.js';
import { bayesianRidgeFactory } from './bayesian-ridge.js';
import { automaticRelevanceDeterminationFactory } from './automatic-relevance-determination.js';
import { leastAngleFactory, lassoLeastAngleFactory } from './least-angle.js';
import { orthogonalMatchingPursuitFactory } from './orthogonal-matching-pursuit.js';
import { huberFactory } from './huber.js';
import { quantileFactory } from './quantile.js';
import { linearSvmFactory } from './linear-svm.js';
import { kernelRidgeFactory } from './kernel-ridge.js';
import { ransacFactory } from './ransac.js';
import { theilSenFactory } from './theil-sen.js';
import { gaussianProcessFactory } from './gaussian-process.js';
import { describeLightgbm } from './lightgbm/native.js';
import { describeNativeXgboost } from './xgboost/native.js';

const FACTORIES: readonly EngineFactory[] = [
  xgboostFactory,
  xgboostRandomForestFactory,
  linearFactory,
  ridgeFactory,
  lassoFactory,
  elasticNetFactory,
  svmFactory,
  nuSvmFactory,
  randomForestFactory,
  kmeansFactory,
  miniBatchKmeansFactory,
  pcaFactory,
  neuralNetworkFactory,
  lightgbmFactory,
  gradientBoostingFactory,
  histGradientBoostingFactory,
  extraTreesFactory,
  baggingFactory,
  adaBoostFactory,
  sgdFactory,
  perceptronFactory,
  passiveAggressiveFactory,
  bayesianRidgeFactory,
  automaticRelevanceDeterminationFactory,
  leastAngleFactory,
  lassoLeastAngleFactory,
  orthogonalMatchingPursuitFactory,
  huberFactory,
  quantileFactory,
  linearSvmFactory,
  kernelRidgeFactory,
  ransacFactory,
  theilSenFactory,
  gaussianProcessFactory,
  // Other engines: add their factory here, e.g. `linearFactory,` (imported from './linear.js').
];

/** Every algorithm name PostgresML trains (its `pgml.algorithm` enum, orm/model.rs routing). */
const POSTGRESML_ALGORITHMS = [
  'linear', 'xgboost', 'xgboost_random_forest', 'svm', 'lasso', 'elastic_net', 'ridge', 'kmeans', 'random_forest',
  'least_angle', 'lasso_least_angle', 'orthogonal_matching_pursuit', 'bayesian_ridge', 'automatic_relevance_determination',
  'stochastic_gradient_descent', 'perceptron', 'passive_aggressive', 'ransac', 'theil_sen', 'huber', 'quantile',
  'kernel_ridge', 'gaussian_process', 'nu_svm', 'ada_boost', 'bagging', 'extra_trees', 'gradient_boosting_trees',
  'hist_gradient_boosting', 'linear_svm', 'lightgbm', 'affinity_propagation', 'birch', 'mini_batch_kmeans', 'mean_shift',
  'catboost', 'pca',
];

/** CatBoost cannot be added by writing an engine: say what is missing. */
const CATBOOST_HINT =
  'CatBoost ships no C training API (libcatboostmodel only applies trained models) and no JavaScript port, so ' +
  'pgml-proxy has no CatBoost library to train with; train with lightgbm or xgboost instead.';

/**
 * A PostgresML name without an engine here is refused with 0A000 and the reason, never with
 * "unknown algorithm" (the name is valid PostgresML) and never by training another algorithm instead.
 */
function notAvailable(algorithm: string, task: Task): PgError {
  if (algorithm === 'catboost') {
    return new PgError(SqlState.FeatureNotSupported, 'catboost is not available in pgml-proxy: no CatBoost training library can be loaded', {
      hint: CATBOOST_HINT,
    });
  }
  return new PgError(SqlState.FeatureNotSupported, `PostgresML's algorithm "${algorithm}" is not implemented in pgml-proxy yet`, {
    hint: `algorithms for ${task}: ${listAlgorithms(task).join(', ')}`,
  });
}

const byName = new Map(FACTORIES.map((factory) => [factory.algorithm, factory]));
const pooled = new Map(FACTORIES.map((factory) => [factory.algorithm, workerFactory(factory)]));

/** Algorithms usable for a task (all of them without one), sorted for stable error messages. */
export function listAlgorithms(task?: Task): string[] {
  return FACTORIES.filter((f) => task === undefined || f.tasks.includes(task))
    .map((f) => f.algorithm)
    .sort();
}

/** The pooled factory for pgml.train/predict: refuses unknown or task-incompatible algorithms. */
export function getEngineFactory(algorithm: string, task: Task): EngineFactory {
  const factory = pooled.get(algorithm);
  if (!factory && POSTGRESML_ALGORITHMS.includes(algorithm)) throw notAvailable(algorithm, task);
  if (!factory) {
    throw new PgError(SqlState.InvalidParameterValue, `unknown algorithm "${algorithm}"`, {
      hint: `algorithms for ${task}: ${listAlgorithms(task).join(', ')}`,
    });
  }
  if (!factory.tasks.includes(task)) {
    throw new PgError(SqlState.InvalidParameterValue, `algorithm "${algorithm}" does not support ${task}`, {
      hint: `algorithms for ${task}: ${listAlgorithms(task).join(', ')}`,
    });
  }
  return factory;
}

/** The in-thread factory; used by the pool's worker threads (worker.ts), not by request handlers. */
export function getLocalEngineFactory(algorithm: string): EngineFactory {
  const factory = byName.get(algorithm);
  if (!factory) throw new PgError(SqlState.InvalidParameterValue, `unknown algorithm "${algorithm}"`);
  return factory;
}

/** One line per native training library, for the start-up log: where it loaded from, or why not. */
export function nativeLibraryReport(): string[] {
  return [describeNativeXgboost(), describeLightgbm()];
}
