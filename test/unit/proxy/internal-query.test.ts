// The proxy's own streamed read (SessionQueryRunner.streamBinary) fed as the session feeds it: the
// upstream's bytes through a MessageFramer whose DataRow runs go to the tracker (session.ts,
// onUpstreamData), with replies built by the independent encoder (test/support/raw-wire.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BinaryRowSink } from '../../../src/db/queryable.js';
import { SessionQueryRunner } from '../../../src/proxy/internal-query.js';
import { ResponseTracker } from '../../../src/proxy/tracker.js';
import { MessageFramer, type MessageRuns } from '../../../src/wire/framer.js';
import { BufferList } from '../../support/raw-wire.js';

const dataRow = (n: number): Buffer => new BufferList().int16(1).int32(4).int32(n).join('D');
const before = Buffer.concat(['3', '3', '1', '2'].map((type) => new BufferList().join(type)).concat(new BufferList().int16(0).join('T')));
const readyForQuery = new BufferList().byte('I').join('Z');
const closeComplete = new BufferList().join('3');
const commandComplete = (rows: number) => new BufferList().cstring(`SELECT ${rows}`).join('C');
const errorResponse = new BufferList().byte('S').cstring('ERROR').byte('V').cstring('ERROR').byte('C').cstring('22012').byte('M').cstring('division by zero').byte(0).join('E');

/** The values a sink saw, and how: `runs` calls of rowRun, `single` calls of row. */
function recordingSink(options: { runs: boolean; failAt?: number }) {
  const values: number[] = [];
  const calls = { runs: 0, single: 0 };
  const take = (data: Buffer, body: number) => {
    const value = data.readInt32BE(body + 6);
    if (value === options.failAt) throw new Error(`row ${value} is bad`);
    values.push(value);
  };
  const sink: BinaryRowSink = {
    row: (data, start) => {
      calls.single++;
      take(data, start);
    },
  };
  if (options.runs) {
    sink.rowRun = (data, start, end) => {
      calls.runs++;
      for (let at = start; at < end; at += 1 + data.readInt32BE(at + 1)) take(data, at + 5);
    };
  }
  return { sink, values, calls };
}

/** Runs streamBinary against `reply`, delivered in the given socket reads. */
async function stream(sink: BinaryRowSink, reply: Buffer, cuts: number[]): Promise<number> {
  const tracker = new ResponseTracker();
  const runner = new SessionQueryRunner({ tracker, send: () => {}, pipelineOpen: () => false, pauseUpstream: () => {}, resumeUpstream: () => {} });
  const result = runner.streamBinary('SELECT n FROM t', [], sink);
  await Promise.resolve();
  const framer = new MessageFramer();
  const forwarded: Buffer[] = [];
  const runs: MessageRuns = { code: 0x44, wanted: () => tracker.takesRowRuns, run: (chunk, start, end) => tracker.routeRowRun(chunk, start, end) };
  let at = 0;
  for (const cut of [...cuts, reply.length]) {
    framer.push(reply.subarray(at, cut), (code, message) => {
      const forward = tracker.route(code, message);
      if (forward !== null) forwarded.push(forward);
    }, runs);
    at = cut;
  }
  assert.deepEqual(forwarded, [], 'nothing of the proxy\'s own read reaches the client');
  return result;
}

describe('a streamed read of binary rows', () => {
  const rows = Array.from({ length: 50 }, (_, n) => dataRow(n));
  const reply = Buffer.concat([before, ...rows, commandComplete(50), closeComplete, readyForQuery]);
  const rowStart = before.length;
  const rowLength = rows[0]!.length;

  it('hands a sink that takes runs each socket read\'s rows in one call, and a row cut between two reads alone', async () => {
    const { sink, values, calls } = recordingSink({ runs: true });
    const cut = rowStart + 20 * rowLength + 7;
    assert.equal(await stream(sink, reply, [cut]), 50);
    assert.deepEqual(values, Array.from({ length: 50 }, (_, n) => n));
    assert.deepEqual(calls, { runs: 2, single: 1 }, 'rows 0-19, row 20 alone, rows 21-49');
  });

  it('gives every row once, in order, wherever the reads are cut', async () => {
    for (let cut = 1; cut < reply.length; cut += 3) {
      const { sink, values } = recordingSink({ runs: true });
      assert.equal(await stream(sink, reply, [cut, Math.min(reply.length, cut + 61)]), 50, `cut at ${cut}`);
      assert.deepEqual(values, Array.from({ length: 50 }, (_, n) => n), `cut at ${cut}`);
    }
  });

  it('hands a sink without runs every row alone, as before', async () => {
    const { sink, values, calls } = recordingSink({ runs: false });
    assert.equal(await stream(sink, reply, [rowStart + 5 * rowLength + 2]), 50);
    assert.deepEqual(values, Array.from({ length: 50 }, (_, n) => n));
    assert.deepEqual(calls, { runs: 0, single: 50 });
  });

  it('raises the ErrorResponse that follows rows, after the rows before it reached the sink', async () => {
    const failed = Buffer.concat([before, ...rows.slice(0, 30), errorResponse, readyForQuery]);
    const { sink, values } = recordingSink({ runs: true });
    await assert.rejects(stream(sink, failed, []), { code: '22012', message: 'division by zero' });
    assert.equal(values.length, 30);
  });

  it('raises a sink\'s error once the answer is read, and gives that sink no rows after it', async () => {
    for (const runs of [true, false]) {
      const { sink, values } = recordingSink({ runs, failAt: 12 });
      await assert.rejects(stream(sink, reply, [rowStart + 30 * rowLength]), { message: 'row 12 is bad' });
      assert.deepEqual(values, Array.from({ length: 12 }, (_, n) => n), runs ? 'with runs' : 'row by row');
    }
  });
});
