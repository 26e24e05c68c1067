// The binary decoder of training rows against bytes laid out by hand from Postgres' send formats
// (utils/adt: boolsend, int2/4/8send, float4/8send, numeric_send, textsend, array_send).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeColumn } from '../../../../src/pgml/preparation/columns.js';
import { RawMatrixBuilder } from '../../../../src/pgml/preparation/raw-matrix.js';
import { binaryRowSink } from '../../../../src/pgml/store/binary-rows.js';
import { PgError } from '../../../../src/errors/index.js';

const int16 = (v: number): Buffer => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
const int32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const field = (bytes: Buffer | null): Buffer => (bytes === null ? int32(-1) : Buffer.concat([int32(bytes.length), bytes]));
const row = (fields: (Buffer | null)[]): Buffer => Buffer.concat([Buffer.from('XXXXX'), int16(fields.length), ...fields.map(field)]);
const float4 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeFloatBE(v);
  return b;
};
const int8 = (v: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
};
/** numeric_send of digits in base 10000. */
const numeric = (digits: number[], weight: number, sign: number): Buffer =>
  Buffer.concat([int16(digits.length), int16(weight), int16(sign), int16(0), ...digits.map(int16)]);
/** array_send of float4 elements in the given dimensions. */
const float4Array = (dims: number[], values: (number | null)[]): Buffer =>
  Buffer.concat([
    int32(dims.length),
    int32(values.includes(null) ? 1 : 0),
    int32(700),
    ...dims.flatMap((d) => [int32(d), int32(1)]),
    ...values.map((v) => field(v === null ? null : float4(v))),
  ]);

const columns = [
  { name: 'b', type: 'bool' },
  { name: 'i', type: 'int8' },
  { name: 'n', type: 'numeric' },
  { name: 'e', type: 'float4[]' },
  { name: 'c', type: 'text' },
  { name: 'y', type: 'float4' },
];
const specs = columns.map(describeColumn);
const builder = (): RawMatrixBuilder => new RawMatrixBuilder(specs, ['y'], 1 << 20, () => new PgError('53200', 'too large'));

describe('binary training rows', () => {
  it('decodes every training type into the matrix, NULL as NaN, a 2-D array in row-major order', () => {
    const b = builder();
    const sink = binaryRowSink(specs, b);
    sink.row(row([Buffer.from([1]), int8(-5000000000n), numeric([12, 3400], 0, 0), float4Array([2, 2], [1, 2, 3, 4]), Buffer.from('héllo'), float4(0.5)]), 5);
    sink.row(row([Buffer.from([0]), null, numeric([5], -2, 0x4000), float4Array([4], [5, 6, 7, 8]), null, float4(1.5)]), 5);
    sink.row(row([null, int8(7n), numeric([], 0, 0xc000), float4Array([4], [0, 0, 0, 0]), Buffer.from('héllo'), null]), 5);
    const raw = b.finish();
    assert.equal(raw.rows, 3);
    assert.equal(raw.width, 8);
    const rowsOf = [...raw.x].map((v) => (Number.isNaN(v) ? 'NaN' : v));
    assert.deepEqual(rowsOf.slice(0, 8), [1, -5000000000, Math.fround(12.34), 1, 2, 3, 4, 0]);
    assert.deepEqual(rowsOf.slice(8, 16), [0, 'NaN', Math.fround(-0.00000005), 5, 6, 7, 8, 'NaN']);
    assert.deepEqual(rowsOf.slice(16), ['NaN', 7, 'NaN', 0, 0, 0, 0, 0]);
    assert.deepEqual(raw.features.find((f) => f.spec.name === 'c')?.keys, ['héllo']);
    assert.deepEqual([...raw.y].map((v) => (Number.isNaN(v) ? 'NaN' : v)), [0.5, 1.5, 'NaN']);
  });

  it('refuses arrays of another width, NULL arrays and NULL elements', () => {
    const sink = binaryRowSink(specs, builder());
    const other = (e: Buffer | null): Buffer => row([null, null, null, e, null, null]);
    sink.row(other(float4Array([2], [1, 2])), 5);
    assert.throws(() => sink.row(other(float4Array([3], [1, 2, 3])), 5), { code: '22023', message: /expected 2, received 3/ });
    assert.throws(() => sink.row(other(null), 5), { code: '22004', message: /NULL array/ });
    assert.throws(() => sink.row(other(float4Array([2], [1, null])), 5), { code: '22004', message: /NULL element/ });
  });

  it('stops at the memory limit with the caller\'s error', () => {
    const small = new RawMatrixBuilder([specs[1]!], [], 16, (bytes) => new PgError('53200', `needs ${bytes}`));
    const sink = binaryRowSink([specs[1]!], small);
    for (let i = 0; i < 4; i++) sink.row(row([int8(BigInt(i))]), 5);
    assert.throws(() => sink.row(row([int8(9n)]), 5), { code: '53200', message: /needs 20/ });
  });
});
