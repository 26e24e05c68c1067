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

/** The depth-first stack's integer fields, STACK_STRIDE a record: start, end, depth, parent, isLeft, constants. */
const STACK_STRIDE = 6;

/**
 * What one fit's trees are grown in, one after another: the rows' order and values, the criterion's sums,
 * the depth-first stack and the nodes. Growing a tree allocates nothing in V8's heap but its finished
 * arrays (copied out at its node count): a fully grown diabetes forest otherwise wrote ~35 MB of short-lived
 * objects and growing arrays a fit, which regrow a young generation V8 shrank while the thread idled, on
 * fresh pages. Sized for the fit's rows: at most 2n - 1 nodes (a row in every leaf) and n stacked records;
 * ~100 bytes a row with one output (diabetes' 331 rows: 33 kB), freed with the fit.
 */
export class ExtraTreeScratch {
  readonly samples: Int32Array;
  readonly featureValues: Float32Array;
  readonly sumTotal: Float64Array;
  readonly sumLeft: Float64Array;
  readonly sumRight: Float64Array;
  readonly stack: Int32Array;
  readonly stackImpurity: Float64Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;

  constructor(rows: number, outputs: number) {
    const nodes = Math.max(1, 2 * rows - 1);
    this.samples = new Int32Array(rows);
    this.featureValues = new Float32Array(rows);
    this.sumTotal = new Float64Array(outputs);
    this.sumLeft = new Float64Array(outputs);
    this.sumRight = new Float64Array(outputs);
    this.stack = new Int32Array((rows + 1) * STACK_STRIDE);
    this.stackImpurity = new Float64Array(rows + 1);
    this.feature = new Int32Array(nodes);
    this.threshold = new Float64Array(nodes);
    this.left = new Int32Array(nodes);
    this.right = new Int32Array(nodes);
    this.value = new Float64Array(nodes * outputs);
  }
}

export function fitExtraTree(input: TreeInput, options: ExtraTreeOptions, scratch?: ExtraTreeScratch): Tree {
  return new ExtraTreeBuilder(input, options, scratch ?? new ExtraTreeScratch(input.rows, input.outputs)).build();
}

class ExtraTreeBuilder {
  /** node_split_random's feature draws and thresholds: the same Fisher-Yates as the best splitter's. */
  private readonly order: SklearnFeatureOrder;
  private readonly samples: Int32Array;
  /** How many rows the tree grows on (those of non-zero weight): samples[0, sampleCount). */
  private readonly sampleCount: number;
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
  /** Nodes added so far to the scratch's node arrays. */
  private nodes = 0;
  /** childrenImpurity's results. */
  private childLeft = 0;
  private childRight = 0;
  /** nodeSplit's node and best split so far (drawFeature reads and updates them): fields, not a record a node. */
  private splitStart = 0;
  private splitEnd = 0;
  private currentFeature = -1;
  private bestProxy = -Infinity;
  private bestPos = 0;
  private bestFeature = 0;
  private bestThreshold = 0;
  private bestImprovement = -Infinity;
  private bestImpurityLeft = Infinity;
  private bestImpurityRight = Infinity;

  constructor(
    private readonly input: TreeInput,
    private readonly options: ExtraTreeOptions,
    private readonly scratch: ExtraTreeScratch,
  ) {
    const { rows, cols, weights } = input;
    if (!input.columns) throw new Error('an extra tree reads x by column');
    this.columns = input.columns;
    this.classes = options.classes;
    this.order = new SklearnFeatureOrder(cols, options.maxFeatures, options.treeSeed);
    let total = 0;
    const { samples } = scratch;
    let n = 0;
    for (let r = 0; r < rows; r++) {
      if (weights[r]! !== 0) samples[n++] = r;
      total += weights[r]!;
    }
    this.sampleCount = n;
    this.weightedSamples = total;
    this.samples = samples;
    this.featureValues = scratch.featureValues;
    this.sumTotal = scratch.sumTotal;
    this.sumLeft = scratch.sumLeft;
    this.sumRight = scratch.sumRight;
  }

