/**
 * An XGBoost regression model's trees walked in JavaScript, for the few rows a local answer
 * predicts on the event loop. libxgboost's own call has a fixed cost far above the walk itself
 * (in-place prediction parses two JSON configs and builds a proxy DMatrix per call: one row of the
 * 100-tree benchmark model took ~45 µs in libxgboost on a quiet machine, of which the walk of 100
 * trees of depth 6 is a few µs), and that cost was most of what a locally answered prediction
 * spent beyond `SELECT 1`'s (BENCHMARKS.md, "Serving latency: the walk in JavaScript").
 *
 * The values are libxgboost 1.7's CPU predictor's, bit for bit: each row starts at base_score (a
 * float), and each tree's leaf is added to it in float32 arithmetic, in tree order
 * (`PredictByAllTrees`: `out_preds[...] += PredValueByOneTree(...)` on a float buffer); a node
 * sends a NaN feature to its default child, any other value left when `value < split_condition`
 * (both float32), else right. Only models where that is the whole computation are walked: the
 * gbtree booster (not dart, whose trees are weighted, nor gblinear), one output, no categorical
 * splits, and an objective whose prediction is the margin itself (regression's squared, absolute
 * and pseudo-Huber errors). Any other model is undefined here and stays with libxgboost.
 * test/unit/pgml/serving/xgboost-trees.test.ts compares every value with libxgboost's.
 */
import { decodeUbjson, type UbjValue } from './ubjson.js';

/** Objectives whose transformed prediction is the margin (PredTransform and ProbToMargin are the identity). */
const MARGIN_OBJECTIVES = new Set(['reg:squarederror', 'reg:absoluteerror', 'reg:pseudohubererror']);

type Json = { [key: string]: UbjValue };

/** The walk's arrays, as plain data: an engine thread reads the model and hands them over. */
export interface TreeTables {
  cols: number;
  base: number;
  /** Each tree's root, as an index into the node arrays below (all trees' nodes, one after another). */
  roots: Int32Array;
  /** Absolute index of each node's left child, -1 at a leaf. */
  left: Int32Array;
  right: Int32Array;
  feature: Int32Array;
  /** The split's threshold; at a leaf, the leaf's value (XGBoost keeps both in one field). */
  condition: Float32Array;
  defaultLeft: Uint8Array;
}

/**
 * The engine-thread job (pool.ts's `run`) that reads a model for the walk: decoding a model of the
 * in-thread size limit (4 MiB) took up to 44 ms the first time in a process, model loading the event
 * loop must not wait for. Undefined when the model is not one the walk can predict, or its bytes are
 * not what this reader follows (libxgboost then loads them, or says in its own words why not).
 */
export function readTrees(input: { model: Uint8Array; cols: number }): TreeTables | undefined {
  try {
    return treeTables(input.model, input.cols);
  } catch {
    return undefined;
  }
}

/** The trees of a model libxgboost saved as UBJSON, when walking them is all its prediction is. */
export function treeTables(model: Uint8Array, cols: number): TreeTables | undefined {
  const learner = field(decodeUbjson(model), 'learner');
  const booster = field(learner, 'gradient_booster');
  const params = field(learner, 'learner_model_param');
  const objective = field(learner, 'objective');
  if (booster?.name !== 'gbtree' || objective === undefined || !MARGIN_OBJECTIVES.has(String(objective.name))) return undefined;
  if (params === undefined || Number(params.num_class) !== 0 || Number(params.num_target) !== 1) return undefined;
  const trees = field(booster, 'model')?.trees;
  const base = Math.fround(Number(params.base_score));
  if (!Array.isArray(trees) || !Number.isFinite(base)) return undefined;
  const parts = trees.map((tree) => treeArrays(tree));
  if (parts.some((p) => p === undefined)) return undefined;
  return joined(parts as TreeArrays[], cols, base);
}

