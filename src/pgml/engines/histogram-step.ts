/**
 * One step of HistTreeGrower, feature by feature: the smaller child's histogram summed, the larger
 * child's made the parent's minus it, and each child's best split on that feature. A feature's step
 * reads and writes only that feature's bins, so the features can be taken by two threads (as
 * scikit-learn's OpenMP loops over features): each thread claims the next feature from a shared
 * counter until none is left. Every feature is still done by one thread in row order, and the best
 * split is chosen over the features in order afterwards, so the trees are one thread's, bit for bit.
 * The arrays are SharedArrayBuffers when a helper thread (histogram-helper.ts) takes part.
 */
import { histogramKernel, type KernelArena } from './histogram-kernel.js';
import { subtractFeature, sumFeature, type HistogramInputs } from './histogram-sums.js';

/** Slots of the step's control array (Int32). */
export const REQUEST = 0;
export const DONE = 1;
/** The last request the helper joined, or the grower closed without it (compareExchange decides). */
export const JOINED = 2;
/** The next feature to claim (Atomics.add). */
export const NEXT = 3;
/** Set by the helper when its step threw (its message is in the port). */
export const FAILED = 4;
export const STOP = 5;
const START = 6;
const COUNT = 7;
const HESSIANS = 8;
/** Histogram slots: the summed one, the one it is subtracted from (-1: none, the root). */
const SMALL = 9;
const LARGE = 10;
/** Per node k < 2 whose split is wanted: its histogram's slot at NODE_SLOT + k (-1: none). */
const NODE_SLOT = 11;
const CONTROL_SIZE = 13;

/** Slots of the step's parameters (Float64): l2, min_samples_leaf, then rows, G and H per node. */
const L2 = 0;
const MIN_SAMPLES_LEAF = 1;
/** Node k's rows, G and H from NODE_PARAMS + 3k. */
const NODE_PARAMS = 2;
const PARAMS_SIZE = 8;

/** Per node and feature in `splits`: gain (0: no split), bin, G and H of the left side. */
const SPLIT_SIZE = 4;

/** sklearn's min_hessian_to_split. */
export const MIN_HESSIAN = 1e-3;

/** What both threads share: the histogram inputs and the step's request and answers. */
export interface StepArrays {
  inputs: HistogramInputs;
  cols: number;
  control: Int32Array;
  params: Float64Array;
  /** 2 nodes × cols × SPLIT_SIZE: each feature's best split of each node. */
  splits: Float64Array;
  /** Whether `splits` and the histograms are in inputs.memory, so that the kernel finds the splits. */
  splitsInKernel: boolean;
}

/**
 * `arena`: the kernel's memory (inputs.memory's) to hold the splits, so that the kernel finds them
 * (histogram-kernel.wat's findSplit writes its answer there); without, featureSplit does.
 */
export function stepArrays(inputs: HistogramInputs, cols: number, shared: boolean, arena?: KernelArena): StepArrays {
  const buffer = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const splitsLength = 2 * cols * SPLIT_SIZE;
  return {
    inputs,
    cols,
    control: new Int32Array(buffer(4 * CONTROL_SIZE)),
    params: new Float64Array(buffer(8 * PARAMS_SIZE)),
    splits: arena ? arena.array(Float64Array, splitsLength) : new Float64Array(buffer(8 * splitsLength)),
    splitsInKernel: arena !== undefined,
  };
}

/** A node whose best split a step finds: its rows, sums and histogram slot. */
export interface SplitRequest {
  slot: number;
  n: number;
  g: number;
  h: number;
}

export interface Step {
  /** The summed histogram's rows are indices[start, start + n). */
  start: number;
  n: number;
  withHessians: boolean;
  small: number;
  /** The parent's histogram, to become the larger child's (-1 for the root). */
  large: number;
  nodes: (SplitRequest | undefined)[];
  l2: number;
  minSamplesLeaf: number;
}

/** Writes the step into the shared arrays and opens its features for claiming. */
export function setStep(arrays: StepArrays, step: Step): void {
  const { control, params } = arrays;
  control[START] = step.start;
  control[COUNT] = step.n;
  control[HESSIANS] = step.withHessians ? 1 : 0;
  control[SMALL] = step.small;
  control[LARGE] = step.large;
  params[L2] = step.l2;
  params[MIN_SAMPLES_LEAF] = step.minSamplesLeaf;
  for (let k = 0; k < 2; k++) {
    const node = step.nodes[k];
    control[NODE_SLOT + k] = node ? node.slot : -1;
    if (!node) continue;
    params[NODE_PARAMS + 3 * k] = node.n;
    params[NODE_PARAMS + 3 * k + 1] = node.g;
    params[NODE_PARAMS + 3 * k + 2] = node.h;
  }
  Atomics.store(control, NEXT, 0);
}

