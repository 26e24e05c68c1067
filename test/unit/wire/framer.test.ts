import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageFramer, type MessageRuns } from '../../../src/wire/framer.js';
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

describe('runs of one message type', () => {
  const dataRow = (n: number): Buffer => new BufferList().int16(1).int32(4).int32(n).join('D');
  const rowsThenError = [
    new BufferList().int16(1).join('T'),
    ...Array.from({ length: 40 }, (_, n) => dataRow(n)),
    new BufferList().byte('S').cstring('ERROR').byte('C').cstring('22012').byte(0).join('E'),
    new BufferList().byte('I').join('Z'),
  ];
  const resultStream = Buffer.concat(rowsThenError);

  /** What the framer hands out, in order: single messages, and runs as the messages they hold. */
  function frameWithRuns(chunks: Buffer[], wanted = true) {
    const framer = new MessageFramer();
    const events: { run: boolean; messages: Buffer[] }[] = [];
    const runs: MessageRuns = {
      code: 0x44,
      wanted: () => wanted,
      run: (chunk, start, end) => {
        const messages: Buffer[] = [];
        for (let at = start; at < end; at += 1 + chunk.readInt32BE(at + 1)) {
          assert.equal(chunk[at], 0x44, 'only DataRows in a run');
          messages.push(Buffer.from(chunk.subarray(at, at + 1 + chunk.readInt32BE(at + 1))));
        }
        events.push({ run: true, messages });
      },
    };
    for (const c of chunks) framer.push(c, (_code, m) => events.push({ run: false, messages: [Buffer.from(m)] }), runs);
    return { events, all: events.flatMap((e) => e.messages), framer };
  }

  test('hands back-to-back whole DataRows out in one call, the other messages one by one, in order', () => {
    const { events, all } = frameWithRuns([resultStream]);
    assert.deepEqual(all, rowsThenError);
    assert.deepEqual(
      events.map((e) => (e.run ? `run of ${e.messages.length}` : String.fromCharCode(e.messages[0]![0]!))),
      ['T', 'run of 40', 'E', 'Z'],
      'the ErrorResponse after the rows ends the run and comes alone',
    );
  });

  test('a DataRow cut by a chunk boundary ends the run before it and comes alone; every message arrives once, in order', () => {
    for (let cut = 1; cut < resultStream.length; cut++) {
      const { events, all, framer } = frameWithRuns([resultStream.subarray(0, cut), resultStream.subarray(cut)]);
      assert.deepEqual(all, rowsThenError, `cut at ${cut}`);
      assert.equal(framer.hasPartial, false);
      for (const e of events.filter((e) => e.run)) assert.ok(e.messages.length >= 1);
      // Cut inside the rows, the row it cuts is the only one not in a run.
      const firstRow = rowsThenError[0]!.length;
      const rowsEnd = firstRow + 40 * rowsThenError[1]!.length;
      if (cut > firstRow && cut < rowsEnd && (cut - firstRow) % rowsThenError[1]!.length !== 0) {
        const singles = events.filter((e) => !e.run && e.messages[0]![0] === 0x44);
        assert.equal(singles.length, 1, `cut at ${cut}: the cut row alone`);
      }
    }
  });

  test('a chunk ending inside a DataRow\'s header or body ends the run there', () => {
    const row = rowsThenError[1]!.length;
    const start = rowsThenError[0]!.length;
    for (const into of [1, 3, 5, row - 1]) {
      const cut = start + 3 * row + into;
      const { events } = frameWithRuns([resultStream.subarray(0, cut)]);
      assert.deepEqual(
        events.map((e) => e.messages.length),
        [1, 3],
        `${into} bytes into the fourth row: the three before it in one run, nothing of the fourth yet`,
      );
    }
  });

  test('with runs unwanted, every DataRow comes alone, as without runs, and the run is declined once', () => {
    const { events } = frameWithRuns([resultStream], false);
    assert.equal(events.filter((e) => e.run).length, 0);
    assert.equal(events.length, rowsThenError.length);
    let asked = 0;
    const runs: MessageRuns = { code: 0x44, wanted: () => (asked++, false), run: () => assert.fail('declined') };
    const rows = Buffer.concat([...rowsThenError.slice(1, 11), new BufferList().join('N'), ...rowsThenError.slice(11, 21)]);
    new MessageFramer().push(rows, () => {}, runs);
    assert.equal(asked, 2, 'once per run of rows (a notice between them starts another)');
  });

  test('a bad header after rows: the rows before it are handed out, then the protocol error', () => {
    const bad = Buffer.concat([...rowsThenError.slice(1, 4), Buffer.from([0x44, 0, 0, 0, 2]), dataRow(9)]);
    const handed: number[] = [];
    const framer = new MessageFramer();
    const runs: MessageRuns = { code: 0x44, wanted: () => true, run: (_chunk, start, end) => handed.push(start, end) };
    assert.throws(() => framer.push(bad, () => assert.fail('nothing alone'), runs), ProtocolError);
    assert.deepEqual(handed, [0, 3 * rowsThenError[1]!.length]);
  });
});
