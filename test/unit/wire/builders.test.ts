import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backend, dataRowStarts, dataRowValue, frontend } from '../../../src/wire/index.js';
import { PgError } from '../../../src/errors/index.js';
import { BufferList } from '../../support/raw-wire.js';

test('ReadyForQuery, CommandComplete and ParseComplete bytes', () => {
  assert.deepEqual(backend.readyForQuery('E'), new BufferList().byte('E').join('Z'));
  assert.deepEqual(backend.commandComplete('SELECT 1'), new BufferList().cstring('SELECT 1').join('C'));
  assert.deepEqual(backend.parseComplete(), new BufferList().join('1'));
});

test('ErrorResponse carries severity, code, message, hint and position', () => {
  const error = new PgError('22023', 'bad value', { hint: 'try again', position: 8 });
  const expected = new BufferList()
    .byte('S')
    .cstring('ERROR')
    .byte('V')
    .cstring('ERROR')
    .byte('C')
    .cstring('22023')
    .byte('M')
    .cstring('bad value')
    .byte('H')
    .cstring('try again')
    .byte('P')
    .cstring('8')
    .byte(0)
    .join('E');
  assert.deepEqual(backend.errorResponse(error), expected);
});

test('RowDescription and DataRow', () => {
  const rd = backend.rowDescription([{ name: 'x', typeOid: 23, typeSize: 4 }]);
  assert.deepEqual(rd, new BufferList().int16(1).cstring('x').int32(0).int16(0).int32(23).int16(4).int32(-1).int16(0).join('T'));
  const dr = backend.dataRow([Buffer.from('1'), null]);
  assert.deepEqual(dr, new BufferList().int16(2).int32(1).raw(Buffer.from('1')).int32(-1).join('D'));
});

test('withDataRow: the messages before, a DataRow, the messages after, in one buffer of their size', () => {
  const before = [backend.parseComplete(), backend.bindComplete()];
  const after = [backend.commandComplete('SELECT 1'), backend.readyForQuery('I')];
  const cells = [Buffer.from('{1.5,-2}'), null, Buffer.alloc(0), Buffer.from('t')];
  const reply = backend.withDataRow(before, cells, after);
  assert.deepEqual(reply, Buffer.concat([...before, backend.dataRow(cells), ...after]));
  assert.deepEqual(backend.withDataRow([], [], []), backend.dataRow([]));
});

test('frontend Parse, Bind, Execute, Sync', () => {
  assert.deepEqual(frontend.parse('s', 'select $1', [25]), new BufferList().cstring('s').cstring('select $1').int16(1).int32(25).join('P'));
  assert.deepEqual(
    frontend.bind({ portal: '', statement: 's', paramFormats: [0], params: [Buffer.from('a'), null], resultFormats: [] }),
    new BufferList().cstring('').cstring('s').int16(1).int16(0).int16(2).int32(1).raw(Buffer.from('a')).int32(-1).int16(0).join('B'),
  );
  assert.deepEqual(frontend.execute('', 0), new BufferList().cstring('').int32(0).join('E'));
  assert.deepEqual(frontend.sync(), new BufferList().join('S'));
});

test('a message larger than the initial buffer grows correctly', () => {
  const sql = 'x'.repeat(10_000);
  assert.deepEqual(frontend.query(sql), new BufferList().cstring(sql).join('Q'));
});

// Clusters whose OID counter passed 2^31 have such type OIDs; a signed write threw RangeError.
test('type OIDs of 2^31 and more are written unsigned', () => {
  const big = 3_000_000_000;
  assert.deepEqual(frontend.parse('s', 'select $1', [big]), new BufferList().cstring('s').cstring('select $1').int16(1).uint32(big).join('P'));
  assert.deepEqual(backend.parameterDescription([big, 23]), new BufferList().int16(2).uint32(big).int32(23).join('t'));
  const rd = backend.rowDescription([{ name: 'f', tableOid: 2 ** 32 - 1, typeOid: big }]);
  assert.deepEqual(rd, new BufferList().int16(1).cstring('f').uint32(2 ** 32 - 1).int16(0).uint32(big).int16(-1).int32(-1).int16(0).join('T'));
});

test('dataRowsReplacing: rows cut to a width, values replaced in place, one buffer', () => {
  const sent = [
    [Buffer.from('a'), null, Buffer.from('bc'), Buffer.from('{1,2}')],
    [Buffer.from(''), null, null, Buffer.from('{3}')],
  ].map((values) => backend.dataRow(values));
  const rows = sent.map((message) => ({ message, starts: dataRowStarts(message) }));
  assert.deepEqual(dataRowValue(rows[0]!.message, rows[0]!.starts, 3), Buffer.from('{1,2}'));
  assert.equal(dataRowValue(rows[1]!.message, rows[1]!.starts, 2), null);
  const out = backend.dataRowsReplacing(rows, 3, [0, 1], [
    [Buffer.from('xyz'), Buffer.from('1.5')],
    [null, Buffer.from('')],
  ]);
  const want = Buffer.concat([
    new BufferList().int16(3).int32(3).raw(Buffer.from('xyz')).int32(3).raw(Buffer.from('1.5')).int32(2).raw(Buffer.from('bc')).join('D'),
    new BufferList().int16(3).int32(-1).int32(0).int32(-1).join('D'),
  ]);
  assert.deepEqual(out, want);
});
