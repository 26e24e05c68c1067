/**
 * Averaged tree ensembles over the CART core (tree.ts), in scikit-learn's shapes (random_forest's in
 * random-forest.ts):
 * - `extra_trees`: ExtraTreesRegressor / ExtraTreesClassifier: n_estimators=100, random thresholds,
 *   max_features 'sqrt' (classifier) or all (regressor), no bootstrap, trees grown to purity;
 * - `bagging`: BaggingRegressor / BaggingClassifier over sklearn's default DecisionTree: n_estimators=10,
 *   bootstrap samples of max_samples rows, best splits on every feature.
 * Class probabilities are the mean of the trees' leaf class shares (sklearn's predict_proba), the class
 * their argmax; regression averages the trees, with several targets at once (train_joint) as sklearn.
 */
import { checkHyperparamNames, numberParam, type Dataset, type Engine, type EngineFactory, type FitOptions, type Task } from './engine.js';
import {
  argmaxRows, boolParam, checkPredictShape, decodeBinaryModel, decodeModel, encodeBinaryModel, intParam, invalidParam,
  isBinaryModel, notFitted, requireFinite, requireNumClasses, requireTask, seedParam,
} from './engine-support.js';
import { PgError, SqlState } from '../../errors/index.js';
import { fitForestTrees, seedTrees, shared } from './forest-fit.js';
import { enginePoolSize } from './pool.js';
import { addTreePrediction, columnMajor, packTrees, presortFeatures, unpackTrees, type Tree } from './tree.js';
import { TREE_HYPERPARAMS, treeShape } from './tree-params.js';

const TASKS: readonly Task[] = ['regression', 'classification'];

export interface ForestKind {
  algorithm: string;
  splitter: 'best' | 'random';
  nEstimators: number;
  bootstrap: boolean;
  /**
   * Each tree visits features in the order of the DecisionTree sklearn's Bagging* builds (its
   * random_state drawn from the estimator's seed), so ties between features break as sklearn's do.
   */
  sklearnFeatureOrder: boolean;
  /** sklearn's max_features default for classifiers ('sqrt' for the forests, all for bagging). */
  classifierMaxFeatures: 'sqrt' | null;
  hyperparams: readonly string[];
}

interface ForestState {
  algorithm: string;
  task: 'regression' | 'classification';
  cols: number;
  /** Values per row: the class count, or the number of targets. */
  outputs: number;
  trees: Tree[];
}

class ForestEngine implements Engine {
  readonly runtime = 'js' as const;

  constructor(private readonly kind: ForestKind, private state?: ForestState) {}

  get algorithm(): string {
    return this.kind.algorithm;
  }

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    const { algorithm } = this.kind;
    checkHyperparamNames(algorithm, options.hyperparams, this.kind.hyperparams);
    const task = requireTask(algorithm, options, TASKS) as ForestState['task'];
    requireFinite(algorithm, data.x);
    const yCols = data.yCols ?? 1;
    if (!data.y || data.y.length !== data.rows * yCols) {
      throw new PgError(SqlState.InvalidParameterValue, `${algorithm} needs one label per training row`);
    }
    if (task === 'classification' && yCols !== 1) {
      throw new PgError(SqlState.FeatureNotSupported, `${algorithm} classification supports a single label column only`);
    }
    const hp = options.hyperparams;
    const { rows, cols } = data;
    const outputs = task === 'classification' ? requireNumClasses(algorithm, options) : yCols;
    const targets = task === 'classification' ? oneHot(data.y, rows, outputs) : Float64Array.from(data.y);
    const shape = treeShape(algorithm, hp, rows, cols, {
      maxDepth: null,
      maxFeatures: task === 'classification' ? this.kind.classifierMaxFeatures : null,
    });
    const nEstimators = intParam(algorithm, hp, 'n_estimators', this.kind.nEstimators);
    const bootstrap = boolParam(algorithm, hp, 'bootstrap', this.kind.bootstrap);
    if (!bootstrap && hp.max_samples !== undefined && hp.max_samples !== null) {
      throw new PgError(SqlState.FeatureNotSupported, `${algorithm}: max_samples without bootstrap is not supported`, {
        hint: 'max_samples sizes the bootstrap sample here; pass bootstrap => true, or leave max_samples out',
      });
    }
    const draws = bootstrap ? maxSamples(algorithm, hp, rows) : 0;
    const seeds = seedTrees(seedParam(algorithm, hp), nEstimators);
    const threads = treeThreads(algorithm, hp, nEstimators, rows * shape.maxFeatures);
    const share = <T extends Float32Array | Float64Array | Int32Array>(array: T): T => (threads > 1 ? shared(array) : array);
    const arrays = {
      columns: share(columnMajor(data.x, rows, cols)),
      targets: share(targets),
      presorted: this.kind.splitter === 'best' ? share(presortFeatures(data.x, rows, cols)) : undefined,
      classes: task === 'classification' && this.kind.splitter === 'random' ? share(Int32Array.from(data.y)) : undefined,
    };
    const plan = { rows, cols, outputs, splitter: this.kind.splitter, shape, draws, seeds, sklearnFeatureOrder: this.kind.sklearnFeatureOrder };
    const trees = await fitForestTrees(plan, arrays, threads);
    this.state = { algorithm, task, cols, outputs, trees };
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const state = this.fitted();
    const mean = this.average(x, rows);
    return state.task === 'classification' ? argmaxRows(mean, rows, state.outputs) : Float32Array.from(mean);
  }

  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    if (this.fitted().task !== 'classification') {
      throw new PgError(SqlState.FeatureNotSupported, `${this.algorithm} regression does not produce probabilities`);
    }
    return Float32Array.from(this.average(x, rows));
  }

  async serialize(): Promise<Uint8Array> {
    const { trees, ...header } = this.fitted();
    const packed = packTrees(trees, header.outputs);
    return encodeBinaryModel(formatOf(this.algorithm), { ...header, nodes: packed.nodes }, [
      packed.feature, packed.left, packed.right, packed.threshold, packed.value,
    ]);
  }

  private average(x: Float32Array, rows: number): Float64Array {
    const state = this.fitted();
    checkPredictShape(this.algorithm, x, rows, state.cols);
    const out = new Float64Array(rows * state.outputs);
    for (const tree of state.trees) addTreePrediction(tree, x, rows, state.cols, 1 / state.trees.length, out);
    return out;
  }

  private fitted(): ForestState {
    if (!this.state) throw notFitted(this.algorithm);
    return this.state;
  }
}

