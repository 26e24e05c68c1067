// The column statistics' order statistics of a float4 column (sorted by sort-doubles.ts's radix sort)
// against TypedArray.prototype.sort, the order they must reproduce.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../../../src/pgml/preparation/statistics.js';

/** A deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIAL = [0, -0, Infinity, -Infinity, 1.401298464324817e-45, -1.401298464324817e-45, 3.4028234663852886e38, -3.4028234663852886e38, 1, -1];

/** Float32 values: specials, small integers (many ties), and magnitudes from 1e-38 to 1e38 of both signs. */
function float32Values(n: number, next: () => number): Float64Array {
  return Float64Array.from({ length: n }, () => {
    const r = next();
    if (r < 0.15) return SPECIAL[Math.floor(next() * SPECIAL.length)]!;
    if (r < 0.4) return Math.round((next() - 0.5) * 40);
    return Math.fround((next() - 0.5) * 10 ** (next() * 76 - 38));
  });
}

describe('analyze on a float4 column', () => {
  it('is what analyze sorts a float32 column with: its order statistics are the native sort\'s', () => {
    const values = float32Values(5001, random(3)).map((v) => (Number.isFinite(v) ? v : 0));
    values[10] = Number.NaN;
    const sorted = values.filter((v) => !Number.isNaN(v)).sort();
    const stats = analyze(values)!;
    assert.equal(stats.missing, 1);
    assert.ok(Object.is(stats.min, sorted[0]) && Object.is(stats.max, sorted[sorted.length - 1]));
    assert.ok(Object.is(stats.median, sorted[Math.floor(sorted.length / 2)]));
    assert.deepEqual(stats.ventiles, Array.from({ length: 19 }, (_, v) => sorted[Math.floor(((v + 1) * sorted.length) / 20) - 1]));
  });
});
