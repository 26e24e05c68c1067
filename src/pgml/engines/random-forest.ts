/**
 * `random_forest`: scikit-learn's RandomForestRegressor / RandomForestClassifier (PostgresML's binding)
 * over the CART core shared with extra_trees and bagging (forest.ts): n_estimators=100, bootstrap
 * samples of every row drawn as sklearn draws them (numpy's generator, one seed per tree), best splits,
 * max_features 'sqrt' at every split for classifiers and all features for regressors. Like sklearn's,
 * one forest predicts several targets at once (pgml.train_joint): each split minimises the squared
 * error summed over the targets.
 *
 * Models stored before this engine were ml-random-forest JSON (a per-tree feature sample and vote
 * shares); they still load and predict (LegacyRandomForest) but are not trained any more.
 */
import { RandomForestClassifier, RandomForestRegression } from 'ml-random-forest';
import type { Engine, EngineFactory } from './engine.js';
import { checkPredictShape, decodeModel, encodeModel, isBinaryModel, notFitted, toRows } from './engine-support.js';
import { PgError, SqlState } from '../../errors/index.js';
import { forestFactory } from './forest.js';
import { TREE_HYPERPARAMS } from './tree-params.js';

const ALGORITHM = 'random_forest';

const forest = forestFactory({
  algorithm: ALGORITHM,
  splitter: 'best',
  nEstimators: 100,
  bootstrap: true,
  sklearnFeatureOrder: false,
  classifierMaxFeatures: 'sqrt',
  hyperparams: ['n_estimators', 'bootstrap', 'max_samples', 'random_state', 'n_jobs', ...TREE_HYPERPARAMS],
});

export const randomForestFactory: EngineFactory = {
  ...forest,
  async deserialize(bytes: Uint8Array): Promise<Engine> {
    return isBinaryModel(bytes) ? forest.deserialize(bytes) : new LegacyRandomForest(decodeModel<LegacyState>(FORMAT, bytes));
  },
};

const FORMAT = 'pgml-proxy/random_forest';

type LegacyState =
  | { task: 'classification'; cols: number; numClasses: number; forest: ReturnType<RandomForestClassifier['toJSON']> }
  | { task: 'regression'; cols: number; numClasses: number; forest: ReturnType<RandomForestRegression['toJSON']> };

/** A model trained by ml-random-forest before random_forest moved to the CART core: predicts as it did. */
class LegacyRandomForest implements Engine {
  readonly algorithm = ALGORITHM;
  readonly runtime = 'js' as const;
  private loaded?: RandomForestClassifier | RandomForestRegression;

  constructor(private readonly state: LegacyState) {}

  async fit(): Promise<void> {
    throw new PgError(SqlState.InternalError, 'a stored ml-random-forest model is not trained again');
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    checkPredictShape(ALGORITHM, x, rows, this.state.cols);
    return Float32Array.from(this.forest().predict(toRows(x, rows, this.state.cols)));
  }

  /** The share of trees voting for each class. */
  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    checkPredictShape(ALGORITHM, x, rows, this.state.cols);
    if (this.state.task !== 'classification') {
      throw new PgError(SqlState.FeatureNotSupported, 'random_forest regression does not produce probabilities');
    }
    const votes = this.forest().predictionValues(toRows(x, rows, this.state.cols));
    const k = this.state.numClasses;
    const out = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      const row = votes.getRow(r);
      for (const vote of row) out[r * k + vote]! += 1 / row.length;
    }
    return out;
  }

  async serialize(): Promise<Uint8Array> {
    return encodeModel(FORMAT, this.state);
  }

  private forest(): RandomForestClassifier | RandomForestRegression {
    if (!this.state.forest) throw notFitted(ALGORITHM);
    this.loaded ??= this.state.task === 'classification'
      ? RandomForestClassifier.load(this.state.forest)
      : RandomForestRegression.load(this.state.forest);
    return this.loaded;
  }
}
