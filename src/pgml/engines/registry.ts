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
import { affinityPropagationFactory } from './affinity-propagation.js';
import { birchFactory } from './birch.js';
import { meanShiftFactory } from './mean-shift.js';
import { MULTI_OUTPUT_WRAPPED, multiOutputFactory } from './multi-output.js';
import { describeBlas } from './blas.js';
import { describeLiblinear } from './liblinear.js';
import { describeLibsvm } from './libsvm/native.js';
import { describeLightgbm } from './lightgbm/native.js';
import { describeNativeXgboost } from './xgboost/native.js';

const ENGINES: readonly EngineFactory[] = [
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
  affinityPropagationFactory,
  birchFactory,
  meanShiftFactory,
];

/** Joint regression by one model per target where PostgresML wraps the algorithm in MultiOutputRegressor. */
const FACTORIES: readonly EngineFactory[] = ENGINES.map((factory) =>
  MULTI_OUTPUT_WRAPPED.has(factory.algorithm) ? multiOutputFactory(factory) : factory,
);

/** CatBoost cannot be added by writing an engine: say what is missing. */
const CATBOOST_HINT =
  'CatBoost\'s training C API (TrainCatBoost, catboost/libs/train_interface) is not released as a prebuilt library ' +
  '(releases ship libcatboostmodel, which only applies trained models) and has no JavaScript port, so pgml-proxy ' +
  'has no CatBoost library to train with; train with lightgbm or xgboost instead.';

/** PostgresML's one name without an engine here: refused with 0A000 and the reason, never trained as another algorithm. */
function catboostNotAvailable(): PgError {
  return new PgError(SqlState.FeatureNotSupported, 'catboost is not available in pgml-proxy: no CatBoost training library can be loaded', {
    hint: CATBOOST_HINT,
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
  if (!factory && algorithm === 'catboost') throw catboostNotAvailable();
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

/** One line per native library (training libraries and BLAS), for the start-up log: where it loaded from, or why not. */
export function nativeLibraryReport(): string[] {
  return [describeNativeXgboost(), describeLightgbm(), describeLibsvm(), describeLiblinear(), describeBlas()];
}
