// The float4 text of values between 0.001 and 10 in magnitude by exact integer arithmetic
// (float4-fixed.ts) against the general search of values.ts, whose text matches Postgres'
// float4out (values.test.ts; answer-locally.test.ts compares the bytes with the server's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixedFloat4Text } from '../../../src/wire/float4-fixed.js';
import { searchedFloat4Text } from '../../../src/wire/values.js';

const bits = new Float32Array(1);
const word = new Uint32Array(bits.buffer);

function float4OfWord(w: number): number {
  word[0] = w >>> 0;
  return bits[0]!;
}

function wordOf(x: number): number {
  bits[0] = x;
  return word[0]!;
}

/** Both signs of every float4 within `radius` steps of x. */
function around(x: number, radius: number): number[] {
  const center = wordOf(x);
  const out: number[] = [];
  for (let d = -radius; d <= radius; d++) out.push(float4OfWord(center + d), -float4OfWord(center + d));
  return out;
}

function compare(values: readonly number[]): { fast: number; handedOn: number } {
  let fast = 0;
  let handedOn = 0;
  for (const x of values) {
    const text = fixedFloat4Text(x);
    if (text === undefined) {
      handedOn += 1;
      continue;
    }
    fast += 1;
    assert.equal(text, searchedFloat4Text(x), `float4 with bits ${wordOf(x).toString(16)}`);
  }
  return { fast, handedOn };
}

test('the same text as the general search across the range, at its ends and at powers of two and ten', () => {
  const values: number[] = [];
  // A stride through every float4 from below 0.001 to above 10 (both signs).
  const [low, high] = [wordOf(0.0009), wordOf(11)];
  for (let w = low; w <= high; w += 1009) values.push(float4OfWord(w), -float4OfWord(w));
  for (const edge of [0.001, 0.01, 0.1, 1, 10]) values.push(...around(edge, 2000));
  // Powers of two: the float4 below is half as far away, so the rounding interval is lopsided.
  for (let e = -10; e <= 4; e++) values.push(...around(2 ** e, 300));
  const { fast, handedOn } = compare(values);
  assert.ok(fast > 0.9 * values.length, `${fast} of ${values.length} took the exact path`);
  assert.ok(handedOn > 0, 'values outside 0.001..10 are left to the general search');
});

test('values with short binary fractions, where decimals lie exactly halfway, match or are left to the general search', () => {
  const values: number[] = [];
  // 12 significant bits: many such values end in ...5 at some digit count.
  for (let exponent = -10; exponent <= 3; exponent++) for (let mantissa = 2048; mantissa < 4096; mantissa++) values.push(mantissa * 2 ** (exponent - 11));
  const { fast } = compare(values);
  assert.ok(fast > 0, 'some short fractions took the exact path');
  assert.equal(fixedFloat4Text(0.5), '0.5');
  // 1.25 lies halfway between 1.2 and 1.3: the general search applies float4out's rule.
  assert.equal(fixedFloat4Text(1.25), undefined);
  assert.equal(searchedFloat4Text(1.25), '1.25');
});

test('outside 0.001..10, and for zero and non-finite values, the general search decides', () => {
  for (const x of [0, -0, 0.000999, 10, 123.5, 1e-7, Number.NaN, Infinity, -Infinity]) assert.equal(fixedFloat4Text(Math.fround(x)), undefined, String(x));
  assert.equal(fixedFloat4Text(Math.fround(9.99)), '9.99');
  assert.equal(fixedFloat4Text(Math.fround(-0.0123)), '-0.0123');
});
