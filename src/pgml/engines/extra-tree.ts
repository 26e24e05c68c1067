/**
 * scikit-learn's ExtraTree (the trees of ExtraTreesClassifier / ExtraTreesRegressor), draw for draw:
 * RandomSplitter's node_split_random (_splitter.pyx) on the DensePartitioner (_partitioner.pyx), with
 * the Gini (classes) or MSE criterion (_criterion.pyx), grown by DepthFirstTreeBuilder or, with
 * max_leaf_nodes, BestFirstTreeBuilder (_tree.pyx). The same tree needs the same draws (features by
 * Fisher-Yates on our_rand_r, a rand_uniform threshold per feature, known constants skipped) and the
 * same sums in the same order: the node's rows are kept in sklearn's order (partitioned in place as its
 * partitioner does), the criterion sums from the nearer end as its update does, and a child's impurity is
 * the one its parent's split computed, so near ties and "pure" nodes come out as sklearn's.
 */
import { FEATURE_THRESHOLD, SklearnFeatureOrder, swap } from './sklearn-features.js';
import type { Tree, TreeInput, TreeOptions } from './tree.js';

/** _tree.pyx's EPSILON (np.finfo('double').eps): a node at or below this impurity is a leaf. */
const EPSILON = 2.220446049250313e-16;
const FEATURE_THRESHOLD_32 = Math.fround(FEATURE_THRESHOLD);

export interface ExtraTreeOptions extends Omit<TreeOptions, 'random' | 'splitter' | 'featureOrder'> {
  /** The DecisionTree's random_state: its splitter's rand_r state is RandomState(seed).randint(0, RAND_R_MAX). */
  treeSeed: number;
  /** Each row's class (Gini), or undefined for the squared error over the targets. */
  classes: Int32Array | undefined;
}

interface SplitRecord {
  pos: number;
  feature: number;
  threshold: number;
  improvement: number;
  impurityLeft: number;
  impurityRight: number;
}

/** A node added to the tree, as BestFirstTreeBuilder's FrontierRecord. */
interface Frontier {
  id: number;
  start: number;
  end: number;
  depth: number;
  split: SplitRecord | undefined;
}

export function fitExtraTree(input: TreeInput, options: ExtraTreeOptions): Tree {
  return new ExtraTreeBuilder(input, options).build();
}

class ExtraTreeBuilder {
  private readonly tree: { outputs: number; feature: number[]; threshold: number[]; left: number[]; right: number[]; value: number[] };
  /** node_split_random's feature draws and thresholds: the same Fisher-Yates as the best splitter's. */
  private readonly order: SklearnFeatureOrder;
  private readonly samples: Int32Array;
  private readonly featureValues: Float32Array;
  private readonly columns: Float32Array;
  private readonly classes: Int32Array | undefined;
  /** Criterion state: per class (Gini) or per output (MSE). */
  private readonly sumTotal: Float64Array;
  private readonly sumLeft: Float64Array;
  private readonly sumRight: Float64Array;
  private sqSumTotal = 0;
  private weightedNode = 0;
  private weightedLeft = 0;
  private weightedRight = 0;
  private readonly weightedSamples: number;

  constructor(
    private readonly input: TreeInput,
    private readonly options: ExtraTreeOptions,
  ) {
    const { rows, cols, weights, outputs } = input;
    if (!input.columns) throw new Error('an extra tree reads x by column');
    this.columns = input.columns;
    this.classes = options.classes;
    this.tree = { outputs, feature: [], threshold: [], left: [], right: [], value: [] };
    this.order = new SklearnFeatureOrder(cols, options.maxFeatures, options.treeSeed);
    let n = 0;
    let total = 0;
    for (let r = 0; r < rows; r++) {
      if (weights[r]! !== 0) n++;
      total += weights[r]!;
    }
    this.weightedSamples = total;
    this.samples = new Int32Array(n);
    for (let r = 0, j = 0; r < rows; r++) if (weights[r]! !== 0) this.samples[j++] = r;
    this.featureValues = new Float32Array(rows);
    this.sumTotal = new Float64Array(outputs);
    this.sumLeft = new Float64Array(outputs);
    this.sumRight = new Float64Array(outputs);
  }

  build(): Tree {
    const maxLeaves = this.options.maxLeafNodes ?? Infinity;
    if (Number.isFinite(maxLeaves)) this.growBestFirst(maxLeaves);
    else this.growDepthFirst();
    return this.tree;
  }

