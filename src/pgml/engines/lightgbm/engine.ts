/**
 * `lightgbm` on LightGBM's own C library, as PostgresML's bindings/lightgbm.rs: the objective follows
 * the task (regression, binary, or multiclass with num_class), every other hyperparameter is
 * LightGBM's, under its own names or the aliases LightGBM knows (the scikit-learn API's n_estimators,
 * subsample, reg_lambda, ...). The serialized model is LightGBM's text model format and nothing else,
 * so `lightgbm.Booster(model_str=...)` loads the bytes of pgml.files as they are.
 */
import { PgError, SqlState } from '../../../errors/index.js';
import { checkHyperparamNames, type Dataset, type Engine, type EngineFactory, type FitOptions, type Task } from '../engine.js';
import { argmaxRows, checkPredictShape, intParam, invalidParam, notFitted, requireLabels, requireNumClasses, requireTask } from '../engine-support.js';
import { oneThreadByDefault } from '../openmp.js';
import { LightgbmBooster } from './native.js';

const ALGORITHM = 'lightgbm';
const TASKS: readonly Task[] = ['regression', 'classification'];

/** Every alias LightGBM reads as num_iterations; the booster runs that many rounds (default 100). */
const ROUNDS = ['num_iterations', 'n_estimators', 'num_iteration', 'n_iter', 'num_tree', 'num_trees', 'num_round', 'num_rounds', 'nrounds', 'num_boost_round'];

/** LightGBM's learning-control and dataset parameters (docs: Parameters), with the aliases scikit-learn users write. */
const HYPERPARAMS = [
  ...ROUNDS,
  'boosting', 'boosting_type', 'learning_rate', 'eta', 'num_leaves', 'max_leaves', 'max_depth',
  'min_data_in_leaf', 'min_child_samples', 'min_sum_hessian_in_leaf', 'min_child_weight',
  'bagging_fraction', 'subsample', 'bagging_freq', 'subsample_freq', 'bagging_seed',
  'feature_fraction', 'colsample_bytree', 'feature_fraction_bynode', 'colsample_bynode', 'feature_fraction_seed',
  'lambda_l1', 'reg_alpha', 'lambda_l2', 'reg_lambda', 'min_gain_to_split', 'min_split_gain', 'max_delta_step',
  'path_smooth', 'extra_trees', 'extra_seed', 'linear_tree', 'seed', 'random_state', 'deterministic',
  'num_threads', 'n_jobs', 'force_col_wise', 'force_row_wise', 'max_bin', 'min_data_in_bin',
  'bin_construct_sample_cnt', 'subsample_for_bin', 'is_unbalance', 'scale_pos_weight',
  'drop_rate', 'max_drop', 'skip_drop', 'xgboost_dart_mode', 'uniform_drop', 'drop_seed',
  'top_rate', 'other_rate', 'verbosity', 'verbose',
] as const;

// Boosters live outside the JS heap: free them when the worker's model cache lets an engine go.
const boosters = new FinalizationRegistry<LightgbmBooster>((booster) => booster.free());

class LightgbmEngine implements Engine {
  readonly algorithm = ALGORITHM;
  readonly runtime = 'native' as const;

  constructor(private booster?: LightgbmBooster, private task?: 'regression' | 'classification', private cols = 0) {
    if (booster) boosters.register(this, booster, this);
  }

  dispose(): void {
    if (!this.booster) return;
    boosters.unregister(this);
    this.booster.free();
    this.booster = undefined;
  }

  async fit(data: Dataset, options: FitOptions): Promise<void> {
    checkHyperparamNames(ALGORITHM, options.hyperparams, HYPERPARAMS);
    const task = requireTask(ALGORITHM, options, TASKS) as 'regression' | 'classification';
    const y = requireLabels(ALGORITHM, data);
    const objective = task === 'regression'
      ? { objective: 'regression' }
      : requireNumClasses(ALGORITHM, options) > 2
        ? { objective: 'multiclass', num_class: options.numClasses }
        : { objective: 'binary' };
    const booster = LightgbmBooster.train({
      x: data.x,
      rows: data.rows,
      cols: data.cols,
      y,
      // LightGBM logs every tree at its default verbosity; an explicit verbosity wins.
      parameters: parameterString({ verbosity: -1, ...threads(options.hyperparams, data.rows * data.cols), ...options.hyperparams, ...objective }),
      rounds: rounds(options.hyperparams),
    });
    if (this.booster) {
      boosters.unregister(this);
      this.booster.free();
    }
    this.booster = booster;
    boosters.register(this, booster, this);
    this.task = task;
    this.cols = data.cols;
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const { booster, task } = this.fitted(x, rows);
    const out = booster.predict(x, rows, this.cols);
    if (task === 'regression') return Float32Array.from(out);
    const k = booster.numClasses;
    if (k > 1) return argmaxRows(out, rows, k);
    return Float32Array.from(out, (p) => (p > 0.5 ? 1 : 0));
  }

