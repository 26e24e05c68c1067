/**
 * `random_forest`: bagged CART trees from ml-random-forest (RandomForestRegressor /
 * RandomForestClassifier in PostgresML). Difference from scikit-learn worth knowing: ml-random-forest
 * samples `max_features` once per tree, not at every split, so sklearn's per-split 'sqrt' default would
 * starve each tree of features; the default here is every feature (plain bagging) for both tasks.
 * Class probabilities are the share of trees voting for each class.
 */
import { RandomForestClassifier, RandomForestRegression } from 'ml-random-forest';
import {
  checkHyperparamNames, numberParam, type Dataset, type Engine, type EngineFactory, type FitOptions, type Task,
} from './engine.js';
import {
  boolParam, checkPredictShape, decodeModel, encodeModel, intParam, invalidParam, notFitted, requireFinite,
  requireLabels, requireNumClasses, requireTask, seedParam, toRows,
} from './engine-support.js';
import { PgError, SqlState } from '../../errors/index.js';

const ALGORITHM = 'random_forest';
const FORMAT = 'pgml-proxy/random_forest';
const TASKS: readonly Task[] = ['regression', 'classification'];
const HYPERPARAMS = ['n_estimators', 'max_depth', 'min_samples_split', 'max_features', 'bootstrap', 'max_samples', 'random_state'] as const;

type ForestState =
  | { task: 'classification'; cols: number; numClasses: number; forest: ReturnType<RandomForestClassifier['toJSON']> }
  | { task: 'regression'; cols: number; numClasses: number; forest: ReturnType<RandomForestRegression['toJSON']> };

type Forest = RandomForestClassifier | RandomForestRegression;

class RandomForestEngine implements Engine {
  readonly algorithm = ALGORITHM;
  readonly runtime = 'js' as const;

  constructor(private state?: ForestState, private forest?: Forest) {}

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    checkHyperparamNames(ALGORITHM, options.hyperparams, HYPERPARAMS);
    const task = requireTask(ALGORITHM, options, TASKS) as ForestState['task'];
    requireFinite(ALGORITHM, data.x);
    const labels = requireLabels(ALGORITHM, data);
    const numClasses = task === 'classification' ? requireNumClasses(ALGORITHM, options) : 0;
    const hp = options.hyperparams;
    const maxDepth = hp.max_depth === undefined || hp.max_depth === null ? Infinity : intParam(ALGORITHM, hp, 'max_depth', 1);
    const forestOptions = {
      nEstimators: intParam(ALGORITHM, hp, 'n_estimators', 100),
      maxFeatures: maxFeatures(hp, data.cols),
      replacement: false,
      useSampleBagging: boolParam(ALGORITHM, hp, 'bootstrap', true),
      maxSamples: maxSamples(hp, data.rows),
      seed: seedParam(ALGORITHM, hp),
      noOOB: true,
      treeOptions: { maxDepth, minNumSamples: intParam(ALGORITHM, hp, 'min_samples_split', 2, 2) },
    };
    const rows = toRows(data.x, data.rows, data.cols);
    if (task === 'classification') {
      const forest = new RandomForestClassifier(forestOptions);
      forest.train(rows, Array.from(labels));
      this.forest = forest;
      this.state = { task, cols: data.cols, numClasses, forest: forest.toJSON() };
    } else {
      const forest = new RandomForestRegression(forestOptions);
      forest.train(rows, Array.from(labels));
      this.forest = forest;
      this.state = { task, cols: data.cols, numClasses, forest: forest.toJSON() };
    }
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const { state, forest } = this.fitted();
    checkPredictShape(ALGORITHM, x, rows, state.cols);
    return Float32Array.from(forest.predict(toRows(x, rows, state.cols)));
  }

  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    const { state, forest } = this.fitted();
    checkPredictShape(ALGORITHM, x, rows, state.cols);
    if (state.task !== 'classification') {
      throw new PgError(SqlState.FeatureNotSupported, 'random_forest regression does not produce probabilities');
    }
    const votes = forest.predictionValues(toRows(x, rows, state.cols));
    const k = state.numClasses;
    const out = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      const row = votes.getRow(r);
      for (const vote of row) out[r * k + vote]! += 1 / row.length;
    }
    return out;
  }

  async serialize(): Promise<Uint8Array> {
    return encodeModel(FORMAT, this.fitted().state);
  }

  private fitted(): { state: ForestState; forest: Forest } {
    if (!this.state) throw notFitted(ALGORITHM);
    this.forest ??= this.state.task === 'classification'
      ? RandomForestClassifier.load(this.state.forest)
      : RandomForestRegression.load(this.state.forest);
    return { state: this.state, forest: this.forest };
  }
}

/** sklearn's max_features: 'sqrt', 'log2', an int count, or a float fraction; default all features. */
function maxFeatures(hp: Record<string, unknown>, cols: number): number {
  const value = hp.max_features;
  if (value === undefined || value === null) return 1.0;
  if (value === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(cols)));
  if (value === 'log2') return Math.max(1, Math.floor(Math.log2(cols)));
  const n = numberParam(ALGORITHM, hp, 'max_features', NaN);
  // ml-random-forest reads 1.0 as "all" but an integer 1 as "one feature", like sklearn's int vs float.
  if (Number.isInteger(n) && n >= 1 && n <= cols) return n === cols ? 1.0 : n;
  if (n > 0 && n < 1) return n;
  throw invalidParam(ALGORITHM, 'max_features', `'sqrt', 'log2', an integer in 1..${cols} or a fraction in (0, 1]`, value);
}

function maxSamples(hp: Record<string, unknown>, rows: number): number | undefined {
  const value = hp.max_samples;
  if (value === undefined || value === null) return undefined;
  const n = numberParam(ALGORITHM, hp, 'max_samples', NaN);
  if ((Number.isInteger(n) && n >= 1 && n <= rows) || (n > 0 && n < 1)) return n;
  throw invalidParam(ALGORITHM, 'max_samples', `an integer in 1..${rows} or a fraction in (0, 1)`, value);
}

export const randomForestFactory: EngineFactory = {
  algorithm: ALGORITHM,
  tasks: TASKS,
  hyperparams: HYPERPARAMS,
  create: () => new RandomForestEngine(),
  async deserialize(bytes: Uint8Array): Promise<Engine> {
    return new RandomForestEngine(decodeModel<ForestState>(FORMAT, bytes));
  },
};
