// hist_gradient_boosting's histogram kernels (histogram-sums.ts), four rows a step and the root's in-order
// variant (its counts from rootCounts): each bin's sums are the ones a plain row-by-row loop adds, in row
// order, to the last bit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rootCounts, sumFeature, type HistogramInputs } from '../../../../src/pgml/engines/histogram-sums.js';

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

const rows = 1_003;
const cols = 3;
const binsPerFeature = [255, 7, 2];
const random = lcg(11);
const offsets = Int32Array.from([0, 1, 2, 3], (c) => 3 * binsPerFeature.slice(0, c).reduce((a, b) => a + b, 0));
// Few bins on the second and third feature: many rows of four share a bin.
const bins = Uint8Array.from({ length: rows * cols }, (_, at) => Math.floor(random() * binsPerFeature[Math.floor(at / rows)]!));
const rowGradients = Float32Array.from({ length: rows }, () => random() * 2 - 1);
const rowHessians = Float32Array.from({ length: rows }, () => random());

// The root's counts, as the grower computes them once per fit (the root kernels add no counts).
const counts = new Float64Array(offsets[cols]! / 3);
rootCounts(bins, rows, offsets, counts);

/** The node's gradients gathered by position, as the grower does, and the inputs for sumFeature. */
function inputsFor(positions: Int32Array): HistogramInputs {
  const indices = new Int32Array(rows);
  indices.set(positions);
  return {
    bins,
    rows,
    offsets,
    indices,
    gradients: Float32Array.from(positions, (p) => rowGradients[p]!),
    hessians: Float32Array.from(positions, (p) => rowHessians[p]!),
    rootCounts: counts,
  };
}

/** One row at a time, in order: the sums the kernels must equal. */
function plainSums(positions: Int32Array, c: number, withHessians: boolean): number[] {
  const out = new Array<number>(3 * binsPerFeature[c]!).fill(0);
  for (const p of positions) {
    const at = 3 * bins[c * rows + p]!;
    out[at]! += rowGradients[p]!;
    out[at + 1]! += withHessians ? rowHessians[p]! : 1;
    out[at + 2]! += 1;
  }
  return out;
}

describe('hist_gradient_boosting histogram kernels', () => {
  const root = Int32Array.from({ length: rows }, (_, i) => i);
  // A child's rows: increasing positions, an odd count (the four-row loop's tail runs).
  const child = root.filter((p) => random() < 0.4 || p === rows - 1);
  for (const [name, positions] of [['the root (every row, in order)', root], [`a node of ${child.length} rows`, child]] as const) {
    for (const withHessians of [false, true]) {
      it(`sums ${name} ${withHessians ? 'with hessians' : 'with constant hessians'} as one row at a time`, () => {
        const inputs = inputsFor(positions);
        const histogram = new Float64Array(offsets[cols]!).fill(Number.NaN);
        for (let c = 0; c < cols; c++) {
          sumFeature(histogram, inputs, c, 0, positions.length, withHessians);
          assert.deepEqual(Array.from(histogram.subarray(offsets[c]!, offsets[c + 1]!)), plainSums(positions, c, withHessians), `feature ${c}`);
        }
      });
    }
  }
});
