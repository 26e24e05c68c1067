/**
 * pgml.train hyperparameters → XGBoost C API parameters. Names are XGBoost's own (and the
 * python-xgboost sklearn aliases PostgresML accepts); defaults follow xgboost-python's
 * XGBRegressor/XGBClassifier and XGBRFRegressor/XGBRFClassifier, which PostgresML documents.
 */
import { PgError, SqlState } from '../../../errors/index.js';
import { checkHyperparamNames, numberParam, type FitOptions } from '../engine.js';
import { oneThreadByDefault } from '../openmp.js';

const BOOSTER_PARAMS = [
  'booster',
  'eta',
  'learning_rate',
  'gamma',
  'min_split_loss',
  'max_depth',
  'min_child_weight',
  'max_delta_step',
  'subsample',
  'sampling_method',
  'colsample_bytree',
  'colsample_bylevel',
  'colsample_bynode',
  'lambda',
  'reg_lambda',
  'alpha',
  'reg_alpha',
  'tree_method',
  'sketch_eps',
  'scale_pos_weight',
  'updater',
  'refresh_leaf',
  'process_type',
  'grow_policy',
  'max_leaves',
  'max_bin',
  'predictor',
  'monotone_constraints',
  'interaction_constraints',
  'max_cat_to_onehot',
  'max_cat_threshold',
  // dart booster
  'rate_drop',
  'one_drop',
  'skip_drop',
  'sample_type',
  'normalize_type',
  // linear booster
  'feature_selector',
  'top_k',
  // learning task
  'objective',
  'base_score',
  'eval_metric',
  'seed',
  'random_state',
  'tweedie_variance_power',
  'huber_slope',
  'max_cat_to_onehot',
  // runtime
  'nthread',
  'n_jobs',
  'verbosity',
] as const;

export const XGBOOST_HYPERPARAMS: readonly string[] = [
  ...new Set(['n_estimators', 'boost_rounds', 'num_parallel_tree', ...BOOSTER_PARAMS]),
];

/** A random forest's size is n_estimators; num_parallel_tree is derived from it, as in XGBRF*. */
export const XGBOOST_RANDOM_FOREST_HYPERPARAMS: readonly string[] = [
  ...new Set(['n_estimators', ...BOOSTER_PARAMS]),
];

/** sklearn-style names → the names every XGBoost version (including the WASM build) understands. */
const CANONICAL: Record<string, string> = {
  learning_rate: 'eta',
  reg_lambda: 'lambda',
  reg_alpha: 'alpha',
  min_split_loss: 'gamma',
  random_state: 'seed',
  n_jobs: 'nthread',
};

export type XgboostAlgorithm = 'xgboost' | 'xgboost_random_forest';

export interface XgboostConfig {
  params: Array<[string, string]>;
  rounds: number;
  objective: string;
}

function bad(name: string, value: unknown, why: string): PgError {
  return new PgError(
    SqlState.InvalidParameterValue,
    `invalid value for xgboost hyperparameter ${name}: ${JSON.stringify(value)} (${why})`,
  );
}

function scalar(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  throw bad(name, value, 'expected a number, string or boolean');
}

/** XGBoost takes list-valued parameters in per-parameter text forms. */
function encode(name: string, value: unknown): string[] {
  if (!Array.isArray(value)) return [scalar(name, value)];
  switch (name) {
    case 'eval_metric':
      return value.map((v) => scalar(name, v));
    case 'updater':
      return [value.map((v) => scalar(name, v)).join(',')];
    case 'monotone_constraints':
      return [`(${value.map((v) => scalar(name, v)).join(',')})`];
    case 'interaction_constraints':
      return [JSON.stringify(value)];
    default:
      throw bad(name, value, 'a list is not accepted here');
  }
}

function positiveInteger(algorithm: string, hyperparams: Record<string, unknown>, name: string, fallback: number): number {
  const n = numberParam(algorithm, hyperparams, name, fallback);
  if (!Number.isInteger(n) || n < 1) throw bad(name, hyperparams[name], 'expected a positive integer');
  return n;
}

/**
 * Rows × features below which a fit runs on one thread unless nthread or n_jobs is given (libxgboost's
 * default is every core). A tree level on iris or diabetes is a few microseconds of work in each
 * OpenMP parallel loop, less than the loop's fork and join, and on a busy two-core machine the second
 * thread waits at every barrier for a core: xgboost_random_forest took 9 ms of CPU on iris and 31 ms
 * on diabetes on one thread against 200–280 ms on two, xgboost 6 and 40 ms against 100–300 (trees9).
 * breast_cancer (12,780) and above keep the default: there the random forest's second thread pays
 * (93 ms of CPU on one thread against 56–60 ms by the wall on two, idle). The stored model is the
 * same bytes either way: nthread is a runtime setting, not part of the saved booster.
 */
const SINGLE_THREAD_MAX_WORK = 10_000;

/** `work` is the training matrix's rows × features: below SINGLE_THREAD_MAX_WORK, one thread by default. */
export function xgboostConfig(algorithm: XgboostAlgorithm, options: FitOptions, work = Infinity): XgboostConfig {
  const hyperparams = options.hyperparams;
  const forest = algorithm === 'xgboost_random_forest';
  checkHyperparamNames(algorithm, hyperparams, forest ? XGBOOST_RANDOM_FOREST_HYPERPARAMS : XGBOOST_HYPERPARAMS);

  const classes = options.numClasses ?? 0;
  if (options.task === 'classification' && classes < 2) {
    throw new PgError(SqlState.InvalidParameterValue, `classification needs at least 2 distinct labels, got ${classes}`);
  }
  const defaultObjective =
    options.task === 'regression' ? 'reg:squarederror' : classes > 2 ? 'multi:softprob' : 'binary:logistic';
  const objective = typeof hyperparams.objective === 'string' ? hyperparams.objective : defaultObjective;

  const nEstimators = positiveInteger(
    algorithm,
    hyperparams,
    'n_estimators',
    positiveInteger(algorithm, hyperparams, 'boost_rounds', 100),
  );

  // Later entries win inside XGBoost, so defaults go first and the user's values override them.
  const params: Array<[string, string]> = [['objective', objective]];
  if (objective.startsWith('multi:')) params.push(['num_class', String(classes)]);
  if (forest) {
    params.push(
      ['eta', '1'],
      ['subsample', '0.8'],
      ['colsample_bynode', '0.8'],
      ['lambda', '1e-05'],
      ['num_parallel_tree', String(nEstimators)],
    );
  }
  if (oneThreadByDefault(hyperparams, ['nthread', 'n_jobs'], work, SINGLE_THREAD_MAX_WORK)) params.push(['nthread', '1']);
  for (const [name, value] of Object.entries(hyperparams)) {
    if (name === 'n_estimators' || name === 'boost_rounds' || name === 'objective') continue;
    if (value === null || value === undefined) continue;
    const target = CANONICAL[name] ?? name;
    for (const text of encode(name, value)) params.push([target, text]);
  }
  return { params, rounds: forest ? 1 : nEstimators, objective };
}
