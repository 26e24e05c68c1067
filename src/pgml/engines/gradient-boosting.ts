/**
 * `gradient_boosting_trees`: scikit-learn's GradientBoostingRegressor / GradientBoostingClassifier
 * (PostgresML routes the name there), same algorithm and defaults: n_estimators=100,
 * learning_rate=0.1, max_depth=3, subsample=1.0, squared error (regression) or log loss
 * (classification). The raw score starts at the prior (the mean; the log-odds, or log class shares);
 * each stage fits one regression tree per class to the negative gradient on the stage's subsample and
 * sets its leaves by sklearn's Newton step (_update_terminal_regions), including the (K-1)/K factor
 * sklearn keeps for multiclass.
 */
import type { Dataset, Engine, EngineFactory, FitOptions, Task } from './engine.js';
import { decodeModel, intParam, invalidParam, rangeParam, requireNumClasses, seedParam, seededRandom } from './engine-support.js';
import { boostingInputs, priorRawScores, RawScoreEngine, rawToProbabilities, type RawScoreState } from './raw-scores.js';
import { columnMajor, fitTree, leafOf, presortFeatures, type Tree } from './tree.js';
import { TREE_HYPERPARAMS, treeShape } from './tree-params.js';

const ALGORITHM = 'gradient_boosting_trees';
const FORMAT = 'pgml-proxy/gradient_boosting_trees';
const TASKS: readonly Task[] = ['regression', 'classification'];
const HYPERPARAMS = ['n_estimators', 'learning_rate', 'subsample', 'loss', 'criterion', 'random_state', ...TREE_HYPERPARAMS] as const;

/**
 * sklearn's two criteria for the stage trees. They choose the same splits, and rank nodes for best-first
 * growth the same way: friedman_mse's improvement diff²/(w_l·w_r·w) is the squared-error drop between the
 * children, squared_error's that drop over the total weight (tree.ts), so both run the one criterion.
 */
const CRITERIA = ['friedman_mse', 'squared_error'];

interface BoostingState extends RawScoreState {
  learningRate: number;
  init: number[];
  /** stages × outputs trees, stage-major. */
  trees: Tree[];
}

class GradientBoostingEngine extends RawScoreEngine<BoostingState> {
  constructor(state?: BoostingState) {
    super(ALGORITHM, FORMAT, state);
  }

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    const { task, y } = boostingInputs(ALGORITHM, data, options, HYPERPARAMS, TASKS);
    const hp = options.hyperparams;
    const stages = intParam(ALGORITHM, hp, 'n_estimators', 100);
    const learningRate = rangeParam(ALGORITHM, hp, 'learning_rate', 0.1, { min: 0, exclusiveMin: true });
    const subsample = rangeParam(ALGORITHM, hp, 'subsample', 1.0, { min: 0, max: 1, exclusiveMin: true });
    const shape = treeShape(ALGORITHM, hp, data.rows, data.cols, { maxDepth: 3, maxFeatures: null });
    if (hp.criterion !== undefined && !CRITERIA.includes(hp.criterion as string)) {
      throw invalidParam(ALGORITHM, 'criterion', CRITERIA.map((c) => `'${c}'`).join(' or '), hp.criterion);
    }
    const random = seededRandom(seedParam(ALGORITHM, hp));
    const numClasses = task === 'classification' ? requireNumClasses(ALGORITHM, options) : 0;
    const outputs = numClasses > 2 ? numClasses : 1;
    const { rows, cols } = data;

    const init = priorRawScores(task, y, Int32Array.from({ length: rows }, (_, i) => i), numClasses);
    const raw = new Float64Array(rows * outputs);
    for (let r = 0; r < rows; r++) raw.set(init, r * outputs);
    const presorted = presortFeatures(data.x, rows, cols);
    const columns = columnMajor(data.x, rows, cols);
    const residual = new Float64Array(rows);
    const weights = new Float64Array(rows);
    const prob = new Float64Array(rows * outputs);
    const trees: Tree[] = [];
    const inBag = Math.max(1, Math.floor(subsample * rows));
    const order = Int32Array.from({ length: rows }, (_, i) => i);

