// The seeded generator every training draws from: seededDraw indexes its draws (affinity_propagation's noise),
// and must give seededRandom's sequence bit for bit, or models change.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededDraw, seededRandom } from '../../../src/pgml/random.js';

describe('seededDraw', () => {
  it("gives seededRandom's k-th draw, for seeds across the uint32 range and counters past 2³²", () => {
    for (const seed of [0, 1, 42, 0x7fffffff, 0x80000000, 0xffffffff, -1, 123456789]) {
      const random = seededRandom(seed);
      for (let k = 1; k <= 3000; k++) assert.equal(seededDraw(seed, k), random(), `seed ${seed}, draw ${k}`);
    }
    // A counter whose product with the step passes 2³² (the n² noise of a 10,000-row fit draws 2·10⁸).
    const seed = 7;
    const random = seededRandom(seed);
    let last = 0;
    for (let k = 1; k <= 200_000; k++) last = random();
    assert.equal(seededDraw(seed, 200_000), last);
  });
});
