// Result values the proxy writes into DataRows itself: the server's text output (float4out and
// float8out with their exponent thresholds, array_out) and binary layouts, checked against bytes
// built by the independent test encoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypeOid, parseText } from '../../../src/wire/types.js';
import { canEncode, decodeValue, encodeValue, float4ArrayBinary } from '../../../src/wire/values.js';
import { BufferList } from '../../support/raw-wire.js';

const text = (oid: number, value: unknown) => encodeValue(oid, 0, value)?.toString('utf8');

test('float4 text: shortest digits, fixed notation for exponents -4..5', () => {
  const cases: [number, string][] = [
    [1, '1'],
    [0.1, '0.1'],
    [-2.5, '-2.5'],
    [123456, '123456'],
    [1234567, '1.234567e+06'],
    [1000000, '1e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.9415644407272339, '1.9415644'],
    [0, '0'],
    // Halfway between two 8-digit decimals: the even one, as the server writes it.
    [2100296.25, '2.1002962e+06'],
    // 8 digits would land exactly halfway to the next float4: the server writes 9.
    [-129568544, '-1.29568544e+08'],
  ];
  for (const [value, want] of cases) assert.equal(text(TypeOid.float4, value), want, String(value));
  assert.equal(text(TypeOid.float4, Number.NaN), 'NaN');
  assert.equal(text(TypeOid.float4, -Infinity), '-Infinity');
});

test('float8 text: fixed notation up to exponent 14', () => {
  assert.equal(text(TypeOid.float8, 1e14), '100000000000000');
  assert.equal(text(TypeOid.float8, 1e15), '1e+15');
  assert.equal(text(TypeOid.float8, 0.30000001192092896), '0.30000001192092896');
  assert.equal(text(TypeOid.float8, 1.5e-7), '1.5e-07');
});

test('arrays in text: elements as their type writes them, NULL, quoted text', () => {
  assert.equal(text(TypeOid._float4, [1, 0.1, null]), '{1,0.1,NULL}');
  assert.equal(text(TypeOid._float4, '{0.5,2}'), '{0.5,2}');
  assert.equal(text(TypeOid._text, ['a b', 'plain', 'NULL', '']), '{"a b",plain,"NULL",""}');
  assert.equal(encodeValue(TypeOid.float4, 0, null), null);
});

test('binary scalars and a float4[] as array_send writes them', () => {
  assert.deepEqual(encodeValue(TypeOid.float4, 1, 1.5), new BufferList().raw(Buffer.from([0x3f, 0xc0, 0, 0])).body());
  const element = Buffer.alloc(4);
  element.writeFloatBE(1.5);
  const want = new BufferList().int32(1).int32(1).int32(TypeOid.float4).int32(2).int32(1).int32(4).raw(element).int32(-1).body();
  assert.deepEqual(encodeValue(TypeOid._float4, 1, [1.5, null]), want);
  assert.deepEqual(decodeValue(TypeOid._float4, 1, want), [1.5, null]);
});

test('float4ArrayBinary: array_send of a Float32Array, every float4 exact', () => {
  const values = new Float32Array([1.5, -0.1, 3.4028234663852886e38, 1e-45, -0, Number.NaN, Infinity]);
  const want = new BufferList().int32(1).int32(0).int32(TypeOid.float4).int32(values.length).int32(1);
  for (const v of values) {
    const element = Buffer.alloc(4);
    element.writeFloatBE(v);
    want.int32(4).raw(element);
  }
  assert.deepEqual(float4ArrayBinary(values), want.body());
  const back = decodeValue(TypeOid._float4, 1, float4ArrayBinary(values)) as number[];
  values.forEach((v, i) => assert.ok(Object.is(back[i], v), `${v}: ${back[i]}`));
  // A view into a larger buffer writes only its own elements; an empty one, the empty array.
  assert.deepEqual(float4ArrayBinary(new Float32Array([9, 1.5, 9]).subarray(1, 2)), encodeValue(TypeOid._float4, 1, [1.5]));
  assert.deepEqual(float4ArrayBinary(new Float32Array(0)), encodeValue(TypeOid._float4, 1, []));
});

test('only the listed types can be written', () => {
  assert.ok(canEncode(TypeOid.float4) && canEncode(TypeOid._float8) && canEncode(TypeOid.text));
  assert.ok(!canEncode(TypeOid.jsonb) && !canEncode(TypeOid.numeric));
});

test('numeric arrays in text read as node-postgres reads them', () => {
  for (const literal of ['{1.5,-2,NULL,NaN,Infinity}', '{}', '{{1,2},{3,4}}', '{"1"}']) {
    const expected = parseText(TypeOid._float4, literal);
    assert.deepEqual(decodeValue(TypeOid._float4, 0, Buffer.from(literal)), expected, literal);
  }
  assert.deepEqual(decodeValue(TypeOid._int8, 0, Buffer.from('{1,2}')), parseText(TypeOid._int8, '{1,2}'));
});

test('numeric arrays in text: every element exactly as Number() reads it', () => {
  // float4out and float8out digits of values across the exponent range, plus forms the fast path hands on.
  const literals: string[] = ['-0', '0.0001', '1e-05', '123456789012345678', '1.5E+3', '-Infinity', 'NaN', '12345678901234567890e-30'];
  for (let i = 0; i < 2000; i++) {
    const x = (Math.sin(i * 7.31) - 0.5) * 10 ** ((i % 60) - 30);
    literals.push(text(TypeOid.float4, x)!, text(TypeOid.float8, x)!);
  }
  const got = decodeValue(TypeOid._float8, 0, Buffer.from(`{${literals.join(',')}}`)) as number[];
  assert.equal(got.length, literals.length);
  literals.forEach((literal, i) => assert.ok(Object.is(got[i], Number(literal)), `${literal}: ${got[i]}`));
  assert.deepEqual(decodeValue(TypeOid._int4, 0, Buffer.from('{-3,NULL,7}')), [-3, null, 7]);
});
