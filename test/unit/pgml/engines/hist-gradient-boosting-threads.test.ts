// hist_gradient_boosting's histograms and split finding with a helper thread (histogram-helper.ts): each
// feature is still done by one thread in row order, so the trees are the ones one thread grows, bit for bit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { binData, binThresholds, trainingColumns } from '../../../../src/pgml/engines/histogram-bins.js';
import { HistTreeGrower, type GrowOptions, type HistTree } from '../../../../src/pgml/engines/histogram-tree.js';

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

const rows = 12_000;
const cols = 24;
const random = lcg(7);
const x = Float32Array.from({ length: rows * cols }, random);
// The training rows in a shuffled order, as a validation split leaves them; one row in six held out.
const train = Int32Array.from({ length: rows }, (_, r) => (r * 7919) % rows).filter((r) => r % 6 !== 0);
const thresholds = binThresholds(trainingColumns(x, cols, Int32Array.from({ length: rows }, (_, r) => r)), rows, cols, 255, null);
// Features from both halves matter: either thread may claim any feature of a step.
const gradients = Float32Array.from(train, (r) => x[r * cols]! - 2 * x[r * cols + 1]! * x[r * cols + cols - 2]! + x[r * cols + cols - 1]! + 0.3 * random());
const hessians = Float32Array.from(train, () => 0.05 + random());
const options: GrowOptions = { maxLeafNodes: 31, maxDepth: Infinity, minSamplesLeaf: 20, l2: 0, shrinkage: 0.1 };

/** `between`: run after the first tree (the second reuses the first's histograms from the pool). */
async function grow(threaded: boolean, withHessians: boolean, between?: (grower: HistTreeGrower) => Promise<void>): Promise<HistTree[]> {
  const grower = new HistTreeGrower(binData(trainingColumns(x, cols, train), train.length, cols, thresholds, threaded), threaded);
  if (threaded) await grower.startHelper();
  try {
    const first = grower.grow(gradients, withHessians ? hessians : undefined, options);
    await between?.(grower);
    return [first, grower.grow(gradients, withHessians ? hessians : undefined, options)];
  } finally {
    await grower.close();
  }
}

/** The helper's Worker (private to the grower: a test kills it as its heap limit would). */
function helperThread(grower: HistTreeGrower): Worker {
  return (grower as unknown as { helper: { thread: Worker } }).helper.thread;
}

describe('hist_gradient_boosting histograms on two threads', () => {
  for (const withHessians of [false, true]) {
    it(`grows the trees of one thread ${withHessians ? 'with hessians' : 'with constant hessians'}`, async () => {
      const one = await grow(false, withHessians);
      const two = await grow(true, withHessians);
      assert.ok(one[0]!.feature.length > 40, `a tree of ${one[0]!.feature.length} nodes`);
      const features = one[0]!.feature.filter((f) => f >= 0);
      assert.ok(features.some((f) => f < cols / 2) && features.some((f) => f >= cols / 2), 'splits on features of both halves');
      assert.deepEqual(two, one);
    });
  }

  it('grows the same trees when the helper thread has died, without waiting for it', async () => {
    const one = await grow(false, true);
    const killed = await grow(true, true, async (grower) => {
      await helperThread(grower).terminate();
    });
    assert.deepEqual(killed, one);
  });
});