  async predictProba(x: Float32Array, rows: number): Promise<Float32Array> {
    const { booster, task } = this.fitted(x, rows);
    if (task !== 'classification') {
      throw new PgError(SqlState.FeatureNotSupported, 'lightgbm regression does not produce probabilities');
    }
    const out = booster.predict(x, rows, this.cols);
    if (booster.numClasses > 1) return Float32Array.from(out);
    const proba = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      proba[2 * r] = 1 - out[r]!;
      proba[2 * r + 1] = out[r]!;
    }
    return proba;
  }

  async serialize(): Promise<Uint8Array> {
    if (!this.booster) throw notFitted(ALGORITHM);
    return new TextEncoder().encode(this.booster.save());
  }

  private fitted(x: Float32Array, rows: number): { booster: LightgbmBooster; task: 'regression' | 'classification' } {
    if (!this.booster || !this.task) throw notFitted(ALGORITHM);
    checkPredictShape(ALGORITHM, x, rows, this.cols);
    return { booster: this.booster, task: this.task };
  }
}

function rounds(hp: Record<string, unknown>): number {
  const given = ROUNDS.filter((name) => hp[name] !== undefined && hp[name] !== null);
  if (given.length > 1) {
    throw new PgError(SqlState.InvalidParameterValue, `lightgbm: ${given.join(' and ')} are aliases of one parameter; give one`);
  }
  return given.length === 0 ? 100 : intParam(ALGORITHM, hp, given[0]!, 100, 0);
}

/** `key=value` pairs separated by spaces: values may not contain either, or LightGBM would misread them. */
/** The names of num_threads this engine takes (HYPERPARAMS); the user's choice wins. */
const THREADS = ['num_threads', 'n_jobs'];
/**
 * Rows × features below which a fit runs on one OpenMP thread unless told otherwise. LightGBM's own
 * advice: few threads for small data. Each iteration opens several OpenMP parallel regions (a tree of
 * 31 leaves: a histogram, a split search and a partition per leaf), and on a small set their fork and
 * join cost more than the work shared: diabetes (331 × 10) took 14 ms of CPU on one thread against
 * 280 ms on OpenMP's default two, a thread spinning at each barrier for the other, preempted on a busy
 * two-core machine (BENCHMARKS.md, trees7). digits (1,347 × 64, 10 classes: 1,000 trees) the same:
 * 351–384 ms of CPU on one thread, 590 ms at best on two (so at most 1.2× faster by the wall on an
 * idle machine) and 3–6 s with anything else on the cores, the same trees (trees9). Its bench cell
 * moved between 0.29 and 0.54 s by that alone. The 100k×30 table (2.25 M) keeps OpenMP's default.
 */
const SINGLE_THREAD_MAX_WORK = 200_000;

/** num_threads=1 for a small fit where the user set no thread count; nothing otherwise (OpenMP's default). */
function threads(hp: Record<string, unknown>, work: number): { num_threads?: number } {
  return oneThreadByDefault(hp, THREADS, work, SINGLE_THREAD_MAX_WORK) ? { num_threads: 1 } : {};
}

function parameterString(params: Record<string, unknown>): string {
  return Object.entries(params)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([name, value]) => {
      const text = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
      if (typeof text !== 'string' || text === '' || /[\s=]/.test(text)) {
        throw invalidParam(ALGORITHM, name, 'a number, a boolean or a word', value);
      }
      return `${name}=${text}`;
    })
    .join(' ');
}

/** The task from the model's own header line (`objective=binary sigmoid:1`, `objective=multiclass num_class:3`). */
function taskOf(model: string): 'regression' | 'classification' {
  const objective = /^objective=(\S+)/m.exec(model)?.[1];
  if (objective === undefined) throw new PgError(SqlState.DataCorrupted, 'stored lightgbm model has no objective line');
  return objective.startsWith('binary') || objective.startsWith('multiclass') ? 'classification' : 'regression';
}

export const lightgbmFactory: EngineFactory = {
  algorithm: ALGORITHM,
  tasks: TASKS,
  hyperparams: HYPERPARAMS,
  create: () => new LightgbmEngine(),
  async deserialize(bytes: Uint8Array): Promise<Engine> {
    const model = new TextDecoder().decode(bytes);
    const booster = LightgbmBooster.load(model);
    return new LightgbmEngine(booster, taskOf(model), booster.numFeatures);
  },
};
