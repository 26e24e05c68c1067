import { histogramKernel, type KernelMemory } from './histogram-kernel.js';

/**
 * The inner loops of HistTreeGrower's histograms (here in JavaScript, the reference the WebAssembly
 * kernel of histogram-kernel.wat is tested against, and what runs when the arrays are not in a kernel's memory): one feature's bins of a node's rows, summed in row
 * order into that feature's histogram (entries of three: gradient sum, hessian sum, row count). Four
 * rows a step: their bins are read first, then the four updates run one after another, so a bin shared
 * by two of the rows still gets its sums in row order (the same floating-point sums as one row a step;
 * as sklearn's _build_histogram, which unrolls by four too), while the bin reads no longer wait on the
 * updates before them: about twice as fast as one row a step.
 */

/**
 * Sums `gradients[i]` and a count over the rows positions[start + i], i < n, into the feature's entries
 * of `histogram` (from `base`) by the rows' bins (the feature's, from `column` in `bins`). Offsets, not
 * subarrays: a small node's histogram would spend more on making 60 subarrays than on its rows.
 */
function sumGradients(histogram: Float64Array, base: number, bins: Uint8Array, column: number, positions: Int32Array, start: number, n: number, gradients: Float32Array): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a = base + 3 * bins[column + positions[start + i]!]!;
    const b = base + 3 * bins[column + positions[start + i + 1]!]!;
    const c = base + 3 * bins[column + positions[start + i + 2]!]!;
    const d = base + 3 * bins[column + positions[start + i + 3]!]!;
    histogram[a]! += gradients[i]!;
    histogram[a + 2]! += 1;
    histogram[b]! += gradients[i + 1]!;
    histogram[b + 2]! += 1;
    histogram[c]! += gradients[i + 2]!;
    histogram[c + 2]! += 1;
    histogram[d]! += gradients[i + 3]!;
    histogram[d + 2]! += 1;
  }
  for (; i < n; i++) {
    const a = base + 3 * bins[column + positions[start + i]!]!;
    histogram[a]! += gradients[i]!;
    histogram[a + 2]! += 1;
  }
}

/** sumGradients with the rows' hessians summed too (a loop of its own: a test per row would slow the loop). */
function sumGradientsAndHessians(
  histogram: Float64Array, base: number, bins: Uint8Array, column: number, positions: Int32Array, start: number, n: number, gradients: Float32Array, hessians: Float32Array,
): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a = base + 3 * bins[column + positions[start + i]!]!;
    const b = base + 3 * bins[column + positions[start + i + 1]!]!;
    const c = base + 3 * bins[column + positions[start + i + 2]!]!;
    const d = base + 3 * bins[column + positions[start + i + 3]!]!;
    histogram[a]! += gradients[i]!;
    histogram[a + 1]! += hessians[i]!;
    histogram[a + 2]! += 1;
    histogram[b]! += gradients[i + 1]!;
    histogram[b + 1]! += hessians[i + 1]!;
    histogram[b + 2]! += 1;
    histogram[c]! += gradients[i + 2]!;
    histogram[c + 1]! += hessians[i + 2]!;
    histogram[c + 2]! += 1;
    histogram[d]! += gradients[i + 3]!;
    histogram[d + 1]! += hessians[i + 3]!;
    histogram[d + 2]! += 1;
  }
  for (; i < n; i++) {
    const a = base + 3 * bins[column + positions[start + i]!]!;
    histogram[a]! += gradients[i]!;
    histogram[a + 1]! += hessians[i]!;
    histogram[a + 2]! += 1;
  }
}

/**
 * sumGradients for the root, whose rows are every position in order: the bins read straight from the
 * column, without the positions (the root is about a third of a tree's histogram rows), and no counts:
 * the root's are the same in every tree (HistogramInputs.rootCounts).
 */
function sumGradientsInOrder(histogram: Float64Array, base: number, bins: Uint8Array, column: number, n: number, gradients: Float32Array): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a = base + 3 * bins[column + i]!;
    const b = base + 3 * bins[column + i + 1]!;
    const c = base + 3 * bins[column + i + 2]!;
    const d = base + 3 * bins[column + i + 3]!;
    histogram[a]! += gradients[i]!;
    histogram[b]! += gradients[i + 1]!;
    histogram[c]! += gradients[i + 2]!;
    histogram[d]! += gradients[i + 3]!;
  }
  for (; i < n; i++) {
    const a = base + 3 * bins[column + i]!;
    histogram[a]! += gradients[i]!;
  }
}

/** sumGradientsAndHessians for the root (as sumGradientsInOrder, without counts). */
function sumGradientsAndHessiansInOrder(histogram: Float64Array, base: number, bins: Uint8Array, column: number, n: number, gradients: Float32Array, hessians: Float32Array): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a = base + 3 * bins[column + i]!;
    const b = base + 3 * bins[column + i + 1]!;
    const c = base + 3 * bins[column + i + 2]!;
    const d = base + 3 * bins[column + i + 3]!;
    histogram[a]! += gradients[i]!;
    histogram[a + 1]! += hessians[i]!;
    histogram[b]! += gradients[i + 1]!;
    histogram[b + 1]! += hessians[i + 1]!;
    histogram[c]! += gradients[i + 2]!;
    histogram[c + 1]! += hessians[i + 2]!;
    histogram[d]! += gradients[i + 3]!;
    histogram[d + 1]! += hessians[i + 3]!;
  }
  for (; i < n; i++) {
    const a = base + 3 * bins[column + i]!;
    histogram[a]! += gradients[i]!;
    histogram[a + 1]! += hessians[i]!;
  }
}

