/**
 * The CART core of the scikit-learn tree ensembles (random_forest, gradient_boosting_trees, extra_trees,
 * bagging, ada_boost): one variance-reduction tree over K outputs, grown depth-first as sklearn's
 * DepthFirstTreeBuilder, or best-first as its BestFirstTreeBuilder when max_leaf_nodes is set.
 * One criterion serves every task: the squared error of one-hot class vectors around their mean is the
 * Gini impurity (Σ p(1-p) = 1 - Σp²), so a K-output tree on one-hot targets is sklearn's gini tree
 * and its leaf values are the class proportions; K real targets are sklearn's multi-output regression.
 * Splits are sklearn's BestSplitter's: the best threshold over presorted features, halfway between
 * sample values (extra trees' random splits are extra-tree.ts).
 */

import { columnMajor, integers, oneHotClasses, ranksOf } from './tree-inputs.js';
import { FEATURE_THRESHOLD, type SklearnFeatureOrder } from './sklearn-features.js';

export { columnMajor, oneHotClasses, presortFeatures } from './tree-inputs.js';

export interface TreeOptions {
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  /** Features tried per node (sklearn's max_features resolved to a count). */
  maxFeatures: number;
  /**
   * sklearn's max_leaf_nodes: Infinity (or absent) grows depth-first; a count grows best-first (the
   * frontier node whose split reduces the squared error most is split next) until that many leaves.
   */
  maxLeafNodes?: number;
  random: () => number;
  /** The best splitter visits features in this order (scikit-learn's, per tree seed) instead of drawing with `random`. */
  featureOrder?: SklearnFeatureOrder;
}

/**
 * Flat arrays, as sklearn's Tree: node i splits on feature[i] <= threshold[i]; feature -1 marks a leaf.
 * Plain arrays while growing and in JSON models; typed views over the bytes of a packed forest (packTrees).
 */
export interface Tree {
  outputs: number;
  feature: number[] | Int32Array;
  threshold: number[] | Float64Array;
  left: number[] | Int32Array;
  right: number[] | Int32Array;
  /** nodes × outputs: the weighted mean target of the node's training samples. */
  value: number[] | Float64Array;
}

type GrowingTree = { [K in keyof Tree]: Tree[K] extends number ? number : number[] };

export interface TreeInput {
  /** rows × cols, row-major: read only when columns is absent. */
  x?: Float32Array;
  rows: number;
  cols: number;
  /** rows × outputs, row-major. */
  targets: Float64Array;
  outputs: number;
  /** Per row; 0 leaves the row out (bootstrap counts and subsamples are weights). */
  weights: Float64Array;
  /** From presortFeatures(x): needed by the best splitter. */
  presorted?: Int32Array;
  /** columnMajor(x): computed per tree if absent; ensembles compute it once and share it. */
  columns?: Float32Array;
}


const EPSILON = 1e-12;

/** sortNode sweeps the presorted rows instead of sorting when the node holds at least this share of them (1 / the value). */
const SWEEP_NODE_FRACTION = 8;

interface Split {
  feature: number;
  threshold: number;
  /** TreeBuilder.proxy of the split: larger is better. */
  score: number;
}

/** A node added to the tree, with the split it gets if it is expanded. */
interface Candidate {
  id: number;
  start: number;
  end: number;
  depth: number;
  split: Split | undefined;
  improvement: number;
  /** Features known to be constant here, for featureOrder (sklearn's n_constant_features). */
  constants: number;
}

export function fitTree(input: TreeInput, options: TreeOptions): Tree {
  return new TreeBuilder(input, options).build();
}

class TreeBuilder {
  private readonly tree: GrowingTree;
  /** Per feature segment of length m, or one unsorted segment when nodes sort their candidates: the in-sample rows. */
  private readonly order: Int32Array;
  private readonly segments: number;
  private readonly m: number;
  private readonly goesLeft: Uint8Array;
  private readonly scratch: Int32Array;
  private readonly features: Int32Array;
  /** Per-node scratch sums, one per output. */
  private readonly sums: Float64Array;
  private readonly leftSums: Float64Array;
  /** nodeStats' weight of the node. */
  private nodeWeight = 0;
  private readonly columns: Float32Array;
  /** Set when the targets are one-hot classes (oneHotClasses). */
  private readonly classes: Int32Array | undefined;
  /** The best splitter sorting each node's candidate features (sortNode): ranksOf(presorted) and scratch. */
  private readonly nodeSorted: boolean;
  private readonly ranks: Int32Array;
  private readonly keys: Int32Array;
  private readonly sortedRows: Int32Array;
  /** sortNode's per-row marks of a large node's rows. */
  private readonly inNode: Uint8Array;

