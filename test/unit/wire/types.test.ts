import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgError } from '../../../src/errors/index.js';
import { TypeOid, encodeText, parseBinary, parseText, typeOidOf } from '../../../src/wire/types.js';
import { BufferList } from '../../support/raw-wire.js';

test('type names resolve to OIDs, unknown names to 0', () => {
  assert.equal(typeOidOf('real[]'), 1021);
  assert.equal(typeOidOf('Double Precision'), 701);
  assert.equal(typeOidOf('no_such_type'), 0);
});

test('text values parse like node-postgres', () => {
  assert.deepEqual(parseText(TypeOid._float4, '{1.5,-2,3}'), [1.5, -2, 3]);
  assert.equal(parseText(TypeOid.bool, 't'), true);
  assert.deepEqual(parseText(TypeOid.jsonb, '{"a":1}'), { a: 1 });
});

test('binary scalars and a float4[] array', () => {
  assert.equal(parseBinary(TypeOid.int4, new BufferList().int32(-7).body()), -7);
  const f = Buffer.alloc(8);
  f.writeDoubleBE(2.25);
  assert.equal(parseBinary(TypeOid.float8, f), 2.25);
  const element = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeFloatBE(v);
    return b;
  };
  const arr = new BufferList()
    .int32(1)
    .int32(0)
    .int32(TypeOid.float4)
    .int32(2)
    .int32(1)
    .int32(4)
    .raw(element(1.5))
    .int32(-1)
    .body();
  assert.deepEqual(parseBinary(TypeOid._float4, arr), [1.5, null]);
});

test('unsupported binary types are refused with 0A000', () => {
  assert.throws(() => parseBinary(TypeOid.numeric, Buffer.alloc(8)), (e: unknown) => (e as { code?: string }).code === '0A000');
});

test('text encoding of parameters', () => {
  assert.equal(encodeText(null), null);
  assert.equal(encodeText(true)!.toString(), 't');
  assert.equal(encodeText([1, null, 'a"b'])!.toString(), '{1,NULL,"a\\"b"}');
  assert.equal(encodeText(new Float32Array([0.5, 2]))!.toString(), '{0.5,2}');
  assert.equal(encodeText({ a: [1] })!.toString(), '{"a":[1]}');
});

const fails = (code: string, message: string) => (e: unknown) => {
  assert.ok(e instanceof PgError, `a PgError, not ${String(e)}`);
  assert.equal(e.message, message);
  assert.equal(e.code, code);
  return true;
};

test('malformed text values fail in Postgres words, never with a JavaScript parser message', () => {
  assert.throws(() => parseText(TypeOid._float4, 'abc'), fails('22P02', 'malformed array literal: "abc"'));
  assert.throws(() => parseText(TypeOid._float4, '{1,2'), fails('22P02', 'malformed array literal: "{1,2"'));
  assert.throws(() => parseText(TypeOid._float4, '{5.1,abc}'), fails('22P02', 'invalid input syntax for type real: "abc"'));
  assert.throws(() => parseText(TypeOid.float8, ''), fails('22P02', 'invalid input syntax for type double precision: ""'));
  assert.throws(() => parseText(TypeOid.int4, '1.5'), fails('22P02', 'invalid input syntax for type integer: "1.5"'));
  assert.throws(() => parseText(TypeOid.int4, '2147483648'), fails('22003', 'value "2147483648" is out of range for type integer'));
  assert.throws(() => parseText(TypeOid.float4, '1e39'), fails('22003', '"1e39" is out of range for type real'));
  assert.throws(() => parseText(TypeOid.bool, 'maybe'), fails('22P02', 'invalid input syntax for type boolean: "maybe"'));
  assert.throws(() => parseText(TypeOid.numeric, '1,5'), fails('22P02', 'invalid input syntax for type numeric: "1,5"'));
  assert.throws(() => parseText(TypeOid.jsonb, '{"alpha": abc}'), fails('22P02', 'invalid input syntax for type json'));
  assert.throws(() => parseText(TypeOid.timestamptz, 'abc'), fails('22007', 'invalid input syntax for type timestamp with time zone: "abc"'));
});

test('every spelling Postgres accepts still parses', () => {
  assert.deepEqual(parseText(TypeOid._float8, '{NaN,Infinity,-Infinity,1e-07,.5,NULL}'), [NaN, Infinity, -Infinity, 1e-7, 0.5, null]);
  assert.deepEqual(parseText(TypeOid._float4, '{{1,2},{3,4}}'), [[1, 2], [3, 4]]);
  assert.equal(parseText(TypeOid.float4, ' inf '), Infinity);
  assert.deepEqual(['yes', 'off', 'TRUE', ' f '].map((t) => parseText(TypeOid.bool, t)), [true, false, true, false]);
  assert.equal(parseText(TypeOid.int8, '9223372036854775807'), '9223372036854775807');
  assert.equal(parseText(TypeOid.int2, ' -32768 '), -32768);
});

test('binary values of the wrong size are 22P03, not a partial read or a RangeError', () => {
  assert.throws(() => parseBinary(TypeOid.int4, Buffer.alloc(2)), fails('22P03', 'incorrect binary data format'));
  assert.throws(() => parseBinary(TypeOid.float8, Buffer.alloc(9)), fails('22P03', 'incorrect binary data format'));
  const truncated = new BufferList().int32(1).int32(0).int32(TypeOid.float4).int32(3).int32(1).int32(4).raw(Buffer.alloc(4)).body();
  assert.throws(() => parseBinary(TypeOid._float4, truncated), fails('22P03', 'incorrect binary data format'));
  assert.throws(() => parseBinary(TypeOid.jsonb, Buffer.from('\x01{x')), fails('22P02', 'invalid input syntax for type json'));
  assert.equal(parseBinary(TypeOid.oid, new BufferList().uint32(3_000_000_000).body()), 3_000_000_000);
});
