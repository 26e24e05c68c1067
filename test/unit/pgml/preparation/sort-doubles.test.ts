import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RADIX_FROM, sortDoubles } from '../../../../src/pgml/preparation/sort-doubles.js';
import { analyze } from '../../../../src/pgml/preparation/statistics.js';
import { seededRandom } from '../../../../src/pgml/random.js';

const SPECIALS = [0, -0, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1];
/** The same as float4s (their smallest subnormal, their largest value): columns of them take the 32-bit path. */
const FLOAT4_SPECIALS = SPECIALS.map((v) => (Math.abs(v) === Number.MIN_VALUE ? Math.sign(v) * 2 ** -149 : Math.abs(v) === Number.MAX_VALUE ? Math.sign(v) * 3.4028234663852886e38 : v));
const FEW_SPECIALS = [0, -0];

/** A column of `n` values drawn as `kind` says, with specials and duplicates mixed in. */
type Kind = 'float4' | 'float8' | 'few' | 'mixed' | 'counts' | 'unit';
/**
 * 'counts' (integers 0–49, float4) and 'unit' (float8 in [1, 2)) have one sign and few exponents:
 * some digit is the same in every value, and the sort skips those passes.
 */
function column(n: number, kind: Kind, seed: number): Float64Array {
  // Seeded: the same columns on every run, so a failure can be replayed.
  const next = seededRandom(seed);
  const specials = kind === 'float4' ? FLOAT4_SPECIALS : kind === 'few' ? FEW_SPECIALS : kind === 'counts' || kind === 'unit' ? [1] : SPECIALS;
  return Float64Array.from({ length: n }, () => {
    const r = next();
    if (r < 0.05) return specials[Math.floor(next() * specials.length)] as number;
    const v = (next() - 0.5) * 10 ** Math.floor(next() * 12 - 6);
    switch (kind) {
      case 'float4':
        return Math.fround(v);
      case 'float8':
        return v;
      case 'few':
        return Math.floor(next() * 7) - 3;
      case 'mixed':
        return r < 0.5 ? Math.fround(v) : v;
      case 'counts':
        return Math.floor(next() * 50);
      case 'unit':
        return 1 + next();
    }
  });
}

function assertSameOrder(actual: Float64Array, expected: Float64Array, label: string): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${label}: at ${i} ${actual[i]} where the native sort has ${expected[i]}`);
  }
}

describe('sortDoubles', () => {
  it('orders exactly as Float64Array.prototype.sort: -0 before +0, infinities, duplicates, float4 and float8 values', () => {
    let seed = 1;
    for (const n of [0, 1, 2, 100, RADIX_FROM - 1, RADIX_FROM, RADIX_FROM + 1, 10_000, 70_001]) {
      for (const kind of ['float4', 'float8', 'few', 'mixed', 'counts', 'unit'] as const) {
        const values = column(n, kind, seed++);
        const expected = values.slice().sort();
        assertSameOrder(sortDoubles(values.slice()), expected, `${kind} ×${n}`);
        // At an offset in a larger buffer: the float4 sort works in the values' own bytes.
        const inside = new Float64Array(n + 9);
        inside.set(values, 3);
        assertSameOrder(sortDoubles(inside.subarray(3, 3 + n)), expected, `${kind} ×${n} at an offset`);
      }
    }
  });

  it('sorts a subarray in place without touching the values around it', () => {
    for (const kind of ['float4', 'counts', 'mixed'] as const) {
      const whole = column(3 * RADIX_FROM, kind, 99);
      const before = whole.slice();
      const part = whole.subarray(RADIX_FROM, 2 * RADIX_FROM + 5);
      const expected = part.slice().sort();
      assert.equal(sortDoubles(part), part);
      assertSameOrder(part, expected, `${kind} subarray`);
      assertSameOrder(whole.subarray(0, RADIX_FROM), before.subarray(0, RADIX_FROM), `${kind} before the subarray`);
      assertSameOrder(whole.subarray(2 * RADIX_FROM + 5), before.subarray(2 * RADIX_FROM + 5), `${kind} after the subarray`);
    }
  });

  it('keeps every bit of the values: signed zeros, subnormals, the extremes', () => {
    const values = new Float64Array(RADIX_FROM);
    for (let i = 0; i < values.length; i++) values[i] = SPECIALS[i % SPECIALS.length] as number;
    values[7] = 5e-324;
    values[8] = Math.fround(1e-40); // a float4 subnormal
    assertSameOrder(sortDoubles(values.slice()), values.slice().sort(), 'specials');
  });
});

describe('statistics of a column sorted by radix', () => {
  it('are those of the native order: NaNs left out, -0 and +0 one value, the upper median', () => {
    const values = column(5 * RADIX_FROM, 'few', 7);
    for (let i = 0; i < values.length; i += 13) values[i] = Number.NaN;
    for (let i = 5; i < values.length; i += 17) values[i] = -0;
    const present = values.filter((v) => !Number.isNaN(v)).sort();
    const s = analyze(values)!;
    assert.equal(s.missing, values.length - present.length);
    assert.equal(s.min, present[0]);
    assert.equal(s.max, present[present.length - 1]);
    assert.ok(Object.is(s.median, present[Math.floor(present.length / 2)]));
    assert.equal(s.distinct, new Set(present).size);
    assert.deepEqual(analyze(values, new Float64Array(values.length + 1)), s);
  });
});
