/**
 * The numerical core of HistGradientBoosting (scikit-learn's ensemble/_hist_gradient_boosting):
 * features binned once into at most max_bins quantile bins (_BinMapper), then trees grown best-first
 * on gradient/hessian histograms (TreeGrower): the leaf with the largest gain splits next, until
 * max_leaf_nodes leaves; gain = G_L²/(H_L+λ) + G_R²/(H_R+λ) - G²/(H+λ); a child's histogram is the
 * parent's minus its sibling's; leaf value = -shrinkage · G/(H+λ).
 */

export interface BinnedData {
  /** rows × cols bin indexes, row-major. */
  bins: Uint8Array;
  rows: number;
  cols: number;
  /** Per feature: upper bound of each bin but the last (x <= thresholds[b] falls in bin b or lower). */
  thresholds: number[][];
}

/** Rows sampled for the quantiles, as sklearn's subsample=2e5. */
const BIN_SAMPLE = 200_000;

/**
 * sklearn's _find_binning_thresholds: midpoints between distinct values when there are few, else the
 * midpoint percentiles of the (sub)sampled column.
 */
export function binThresholds(x: Float32Array, rows: number, cols: number, maxBins: number, random: () => number): number[][] {
  const sample = rows > BIN_SAMPLE ? Array.from({ length: BIN_SAMPLE }, () => Math.floor(random() * rows)) : null;
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
      const t = percentileMidpoint(values, (100 * q) / maxBins);
      if (thresholds.length === 0 || t > thresholds[thresholds.length - 1]!) thresholds.push(t);
    }
    out.push(thresholds);
  }
  return out;
}

/** numpy's percentile(method='midpoint') on sorted values. */
function percentileMidpoint(sorted: Float64Array, percent: number): number {
  const position = (percent / 100) * (sorted.length - 1);
  return (sorted[Math.floor(position)]! + sorted[Math.ceil(position)]!) / 2;
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
  split?: { feature: number; bin: number; gain: number };
}

/** Histogram layout per feature: 256 bins × (gradient, hessian, count). */
const STRIDE = 3 * 256;

export function growTree(data: BinnedData, rowsIn: Int32Array, gradients: Float64Array, hessians: Float64Array, options: GrowOptions): HistTree {
  const tree: HistTree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const addNode = (): number => {
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(0);
    return tree.feature.length - 1;
  };
  const makeNode = (rows: Int32Array, depth: number, histogram?: Float64Array): Node => {
    const hist = histogram ?? buildHistogram(data, rows, gradients, hessians);
    let g = 0;
    let h = 0;
    for (let b = 0; b < 256; b++) {
      g += hist[3 * b]!;
      h += hist[3 * b + 1]!;
    }
    const node: Node = { id: addNode(), rows, depth, histogram: hist, g, h };
    tree.value[node.id] = -options.shrinkage * (g / (h + options.l2));
    const split = depth < options.maxDepth ? bestSplit(data, node, options) : undefined;
    if (split) node.split = split;
    return node;
  };

  const open: Node[] = [makeNode(rowsIn, 0)];
  let leaves = 1;
  while (leaves < options.maxLeafNodes) {
    let pick = -1;
    for (let i = 0; i < open.length; i++) if (open[i]!.split && (pick < 0 || open[i]!.split!.gain > open[pick]!.split!.gain)) pick = i;
    if (pick < 0) break;
    const node = open.splice(pick, 1)[0]!;
    const { feature, bin } = node.split!;
    const left: number[] = [];
    const right: number[] = [];
    for (const r of node.rows) (data.bins[r * data.cols + feature]! <= bin ? left : right).push(r);
    const leftRows = Int32Array.from(left);
    const rightRows = Int32Array.from(right);
    // Histogram subtraction: build the smaller child, derive the larger one.
    const smallIsLeft = leftRows.length <= rightRows.length;
    const small = buildHistogram(data, smallIsLeft ? leftRows : rightRows, gradients, hessians);
    const large = node.histogram.slice();
    for (let i = 0; i < large.length; i++) large[i]! -= small[i]!;
    tree.feature[node.id] = feature;
    tree.threshold[node.id] = data.thresholds[feature]![bin]!;
    const leftNode = makeNode(leftRows, node.depth + 1, smallIsLeft ? small : large);
    const rightNode = makeNode(rightRows, node.depth + 1, smallIsLeft ? large : small);
    tree.left[node.id] = leftNode.id;
    tree.right[node.id] = rightNode.id;
    open.push(leftNode, rightNode);
    leaves++;
  }
  return tree;
}

function buildHistogram(data: BinnedData, rows: Int32Array, gradients: Float64Array, hessians: Float64Array): Float64Array {
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
  const parent = (node.g * node.g) / (node.h + l2);
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
      if (hl < MIN_HESSIAN || hr < MIN_HESSIAN) continue;
      const gr = node.g - gl;
      const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parent;
      if (gain > 0 && (best === undefined || gain > best.gain)) best = { feature: c, bin: b, gain };
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
