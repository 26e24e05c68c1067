import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypeOid, encodeText, parseBinary, parseText, typeOidOf } from '../../../src/wire/types.js';
import { BufferList } from './buffer-list.js';

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
