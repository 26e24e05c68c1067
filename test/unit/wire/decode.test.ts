import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeBind,
  decodeDataRow,
  decodeErrorResponse,
  decodeParse,
  decodeQuery,
  decodeReadyForQuery,
  decodeRowDescription,
  decodeStartupPacket,
  decodeTarget,
  parsesUnnamedStatement,
} from '../../../src/wire/decode.js';
import { ProtocolError } from '../../../src/errors/index.js';
import { BufferList } from '../../support/raw-wire.js';

test('Query', () => {
  assert.equal(decodeQuery(new BufferList().cstring('select pgml.version() -- é').join('Q')), 'select pgml.version() -- é');
});

test('Parse with parameter types', () => {
  const m = new BufferList().cstring('s1').cstring('select $1, $2').int16(2).int32(25).int32(0).join('P');
  assert.deepEqual(decodeParse(m), { name: 's1', sql: 'select $1, $2', paramTypes: [25, 0] });
  assert.equal(parsesUnnamedStatement(m), false);
  assert.equal(parsesUnnamedStatement(new BufferList().cstring('').cstring('select $1').int16(0).join('P')), true);
});

test('Bind with formats, a NULL and results formats', () => {
  const m = new BufferList()
    .cstring('portal')
    .cstring('stmt')
    .int16(1)
    .int16(1)
    .int16(2)
    .int32(4)
    .int32(42)
    .int32(-1)
    .int16(1)
    .int16(0)
    .join('B');
  const b = decodeBind(m);
  assert.equal(b.portal, 'portal');
  assert.equal(b.statement, 'stmt');
  assert.deepEqual(b.paramFormats, [1]);
  assert.equal(b.params[0]!.readInt32BE(0), 42);
  assert.equal(b.params[1], null);
  assert.deepEqual(b.resultFormats, [0]);
});

test('Describe/Close target and a bad target kind', () => {
  assert.deepEqual(decodeTarget(new BufferList().byte('S').cstring('q').join('D')), { kind: 'S', name: 'q' });
  assert.throws(() => decodeTarget(new BufferList().byte('X').cstring('q').join('D')), ProtocolError);
});

test('a truncated Bind is a protocol error, not a crash', () => {
  const m = new BufferList().cstring('').cstring('').int16(0).int16(1).int32(100).join('B');
  assert.throws(() => decodeBind(m), ProtocolError);
});

test('ErrorResponse fields', () => {
  const m = new BufferList()
    .byte('S')
    .cstring('ERROR')
    .byte('V')
    .cstring('ERROR')
    .byte('C')
    .cstring('42601')
    .byte('M')
    .cstring('syntax error at or near "selec"')
    .byte('P')
    .cstring('1')
    .byte('H')
    .cstring('a hint')
    .byte(0)
    .join('E');
  const e = decodeErrorResponse(m);
  assert.equal(e.code, '42601');
  assert.equal(e.message, 'syntax error at or near "selec"');
  assert.equal(e.position, 1);
  assert.equal(e.hint, 'a hint');
  assert.equal(e.severity, 'ERROR');
});

test('RowDescription and DataRow', () => {
  const rd = new BufferList().int16(1).cstring('v').int32(0).int16(0).int32(25).int16(-1).int32(-1).int16(0).join('T');
  assert.deepEqual(decodeRowDescription(rd), [
    { name: 'v', tableOid: 0, columnNumber: 0, typeOid: 25, typeSize: -1, typeModifier: -1, format: 0 },
  ]);
  const dr = new BufferList().int16(2).int32(2).raw(Buffer.from('hi')).int32(-1).join('D');
  const values = decodeDataRow(dr);
  assert.equal(values[0]!.toString(), 'hi');
  assert.equal(values[1], null);
});

test('ReadyForQuery status', () => {
  assert.equal(decodeReadyForQuery(new BufferList().byte('T').join('Z')), 'T');
  assert.throws(() => decodeReadyForQuery(new BufferList().byte('x').join('Z')), ProtocolError);
});

test('startup packets: protocol 3, SSLRequest, CancelRequest, unsupported version', () => {
  const body = new BufferList().int32(196608).cstring('user').cstring('alice').cstring('database').cstring('db').byte(0).body();
  const packet = Buffer.concat([Buffer.from([0, 0, 0, 0]), body]);
  packet.writeInt32BE(packet.length);
  assert.deepEqual(decodeStartupPacket(packet), { kind: 'startup', protocol: 196608, parameters: { user: 'alice', database: 'db' } });
  const ssl = new BufferList().int32(8).int32(80877103).body();
  assert.deepEqual(decodeStartupPacket(ssl), { kind: 'ssl' });
  const cancel = new BufferList().int32(16).int32(80877102).int32(123).int32(456).body();
  assert.deepEqual(decodeStartupPacket(cancel), { kind: 'cancel', processId: 123, secretKey: 456 });
  const v2 = new BufferList().int32(8).int32(131072).body();
  assert.throws(() => decodeStartupPacket(v2), ProtocolError);
});

test('type OIDs of 2^31 and more are read unsigned', () => {
  const big = 2 ** 31 + 5;
  assert.deepEqual(decodeParse(new BufferList().cstring('').cstring('select $1').int16(1).uint32(big).join('P')).paramTypes, [big]);
  const rd = new BufferList().int16(1).cstring('f').uint32(big).int16(1).uint32(big + 1).int16(-1).int32(-1).int16(0).join('T');
  const [field] = decodeRowDescription(rd);
  assert.equal(field!.tableOid, big);
  assert.equal(field!.typeOid, big + 1);
});
