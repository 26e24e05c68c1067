/**
 * The numerical core of HistGradientBoosting (scikit-learn's ensemble/_hist_gradient_boosting):
 * features binned once into at most max_bins quantile bins (_BinMapper), then trees grown best-first
 * on gradient/hessian histograms (TreeGrower): the leaf with the largest gain splits next, until
 * max_leaf_nodes leaves; gain = G_L²/(H_L+λ) + G_R²/(H_R+λ) - G²/(H+λ); a child's histogram is the
 * parent's minus its sibling's; leaf value = -G/(H+λ) · shrinkage. Gradients and hessians are float32, as sklearn's.
 */

export interface BinnedData {
  /** rows × cols bin indexes, row-major. */
  bins: Uint8Array;
  rows: number;
  cols: number;
  /** Per feature: upper bound of each bin but the last (x <= thresholds[b] falls in bin b or lower). */
  thresholds: number[][];
}

/** Rows sampled for the quantiles, as sklearn's _BinMapper(subsample=2e5). */
export const BIN_SAMPLE = 200_000;

/**
 * sklearn's _find_binning_thresholds: midpoints between distinct values when there are few, else the
 * percentiles (numpy's averaged_inverted_cdf, as scikit-learn 1.9) of the column, duplicates dropped.
 * `sample`: the rows _BinMapper subsampled (with replacement) when there are more than BIN_SAMPLE.
 */
export function binThresholds(x: Float32Array, rows: number, cols: number, maxBins: number, sample: Int32Array | null): number[][] {
  const out: number[][] = [];
  for (let c = 0; c < cols; c++) {
    const values = sample ? Float64Array.from(sample, (r) => x[r * cols + c]!) : Float64Array.from({ length: rows }, (_, r) => x[r * cols + c]!);
    values.sort();
    const distinct: number[] = [];
    for (let i = 0; i < values.length; i++) if (i === 0 || values[i] !== values[i - 1]) distinct.push(values[i]!);
    if (distinct.length <= maxBins) {
      out.push(distinct.slice(1).map((v, i) => (distinct[i]! + v) / 2));
      continue;
    }
    const thresholds: number[] = [];
    for (let q = 1; q < maxBins; q++) {
      const t = percentileAveragedInvertedCdf(values, q * (100 / maxBins));
      if (thresholds.length === 0 || t > thresholds[thresholds.length - 1]!) thresholds.push(t);
    }
    out.push(thresholds);
  }
  return out;
}

/**
 * numpy's percentile(method='averaged_inverted_cdf') on sorted values, in numpy's floating-point steps
 * (percent from linspace(0, 100, max_bins + 1)): virtual index n·q - 1; the value above it, or the
 * midpoint b - (b - a)·0.5 when the index is whole.
 */
function percentileAveragedInvertedCdf(sorted: Float64Array, percent: number): number {
  const n = sorted.length;
  const virtual = n * (percent / 100) - 1;
  if (virtual >= n - 1) return sorted[n - 1]!;
  if (virtual < 0) return sorted[0]!;
  const previous = Math.floor(virtual);
  const a = sorted[previous]!;
  const b = sorted[previous + 1]!;
  return virtual - previous === 0 ? b - (b - a) * 0.5 : b;
}

