/**
 * The numerical core of HistGradientBoosting (scikit-learn's ensemble/_hist_gradient_boosting):
 * features binned once into at most max_bins quantile bins (_BinMapper), then trees grown best-first
 * on gradient/hessian histograms (TreeGrower): the leaf with the largest gain splits next, until
 * max_leaf_nodes leaves; gain = G_L²/(H_L+λ) + G_R²/(H_R+λ) - G²/(H+λ); a child's histogram is the
 * parent's minus its sibling's; leaf value = -G/(H+λ) · shrinkage. Gradients and hessians are float32, as sklearn's.
 */

import type { BinnedData } from './histogram-bins.js';
import { HistogramHelper } from './histogram-helper.js';
import { histogramKernel, KernelArena, type HistogramKernel } from './histogram-kernel.js';
import { rootCounts } from './histogram-sums.js';
import { bestSplit, claimFeatures, MIN_HESSIAN, nodeValue, setStep, stepArrays, type StepArrays } from './histogram-step.js';

export interface GrowOptions {
  maxLeafNodes: number;
  maxDepth: number;
  minSamplesLeaf: number;
  l2: number;
  shrinkage: number;
}

/** Predicts on raw feature values: node i sends x <= threshold[i] left; feature -1 is a leaf with value[i]. */
export interface HistTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

/** Histogram entries per bin: sum of gradients, sum of hessians, count. */
const ENTRY = 3;

interface Node {
  id: number;
  /** The node's rows are indices[start, end) of its grower. */
  start: number;
  end: number;
  depth: number;
  /** The slot of the node's histogram. */
  histogram: number;
  g: number;
  h: number;
  split?: { feature: number; bin: number; gain: number; gl: number; hl: number };
}

/**
 * sklearn's TreeGrower over one fit's binned training rows: every array it needs is allocated once
 * per fit (the rows' partition, the node's gathered gradients, a pool of histograms), none per node.
 * Node sums and values follow TreeGrower: the root sums its rows' gradients, a child takes the split's
 * left sums (summed over bins) or the parent's minus them; value -G/(H + l2 + 1e-15). Each histogram
 * holds only its feature's bins; the smaller child's is built (the right one on a tie, as sklearn),
 * the larger one's is the parent's minus it, in the parent's buffer; both children's best splits are
 * found in the same step, feature by feature (histogram-step.ts).
 */
export class HistTreeGrower {
  /**
   * Positions of the training rows (in `data` and in the gradients), partitioned node by node: a node's
   * rows are a range, in increasing order.
   */
  private readonly indices: Int32Array;
  private readonly scratch: Int32Array;
  /** The tree's gradients and hessians of every training row (by position), copied in for the kernel's gather. */
  private readonly rowGradients: Float32Array;
  private readonly rowHessians: Float32Array;
  private readonly nodeGradients: Float32Array;
  private readonly nodeHessians: Float32Array;
  private readonly histogramSize: number;
  /** The WebAssembly memory of the arrays here (histogram-kernel.ts). */
  private readonly arena: KernelArena;
  private readonly kernel: HistogramKernel;
  /** data's bins, in the arena. */
  private readonly bins: Uint8Array;
  private readonly arrays: StepArrays;
  /** Per feature: its last bin (the thresholds' count), where split finding stops. */
  private readonly lastBins: Int32Array;
  /** The second thread for every step, once startHelper has run. */
  private helper: HistogramHelper | undefined;
  /** Histograms by slot, and the slots no node holds. */
  private readonly histograms: Float64Array[] = [];
  private readonly free: number[] = [];
  /** The last grown tree's leaves, for addLeafValues. */
  private leaves: { start: number; end: number; value: number }[] = [];
  /** The last grown tree's split bin of each node (-1 for a leaf): where its held-out rows go left (histogram-held-out.ts). */
  splitBins: number[] = [];

  /**
   * Every array a histogram reads or writes is in one WebAssembly memory (KernelArena: data's bins
   * copied in), for histogram-kernel.wat; shared, so the helper thread reads and writes the same.
   * `shared`: the step's control arrays in SharedArrayBuffers too, for startHelper.
   */
  constructor(private readonly data: BinnedData, shared = false) {
    const n = data.rows;
    const offsets = new Int32Array(data.cols + 1);
    for (let c = 0; c < data.cols; c++) offsets[c + 1] = offsets[c]! + ENTRY * (data.thresholds[c]!.length + 1);
    this.histogramSize = offsets[data.cols]!;
    // The fixed arrays and a few histograms (more as the tree needs them: the memory grows).
    this.arena = new KernelArena(n * data.cols + 24 * n + 8 * data.cols + 8 * (this.histogramSize / ENTRY) + 4 * 8 * this.histogramSize + 4096);
    const { arena } = this;
    const bins = arena.array(Uint8Array, n * data.cols);
    bins.set(data.bins);
    this.bins = bins;
    this.kernel = histogramKernel(arena.memory);
    this.indices = arena.array(Int32Array, n);
    this.scratch = arena.array(Int32Array, n);
    this.rowGradients = arena.array(Float32Array, n);
    this.rowHessians = arena.array(Float32Array, n);
    this.nodeGradients = arena.array(Float32Array, n);
    this.nodeHessians = arena.array(Float32Array, n);
    const sharedOffsets = arena.array(Int32Array, data.cols + 1);
    sharedOffsets.set(offsets);
    this.lastBins = arena.array(Int32Array, data.cols);
    for (let c = 0; c < data.cols; c++) this.lastBins[c] = data.thresholds[c]!.length;
    const counts = arena.array(Float64Array, this.histogramSize / ENTRY);
    rootCounts(bins, n, sharedOffsets, counts);
    const inputs = { bins, rows: n, offsets: sharedOffsets, indices: this.indices, gradients: this.nodeGradients, hessians: this.nodeHessians, rootCounts: counts, memory: arena.memory };
    this.arrays = stepArrays(inputs, data.cols, shared, arena);
  }