  build(): Tree {
    const maxLeaves = this.options.maxLeafNodes ?? Infinity;
    if (Number.isFinite(maxLeaves)) this.growBestFirst(maxLeaves);
    else this.growDepthFirst();
    const { scratch, nodes } = this;
    const { outputs } = this.input;
    return {
      outputs,
      feature: plainArray(scratch.feature, nodes),
      threshold: plainArray(scratch.threshold, nodes),
      left: plainArray(scratch.left, nodes),
      right: plainArray(scratch.right, nodes),
      value: plainArray(scratch.value, nodes * outputs),
    };
  }

  /** DepthFirstTreeBuilder: a stack, the right child pushed before the left. */
  private growDepthFirst(): void {
    const { stack, stackImpurity } = this.scratch;
    // A record's impurity goes straight into stackImpurity: a double argument to a call not inlined is a heap number.
    writeStackRecord(stack, 0, 0, this.sampleCount, 0, -1, 0, 0);
    stackImpurity[0] = Infinity;
    let top = 1;
    let first = true;
    while (top > 0) {
      const at = --top * STACK_STRIDE;
      const start = stack[at]!;
      const end = stack[at + 1]!;
      const depth = stack[at + 2]!;
      const parent = stack[at + 3]!;
      const isLeft = stack[at + 4] === 1;
      let constants = stack[at + 5]!;
      this.nodeReset(start, end);
      let impurity = stackImpurity[top]!;
      if (first) {
        impurity = this.nodeImpurity();
        first = false;
      }
      let leaf = this.stopsHere(start, end, depth) || impurity <= EPSILON;
      if (!leaf) {
        constants = this.nodeSplit(start, end, impurity, constants);
        leaf = this.bestPos >= end || this.bestImprovement + EPSILON < 0;
      }
      const id = leaf ? this.addLeaf(parent, isLeft) : this.addNode(parent, isLeft, this.bestFeature, this.bestThreshold);
      if (leaf) continue;
      const pos = this.bestPos;
      writeStackRecord(stack, top, pos, end, depth + 1, id, 0, constants);
      stackImpurity[top++] = this.bestImpurityRight;
      writeStackRecord(stack, top, start, pos, depth + 1, id, 1, constants);
      stackImpurity[top++] = this.bestImpurityLeft;
    }
  }