  constructor(
    private readonly input: TreeInput,
    private readonly options: TreeOptions,
  ) {
    const { rows, cols, weights, presorted, outputs } = input;
    this.tree = { outputs, feature: [], threshold: [], left: [], right: [], value: [] };
    let m = 0;
    for (let r = 0; r < rows; r++) if (weights[r]! > 0) m++;
    this.m = m;
    this.classes = oneHotClasses(input.targets, rows, outputs);
    if (!presorted) throw new Error('the best splitter needs presorted features');
    // Few candidate features per node (a classifier's sqrt): sort those at each node rather than keep
    // every feature's order partitioned. Only where the node sums are exact (integer weights on one-hot
    // classes), so reading the node's rows in another order cannot change a value or an impurity.
    this.nodeSorted = options.maxFeatures < cols && this.classes !== undefined && integers(weights);
    this.ranks = this.nodeSorted ? ranksOf(presorted, rows, cols) : new Int32Array(0);
    this.keys = new Int32Array(this.nodeSorted ? m : 0);
    // One more than m: the sweep writes a row past the node's before moving on.
    this.sortedRows = new Int32Array(this.nodeSorted ? m + 1 : 0);
    this.inNode = new Uint8Array(this.nodeSorted ? rows : 0);
    if (!this.nodeSorted) {
      this.segments = cols;
      this.order = new Int32Array(cols * m);
      for (let c = 0; c < cols; c++) {
        let k = c * m;
        for (let i = 0; i < rows; i++) {
          const r = presorted[c * rows + i]!;
          if (weights[r]! > 0) this.order[k++] = r;
        }
      }
    } else {
      this.segments = 1;
      this.order = new Int32Array(m);
      let k = 0;
      for (let r = 0; r < rows; r++) if (weights[r]! > 0) this.order[k++] = r;
    }
    this.goesLeft = new Uint8Array(rows);
    this.sums = new Float64Array(outputs);
    this.leftSums = new Float64Array(outputs);
    this.scratch = new Int32Array(m);
    if (!input.columns && !input.x) throw new Error('a tree needs x or its columns');
    this.columns = input.columns ?? columnMajor(input.x!, rows, cols);
    this.features = Int32Array.from({ length: cols }, (_, i) => i);
  }

  build(): Tree {
    const maxLeaves = this.options.maxLeafNodes ?? Infinity;
    if (Number.isFinite(maxLeaves)) this.growBestFirst(maxLeaves);
    else this.grow(0, this.m, 0);
    return this.tree;
  }

  /** Adds the node for rows order[start, end) and its subtree, depth first; returns its index. */
  private grow(start: number, end: number, depth: number, constants = 0): number {
    const node = this.addNode(start, end, depth, constants);
    if (node.split === undefined) return node.id;
    const leftCount = this.applySplit(node, node.split);
    this.tree.left[node.id] = this.grow(start, start + leftCount, depth + 1, node.constants);
    this.tree.right[node.id] = this.grow(start + leftCount, end, depth + 1, node.constants);
    return node.id;
  }

  /**
   * sklearn's BestFirstTreeBuilder: each node's split is chosen when the node is added; the frontier
   * node with the largest impurity improvement is split next, max_leaf_nodes - 1 splits in all.
   */
  private growBestFirst(maxLeaves: number): void {
    const frontier = [this.addNode(0, this.m, 0)];
    let splits = maxLeaves - 1;
    while (splits > 0 && frontier.length > 0) {
      let best = 0;
      for (let i = 1; i < frontier.length; i++) {
        if (frontier[i]!.improvement > frontier[best]!.improvement) best = i;
      }
      const node = frontier.splice(best, 1)[0]!;
      if (node.split === undefined) continue;
      splits--;
      const leftCount = this.applySplit(node, node.split);
      const left = this.addNode(node.start, node.start + leftCount, node.depth + 1, node.constants);
      const right = this.addNode(node.start + leftCount, node.end, node.depth + 1, node.constants);
      this.tree.left[node.id] = left.id;
      this.tree.right[node.id] = right.id;
      frontier.push(left, right);
    }
  }