function joined(parts: TreeArrays[], cols: number, base: number): TreeTables | undefined {
  const nodes = parts.reduce((n, p) => n + p.left.length, 0);
  const roots = new Int32Array(parts.length);
  const left = new Int32Array(nodes);
  const right = new Int32Array(nodes);
  const feature = new Int32Array(nodes);
  const condition = new Float32Array(nodes);
  const defaultLeft = new Uint8Array(nodes);
  let at = 0;
  for (const [t, p] of parts.entries()) {
    roots[t] = at;
    for (let n = 0; n < p.left.length; n++) {
      const leaf = p.left[n] === -1;
      if (!leaf && (p.split_indices[n]! < 0 || p.split_indices[n]! >= cols)) return undefined;
      left[at + n] = leaf ? -1 : at + p.left[n]!;
      right[at + n] = leaf ? -1 : at + p.right[n]!;
      feature[at + n] = p.split_indices[n]!;
      condition[at + n] = p.split_conditions[n]!;
      defaultLeft[at + n] = p.default_left[n]!;
    }
    at += p.left.length;
  }
  return { cols, base, roots, left, right, feature, condition, defaultLeft };
}

export class XgboostTrees {
  constructor(private readonly tables: TreeTables) {}

  /** The walk of a model's bytes read here (tests; serving reads them on an engine thread: readTrees). */
  static fromUbjson(model: Uint8Array, cols: number): XgboostTrees | undefined {
    const tables = treeTables(model, cols);
    return tables === undefined ? undefined : new XgboostTrees(tables);
  }

  /** One value per row of `x` (rows × cols, row-major), as libxgboost predicts it. */
  predict(x: Float32Array, rows: number): Float32Array {
    const { cols, base, roots, left, right, feature, condition, defaultLeft } = this.tables;
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const row = r * cols;
      let sum = base;
      for (let t = 0; t < roots.length; t++) {
        let n = roots[t]!;
        while (left[n] !== -1) {
          const value = x[row + feature[n]!]!;
          if (Number.isNaN(value)) n = defaultLeft[n] === 1 ? left[n]! : right[n]!;
          else n = value < condition[n]! ? left[n]! : right[n]!;
        }
        sum = Math.fround(sum + condition[n]!);
      }
      out[r] = sum;
    }
    return out;
  }
}

interface TreeArrays {
  left: Int32Array;
  right: Int32Array;
  split_indices: Int32Array;
  split_conditions: Float32Array;
  default_left: Uint8Array;
}

function field(value: UbjValue | undefined, key: string): Json | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) return undefined;
  const inner = (value as Json)[key];
  return inner !== null && typeof inner === 'object' && !Array.isArray(inner) && !ArrayBuffer.isView(inner) ? (inner as Json) : undefined;
}

/** One tree's node arrays, when they are all there, consistent, and the tree has no categorical split. */
function treeArrays(tree: UbjValue): TreeArrays | undefined {
  const t = tree as Json;
  const { left_children: left, right_children: right, split_indices, split_conditions, default_left, split_type } = t;
  if (!(left instanceof Int32Array) || !(right instanceof Int32Array) || !(split_indices instanceof Int32Array)) return undefined;
  if (!(split_conditions instanceof Float32Array) || !(default_left instanceof Uint8Array)) return undefined;
  const n = left.length;
  if ([right, split_indices, split_conditions, default_left].some((a) => a.length !== n) || n === 0) return undefined;
  if (split_type instanceof Uint8Array ? split_type.some((s) => s !== 0) : split_type !== undefined) return undefined;
  // Children come after their parent (XGBoost numbers nodes as it expands them), so every walk ends.
  for (let i = 0; i < n; i++) {
    if (left[i] === -1) continue;
    if (!(left[i]! > i && left[i]! < n && right[i]! > i && right[i]! < n)) return undefined;
  }
  return { left, right, split_indices, split_conditions, default_left };
}
