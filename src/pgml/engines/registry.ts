/**
 * Algorithm name → engine factory. Engines register their in-thread factory here (one line each);
 * callers get the pooled version, which runs fit/predict on worker threads (worker-engine.ts).
 */
import { PgError, SqlState } from '../../errors/index.js';
import type { EngineFactory, Task } from './engine.js';
import { workerFactory } from './worker-engine.js';
import { xgboostFactory, xgboostRandomForestFactory } from './xgboost/index.js';
import { elasticNetFactory, lassoFactory, linearFactory, ridgeFactory } from './linear.js';
import { svmFactory } from './svm.js';
import { randomForestFactory } from './random-forest.js';
import { kmeansFactory, miniBatchKmeansFactory } from './kmeans.js';
import { pcaFactory } from './pca.js';
import { neuralNetworkFactory } from './neural-network.js';

const FACTORIES: readonly EngineFactory[] = [
  xgboostFactory,
  xgboostRandomForestFactory,
  linearFactory,
  ridgeFactory,
  lassoFactory,
  elasticNetFactory,
  svmFactory,
  randomForestFactory,
  kmeansFactory,
  miniBatchKmeansFactory,
  pcaFactory,
  neuralNetworkFactory,
  // Other engines: add their factory here, e.g. `linearFactory,` (imported from './linear.js').
];

/**
 * PostgresML algorithm names that no engine here trains yet: refused with 0A000 and the reason,
 * never with "unknown algorithm" (the name is valid PostgresML) and never by falling back to another.
 */
const NOT_AVAILABLE: Readonly<Record<string, { message: string; hint: string }>> = {
  catboost: {
    message: 'catboost is not available in pgml-proxy: no CatBoost training library can be loaded here',
    hint:
      'CatBoost ships no C training API (libcatboostmodel only applies trained models) and has no JavaScript ' +
      'port; an engine would need the CatBoost CLI or Python package run out of process. Use lightgbm or xgboost.',
  },
};

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
  const unavailable = NOT_AVAILABLE[algorithm];
  if (!factory && unavailable) {
    throw new PgError(SqlState.FeatureNotSupported, unavailable.message, { hint: unavailable.hint });
  }
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