  /** Adds a leaf for rows order[start, end) and chooses its split, if it may have one (applied later). */
  private addNode(start: number, end: number, depth: number, constants = 0): Candidate {
    const { outputs } = this.input;
    const impurity = this.nodeStats(start, end);
    const { sums, nodeWeight: weight } = this;
    const id = this.tree.feature.length;
    this.tree.feature.push(-1);
    this.tree.threshold.push(0);
    this.tree.left.push(-1);
    this.tree.right.push(-1);
    for (let k = 0; k < outputs; k++) this.tree.value.push(weight > 0 ? sums[k]! / weight : 0);

    const node: Candidate = { id, start, end, depth, split: undefined, improvement: 0, constants };
    const count = end - start;
    const { maxDepth, minSamplesSplit, minSamplesLeaf } = this.options;
    if (depth >= maxDepth || count < minSamplesSplit || count < 2 * minSamplesLeaf || impurity <= EPSILON) return node;
    const split = this.bestSplit(node);
    if (split === undefined) return node;
    // The proxy minus the parent's sum of S^2/W is the drop in weighted squared error: sklearn's
    // impurity_improvement times the tree's total weight, for squared_error and friedman_mse alike
    // (friedman_mse's diff^2 / (w_l w_r w) is the same between-children sum of squares).
    let parent = 0;
    for (let k = 0; k < outputs; k++) parent += sums[k]! ** 2 / weight;
    node.split = split;
    node.improvement = split.score - parent;
    return node;
  }

  /** Makes the node a split node and partitions its rows; returns the left child's row count. */
  private applySplit(node: Candidate, split: Split): number {
    this.tree.feature[node.id] = split.feature;
    this.tree.threshold[node.id] = split.threshold;
    return this.partition(node.start, node.end, split.feature, split.threshold);
  }

  /**
   * The node's impurity; its weight in nodeWeight and per-output weighted sums in this.sums, valid until
   * the next node (fields rather than a record: a fully grown forest has hundreds of thousands of nodes).
   */
  private nodeStats(start: number, end: number): number {
    const { targets, weights, outputs } = this.input;
    const { sums } = this;
    for (let k = 0; k < outputs; k++) sums[k] = 0;
    let weight = 0;
    let squares = 0;
    for (let i = start; i < end; i++) {
      const r = this.order[i]!;
      const w = weights[r]!;
      weight += w;
      for (let k = 0; k < outputs; k++) {
        const t = targets[r * outputs + k]!;
        sums[k]! += w * t;
        squares += w * t * t;
      }
    }
    let impurity = weight > 0 ? squares / weight : 0;
    for (let k = 0; k < outputs; k++) impurity -= weight > 0 ? (sums[k]! / weight) ** 2 : 0;
    this.nodeWeight = weight;
    return impurity;
  }

  /** sklearn draws candidate features without replacement, one by one: the first (returned) count of this.features. */
  private candidateFeatures(): number {
    const { features } = this;
    const { maxFeatures, random } = this.options;
    if (maxFeatures >= features.length) return features.length;
    for (let i = 0; i < maxFeatures; i++) {
      const j = i + Math.floor(random() * (features.length - i));
      const tmp = features[i]!;
      features[i] = features[j]!;
      features[j] = tmp;
    }
    return maxFeatures;
  }

  /** Σ_k S_L²/W_L + S_R²/W_R: maximising it minimises the children's weighted squared error. */
  private static proxy(leftSums: Float64Array, leftWeight: number, total: Float64Array, weight: number): number {
    let score = 0;
    const rightWeight = weight - leftWeight;
    for (let k = 0; k < total.length; k++) {
      const l = leftSums[k]!;
      const r = total[k]! - l;
      score += (l * l) / leftWeight + (r * r) / rightWeight;
    }
    return score;
  }

