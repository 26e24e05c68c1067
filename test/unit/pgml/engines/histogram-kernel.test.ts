// hist_gradient_boosting's WebAssembly histogram kernel (histogram-kernel.wat, loaded by
// histogram-kernel.ts): the committed binary is the .wat's, and each of its four loops sums to the last
// bit what the JavaScript reference (histogram-sums.ts without a memory) sums, including in a histogram
// placed after the memory grew.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { committedModule, compileKernel, kernelModule } from '../../../../scripts/build-wasm.mjs';
import { histogramKernel, KernelArena } from '../../../../src/pgml/engines/histogram-kernel.js';
import { rootCounts, subtractFeature, sumFeature, type HistogramInputs } from '../../../../src/pgml/engines/histogram-sums.js';
import { partitionRows } from '../../../../src/pgml/engines/histogram-tree.js';

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

const rows = 2_003;
const binsPerFeature = [255, 7, 2, 256];
const cols = binsPerFeature.length;
const random = lcg(5);
const offsets = Int32Array.from({ length: cols + 1 }, (_, c) => 3 * binsPerFeature.slice(0, c).reduce((a, b) => a + b, 0));
// Few bins on two features: many rows of a four share a bin (the updates must stay in row order).
const bins = Uint8Array.from({ length: rows * cols }, (_, at) => Math.floor(random() * binsPerFeature[Math.floor(at / rows)]!));
const rowGradients = Float32Array.from({ length: rows }, () => random() * 2 - 1);
const rowHessians = Float32Array.from({ length: rows }, () => random());

/** The inputs of a node's rows, in plain arrays (the JavaScript loops) or in an arena's memory (the kernel). */
function inputsFor(positions: Int32Array, arena?: KernelArena): HistogramInputs {
  const array = <T extends Uint8ArrayConstructor | Int32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor>(type: T, length: number) =>
    (arena ? arena.array(type, length) : new type(length)) as InstanceType<T>;
  const inputs: HistogramInputs = {
    bins: array(Uint8Array, rows * cols),
    rows,
    offsets: array(Int32Array, cols + 1),
    indices: array(Int32Array, rows),
    gradients: array(Float32Array, rows),
    hessians: array(Float32Array, rows),
    rootCounts: array(Float64Array, offsets[cols]! / 3),
    ...(arena ? { memory: arena.memory } : {}),
  };
  inputs.bins.set(bins);
  inputs.offsets.set(offsets);
  // A node's rows from position 5 of the partition: the kernel's positions pointer starts mid-array.
  const start = positions.length === rows ? 0 : 5;
  inputs.indices.set(positions, start);
  positions.forEach((p, i) => {
    inputs.gradients[i] = rowGradients[p]!;
    inputs.hessians[i] = rowHessians[p]!;
  });
  rootCounts(inputs.bins, rows, inputs.offsets, inputs.rootCounts);
  return inputs;
}

