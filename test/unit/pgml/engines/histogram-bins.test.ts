// hist_gradient_boosting's binning (histogram-bins.ts): the radix sort orders float32 values exactly as
// Float64Array's sort, and the branch-free bin search finds the bin a plain count of the thresholds gives.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binData, binOf, Float32Sorter } from '../../../../src/pgml/engines/histogram-bins.js';

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

/** Values of every kind the sort must order: signs, zeros of both signs, duplicates, subnormals, extremes. */
function awkwardValues(n: number, seed: number): Float32Array {
  const random = lcg(seed);
  const special = [0, -0, 1, -1, 1e-45, -1e-45, 3.4e38, -3.4e38, 1.5, 1.5, -2.25, -2.25, 1e-30, -1e-30];
  return Float32Array.from({ length: n }, (_, i) => {
    if (i < special.length) return special[i]!;
    const kind = random();
    if (kind < 0.1) return special[Math.floor(random() * special.length)]!;
    if (kind < 0.3) return Math.round(random() * 20 - 10);
    return (random() * 2 - 1) * 10 ** Math.floor(random() * 12 - 6);
  });
}

describe('histogram binning', () => {
  for (const n of [1, 13, 2047, 2048, 5000, 67_500]) {
    it(`sorts ${n} float32 values as Float64Array's sort, -0 before +0`, () => {
      const values = awkwardValues(n, n);
      const expected = Float64Array.from(values).sort();
      const out = new Float64Array(n);
      const sorter = new Float32Sorter(n);
      sorter.sort(values, out);
      assert.ok(out.every((v, i) => Object.is(v, expected[i])), `first difference at ${out.findIndex((v, i) => !Object.is(v, expected[i]))}`);
      // The buffers are reused: a second sort of other values is as right.
      const again = awkwardValues(n, n + 1);
      sorter.sort(again, out);
      const expectedAgain = Float64Array.from(again).sort();
      assert.ok(out.every((v, i) => Object.is(v, expectedAgain[i])));
    });
  }

  it('finds the bin a count of the thresholds below the value gives, for 0 to 255 thresholds', () => {
    const random = lcg(5);
    for (const count of [0, 1, 2, 3, 7, 128, 200, 254, 255]) {
      const thresholds = Array.from({ length: count }, () => Math.fround(random() * 2 - 1)).sort((a, b) => a - b);
      const bounds = new Float64Array(256).fill(Infinity);
      bounds.set(thresholds);
      // The thresholds themselves (a value equal to one falls in its bin), values between them and beyond both ends.
      const probes = [...thresholds, ...thresholds.map((t) => t + 1e-7), -5, 5, 0, ...Array.from({ length: 200 }, () => Math.fround(random() * 2.2 - 1.1))];
      for (const value of probes) {
        const expected = thresholds.filter((t) => t < value).length;
        assert.equal(binOf(bounds, value), expected, `${count} thresholds, value ${value}`);
      }
    }
  });

  it('bins each feature of a column-major table by its own thresholds', () => {
    const columns = Float32Array.from([0.5, -1, 2, 3, /* feature 1 */ 10, 20, 30, 40]);
    const { bins } = binData(columns, 4, 2, [[0, 1.5], [15, 25, 35]]);
    assert.deepEqual([...bins], [1, 0, 2, 2, 0, 1, 2, 3]);
  });
});
