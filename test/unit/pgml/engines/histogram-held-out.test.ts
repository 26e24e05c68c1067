// hist_gradient_boosting's held-out rows walk each tree on their bins, level by level
// (histogram-held-out.ts): every row must get the leaf value its raw values reach (predictHistTree), also
// for values exactly on a threshold and outside the training range, and in the same order of additions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binData, binThresholds, trainingColumns } from '../../../../src/pgml/engines/histogram-bins.js';
import { HeldOutRows } from '../../../../src/pgml/engines/histogram-held-out.js';
import { HistTreeGrower, predictHistTree, type GrowOptions } from '../../../../src/pgml/engines/histogram-tree.js';

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

const rows = 3000;
const cols = 6;
const random = lcg(11);
// Features 0-2 take few values (integers: their thresholds are midpoints such as 2.5), 3-5 many (quantiles).
const value = (c: number): number => (c < 3 ? Math.floor(random() * (4 + 3 * c)) : Math.fround(random() * 4 - 2));
const x = Float32Array.from({ length: rows * cols }, (_, i) => value(i % cols));
const all = Int32Array.from({ length: rows }, (_, r) => r);
const train = all.filter((r) => r % 5 !== 0);
const heldOut = all.filter((r) => r % 5 === 0);
const thresholds = binThresholds(trainingColumns(x, cols, train), train.length, cols, 255, null);
// Held-out values on a threshold, and below and above every training value.
for (let i = 0; i < heldOut.length; i += 3) {
  const c = i % cols;
  const t = thresholds[c]!;
  x[heldOut[i]! * cols + c] = [t[Math.floor(t.length / 2)]!, -100, 100][i % 3]!;
}
const options: GrowOptions = { maxLeafNodes: 31, maxDepth: Infinity, minSamplesLeaf: 5, l2: 0, shrinkage: 0.1 };

describe('hist_gradient_boosting held-out rows', () => {
  it('add the leaf values the raw values reach, tree after tree, in the same order', () => {
    const grower = new HistTreeGrower(binData(trainingColumns(x, cols, train), train.length, cols, thresholds));
    const rowsHeldOut = new HeldOutRows(x, cols, heldOut, thresholds);
    const outputs = 2;
    const raw = new Float64Array(heldOut.length * outputs).fill(0.25);
    const expected = raw.slice();
    let onThreshold = 0;
    for (let t = 0; t < 6; t++) {
      const gradients = Float32Array.from(train, (r) => Math.fround(x[r * cols + (t % cols)]! * x[r * cols + 3]! - x[r * cols + 4]! + 0.1 * random()));
      const tree = grower.grow(gradients, undefined, options);
      assert.ok(tree.feature.length > 20, `a tree of ${tree.feature.length} nodes`);
      const k = t % outputs;
      rowsHeldOut.addTree(tree, grower.splitBins, raw, outputs, k);
      heldOut.forEach((r, j) => {
        expected[j * outputs + k]! += predictHistTree(tree, x, r * cols);
        tree.feature.forEach((f, n) => {
          if (f >= 0 && x[r * cols + f] === tree.threshold[n]) onThreshold++;
        });
      });
    }
    assert.ok(onThreshold > 0, 'some held-out values lie exactly on a split threshold');
    assert.deepEqual(raw, expected);
  });
});