  /**
   * BestFirstTreeBuilder: every node's split is drawn when it is added (constants not carried); the
   * frontier is a binary heap on the improvement, as C++'s push_heap / pop_heap order it.
   */
  private growBestFirst(maxLeaves: number): void {
    const frontier: Frontier[] = [this.addSplitNode(0, this.sampleCount, 0, -1, false, undefined)];
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
      this.nodeSplit(start, end, nodeImpurity, 0);
      if (!(this.bestPos >= end || this.bestImprovement + EPSILON < 0)) {
        split = {
          pos: this.bestPos,
          feature: this.bestFeature,
          threshold: this.bestThreshold,
          improvement: this.bestImprovement,
          impurityLeft: this.bestImpurityLeft,
          impurityRight: this.bestImpurityRight,
        };
      }
    }
    const id = split ? this.addNode(parent, isLeft, split.feature, split.threshold) : this.addLeaf(parent, isLeft);
    return { id, start, end, depth, split };
  }

  private stopsHere(start: number, end: number, depth: number): boolean {
    const n = end - start;
    const { maxDepth, minSamplesSplit, minSamplesLeaf } = this.options;
    return depth >= maxDepth || n < minSamplesSplit || n < 2 * minSamplesLeaf;
  }

  private addLeaf(parent: number, isLeft: boolean): number {
    return this.addNode(parent, isLeft, -1, 0);
  }

  /** Adds the node with the current criterion's value; a split node (feature ≥ 0) until makeLeaf. */
  private addNode(parent: number, isLeft: boolean, feature: number, threshold: number): number {
    const { scratch, sumTotal, weightedNode } = this;
    const { outputs } = this.input;
    const id = this.nodes++;
    scratch.feature[id] = feature;
    scratch.threshold[id] = threshold;
    scratch.left[id] = -1;
    scratch.right[id] = -1;
    for (let k = 0; k < outputs; k++) scratch.value[id * outputs + k] = sumTotal[k]! / weightedNode;
    if (parent >= 0) (isLeft ? scratch.left : scratch.right)[parent] = id;
    return id;
  }

  private makeLeaf(id: number): void {
    this.scratch.feature[id] = -1;
    this.scratch.threshold[id] = 0;
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

  /** The children's impurities after updateTo(pos), into childLeft and childRight. */
  private childrenImpurity(start: number, pos: number): void {
    const { sumLeft, sumRight, weightedLeft: wl, weightedRight: wr } = this;
    if (this.classes) {
      let sqLeft = 0;
      let sqRight = 0;
      for (let c = 0; c < sumLeft.length; c++) {
        sqLeft += sumLeft[c]! * sumLeft[c]!;
        sqRight += sumRight[c]! * sumRight[c]!;
      }
      this.childLeft = 1 - sqLeft / (wl * wl);
      this.childRight = 1 - sqRight / (wr * wr);
      return;
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
    this.childLeft = left / outputs;
    this.childRight = right / outputs;
  }

  private proxyImprovement(start: number, pos: number): number {
    const { sumLeft, sumRight, weightedLeft: wl, weightedRight: wr } = this;
    if (this.classes) {
      this.childrenImpurity(start, pos);
      return -wr * this.childRight - wl * this.childLeft;
    }
    let left = 0;
    let right = 0;
    for (let k = 0; k < sumLeft.length; k++) {
      left += sumLeft[k]! * sumLeft[k]!;
      right += sumRight[k]! * sumRight[k]!;
    }
    return left / wl + right / wr;
  }

  /**
   * node_split_random: the best of up to max_features random splits, into the best* fields (bestPos = end:
   * none); the node's samples end partitioned by it. Returns the constants known to the node's children.
   */
  private nodeSplit(start: number, end: number, impurity: number, known: number): number {
    this.splitStart = start;
    this.splitEnd = end;
    this.currentFeature = -1;
    this.bestProxy = -Infinity;
    this.bestPos = end;
    this.bestFeature = 0;
    this.bestThreshold = 0;
    this.bestImprovement = -Infinity;
    this.bestImpurityLeft = Infinity;
    this.bestImpurityRight = Infinity;
    const constants = this.order.node(known, this.drawFeature);
    if (this.bestPos < end) {
      const pos = this.bestPos;
      if (this.currentFeature !== this.bestFeature) this.partitionFinal(start, end, this.bestFeature, this.bestThreshold);
      this.updateTo(start, end, pos);
      this.childrenImpurity(start, pos);
      this.bestImpurityLeft = this.childLeft;
      this.bestImpurityRight = this.childRight;
      const { weightedNode: w, weightedLeft: wl, weightedRight: wr } = this;
      this.bestImprovement = (w / this.weightedSamples) * (impurity - (wr / w) * this.childRight - (wl / w) * this.childLeft);
    }
    return constants;
  }

  /**
   * One drawn feature of nodeSplit's node (SklearnFeatureOrder.node's callback, made once a tree): find_min_max
   * (constant? then true), then one random threshold and its partition, kept if its proxy is the best so far.
   */
  private readonly drawFeature = (feature: number): boolean => {
    const { featureValues, samples, columns, splitStart: start, splitEnd: end } = this;
    this.currentFeature = feature;
    // find_min_max: the node's values copied next to each other, min and max as float32.
    const column = feature * this.input.rows;
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
    let threshold = this.order.random.uniform(min, max);
    if (threshold === max) threshold = min;
    const pos = this.partition(start, end, threshold);
    const { minSamplesLeaf } = this.options;
    if (pos - start < minSamplesLeaf || end - pos < minSamplesLeaf) return false;
    this.updateTo(start, end, pos);
    const proxy = this.proxyImprovement(start, pos);
    if (proxy > this.bestProxy) {
      this.bestProxy = proxy;
      this.bestPos = pos;
      this.bestFeature = feature;
      this.bestThreshold = threshold;
    }
    return false;
  };

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

/** Stack record i's integer fields (its impurity is the scratch's stackImpurity[i]). */
function writeStackRecord(
  stack: Int32Array, i: number, start: number, end: number, depth: number, parent: number, isLeft: 0 | 1, constants: number,
): void {
  const at = i * STACK_STRIDE;
  stack[at] = start;
  stack[at + 1] = end;
  stack[at + 2] = depth;
  stack[at + 3] = parent;
  stack[at + 4] = isLeft;
  stack[at + 5] = constants;
}

/** The first n values of a scratch array as a plain array of exactly n (no growth, no spare capacity). */
function plainArray(from: Int32Array | Float64Array, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = from[i]!;
  return out;
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