    for (let stage = 0; stage < stages; stage++) {
      sampleWeights(weights, order, inBag, random);
      if (task === 'classification') rawToProbabilities(raw, rows, outputs, prob);
      for (let k = 0; k < outputs; k++) {
        for (let r = 0; r < rows; r++) {
          const target = task === 'regression' ? y[r]! : outputs === 1 ? y[r]! : y[r] === k ? 1 : 0;
          residual[r] = target - (task === 'regression' ? raw[r]! : prob[r * outputs + k]!);
        }
        const tree = fitTree({ x: data.x, rows, cols, targets: residual, outputs: 1, weights, presorted, columns }, { ...shape, random });
        if (task === 'classification') newtonLeaves(tree, data.x, rows, cols, residual, weights, outputs);
        addStage(tree, data.x, rows, cols, learningRate, raw, outputs, k);
        trees.push(tree);
      }
    }
    this.state = { task, cols, outputs, learningRate, init: Array.from(init), trees };
  }

  protected rawScores(state: BoostingState, x: Float32Array, rows: number): Float64Array {
    return rawScores(state, x, rows);
  }
}

/** raw[:, k] += learning_rate × tree(x): one class's (or the only) raw score. */
function addStage(tree: Tree, x: Float32Array, rows: number, cols: number, rate: number, raw: Float64Array, outputs: number, k: number): void {
  for (let r = 0; r < rows; r++) raw[r * outputs + k]! += rate * tree.value[leafOf(tree, x, r * cols)]!;
}

function rawScores(state: BoostingState, x: Float32Array, rows: number): Float64Array {
  const { outputs, cols, learningRate, init, trees } = state;
  const raw = new Float64Array(rows * outputs);
  for (let r = 0; r < rows; r++) for (let k = 0; k < outputs; k++) raw[r * outputs + k] = init[k]!;
  trees.forEach((tree, i) => addStage(tree, x, rows, cols, learningRate, raw, outputs, i % outputs));
  return raw;
}


/** Weight 1 for the stage's in-bag rows (all of them at subsample=1), 0 for the rest. */
function sampleWeights(weights: Float64Array, order: Int32Array, inBag: number, random: () => number): void {
  if (inBag >= weights.length) {
    weights.fill(1);
    return;
  }
  weights.fill(0);
  for (let i = 0; i < inBag; i++) {
    const j = i + Math.floor(random() * (order.length - i));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
    weights[order[i]!] = 1;
  }
}

/** Leaf value = Σ residual / Σ p(1-p) over the leaf's in-bag rows (× (K-1)/K for K > 2 classes). */
function newtonLeaves(tree: Tree, x: Float32Array, rows: number, cols: number, residual: Float64Array, weights: Float64Array, outputs: number): void {
  const nodes = tree.feature.length;
  const numerator = new Float64Array(nodes);
  const denominator = new Float64Array(nodes);
  for (let r = 0; r < rows; r++) {
    const w = weights[r]!;
    if (w === 0) continue;
    const leaf = leafOf(tree, x, r * cols);
    const g = residual[r]!;
    // y - residual is the predicted probability, for the binary and the per-class multinomial case alike.
    const p = (g > 0 ? 1 : 0) - g;
    numerator[leaf]! += w * g;
    denominator[leaf]! += w * p * (1 - p);
  }
  const factor = outputs > 1 ? (outputs - 1) / outputs : 1;
  for (let node = 0; node < nodes; node++) {
    if (tree.feature[node]! >= 0) continue;
    const d = denominator[node]!;
    tree.value[node] = Math.abs(d) < 1e-150 ? 0 : (factor * numerator[node]!) / d;
  }
}

export const gradientBoostingFactory: EngineFactory = {
  algorithm: ALGORITHM,
  tasks: TASKS,
  hyperparams: HYPERPARAMS,
  create: () => new GradientBoostingEngine(),
  async deserialize(bytes: Uint8Array): Promise<Engine> {
    return new GradientBoostingEngine(decodeModel<BoostingState>(FORMAT, bytes));
  },
};
