/**
 * Upper (and lower) bounds on hyperparameters that decide how long a fit runs and how much memory
 * it takes. A value past them is refused with 22023 before any data is read: `n_estimators` of a
 * billion would otherwise train until the host runs out of memory. The bounds are far above what
 * a model needs (scikit-learn's and XGBoost's defaults are 100 trees, depth 6, 200-1000 iterations).
 */
import { PgError, SqlState } from '../../errors/index.js';

interface Bound {
  min: number;
  max: number;
}

const LIMITS: Record<string, Bound> = {
  n_estimators: { min: 1, max: 10_000 },
  boost_rounds: { min: 1, max: 10_000 },
  num_parallel_tree: { min: 1, max: 10_000 },
  max_depth: { min: 0, max: 64 },
  max_leaves: { min: 0, max: 1_000_000 },
  max_bin: { min: 2, max: 65_536 },
  max_iter: { min: 1, max: 1_000_000 },
  n_iter_no_change: { min: 1, max: 1_000_000 },
  n_clusters: { min: 1, max: 100_000 },
  n_init: { min: 1, max: 1_000 },
  n_components: { min: 1, max: 100_000 },
  batch_size: { min: 1, max: 1_000_000 },
  degree: { min: 0, max: 100 },
  cache_size: { min: 0, max: 100_000 },
};

/** Layers and units of a neural network (hidden_layer_sizes). */
const MAX_LAYERS = 100;
const MAX_UNITS = 10_000;

function refuse(algorithm: string, name: string, expected: string, value: unknown): PgError {
  return new PgError(SqlState.InvalidParameterValue, `hyperparameter ${name} for ${algorithm} must be ${expected}, got ${JSON.stringify(value)}`, {
    hint: 'pgml-proxy refuses values past its limits before training: such a fit would run for hours or exhaust memory.',
  });
}

function checkNumber(algorithm: string, name: string, value: unknown, bound: Bound): void {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  // Non-numbers are the engine's to refuse, with its own message.
  if (typeof n !== 'number' || Number.isNaN(n)) return;
  if (n > bound.max) throw refuse(algorithm, name, `at most ${bound.max}`, value);
  if (n < bound.min) throw refuse(algorithm, name, `at least ${bound.min}`, value);
}

/** Refuses a candidate's hyperparameters past the limits, naming the limit. */
export function checkHyperparamLimits(algorithm: string, hyperparams: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(hyperparams)) {
    if (value === null || value === undefined) continue;
    const bound = LIMITS[name];
    if (bound) checkNumber(algorithm, name, value, bound);
    if (name === 'hidden_layer_sizes' && Array.isArray(value)) {
      if (value.length > MAX_LAYERS) throw refuse(algorithm, name, `at most ${MAX_LAYERS} layers`, value);
      for (const units of value) checkNumber(algorithm, name, units, { min: 1, max: MAX_UNITS });
    }
  }
}
