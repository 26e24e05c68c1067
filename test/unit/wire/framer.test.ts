import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageFramer } from '../../../src/wire/framer.js';
import { ProtocolError } from '../../../src/errors/index.js';
import { BufferList } from './buffer-list.js';

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