  /** DepthFirstTreeBuilder: a stack, the right child pushed before the left. */
  private growDepthFirst(): void {
    const stack: { start: number; end: number; depth: number; parent: number; isLeft: boolean; impurity: number; constants: number }[] = [
      { start: 0, end: this.samples.length, depth: 0, parent: -1, isLeft: false, impurity: Infinity, constants: 0 },
    ];
    let first = true;
    while (stack.length > 0) {
      const record = stack.pop()!;
      const { start, end, depth } = record;
      this.nodeReset(start, end);
      let impurity = record.impurity;
      if (first) {
        impurity = this.nodeImpurity();
        first = false;
      }
      let leaf = this.stopsHere(start, end, depth) || impurity <= EPSILON;
      let split: SplitRecord | undefined;
      let constants = record.constants;
      if (!leaf) {
        const found = this.nodeSplit(start, end, impurity, constants);
        split = found.split;
        constants = found.constants;
        leaf = split.pos >= end || split.improvement + EPSILON < 0;
      }
      const id = this.addNode(record.parent, record.isLeft, leaf ? undefined : split);
      if (leaf) continue;
      stack.push({ start: split!.pos, end, depth: depth + 1, parent: id, isLeft: false, impurity: split!.impurityRight, constants });
      stack.push({ start, end: split!.pos, depth: depth + 1, parent: id, isLeft: true, impurity: split!.impurityLeft, constants });
    }
  }

  /**
   * BestFirstTreeBuilder: every node's split is drawn when it is added (constants not carried); the
   * frontier is a binary heap on the improvement, as C++'s push_heap / pop_heap order it.
   */
  private growBestFirst(maxLeaves: number): void {
    const frontier: Frontier[] = [this.addSplitNode(0, this.samples.length, 0, -1, false, undefined)];
    let splits = maxLeaves - 1;
    while (frontier.length > 0) {
      const record = popHeap(frontier);
      if (record.split === undefined || splits <= 0) {
        this.makeLeaf(record.id);
        continue;
      }
      splits--;
      const { split } = record;
      const left = this.addSplitNode(record.start, split.pos, record.depth + 1, record.id, true, split.impurityLeft);
      const right = this.addSplitNode(split.pos, record.end, record.depth + 1, record.id, false, split.impurityRight);
      pushHeap(frontier, left);
      pushHeap(frontier, right);
    }
  }

  private addSplitNode(start: number, end: number, depth: number, parent: number, isLeft: boolean, impurity: number | undefined): Frontier {
    this.nodeReset(start, end);
    const nodeImpurity = impurity ?? this.nodeImpurity();
    let split: SplitRecord | undefined;
    if (!(this.stopsHere(start, end, depth) || nodeImpurity <= EPSILON)) {
      const found = this.nodeSplit(start, end, nodeImpurity, 0).split;
      if (!(found.pos >= end || found.improvement + EPSILON < 0)) split = found;
    }
    const id = this.addNode(parent, isLeft, split);
    return { id, start, end, depth, split };
  }

  private stopsHere(start: number, end: number, depth: number): boolean {
    const n = end - start;
    const { maxDepth, minSamplesSplit, minSamplesLeaf } = this.options;
    return depth >= maxDepth || n < minSamplesSplit || n < 2 * minSamplesLeaf;
  }

  /** Adds the node with the current criterion's value; a split node until makeLeaf. */
  private addNode(parent: number, isLeft: boolean, split: SplitRecord | undefined): number {
    const { tree } = this;
    const id = tree.feature.length;
    tree.feature.push(split ? split.feature : -1);
    tree.threshold.push(split ? split.threshold : 0);
    tree.left.push(-1);
    tree.right.push(-1);
    for (let k = 0; k < tree.outputs; k++) tree.value.push(this.sumTotal[k]! / this.weightedNode);
    if (parent >= 0) (isLeft ? tree.left : tree.right)[parent] = id;
    return id;
  }

  private makeLeaf(id: number): void {
    this.tree.feature[id] = -1;
    this.tree.threshold[id] = 0;
  }

  /** Criterion.init over samples[start, end), in their order. */
  private nodeReset(start: number, end: number): void {
    const { targets, weights, outputs } = this.input;
    const { samples, sumTotal, classes } = this;
    for (let k = 0; k < sumTotal.length; k++) sumTotal[k] = 0;
    let sq = 0;
    let weight = 0;
    for (let p = start; p < end; p++) {
      const i = samples[p]!;
      const w = weights[i]!;
      if (classes) {
        sumTotal[classes[i]!]! += w;
      } else {
        for (let k = 0; k < outputs; k++) {
          const y = targets[i * outputs + k]!;
          const wy = w * y;
          sumTotal[k]! += wy;
          sq += wy * y;
        }
      }
      weight += w;
    }
    this.sqSumTotal = sq;
    this.weightedNode = weight;
  }

