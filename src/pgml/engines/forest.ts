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
  isBinaryModel, notFitted, requireFinite, requireNumClasses, requireTask, seedParam, seededRandom,
} from './engine-support.js';
import { PgError, SqlState } from '../../errors/index.js';
import { NumpyRandomState } from './numpy-random.js';
import { SklearnFeatureOrder } from './sklearn-features.js';
import { addTreePrediction, columnMajor, fitTree, packTrees, presortFeatures, unpackTrees, type Tree } from './tree.js';
import { TREE_HYPERPARAMS, treeShape } from './tree-params.js';

const TASKS: readonly Task[] = ['regression', 'classification'];

export interface ForestKind {
  algorithm: string;
  splitter: 'best' | 'random';
  nEstimators: number;
  bootstrap: boolean;
  /** Bootstrap rows drawn as sklearn's bagging draws them (numpy's generator), not with our own. */
  numpyBootstrap: boolean;
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
    const draws = bootstrap ? maxSamples(algorithm, hp, rows) : rows;
    const seed = seedParam(algorithm, hp);
    const random = seededRandom(seed);
    const treeSeeds = this.kind.numpyBootstrap ? numpySeeds(seed, nEstimators) : undefined;
    const presorted = this.kind.splitter === 'best' ? presortFeatures(data.x, rows, cols) : undefined;
    const columns = columnMajor(data.x, rows, cols);
    const weights = new Float64Array(rows);
    const trees: Tree[] = [];
    for (let t = 0; t < nEstimators; t++) {
      if (bootstrap) {
        weights.fill(0);
        const draw = treeSeeds ? numpyBootstrap(treeSeeds[t]!, rows) : () => Math.floor(random() * rows);
        for (let i = 0; i < draws; i++) weights[draw()]! += 1;
      } else {
        weights.fill(1);
      }
      const tree = fitTree({ x: data.x, rows, cols, targets, outputs, weights, columns, ...(presorted ? { presorted } : {}) }, {
        ...shape,
        splitter: this.kind.splitter,
        random,
        ...(this.kind.sklearnFeatureOrder && treeSeeds ? { featureOrder: baggedTreeFeatureOrder(treeSeeds[t]!, cols, shape.maxFeatures) } : {}),
      });
      trees.push(tree);
    }
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

/** np.iinfo(np.int32).max: the bound of sklearn's seed draws. */
const MAX_INT = 0x7fffffff;

/** The estimators' seeds of sklearn's Bagging* and forests: randint(MAX_INT), one per estimator. */
function numpySeeds(seed: number, nEstimators: number): number[] {
  const seeds = new NumpyRandomState(seed);
  return Array.from({ length: nEstimators }, () => seeds.bounded(MAX_INT - 1));
}

/** One estimator's bootstrap, draw for draw: RandomState(its seed).randint(0, rows) per draw (numpy-random.ts). */
function numpyBootstrap(treeSeed: number, rows: number): () => number {
  const random = new NumpyRandomState(treeSeed);
  return () => random.bounded(rows - 1);
}

/**
 * Bagging*'s _make_estimator sets the DecisionTree's random_state to RandomState(estimator seed)
 * .randint(MAX_INT) (_set_random_states); its splitter draws the feature order from that.
 */
function baggedTreeFeatureOrder(treeSeed: number, cols: number, maxFeatures: number): SklearnFeatureOrder {
  return new SklearnFeatureOrder(cols, maxFeatures, new NumpyRandomState(treeSeed).bounded(MAX_INT - 1));
}

function oneHot(y: Float32Array, rows: number, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) out[r * k + y[r]!] = 1;
  return out;
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
  numpyBootstrap: false,
  sklearnFeatureOrder: false,
  classifierMaxFeatures: 'sqrt',
  hyperparams: ['n_estimators', 'bootstrap', 'max_samples', 'random_state', ...TREE_HYPERPARAMS],
});

export const baggingFactory = forestFactory({
  algorithm: 'bagging',
  splitter: 'best',
  nEstimators: 10,
  bootstrap: true,
  numpyBootstrap: true,
  sklearnFeatureOrder: true,
  classifierMaxFeatures: null,
  hyperparams: ['n_estimators', 'bootstrap', 'max_samples', 'random_state'],
});