  /** Shares every step's features with a second thread from now on (the grower made `shared`). */
  async startHelper(): Promise<void> {
    this.helper = await HistogramHelper.start(this.arrays, this.lastBins);
    this.histograms.forEach((histogram, slot) => this.helper!.register(slot, histogram));
  }

  /** Ends the helper thread, if one was started. */
  async close(): Promise<void> {
    await this.helper?.close();
    this.helper = undefined;
  }

  /**
   * One tree on the training rows' gradients (by position, as `data`). `hessians` undefined means every hessian is 1 (the squared error): as sklearn's
   * constant-hessian case the histograms then count rows instead of summing ones (the same numbers).
   */
  grow(gradients: Float32Array, hessians: Float32Array | undefined, options: GrowOptions): HistTree {
    const { data, indices } = this;
    const tree: HistTree = { feature: [], threshold: [], left: [], right: [], value: [] };
    const splitBins: number[] = [];
    this.splitBins = splitBins;
    const makeNode = (start: number, end: number, depth: number, g: number, h: number, histogram: number): Node => {
      const id = tree.feature.length;
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      splitBins.push(-1);
      tree.value.push(nodeValue(g, h, options.l2) * options.shrinkage);
      return { id, start, end, depth, histogram, g, h };
    };

    let rootG = 0;
    let rootH = 0;
    for (let i = 0; i < indices.length; i++) {
      indices[i] = i;
      rootG += gradients[i]!;
      rootH += hessians ? hessians[i]! : 1;
    }
    const root = makeNode(0, indices.length, 0, rootG, rootH, this.takeHistogram());
    // The kernel gathers from copies in its memory (a float32 a training row: tens of microseconds a tree).
    this.rowGradients.set(gradients);
    if (hessians) this.rowHessians.set(hessians);
    const rowHessians = hessians ? this.rowHessians : undefined;
    this.step(root, -1, [root], this.rowGradients, rowHessians, options);
    const open: Node[] = [root];
    let leaves = 1;
    while (leaves < options.maxLeafNodes) {
      let pick = -1;
      for (let i = 0; i < open.length; i++) if (open[i]!.split && (pick < 0 || open[i]!.split!.gain > open[pick]!.split!.gain)) pick = i;
      if (pick < 0) break;
      const node = open.splice(pick, 1)[0]!;
      const { feature, bin, gl, hl } = node.split!;
      const middle = this.partition(node.start, node.end, feature, bin);
      const smallIsLeft = middle - node.start < node.end - middle;
      const small = this.takeHistogram();
      tree.feature[node.id] = feature;
      tree.threshold[node.id] = data.thresholds[feature]![bin]!;
      splitBins[node.id] = bin;
      const leftNode = makeNode(node.start, middle, node.depth + 1, gl, hl, smallIsLeft ? small : node.histogram);
      const rightNode = makeNode(middle, node.end, node.depth + 1, node.g - gl, node.h - hl, smallIsLeft ? node.histogram : small);
      this.step(smallIsLeft ? leftNode : rightNode, node.histogram, [leftNode, rightNode], this.rowGradients, rowHessians, options);
      tree.left[node.id] = leftNode.id;
      tree.right[node.id] = rightNode.id;
      open.push(leftNode, rightNode);
      leaves++;
    }
    this.leaves = open.map((node) => ({ start: node.start, end: node.end, value: tree.value[node.id]! }));
    for (const node of open) this.free.push(node.histogram);
    return tree;
  }

  /**
   * Adds the last tree's leaf values to the training rows' raw scores (column k of positions × outputs,
   * by position as `data`): no tree walk.
   */
  addLeafValues(raw: Float64Array, outputs: number, k: number): void {
    const { indices } = this;
    for (const { start, end, value } of this.leaves) {
      for (let i = start; i < end; i++) raw[indices[i]! * outputs + k]! += value;
    }
  }

