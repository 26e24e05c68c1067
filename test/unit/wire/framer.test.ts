import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageFramer } from '../../../src/wire/framer.js';
import { ProtocolError } from '../../../src/errors/index.js';
import { BufferList } from '../../support/raw-wire.js';

const messages = [
  new BufferList().cstring('select 1').join('Q'),
  new BufferList().join('S'),
  new BufferList().cstring('').cstring('select $1').int16(1).int32(23).join('P'),
  new BufferList().raw(Buffer.alloc(3000, 7)).join('d'),
];
const stream = Buffer.concat(messages);

function frameAll(chunks: Buffer[]): Buffer[] {
  const framer = new MessageFramer();
  const out: Buffer[] = [];
  for (const c of chunks) framer.push(c, (_code, m) => out.push(Buffer.from(m)));
  return out;
}

test('frames a stream delivered whole', () => {
  assert.deepEqual(frameAll([stream]), messages);
});

test('frames the same messages however the stream is cut', () => {
  for (let cut = 1; cut < stream.length; cut += 7) {
    assert.deepEqual(frameAll([stream.subarray(0, cut), stream.subarray(cut)]), messages, `cut at ${cut}`);
  }
});

test('frames a stream arriving one byte at a time', () => {
  const chunks = [...stream].map((b) => Buffer.from([b]));
  assert.deepEqual(frameAll(chunks), messages);
});

test('hands out views into the chunk when messages are complete', () => {
  const framer = new MessageFramer();
  const views: Buffer[] = [];
  framer.push(stream, (_c, m) => views.push(m));
  assert.equal(views[0]!.buffer, stream.buffer);
  assert.equal(framer.hasPartial, false);
});

test('rejects a length below 4 or above 1 GB with a protocol error', () => {
  const bad = Buffer.from([0x51, 0, 0, 0, 2]);
  assert.throws(() => new MessageFramer().push(bad, () => {}), ProtocolError);
  const huge = Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff]);
  assert.throws(() => new MessageFramer().push(huge, () => {}), (e: unknown) => e instanceof ProtocolError && e.code === '08P01');
});

test('a message cut into many chunks arrives as one buffer of exactly its size', () => {
  const big = new BufferList().cstring('x'.repeat(1 << 20)).join('Q');
  const chunks: Buffer[] = [];
  for (let at = 0; at < big.length; at += 1000) chunks.push(big.subarray(at, at + 1000));
  const out: Buffer[] = [];
  const framer = new MessageFramer();
  for (const c of chunks) framer.push(c, (_code, m) => out.push(m));
  assert.equal(out.length, 1);
  assert.equal(out[0]!.buffer.byteLength, big.length, 'one allocation of the declared size, not a concatenation');
  assert.ok(out[0]!.equals(big));
  assert.equal(framer.hasPartial, false);
});

test('a message with no body cut inside its header is delivered', () => {
  const sync = new BufferList().join('S');
  const out: Buffer[] = [];
  const framer = new MessageFramer();
  framer.push(sync.subarray(0, 2), (_c, m) => out.push(Buffer.from(m)));
  framer.push(sync.subarray(2), (_c, m) => out.push(Buffer.from(m)));
  assert.deepEqual(out, [sync]);
});

test('the header check runs on the header alone, before any body is buffered', () => {
  const seen: [number, number][] = [];
  const framer = new MessageFramer((code, length) => {
    seen.push([code, length]);
    if (length > 100) throw new ProtocolError('invalid message length');
  });
  // Only the header of a message declaring 1 GB, split across two chunks.
  const header = Buffer.from([0x51, 0x3f, 0xff, 0xff, 0xfe]);
  framer.push(header.subarray(0, 3), () => assert.fail('no message'));
  assert.throws(() => framer.push(header.subarray(3), () => assert.fail('no message')), ProtocolError);
  assert.deepEqual(seen, [[0x51, 0x3ffffffe]]);
});
