// extra-tree.ts grows every tree of a fit in one reused scratch, and sklearn-features.ts keeps the splitter's
// xorshift state as int32 bits (so that no draw allocates): neither may change a tree.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExtraTreeScratch, fitExtraTree, type ExtraTreeOptions } from '../../../../src/pgml/engines/extra-tree.js';
import { RandR } from '../../../../src/pgml/engines/sklearn-features.js';
import { NumpyRandomState } from '../../../../src/pgml/engines/numpy-random.js';
import type { TreeInput } from '../../../../src/pgml/engines/tree.js';

/** sklearn's our_rand_r as _utils.pyx writes it, on the uint32 state: the reference for RandR.next. */
function referenceRandR(treeSeed: number): () => number {
  let state = new NumpyRandomState(treeSeed).bounded(0x7fffffff - 1);
  return () => {
    if (state === 0) state = 1;
    state = (state ^ (state << 13)) >>> 0;
    state = (state ^ (state >>> 17)) >>> 0;
    state = (state ^ (state << 5)) >>> 0;
    return state % 0x80000000;
  };
}

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

describe('extra trees', () => {
  it("RandR's draws are our_rand_r's on the uint32 state, through states at and above 2^31", () => {
    for (const seed of [0, 1, 42, 0x7ffffffe]) {
      const ours = RandR.forTree(seed);
      const reference = referenceRandR(seed);
      for (let i = 0; i < 20_000; i++) assert.equal(ours.next(), reference(), `seed ${seed}, draw ${i}`);
    }
  });

  it('trees grown one after another in one scratch are the trees grown each in a fresh one', () => {
    // Two targets and uneven weights (a bootstrap's zeros): the scratch's rows, sums, stack and nodes all carry over.
    const rows = 300;
    const cols = 4;
    const outputs = 2;
    const random = lcg(11);
    const columns = Float32Array.from({ length: rows * cols }, () => Math.round(random() * 50) / 10);
    const targets = Float64Array.from({ length: rows * outputs }, random);
    const shape = { maxDepth: Infinity, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: 3 };
    const scratch = new ExtraTreeScratch(rows, outputs);
    for (const [seed, maxLeafNodes] of [[1, undefined], [2, 12], [3, undefined], [4, undefined]] as const) {
      const weights = Float64Array.from({ length: rows }, () => Math.floor(random() * 3));
      const input: TreeInput = { rows, cols, targets, outputs, weights, columns };
      const options: ExtraTreeOptions = { ...shape, treeSeed: seed, classes: undefined, ...(maxLeafNodes ? { maxLeafNodes } : {}) };
      const reused = fitExtraTree(input, options, scratch);
      const fresh = fitExtraTree(input, options);
      assert.deepEqual(reused, fresh, `tree ${seed}`);
      assert.ok(reused.feature.length > 20, 'a tree of some depth');
      assert.equal(reused.value.length, reused.feature.length * outputs);
    }
  });
});