  private nodeImpurity(): number {
    const { sumTotal, weightedNode: w } = this;
    if (this.classes) {
      let sq = 0;
      for (let c = 0; c < sumTotal.length; c++) sq += sumTotal[c]! * sumTotal[c]!;
      return 1 - sq / (w * w);
    }
    let impurity = this.sqSumTotal / w;
    for (let k = 0; k < sumTotal.length; k++) impurity -= (sumTotal[k]! / w) ** 2;
    return impurity / sumTotal.length;
  }

  /** Criterion.reset then update(pos): sum_left from whichever end of [start, end) is nearer pos. */
  private updateTo(start: number, end: number, pos: number): void {
    const { targets, weights, outputs } = this.input;
    const { samples, sumTotal, sumLeft, sumRight, classes } = this;
    // Loops rather than fill and set: builtin calls for the one output or few classes, a few times a drawn feature.
    if (pos - start <= end - pos) {
      for (let k = 0; k < sumLeft.length; k++) sumLeft[k] = 0;
      let weight = 0;
      for (let p = start; p < pos; p++) {
        const i = samples[p]!;
        const w = weights[i]!;
        if (classes) sumLeft[classes[i]!]! += w;
        else for (let k = 0; k < outputs; k++) sumLeft[k]! += w * targets[i * outputs + k]!;
        weight += w;
      }
      this.weightedLeft = weight;
    } else {
      for (let k = 0; k < sumLeft.length; k++) sumLeft[k] = sumTotal[k]!;
      let weight = this.weightedNode;
      for (let p = end - 1; p >= pos; p--) {
        const i = samples[p]!;
        const w = weights[i]!;
        if (classes) sumLeft[classes[i]!]! -= w;
        else for (let k = 0; k < outputs; k++) sumLeft[k]! -= w * targets[i * outputs + k]!;
        weight -= w;
      }
      this.weightedLeft = weight;
    }
    this.weightedRight = this.weightedNode - this.weightedLeft;
    for (let k = 0; k < sumTotal.length; k++) sumRight[k] = sumTotal[k]! - sumLeft[k]!;
  }

  private childrenImpurity(start: number, pos: number): { left: number; right: number } {
    const { sumLeft, sumRight, weightedLeft: wl, weightedRight: wr } = this;
    if (this.classes) {
      let sqLeft = 0;
      let sqRight = 0;
      for (let c = 0; c < sumLeft.length; c++) {
        sqLeft += sumLeft[c]! * sumLeft[c]!;
        sqRight += sumRight[c]! * sumRight[c]!;
      }
      return { left: 1 - sqLeft / (wl * wl), right: 1 - sqRight / (wr * wr) };
    }
    const { targets, weights, outputs } = this.input;
    let sqLeft = 0;
    for (let p = start; p < pos; p++) {
      const i = this.samples[p]!;
      const w = weights[i]!;
      for (let k = 0; k < outputs; k++) {
        const y = targets[i * outputs + k]!;
        sqLeft += w * y * y;
      }
    }
    let left = sqLeft / wl;
    let right = (this.sqSumTotal - sqLeft) / wr;
    for (let k = 0; k < outputs; k++) {
      left -= (sumLeft[k]! / wl) ** 2;
      right -= (sumRight[k]! / wr) ** 2;
    }
    return { left: left / outputs, right: right / outputs };
  }

  private proxyImprovement(start: number, pos: number): number {
    const { sumLeft, sumRight, weightedLeft: wl, weightedRight: wr } = this;
    if (this.classes) {
      const { left, right } = this.childrenImpurity(start, pos);
      return -wr * right - wl * left;
    }
    let left = 0;
    let right = 0;
    for (let k = 0; k < sumLeft.length; k++) {
      left += sumLeft[k]! * sumLeft[k]!;
      right += sumRight[k]! * sumRight[k]!;
    }
    return left / wl + right / wr;
  }