  /**
   * Scans each candidate feature's rows in sorted order, scoring a threshold between every two distinct
   * values. The sums accumulate row by row in that order whatever the target shape, so scores (and ties)
   * are the same floating-point numbers in each of the three loops.
   */
  private bestSplit(node: Candidate): Split | undefined {
    const { start, end } = node;
    const { rows, targets, weights, outputs } = this.input;
    const { columns, order, classes } = this;
    const minLeaf = this.options.minSamplesLeaf;
    const { leftSums, sums, nodeWeight: weight } = this;
    const total = sums[0]!;
    let bestFeature = -1;
    let bestThreshold = 0;
    let bestScore = 0;
    const { features, count } = this.bestCandidates(node);
    for (let c = 0; c < count; c++) {
      const f = features[c]!;
      const column = f * rows;
      // The node's rows in (value, row) order: sorted[at + i] for i in [start, end).
      let sorted = order;
      let at = f * this.m;
      if (this.nodeSorted) {
        sorted = this.sortNode(f, start, end);
        at = -start;
      }
      for (let k = 0; k < outputs; k++) leftSums[k] = 0;
      let leftSum = 0;
      let leftWeight = 0;
      let here = columns[column + sorted[at + start]!]!;
      for (let i = start; i < end - 1; i++) {
        const r = sorted[at + i]!;
        const w = weights[r]!;
        leftWeight += w;
        if (outputs === 1) leftSum += w * targets[r]!;
        else if (classes) leftSums[classes[r]!]! += w;
        else for (let k = 0; k < outputs; k++) leftSums[k]! += w * targets[r * outputs + k]!;
        const value = here;
        here = columns[column + sorted[at + i + 1]!]!;
        if (here <= value) continue;
        const leftCount = i + 1 - start;
        if (leftCount < minLeaf || end - start - leftCount < minLeaf) continue;
        let score: number;
        if (outputs === 1) {
          const right = total - leftSum;
          score = (leftSum * leftSum) / leftWeight + (right * right) / (weight - leftWeight);
        } else {
          score = TreeBuilder.proxy(leftSums, leftWeight, sums, weight);
        }
        if (bestFeature < 0 || score > bestScore) {
          // Halfway, as sklearn; if rounding lands on `here` (the next value), `value` keeps both sides non-empty.
          bestThreshold = value / 2 + here / 2;
          if (bestThreshold >= here) bestThreshold = value;
          bestFeature = f;
          bestScore = score;
        }
      }
    }
    return bestFeature < 0 ? undefined : { feature: bestFeature, threshold: bestThreshold, score: bestScore };
  }

  /** The best splitter's features to evaluate at the node, in order: scikit-learn's (featureOrder) or our draw. */
  private bestCandidates(node: Candidate): { features: Int32Array; count: number } {
    const order = this.options.featureOrder;
    if (!order) return { features: this.features, count: this.candidateFeatures() };
    node.constants = order.node(node.constants, (f) => this.spansAtMostThreshold(f, node.start, node.end));
    return { features: order.visited, count: order.visitedCount };
  }