export function binOf(thresholds: readonly number[], value: number): number {
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= thresholds[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function binData(x: Float32Array, rows: number, cols: number, thresholds: number[][]): BinnedData {
  const bins = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) bins[r * cols + c] = binOf(thresholds[c]!, x[r * cols + c]!);
  return { bins, rows, cols, thresholds };
}

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

/** sklearn's min_hessian_to_split. */
const MIN_HESSIAN = 1e-3;

interface Node {
  id: number;
  rows: Int32Array;
  depth: number;
  histogram: Float64Array;
  g: number;
  h: number;
  split?: { feature: number; bin: number; gain: number; gl: number; hl: number };
}

/** Histogram layout per feature: 256 bins × (gradient, hessian, count). */
const STRIDE = 3 * 256;

/**
 * Node sums and values follow sklearn's TreeGrower: the root sums its rows' gradients, a child takes
 * the split's left sums (summed over bins) or the parent's minus them; value -G/(H + l2 + 1e-15).
 */
export function growTree(data: BinnedData, rowsIn: Int32Array, gradients: Float32Array, hessians: Float32Array, options: GrowOptions): HistTree {
  const tree: HistTree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const addNode = (): number => {
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(0);
    return tree.feature.length - 1;
  };
  const makeNode = (rows: Int32Array, depth: number, g: number, h: number, histogram?: Float64Array): Node => {
    const hist = histogram ?? buildHistogram(data, rows, gradients, hessians);
    const node: Node = { id: addNode(), rows, depth, histogram: hist, g, h };
    tree.value[node.id] = nodeValue(g, h, options.l2) * options.shrinkage;
    const split = depth < options.maxDepth ? bestSplit(data, node, options) : undefined;
    if (split) node.split = split;
    return node;
  };

  let rootG = 0;
  let rootH = 0;
  for (const r of rowsIn) {
    rootG += gradients[r]!;
    rootH += hessians[r]!;
  }
  const open: Node[] = [makeNode(rowsIn, 0, rootG, rootH)];
  let leaves = 1;
  while (leaves < options.maxLeafNodes) {
    let pick = -1;
    for (let i = 0; i < open.length; i++) if (open[i]!.split && (pick < 0 || open[i]!.split!.gain > open[pick]!.split!.gain)) pick = i;
    if (pick < 0) break;
    const node = open.splice(pick, 1)[0]!;
    const { feature, bin, gl, hl } = node.split!;
    const left: number[] = [];
    const right: number[] = [];
    for (const r of node.rows) (data.bins[r * data.cols + feature]! <= bin ? left : right).push(r);
    const leftRows = Int32Array.from(left);
    const rightRows = Int32Array.from(right);
    // Histogram subtraction: build the smaller child (the right one on a tie, as sklearn), derive the larger one.
    const smallIsLeft = leftRows.length < rightRows.length;
    const small = buildHistogram(data, smallIsLeft ? leftRows : rightRows, gradients, hessians);
    const large = node.histogram.slice();
    for (let i = 0; i < large.length; i++) large[i]! -= small[i]!;
    tree.feature[node.id] = feature;
    tree.threshold[node.id] = data.thresholds[feature]![bin]!;
    const leftNode = makeNode(leftRows, node.depth + 1, gl, hl, smallIsLeft ? small : large);
    const rightNode = makeNode(rightRows, node.depth + 1, node.g - gl, node.h - hl, smallIsLeft ? large : small);
    tree.left[node.id] = leftNode.id;
    tree.right[node.id] = rightNode.id;
    open.push(leftNode, rightNode);
    leaves++;
  }
  return tree;
}

/** sklearn's compute_node_value (no monotonic bounds). */
function nodeValue(g: number, h: number, l2: number): number {
  return -g / (h + l2 + 1e-15);
}

function buildHistogram(data: BinnedData, rows: Int32Array, gradients: Float32Array, hessians: Float32Array): Float64Array {
  const { cols, bins } = data;
  const hist = new Float64Array(cols * STRIDE);
  for (const r of rows) {
    const g = gradients[r]!;
    const h = hessians[r]!;
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const at = c * STRIDE + 3 * bins[base + c]!;
      hist[at]! += g;
      hist[at + 1]! += h;
      hist[at + 2]! += 1;
    }
  }
  return hist;
}

function bestSplit(data: BinnedData, node: Node, options: GrowOptions): Node['split'] {
  const { l2, minSamplesLeaf } = options;
  const n = node.rows.length;
  if (n < 2 * minSamplesLeaf || node.h < MIN_HESSIAN) return undefined;
  // sklearn's _split_gain: the node's loss G·v minus its children's, each child's value computed as a node's.
  const parent = node.g * nodeValue(node.g, node.h, l2);
  let best: Node['split'];
  for (let c = 0; c < data.cols; c++) {
    const base = c * STRIDE;
    const lastBin = data.thresholds[c]!.length;
    let gl = 0;
    let hl = 0;
    let nl = 0;
    for (let b = 0; b < lastBin; b++) {
      gl += node.histogram[base + 3 * b]!;
      hl += node.histogram[base + 3 * b + 1]!;
      nl += node.histogram[base + 3 * b + 2]!;
      const nr = n - nl;
      if (nl < minSamplesLeaf) continue;
      if (nr < minSamplesLeaf) break;
      const hr = node.h - hl;
      if (hl < MIN_HESSIAN) continue;
      if (hr < MIN_HESSIAN) break;
      const gr = node.g - gl;
      const gain = parent - gl * nodeValue(gl, hl, l2) - gr * nodeValue(gr, hr, l2);
      if (gain > 0 && (best === undefined || gain > best.gain)) best = { feature: c, bin: b, gain, gl, hl };
    }
  }
  return best;
}

export function predictHistTree(tree: HistTree, x: Float32Array, offset: number): number {
  let node = 0;
  while (tree.feature[node]! >= 0) {
    node = x[offset + tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  }
  return tree.value[node]!;
}