  /** node_split_random: the best of up to max_features random splits; the node's samples end partitioned by it. */
  private nodeSplit(start: number, end: number, impurity: number, known: number): { split: SplitRecord; constants: number } {
    const { featureValues, samples, columns } = this;
    const { random } = this.order;
    const { rows } = this.input;
    const { minSamplesLeaf } = this.options;
    const best: SplitRecord = { pos: end, feature: 0, threshold: 0, improvement: -Infinity, impurityLeft: Infinity, impurityRight: Infinity };
    let bestProxy = -Infinity;
    let currentFeature = -1;
    // Each drawn feature: find_min_max (constant?), then one random threshold and its partition.
    const { constants } = this.order.node(known, (feature) => {
      currentFeature = feature;
      // find_min_max: the node's values copied next to each other, min and max as float32.
      const column = feature * rows;
      let min = columns[column + samples[start]!]!;
      let max = min;
      featureValues[start] = min;
      for (let p = start + 1; p < end; p++) {
        const v = columns[column + samples[p]!]!;
        featureValues[p] = v;
        if (v < min) min = v;
        else if (v > max) max = v;
      }
      if (max <= Math.fround(min + FEATURE_THRESHOLD_32)) return true;
      let threshold = random.uniform(min, max);
      if (threshold === max) threshold = min;
      const pos = this.partition(start, end, threshold);
      if (pos - start < minSamplesLeaf || end - pos < minSamplesLeaf) return false;
      this.updateTo(start, end, pos);
      const proxy = this.proxyImprovement(start, pos);
      if (proxy > bestProxy) {
        bestProxy = proxy;
        best.pos = pos;
        best.feature = feature;
        best.threshold = threshold;
      }
      return false;
    });
    if (best.pos < end) {
      if (currentFeature !== best.feature) this.partitionFinal(start, end, best.feature, best.threshold);
      this.updateTo(start, end, best.pos);
      const children = this.childrenImpurity(start, best.pos);
      best.impurityLeft = children.left;
      best.impurityRight = children.right;
      const { weightedNode: w, weightedLeft: wl, weightedRight: wr } = this;
      best.improvement = (w / this.weightedSamples) * (impurity - (wr / w) * children.right - (wl / w) * children.left);
    }
    return { split: best, constants };
  }

  /** DensePartitioner.partition_samples: left rows stay in front, a right row swaps with the end. */
  private partition(start: number, end: number, threshold: number): number {
    const { samples, featureValues } = this;
    let lo = start;
    let hi = end;
    while (lo < hi) {
      if (featureValues[lo]! <= threshold) {
        lo++;
      } else {
        hi--;
        const v = featureValues[lo]!;
        featureValues[lo] = featureValues[hi]!;
        featureValues[hi] = v;
        swap(samples, lo, hi);
      }
    }
    return hi;
  }

  /** partition_samples_final: the same walk, reading the best feature's values from x. */
  private partitionFinal(start: number, end: number, feature: number, threshold: number): void {
    const { samples, columns } = this;
    const column = feature * this.input.rows;
    let lo = start;
    let hi = end;
    while (lo < hi) {
      if (columns[column + samples[lo]!]! <= threshold) {
        lo++;
      } else {
        hi--;
        swap(samples, lo, hi);
      }
    }
  }
}

const improvementOf = (record: Frontier): number => (record.split ? record.split.improvement : 0);

/** std::push_heap with sklearn's _compare_records (a max-heap on the improvement). */
function pushHeap(heap: Frontier[], record: Frontier): void {
  heap.push(record);
  siftUp(heap, heap.length - 1, 0, record);
}

function siftUp(heap: Frontier[], hole: number, top: number, value: Frontier): void {
  let parent = (hole - 1) >> 1;
  while (hole > top && improvementOf(heap[parent]!) < improvementOf(value)) {
    heap[hole] = heap[parent]!;
    hole = parent;
    parent = (hole - 1) >> 1;
  }
  heap[hole] = value;
}

/** std::pop_heap then pop_back, as libstdc++ does them (__adjust_heap: down to a leaf, then up). */
function popHeap(heap: Frontier[]): Frontier {
  const top = heap[0]!;
  const value = heap.pop()!;
  const len = heap.length;
  if (len === 0) return top;
  let hole = 0;
  let child = 0;
  while (child < (len - 1) >> 1) {
    child = 2 * (child + 1);
    if (improvementOf(heap[child]!) < improvementOf(heap[child - 1]!)) child--;
    heap[hole] = heap[child]!;
    hole = child;
  }
  if ((len & 1) === 0 && child === (len - 2) >> 1) {
    child = 2 * (child + 1);
    heap[hole] = heap[child - 1]!;
    hole = child - 1;
  }
  siftUp(heap, hole, 0, value);
  return top;
}
