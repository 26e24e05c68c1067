// float4out's text (src/wire/float4-shortest.ts over float4-text.wat, Postgres's Ryu f2s.c): texts the server
// wrote (Postgres 15, extra_float_digits 1), and the properties of a shortest round-trip text over
// many values. test/integration/float4-text.test.ts compares every value with a real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { float4ArrayText, float4Text } from '../../../src/wire/float4-shortest.js';
import { committedModule, compileKernel, kernelModule } from '../../../scripts/build-wasm.mjs';

const bits = new Float32Array(1);
const word = new Uint32Array(bits.buffer);

function float4OfBits(w: number): number {
  word[0] = w >>> 0;
  return bits[0]!;
}

test('texts the server writes: notation thresholds, integers, halfway decimals, subnormals, specials', () => {
  const cases: [number, string][] = [
    [0.1, '0.1'],
    [-1.5, '-1.5'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [123456, '123456'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    // The small-integer path: every digit of an integer below 2^24, even where fewer read back.
    [16777216, '1.6777216e+07'],
    [16777215, '1.6777215e+07'],
    [100, '100'],
    // 8 digits would land exactly halfway to the next float4: the server writes 9 (STRICTLY_SHORTEST 0).
    [-129568544, '-1.29568544e+08'],
    // Halfway between two 8-digit decimals: the even one.
    [2100296.25, '2.1002962e+06'],
    [3.4028234663852886e38, '3.4028235e+38'],
    [1.401298464324817e-45, '1e-45'],
    [1.1754942106924411e-38, '1.1754942e-38'],
    // Powers of two the general decimal search of earlier versions wrote with one digit too many.
    [float4OfBits(0x0f800000), '1.2621775e-29'],
    [float4OfBits(0x6b000000), '1.5474251e+26'],
    [float4OfBits(0x6c800000), '1.2379401e+27'],
    [0, '0'],
    [-0, '-0'],
    [Number.NaN, 'NaN'],
    [float4OfBits(0xffc00001), 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
  ];
  for (const [x, want] of cases) assert.equal(float4Text(Math.fround(x)), want, String(x));
});

test('each text reads back as its float4, and the nearest shorter decimal does not', () => {
  let seed = 29;
  const random = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed;
  };
  for (let i = 0; i < 100_000; i++) {
    const w = random();
    const x = float4OfBits(w);
    if (!Number.isFinite(x) || x === 0) continue;
    const text = float4Text(x);
    assert.ok(text.length <= 15, `bits ${w.toString(16)}: ${text} is longer than float4out's longest`);
    assert.equal(Math.fround(Number(text)), x, `bits ${w.toString(16)}: ${text}`);
    const digits = text.replace(/^-|e.*$/g, '').replace('.', '').replace(/^0+|0+$/g, '').length;
    if (digits === 1) continue;
    // The nearest decimal of one digit fewer reads back as another float4, or lies exactly halfway
    // to one (which f2s.c as Postgres builds it never writes).
    const shorter = Number(x.toPrecision(digits - 1));
    const halfway = shorter === (x + float4OfBits(w + 1)) / 2 || shorter === (x + float4OfBits(w - 1)) / 2;
    assert.ok(Math.fround(shorter) !== x || halfway, `bits ${w.toString(16)}: ${text} is not the shortest`);
  }
});

test('array_out: the elements joined, from a Float32Array or numbers, and longer than one call of the module writes (2048 values)', () => {
  let seed = 31;
  const random = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed;
  };
  for (const n of [0, 1, 2, 384, 2048, 2049, 20_000]) {
    const values = new Float32Array(n);
    const words = new Uint32Array(values.buffer);
    for (let i = 0; i < n; i++) words[i] = random();
    // Every longest text (-1.23456789e-38) at the end too, where the written bytes end.
    if (n > 0) values[n - 1] = -1.2345679e-38;
    const want = `{${Array.from(values, float4Text).join(',')}}`;
    assert.equal(float4ArrayText(values)?.toString('latin1'), want, `${n} values`);
    assert.equal(float4ArrayText(Array.from(values))?.toString('latin1'), want, `${n} numbers`);
  }
  assert.equal(float4ArrayText([1, null, 2]), undefined);
  assert.equal(float4ArrayText([1, '2']), undefined);
  assert.equal(float4ArrayText([...Array<number>(2500).fill(1), null, 2]), undefined);
});

test('the module is float4-text.wat compiled as committed (node scripts/build-wasm.mjs after editing the .wat)', async () => {
  assert.equal(committedModule('float4Text'), kernelModule('float4Text', await compileKernel('float4Text')));
});