describe('hist_gradient_boosting WebAssembly histogram kernel', () => {
  it('is the binary of histogram-kernel.wat (node scripts/build-wasm.mjs after editing the .wat)', async () => {
    assert.equal(committedModule('histogram'), kernelModule('histogram', await compileKernel('histogram')));
  });

  const root = Int32Array.from({ length: rows }, (_, i) => i);
  // A child's rows: increasing positions, an odd count (the four-row loop's tail runs).
  const drawn = root.filter((p) => random() < 0.45 || p === rows - 1);
  const child = drawn.length % 2 === 1 ? drawn : drawn.subarray(1);
  for (const [name, positions] of [['the root (every row, in order)', root], [`a node of ${child.length} rows`, child]] as const) {
    for (const withHessians of [false, true]) {
      it(`sums ${name} ${withHessians ? 'with hessians' : 'with constant hessians'} as the JavaScript loops, bit for bit`, () => {
        const start = positions.length === rows ? 0 : 5;
        const reference = inputsFor(positions);
        // One page at first: the histograms below are placed after the memory grew.
        const arena = new KernelArena(1);
        const inMemory = inputsFor(positions, arena);
        const before = arena.memory.buffer.byteLength;
        arena.array(Uint8Array, before);
        const expected = new Float64Array(offsets[cols]!).fill(Number.NaN);
        const histogram = arena.array(Float64Array, offsets[cols]!).fill(Number.NaN);
        assert.ok(arena.memory.buffer.byteLength > before && histogram.byteOffset >= before, 'the histogram is in grown memory');
        for (let c = 0; c < cols; c++) {
          sumFeature(expected, reference, c, start, positions.length, withHessians);
          sumFeature(histogram, inMemory, c, start, positions.length, withHessians);
        }
        // The arrays made before the memory grew still read what was written.
        assert.deepEqual(inMemory.bins, bins);
        assert.ok(expected.every((v) => Number.isFinite(v)));
        assert.deepEqual(Array.from(histogram), Array.from(expected));
      });
    }
  }

  for (const [c, bin] of [[0, 127], [1, 3], [2, 0], [3, 254], [3, 255]] as const) {
    it(`partitions a node's rows on feature ${c} at bin ${bin} as partitionRows (stable, the same split point)`, () => {
      const arena = new KernelArena(1);
      const inMemory = inputsFor(child, arena);
      const scratch = arena.array(Int32Array, rows);
      const reference = Int32Array.from(inMemory.indices);
      const start = 5;
      const end = start + child.length;
      const expected = partitionRows(reference, new Int32Array(rows), bins, c * rows, start, end, bin);
      const left = histogramKernel(arena.memory).partition(inMemory.indices.byteOffset + 4 * start, scratch.byteOffset, child.length, inMemory.bins.byteOffset + c * rows, bin);
      assert.ok(c === 3 && bin === 255 ? expected === end : expected > start && expected < end, `a split with rows on both sides (${expected - start} left)`);
      assert.equal(start + left, expected);
      assert.deepEqual(inMemory.indices, reference);
    });
  }

  it('makes the larger child\'s histogram (parent minus smaller) as the JavaScript subtraction, bit for bit, feature by feature', () => {
    // Features of 255, 7, 2 and 256 bins: 765, 21, 6 and 768 float64s, so odd counts (the kernel's
    // tail after its two-lane steps) and even ones, each feature from its own offset.
    const size = offsets[cols]!;
    const parentValues = Float64Array.from({ length: size }, () => (random() - 0.5) * 1e3);
    const smallValues = Float64Array.from({ length: size }, (_, i) => (i % 5 === 0 ? 0 : (random() - 0.5) * 1e3 * random()));
    const reference = inputsFor(child);
    const arena = new KernelArena(1);
    const inMemory = inputsFor(child, arena);
    const expected = Float64Array.from(parentValues);
    const large = arena.array(Float64Array, size + 1);
    const small = arena.array(Float64Array, size + 1);
    large.set(parentValues);
    small.set(smallValues);
    // A sentinel past the histogram: nothing is written beyond the last feature's entries.
    large[size] = 7;
    for (let c = 0; c < cols; c++) {
      subtractFeature(expected, smallValues, reference, c);
      subtractFeature(large, small, inMemory, c);
    }
    assert.notDeepEqual(Array.from(expected), Array.from(parentValues));
    assert.deepEqual(Array.from(large.subarray(0, size)), Array.from(expected));
    assert.equal(large[size], 7);
  });

  it("refuses arrays beyond WebAssembly's 4 GiB with 54000, not a wrong address", () => {
    const arena = new KernelArena(1);
    arena.array(Uint8Array, 16);
    assert.throws(() => arena.array(Float64Array, 2 ** 29), (error: Error & { code?: string }) => error.code === '54000' && /more than WebAssembly's 4096 MB/.test(error.message));
  });

  it('gathers a node\'s gradients in row order, bit for bit', () => {
    const arena = new KernelArena(1);
    const inMemory = inputsFor(child, arena);
    const values = arena.array(Float32Array, rows);
    values.set(rowGradients);
    const out = arena.array(Float32Array, child.length + 1).fill(Number.NaN);
    histogramKernel(arena.memory).gather(out.byteOffset, values.byteOffset, inMemory.indices.byteOffset + 4 * 5, child.length);
    assert.deepEqual(out.subarray(0, child.length), Float32Array.from(child, (p) => rowGradients[p]!));
    assert.ok(Number.isNaN(out[child.length]!), 'nothing written past n');
  });
});