function oneHot(y: Float32Array, rows: number, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) out[r * k + y[r]!] = 1;
  return out;
}

/**
 * Below this much work (rows × features tried per split × trees) a fit stays on one thread unless
 * n_jobs asks for more: a tree thread starts with cold code, and the fit waits for its first tree.
 * Measured (compiled, 2-core machine, load 0.4-1.3, extra_trees regression, 100 trees, every one of 10
 * features tried): 300 rows 76 ms on one thread, 87-93 ms on two; 1,000 rows 290 ms on both; 3,000 rows
 * 932 ms, 670 ms; 20,000 rows 7.3 s, 4.2 s. random_forest on digits' 1,347 training rows (8 of 64
 * features tried, 1.1 million; load 4.4): 264-272 ms on one thread, 528-540 ms on two.
 */
const PARALLEL_MIN_WORK = 2_000_000;

/**
 * sklearn's n_jobs: the threads fitting the trees (-1 all, -2 all but one, ...), at most the engine
 * pool's size and the tree count. Absent (sklearn's default is one thread) it is every engine
 * thread for a fit large enough to pay for starting them: the trees come out the same either way.
 */
function treeThreads(algorithm: string, hp: Record<string, unknown>, trees: number, work: number): number {
  const all = Math.min(enginePoolSize(), trees);
  if (hp.n_jobs === undefined || hp.n_jobs === null) return work * trees >= PARALLEL_MIN_WORK ? all : 1;
  const n = numberParam(algorithm, hp, 'n_jobs', NaN);
  if (!Number.isInteger(n) || n === 0) throw invalidParam(algorithm, 'n_jobs', 'a non-zero integer or null', hp.n_jobs);
  return Math.max(1, Math.min(all, n > 0 ? n : enginePoolSize() + 1 + n));
}

/** sklearn's max_samples: None = n rows, an int count, or a fraction of the rows. */
function maxSamples(algorithm: string, hp: Record<string, unknown>, rows: number): number {
  if (hp.max_samples === undefined || hp.max_samples === null) return rows;
  const n = numberParam(algorithm, hp, 'max_samples', rows);
  if (Number.isInteger(n) && n >= 1) return n;
  if (n > 0 && n < 1) return Math.max(1, Math.round(n * rows));
  throw invalidParam(algorithm, 'max_samples', 'an integer >= 1 or a fraction in (0, 1)', hp.max_samples);
}

function formatOf(algorithm: string): string {
  return `pgml-proxy/${algorithm}`;
}

type ForestHeader = Omit<ForestState, 'trees'> & { nodes: number[] };

/** Binary models (version 2), or the JSON ones (version 1) stored before forests outgrew JSON. */
function decodeForest(format: string, bytes: Uint8Array): ForestState {
  if (!isBinaryModel(bytes)) return decodeModel<ForestState>(format, bytes);
  const { header, arrays } = decodeBinaryModel<ForestHeader>(format, bytes);
  const [feature, left, right, threshold, value] = arrays;
  const nodes = header.nodes.reduce((a, b) => a + b, 0);
  if (
    !(feature instanceof Int32Array && left instanceof Int32Array && right instanceof Int32Array)
    || !(threshold instanceof Float64Array && value instanceof Float64Array)
    || feature.length !== nodes || value.length !== nodes * header.outputs
  ) {
    throw new PgError(SqlState.DataCorrupted, `stored ${format} model is damaged: its tree arrays do not match its header`);
  }
  const { nodes: counts, algorithm, task, cols, outputs } = header;
  const trees = unpackTrees({ nodes: counts, feature, left, right, threshold, value }, outputs);
  return { algorithm, task, cols, outputs, trees };
}

export function forestFactory(kind: ForestKind): EngineFactory {
  return {
    algorithm: kind.algorithm,
    tasks: TASKS,
    hyperparams: kind.hyperparams,
    create: () => new ForestEngine(kind),
    async deserialize(bytes: Uint8Array): Promise<Engine> {
      return new ForestEngine(kind, decodeForest(formatOf(kind.algorithm), bytes));
    },
  };
}

export const extraTreesFactory = forestFactory({
  algorithm: 'extra_trees',
  splitter: 'random',
  nEstimators: 100,
  bootstrap: false,
  sklearnFeatureOrder: false,
  classifierMaxFeatures: 'sqrt',
  hyperparams: ['n_estimators', 'bootstrap', 'max_samples', 'random_state', 'n_jobs', ...TREE_HYPERPARAMS],
});

export const baggingFactory = forestFactory({
  algorithm: 'bagging',
  splitter: 'best',
  nEstimators: 10,
  bootstrap: true,
  sklearnFeatureOrder: true,
  classifierMaxFeatures: null,
  hyperparams: ['n_estimators', 'bootstrap', 'max_samples', 'random_state', 'n_jobs'],
});