/** What a histogram reads: the grower's arrays (in SharedArrayBuffers when a helper thread reads them too). */
export interface HistogramInputs {
  /** cols × rows bins by feature, the training rows by position (BinnedData.bins). */
  bins: Uint8Array;
  rows: number;
  /** Where each feature's bins start in a histogram; offsets[cols] is the histogram's size. */
  offsets: Int32Array;
  /** The grower's partition of row positions. */
  indices: Int32Array;
  /** The node's rows' gradients and hessians, gathered in row order. */
  gradients: Float32Array;
  hessians: Float32Array;
  /** The root's row count of each bin, at offsets[c] / 3 + bin (rootCounts): the root's rows never change. */
  rootCounts: Float64Array;
  /**
   * When set, bins, indices, gradients, hessians and every histogram summed are arrays in this memory
   * (KernelArena's), and the WebAssembly kernel sums (by byte address: an array outside the memory
   * would be read at the wrong place, so only a KernelArena's arrays may be given with it).
   */
  memory?: KernelMemory;
}

/** Each feature's row count per bin over all rows, laid out as HistogramInputs.rootCounts. */
export function rootCounts(bins: Uint8Array, rows: number, offsets: Int32Array, out: Float64Array): void {
  const cols = offsets.length - 1;
  out.fill(0);
  for (let c = 0; c < cols; c++) {
    const base = offsets[c]! / 3;
    for (let at = c * rows, end = at + rows; at < end; at++) out[base + bins[at]!]! += 1;
  }
}

/**
 * Feature c of the histogram of the node's rows indices[start, start + n) (indices[0, rows) are
 * 0, 1, ... rows - 1, the root's): zeroed, then summed. Without
 * hessians (constant, the squared error) each bin's hessian sum is its row count.
 */
export function sumFeature(histogram: Float64Array, inputs: HistogramInputs, c: number, start: number, n: number, withHessians: boolean): void {
  const { bins, rows, offsets, indices, gradients, hessians } = inputs;
  const base = offsets[c]!;
  const end = offsets[c + 1]!;
  // Only the root has every row (HistTreeGrower's partition starts as every position in order).
  const root = n === rows;
  if (inputs.memory) {
    // Zeroing, summing and the constant hessians all in the kernel: on a small node (breast_cancer's
    // 426 rows) the per-feature loops around the sums cost more than the sums (TypedArray.fill and a
    // JavaScript loop over the shared memory's arrays took about 0.4 us each a feature of 255 bins).
    const kernel = histogramKernel(inputs.memory);
    const at = histogram.byteOffset + 8 * base;
    const column = bins.byteOffset + c * rows;
    kernel.zero(at, 8 * (end - base));
    if (withHessians) {
      if (root) kernel.sumGradientsAndHessiansInOrder(at, column, n, gradients.byteOffset, hessians.byteOffset);
      else kernel.sumGradientsAndHessians(at, column, indices.byteOffset + 4 * start, n, gradients.byteOffset, hessians.byteOffset);
    } else {
      if (root) kernel.sumGradientsInOrder(at, column, n, gradients.byteOffset);
      else kernel.sumGradients(at, column, indices.byteOffset + 4 * start, n, gradients.byteOffset);
    }
    if (root) copyRootCounts(histogram, inputs.rootCounts, base, end);
    if (!withHessians) kernel.countsAsHessians(at, (end - base) / 3);
    return;
  }
  histogram.fill(0, base, end);
  if (withHessians) {
    if (root) sumGradientsAndHessiansInOrder(histogram, base, bins, c * rows, n, gradients, hessians);
    else sumGradientsAndHessians(histogram, base, bins, c * rows, indices, start, n, gradients, hessians);
  } else {
    if (root) sumGradientsInOrder(histogram, base, bins, c * rows, n, gradients);
    else sumGradients(histogram, base, bins, c * rows, indices, start, n, gradients);
  }
  if (root) copyRootCounts(histogram, inputs.rootCounts, base, end);
  if (!withHessians) for (let at = base; at < end; at += 3) histogram[at + 1] = histogram[at + 2]!;
}

/** The root's counts (the same in every tree) into its histogram's entries [base, end). */
function copyRootCounts(histogram: Float64Array, counts: Float64Array, base: number, end: number): void {
  for (let at = base, bin = base / 3; at < end; at += 3, bin++) histogram[at + 2] = counts[bin]!;
}

/**
 * Feature c of the larger child's histogram: the parent's (`large`, in place) minus the smaller
 * child's, entry by entry (by the kernel when the histograms are in its memory: the same subtractions).
 */
export function subtractFeature(large: Float64Array, small: Float64Array, inputs: HistogramInputs, c: number): void {
  const base = inputs.offsets[c]!;
  const end = inputs.offsets[c + 1]!;
  if (inputs.memory) {
    histogramKernel(inputs.memory).subtract(large.byteOffset + 8 * base, small.byteOffset + 8 * base, end - base);
    return;
  }
  for (let at = base; at < end; at++) large[at]! -= small[at]!;
}