/** Claims features of the current step until none is left, and does them. */
export function claimFeatures(arrays: StepArrays, histograms: readonly Float64Array[], lastBins: Int32Array): void {
  const { control, cols } = arrays;
  for (let c = Atomics.add(control, NEXT, 1); c < cols; c = Atomics.add(control, NEXT, 1)) featureStep(arrays, histograms, lastBins, c);
}

function featureStep(arrays: StepArrays, histograms: readonly Float64Array[], lastBins: Int32Array, c: number): void {
  const { inputs, control, params, splits, cols } = arrays;
  const small = histograms[control[SMALL]!]!;
  sumFeature(small, inputs, c, control[START]!, control[COUNT]!, control[HESSIANS] === 1);
  const largeSlot = control[LARGE]!;
  if (largeSlot >= 0) subtractFeature(histograms[largeSlot]!, small, inputs, c);
  const kernel = arrays.splitsInKernel ? histogramKernel(inputs.memory!) : undefined;
  for (let k = 0; k < 2; k++) {
    const slot = control[NODE_SLOT + k]!;
    if (slot < 0) continue;
    const p = NODE_PARAMS + 3 * k;
    const at = (k * cols + c) * SPLIT_SIZE;
    if (kernel) {
      const histogram = histograms[slot]!.byteOffset + 8 * inputs.offsets[c]!;
      kernel.findSplit(histogram, lastBins[c]!, params[p]!, params[p + 1]!, params[p + 2]!, params[L2]!, params[MIN_SAMPLES_LEAF]!, splits.byteOffset + 8 * at);
    } else {
      featureSplit(histograms[slot]!, inputs.offsets[c]!, lastBins[c]!, params[p]!, params[p + 1]!, params[p + 2]!, params[L2]!, params[MIN_SAMPLES_LEAF]!, splits, at);
    }
  }
}

/**
 * The best split of a node on one feature (the JavaScript reference of histogram-kernel.wat's findSplit; sklearn's _split_gain: the node's loss G·v minus its
 * children's, each child's value computed as a node's), the first best bin on a tie; gain 0 for none.
 */
export function featureSplit(
  histogram: Float64Array, base: number, lastBin: number, n: number, g: number, h: number, l2: number, minSamplesLeaf: number, out: Float64Array, at: number,
): void {
  const parent = g * nodeValue(g, h, l2);
  let bestGain = 0;
  let bestBin = -1;
  let bestGl = 0;
  let bestHl = 0;
  let gl = 0;
  let hl = 0;
  let nl = 0;
  for (let b = 0; b < lastBin; b++) {
    const entry = base + 3 * b;
    const binG = histogram[entry]!;
    const binH = histogram[entry + 1]!;
    const binN = histogram[entry + 2]!;
    // An empty bin leaves the left sums, and so every test and the gain, as the bin before it: that
    // gain was not larger than the best then (or was made the best), so it cannot be larger now. Most
    // bins of a small node are empty (a node of 40 rows has at most 40 of 255), and skipping them skips
    // the two divisions. Not on a count of 0 alone: a subtracted histogram's empty bin can hold rounding.
    if (binN === 0 && binG === 0 && binH === 0) continue;
    gl += binG;
    hl += binH;
    nl += binN;
    const nr = n - nl;
    if (nl < minSamplesLeaf) continue;
    if (nr < minSamplesLeaf) break;
    const hr = h - hl;
    if (hl < MIN_HESSIAN) continue;
    if (hr < MIN_HESSIAN) break;
    const gr = g - gl;
    const gain = parent - gl * nodeValue(gl, hl, l2) - gr * nodeValue(gr, hr, l2);
    if (gain > bestGain) {
      bestGain = gain;
      bestBin = b;
      bestGl = gl;
      bestHl = hl;
    }
  }
  out[at] = bestGain;
  out[at + 1] = bestBin;
  out[at + 2] = bestGl;
  out[at + 3] = bestHl;
}

/** Node k's best split over all features after a step: the first feature with the largest gain. */
export function bestSplit(arrays: StepArrays, k: number): { feature: number; bin: number; gain: number; gl: number; hl: number } | undefined {
  const { splits, cols } = arrays;
  let best: ReturnType<typeof bestSplit>;
  for (let c = 0; c < cols; c++) {
    const at = (k * cols + c) * SPLIT_SIZE;
    const gain = splits[at]!;
    if (gain > 0 && (best === undefined || gain > best.gain)) best = { feature: c, bin: splits[at + 1]!, gain, gl: splits[at + 2]!, hl: splits[at + 3]! };
  }
  return best;
}

/** sklearn's compute_node_value (no monotonic bounds). */
export function nodeValue(g: number, h: number, l2: number): number {
  return -g / (h + l2 + 1e-15);
}
