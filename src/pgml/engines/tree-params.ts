/**
 * scikit-learn's tree hyperparameters (DecisionTree*, the forests and GradientBoosting*), read with
 * sklearn's names and meanings: max_depth None = unlimited; min_samples_split / min_samples_leaf an
 * int count or a float fraction of the samples; max_features 'sqrt', 'log2', None, an int or a fraction;
 * max_leaf_nodes None or an int >= 2.
 */
import { numberParam } from './engine.js';
import { intParam, invalidParam } from './engine-support.js';

export const TREE_HYPERPARAMS = ['max_depth', 'min_samples_split', 'min_samples_leaf', 'max_features', 'max_leaf_nodes'] as const;

export interface TreeShape {
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  maxFeatures: number;
  /** Infinity (sklearn's None) grows depth-first; a count of at least 2 grows best-first (tree.ts). */
  maxLeafNodes: number;
}

export function treeShape(
  algorithm: string,
  hp: Record<string, unknown>,
  rows: number,
  cols: number,
  defaults: { maxDepth: number | null; maxFeatures: 'sqrt' | null },
): TreeShape {
  const depth = hp.max_depth === undefined ? defaults.maxDepth : hp.max_depth;
  return {
    maxDepth: depth === null ? Infinity : intParam(algorithm, { max_depth: depth }, 'max_depth', 1),
    minSamplesSplit: countOrFraction(algorithm, hp, 'min_samples_split', 2, rows, 2),
    minSamplesLeaf: countOrFraction(algorithm, hp, 'min_samples_leaf', 1, rows, 1),
    maxFeatures: maxFeatures(algorithm, hp.max_features === undefined ? defaults.maxFeatures : hp.max_features, cols),
    maxLeafNodes: hp.max_leaf_nodes === undefined || hp.max_leaf_nodes === null ? Infinity : intParam(algorithm, hp, 'max_leaf_nodes', 0, 2),
  };
}

/** sklearn: an int is a count; a float in (0, 1) is ceil(fraction × n_samples) (JSON cannot tell 1.0 from 1). */
function countOrFraction(algorithm: string, hp: Record<string, unknown>, name: string, fallback: number, rows: number, min: number): number {
  const n = numberParam(algorithm, hp, name, fallback);
  if (Number.isInteger(n) && n >= min) return n;
  if (n > 0 && n < 1) return Math.max(min, Math.ceil(n * rows));
  throw invalidParam(algorithm, name, `an integer >= ${min} or a fraction in (0, 1)`, hp[name]);
}

function maxFeatures(algorithm: string, value: unknown, cols: number): number {
  if (value === null) return cols;
  if (value === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(cols)));
  if (value === 'log2') return Math.max(1, Math.floor(Math.log2(cols)));
  const n = numberParam(algorithm, { max_features: value }, 'max_features', NaN);
  if (Number.isInteger(n) && n >= 1) return Math.min(n, cols);
  if (n > 0 && n < 1) return Math.max(1, Math.floor(n * cols));
  throw invalidParam(algorithm, 'max_features', "'sqrt', 'log2', null, an integer >= 1 or a fraction in (0, 1]", value);
}