  /**
   * Stable partition of indices[start, end) on the feature's bin; returns where the right rows begin.
   * By histogram-kernel.wat's partition (the same result as partitionRows, its tested reference).
   */
  private partition(start: number, end: number, feature: number, bin: number): number {
    const { indices, scratch, bins } = this;
    const column = bins.byteOffset + feature * this.data.rows;
    return start + this.kernel.partition(indices.byteOffset + 4 * start, scratch.byteOffset, end - start, column, bin);
  }

  private takeHistogram(): number {
    const slot = this.free.pop();
    if (slot !== undefined) return slot;
    const histogram = this.arena.array(Float64Array, this.histogramSize);
    this.histograms.push(histogram);
    this.helper?.register(this.histograms.length - 1, histogram);
    return this.histograms.length - 1;
  }

  /**
   * `summed`'s histogram from its rows (their gradients gathered in order once), the parent's
   * histogram `large` (-1: none) made the sibling's, and the best split of each of `nodes` that may split;
   * the step's features shared with the helper thread.
   */
  /** `gradients` and `hessians`: rowGradients and rowHessians (the kernel gathers from them). */
  private step(summed: Node, large: number, nodes: Node[], gradients: Float32Array, hessians: Float32Array | undefined, options: GrowOptions): void {
    const { indices, nodeGradients, nodeHessians } = this;
    const { start } = summed;
    const n = summed.end - start;
    const requests = nodes.map((node) => (splittable(node, options) ? { slot: node.histogram, n: node.end - node.start, g: node.g, h: node.h } : undefined));
    // A node that may not split stays a leaf: its histogram is never read (no split to find, never a
    // parent). When neither child may split, nothing is gathered or summed: 400 of breast_cancer's 1,748
    // steps a fit (min_samples_leaf 20 on 426 rows). The splits found, so the trees, are the same.
    if (!requests.some((request) => request !== undefined)) return;
    if (n === indices.length) {
      // The root: its rows are every position, in order.
      nodeGradients.set(gradients);
      if (hessians) nodeHessians.set(hessians);
    } else {
      // By the kernel: V8's loop took about 10 ns a row here (a random read into the rows' gradients).
      const positions = indices.byteOffset + 4 * start;
      this.kernel.gather(nodeGradients.byteOffset, gradients.byteOffset, positions, n);
      if (hessians) this.kernel.gather(nodeHessians.byteOffset, hessians.byteOffset, positions, n);
    }
    const step = { start, n, withHessians: hessians !== undefined, small: summed.histogram, large, nodes: requests, l2: options.l2, minSamplesLeaf: options.minSamplesLeaf };
    // Every step is shared once the helper runs, small ones too: a step's split finding, subtraction and
    // zeroing run over every bin of every feature whatever its rows (about 0.3 ms a step of 30 features
    // and 255 bins, against tens of microseconds to wake the helper), and the grower never waits for a
    // helper that has not joined. Steps under 100,000 rows × features were the grower's alone until
    // stop 32: half of a 100k-row fit's grower time in them, for a seventh of its rows.
    if (this.helper) {
      this.helper.run(step, this.histograms, this.lastBins);
    } else {
      setStep(this.arrays, step);
      claimFeatures(this.arrays, this.histograms, this.lastBins);
    }
    nodes.forEach((node, k) => {
      const split = requests[k] ? bestSplit(this.arrays, k) : undefined;
      if (split) node.split = split;
    });
  }
}

/** Whether a node may split at all: below max_depth, with rows for two leaves and sklearn's min_hessian_to_split. */
function splittable(node: Node, options: GrowOptions): boolean {
  return node.depth < options.maxDepth && node.end - node.start >= 2 * options.minSamplesLeaf && node.h >= MIN_HESSIAN;
}

/**
 * The JavaScript reference of histogram-kernel.wat's partition (its test compares them): stable, the
 * rows of indices[start, end) whose bin in `column` of `bins` is at most `bin` first; returns where the
 * right rows begin. Without a branch per row: each row is written to both sides and only its side's
 * count moves (a split sends rows either way at random, so a branch on the bin was mispredicted about
 * every other row: twice the time). Writing indices[left] is safe: left never passes i.
 */
export function partitionRows(indices: Int32Array, scratch: Int32Array, bins: Uint8Array, column: number, start: number, end: number, bin: number): number {
  let left = start;
  let right = 0;
  for (let i = start; i < end; i++) {
    const r = indices[i]!;
    // 1 when the row's bin is above the split's (a bin is 0..255, so the difference is negative).
    const goesRight = (bin - bins[column + r]!) >>> 31;
    indices[left] = r;
    scratch[right] = r;
    left += goesRight ^ 1;
    right += goesRight;
  }
  indices.set(scratch.subarray(0, right), left);
  return left;
}

export function predictHistTree(tree: HistTree, x: Float32Array, offset: number): number {
  let node = 0;
  while (tree.feature[node]! >= 0) {
    node = x[offset + tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  }
  return tree.value[node]!;
}
