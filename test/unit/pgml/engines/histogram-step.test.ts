// hist_gradient_boosting's split finding on one feature (histogram-step.ts's featureSplit), which
// skips the gain of empty bins: the same gain, bin and left sums as scikit-learn's loop over every bin
// (_split_gain at each bin, the first best on a tie), on small nodes' histograms (most bins empty),
// on subtracted ones (an empty bin holding rounding), and with min_samples_leaf and l2 in play.
// The WebAssembly kernel's findSplit (histogram-kernel.wat) must give featureSplit's answer to the bit on each.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { histogramKernel, KernelArena } from '../../../../src/pgml/engines/histogram-kernel.js';
import { featureSplit, MIN_HESSIAN, nodeValue } from '../../../../src/pgml/engines/histogram-step.js';

/** The loop without the skip: every bin's sums and gain, as sklearn's splitting.pyx. */
function everyBinSplit(histogram: Float64Array, lastBin: number, n: number, g: number, h: number, l2: number, minSamplesLeaf: number): number[] {
  const parent = g * nodeValue(g, h, l2);
  let best = [0, -1, 0, 0];
  let gl = 0;
  let hl = 0;
  let nl = 0;
  for (let b = 0; b < lastBin; b++) {
    gl += histogram[3 * b]!;
    hl += histogram[3 * b + 1]!;
    nl += histogram[3 * b + 2]!;
    if (nl < minSamplesLeaf) continue;
    if (n - nl < minSamplesLeaf) break;
    if (hl < MIN_HESSIAN) continue;
    if (h - hl < MIN_HESSIAN) break;
    const gain = parent - gl * nodeValue(gl, hl, l2) - (g - gl) * nodeValue(g - gl, h - hl, l2);
    if (gain > best[0]!) best = [gain, b, gl, hl];
  }
  return best;
}

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

/** featureSplit's answer [gain, bin, G left, H left] for a histogram of one feature. */
function split(histogram: Float64Array, lastBin: number, n: number, g: number, h: number, l2: number, minSamplesLeaf: number): number[] {
  const out = new Float64Array(4 + 4).fill(Number.NaN);
  featureSplit(histogram, 0, lastBin, n, g, h, l2, minSamplesLeaf, out, 4);
  return Array.from(out.subarray(4));
}

const arena = new KernelArena(3 * 8 * 256 + 64);
const kernelHistogram = arena.array(Float64Array, 3 * 256);
const kernelOut = arena.array(Float64Array, 4);

/** The WebAssembly kernel's findSplit on the same histogram: its answer must be featureSplit's, bit for bit. */
function kernelSplit(histogram: Float64Array, lastBin: number, n: number, g: number, h: number, l2: number, minSamplesLeaf: number): number[] {
  kernelHistogram.set(histogram);
  kernelOut.fill(Number.NaN);
  histogramKernel(arena.memory).findSplit(kernelHistogram.byteOffset, lastBin, n, g, h, l2, minSamplesLeaf, kernelOut.byteOffset);
  return Array.from(kernelOut);
}

/** featureSplit's answer, checked to be the kernel's (the same bits: Object.is on each number). */
function bothSplits(histogram: Float64Array, lastBin: number, n: number, g: number, h: number, l2: number, minSamplesLeaf: number): number[] {
  const reference = split(histogram, lastBin, n, g, h, l2, minSamplesLeaf);
  const kernel = kernelSplit(histogram, lastBin, n, g, h, l2, minSamplesLeaf);
  assert.ok(reference.every((v, i) => Object.is(v, kernel[i])), `kernel ${JSON.stringify(kernel)} against featureSplit ${JSON.stringify(reference)}`);
  return reference;
}

describe("hist_gradient_boosting split finding on one feature (featureSplit and the kernel's findSplit)", () => {
  it('finds the bin a loop over every bin finds, on 600 random nodes of 2 to 300 rows over 255 bins', () => {
    const random = lcg(3);
    let splits = 0;
    let residues = 0;
    for (let trial = 0; trial < 600; trial++) {
      const bins = 255;
      const rows = 2 + Math.floor(random() * 299);
      const histogram = new Float64Array(3 * bins);
      // Rows in few bins on some nodes (ties between bins), spread on others; gradients of both signs;
      // hessians of the log loss (p(1 - p)) or all one (the squared error).
      const used = 1 + Math.floor(random() * (trial % 3 === 0 ? 8 : bins));
      const constant = trial % 2 === 0;
      for (let r = 0; r < rows; r++) {
        const b = Math.floor(random() * used) * Math.floor(bins / used);
        histogram[3 * b]! += Math.fround(random() * 2 - 1);
        const p = random();
        histogram[3 * b + 1]! += constant ? 1 : Math.fround(p * (1 - p));
        histogram[3 * b + 2]! += 1;
      }
      // A subtracted histogram's empty bins can hold rounding (parent minus a sibling with the same rows).
      if (trial % 4 === 1) {
        for (let b = 0; b < bins; b++) {
          if (histogram[3 * b + 2] === 0 && random() < 0.1) {
            histogram[3 * b] = (random() - 0.5) * 1e-9;
            residues++;
          }
        }
      }
      let g = 0;
      let h = 0;
      for (let b = 0; b < bins; b++) {
        g += histogram[3 * b]!;
        h += histogram[3 * b + 1]!;
      }
      const l2 = trial % 5 === 0 ? 0.5 : 0;
      const minSamplesLeaf = [1, 5, 20][trial % 3]!;
      const expected = everyBinSplit(histogram, bins - 1, rows, g, h, l2, minSamplesLeaf);
      assert.deepEqual(bothSplits(histogram, bins - 1, rows, g, h, l2, minSamplesLeaf), expected, `trial ${trial}`);
      if (expected[1]! >= 0) splits++;
    }
    assert.ok(splits > 300 && residues > 50, `${splits} nodes with a split, ${residues} empty bins with rounding`);
  });

  it('takes an empty bin whose rounding makes its gain the largest (a count of 0 alone is no reason to skip)', () => {
    // Bin 1 has no rows but a parent-minus-sibling residue of -1e-9 in its gradient sum: the left side
    // up to bin 1 gains a little more than up to bin 0.
    const histogram = Float64Array.from([-5, 10, 10, -1e-9, 0, 0, 5, 30, 30]);
    const g = -5 - 1e-9 + 5;
    const expected = everyBinSplit(histogram, 2, 40, g, 40, 0, 1);
    assert.equal(expected[1], 1);
    assert.deepEqual(bothSplits(histogram, 2, 40, g, 40, 0, 1), expected);
  });

  it('keeps the first of equal gains across empty bins', () => {
    // Bins 1-3 empty: their gains equal bin 0's, which stays the answer.
    const histogram = Float64Array.from([-3, 4, 4, 0, 0, 0, -0, 0, 0, 0, 0, 0, 3, 4, 4]);
    assert.deepEqual(bothSplits(histogram, 4, 8, 0, 8, 0, 1), everyBinSplit(histogram, 4, 8, 0, 8, 0, 1));
    assert.equal(bothSplits(histogram, 4, 8, 0, 8, 0, 1)[1], 0);
  });
});