  /** sklearn's constant feature: the node's values of f span FEATURE_THRESHOLD or less. */
  private spansAtMostThreshold(f: number, start: number, end: number): boolean {
    const { columns, order } = this;
    const column = f * this.input.rows;
    if (this.segments > 1) {
      const at = f * this.m;
      return columns[column + order[at + end - 1]!]! <= columns[column + order[at + start]!]! + FEATURE_THRESHOLD;
    }
    let min = Infinity;
    let max = -Infinity;
    for (let i = start; i < end; i++) {
      const v = columns[column + order[i]!]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return max <= min + FEATURE_THRESHOLD;
  }

  /** The node's rows by feature f's (value, row), from their ranks in the presorted order (unique keys). */
  private sortNode(f: number, start: number, end: number): Int32Array {
    const { keys, ranks, order, sortedRows } = this;
    const presorted = this.input.presorted!;
    const { rows } = this.input;
    const offset = f * rows;
    const n = end - start;
    if (n * SWEEP_NODE_FRACTION >= rows) {
      // A large node: keeping the feature's presorted rows that are in the node costs one pass over
      // all rows, less than sorting n keys (the same order: ranks are unique).
      const { inNode } = this;
      for (let i = start; i < end; i++) inNode[order[i]!] = 1;
      let k = 0;
      for (let i = 0; i < rows; i++) {
        const r = presorted[offset + i]!;
        sortedRows[k] = r;
        k += inNode[r]!;
      }
      for (let i = start; i < end; i++) inNode[order[i]!] = 0;
      return sortedRows;
    }
    for (let i = 0; i < n; i++) keys[i] = ranks[offset + order[start + i]!]!;
    if (n <= 16) {
      for (let i = 1; i < n; i++) {
        const key = keys[i]!;
        let j = i - 1;
        for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
        keys[j + 1] = key;
      }
    } else {
      keys.subarray(0, n).sort();
    }
    for (let i = 0; i < n; i++) sortedRows[i] = presorted[offset + keys[i]!]!;
    return sortedRows;
  }

  /** Stable partition of every segment's [start, end) into left then right; returns the left count. */
  private partition(start: number, end: number, feature: number, threshold: number): number {
    const { order, scratch, goesLeft, columns } = this;
    const column = feature * this.input.rows;
    let leftCount = 0;
    for (let i = start; i < end; i++) {
      const r = order[i]!;
      const left = columns[column + r]! <= threshold ? 1 : 0;
      goesLeft[r] = left;
      leftCount += left;
    }
    for (let s = 0; s < this.segments; s++) {
      const base = s * this.m;
      // Branch-free: each row is written to both places, and only its side's cursor moves on
      // (writing at l <= i never overwrites a row not yet read).
      let l = base + start;
      let k = 0;
      for (let i = base + start; i < base + end; i++) {
        const r = order[i]!;
        const left = goesLeft[r]!;
        order[l] = r;
        scratch[k] = r;
        l += left;
        k += 1 - left;
      }
      for (let j = 0; j < k; j++) order[l + j] = scratch[j]!;
    }
    return leftCount;
  }
}

/**
 * Many trees as five typed arrays (node counts tell where each tree starts), for binary models:
 * a fully grown forest over 75,000 rows holds about 15 million nodes, too many for JSON.
 */
export interface PackedTrees {
  nodes: number[];
  feature: Int32Array;
  left: Int32Array;
  right: Int32Array;
  threshold: Float64Array;
  value: Float64Array;
}

export function packTrees(trees: readonly Tree[], outputs: number): PackedTrees {
  const nodes = trees.map((tree) => tree.feature.length);
  const total = nodes.reduce((a, b) => a + b, 0);
  const packed: PackedTrees = {
    nodes,
    feature: new Int32Array(total),
    left: new Int32Array(total),
    right: new Int32Array(total),
    threshold: new Float64Array(total),
    value: new Float64Array(total * outputs),
  };
  let at = 0;
  for (const tree of trees) {
    packed.feature.set(tree.feature, at);
    packed.left.set(tree.left, at);
    packed.right.set(tree.right, at);
    packed.threshold.set(tree.threshold, at);
    packed.value.set(tree.value, at * outputs);
    at += tree.feature.length;
  }
  return packed;
}

/** The trees of a pack, as views on its arrays (no copies). */
export function unpackTrees(packed: PackedTrees, outputs: number): Tree[] {
  let at = 0;
  return packed.nodes.map((count) => {
    const tree: Tree = {
      outputs,
      feature: packed.feature.subarray(at, at + count),
      left: packed.left.subarray(at, at + count),
      right: packed.right.subarray(at, at + count),
      threshold: packed.threshold.subarray(at, at + count),
      value: packed.value.subarray(at * outputs, (at + count) * outputs),
    };
    at += count;
    return tree;
  });
}

/** The leaf a row falls in. */
export function leafOf(tree: Tree, x: Float32Array, offset: number): number {
  let node = 0;
  while (tree.feature[node]! >= 0) {
    node = x[offset + tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  }
  return node;
}

/** Adds scale × the tree's value for each row into out (rows × outputs). */
export function addTreePrediction(tree: Tree, x: Float32Array, rows: number, cols: number, scale: number, out: Float64Array): void {
  const k = tree.outputs;
  for (let r = 0; r < rows; r++) {
    const leaf = leafOf(tree, x, r * cols);
    for (let j = 0; j < k; j++) out[r * k + j]! += scale * tree.value[leaf * k + j]!;
  }
}
