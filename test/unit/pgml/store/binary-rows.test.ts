// The binary decoder of training rows against bytes laid out by hand from Postgres' send formats
// (utils/adt: boolsend, int2/4/8send, float4/8send, numeric_send, textsend, array_send).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closePool, enginePoolSize, poolLoad, poolStats } from '../../../../src/pgml/engines/pool.js';
import { describeColumn } from '../../../../src/pgml/preparation/columns.js';
import { datasetFromMatrix, planDataset } from '../../../../src/pgml/preparation/dataset.js';
import { RawMatrixBuilder, type RawMatrix } from '../../../../src/pgml/preparation/raw-matrix.js';
import { binaryRowSink } from '../../../../src/pgml/store/binary-rows.js';
import { CHUNK_BYTES, MAX_CHUNKS_WAITING, OffThreadRowSink } from '../../../../src/pgml/store/off-thread-rows.js';
import { prepareAndFit } from '../../../../src/pgml/training/prepare.js';
import { toyDatasetJob } from '../training/toy-dataset.js';
import { MessageFramer, type MessageRuns } from '../../../../src/wire/framer.js';
import { PgError } from '../../../../src/errors/index.js';

after(() => closePool());

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

  it('decodes rows of fixed-width scalars only (its own loop) into the places the columns would take, labels anywhere, NULL as NaN', () => {
    // Two labels, one between the features and one first; enough rows to grow past the first MB.
    const fixed = [
      { name: 'z', type: 'float8' },
      { name: 'b', type: 'bool' },
      { name: 's', type: 'int2' },
      { name: 'y', type: 'float4' },
      { name: 'i', type: 'int4' },
      { name: 'l', type: 'int8' },
      { name: 'f', type: 'float4' },
    ].map(describeColumn);
    const b = new RawMatrixBuilder(fixed, ['y', 'z'], 1 << 30, () => new PgError('53200', 'too large'));
    // The column-by-column path would store every value through the builder's number().
    b.number = () => assert.fail('a fixed-width row went value by value');
    const sink = binaryRowSink(fixed, b);
    const n = 60000;
    const expectedX: number[] = [];
    const expectedY: number[] = [];
    for (let r = 0; r < n; r++) {
      const values = [r * 0.25 - 7, r % 2, (r % 300) - 150, r / 3, r * 7919 - 1000000, r * 4000000007 - 9, r / 7];
      const nulls = values.map((_, c) => r % (5 + c) === 3);
      const bytes = [float8(values[0]!), Buffer.from([values[1]!]), int2(values[2]!), float4(values[3]!), int32(values[4]!), int8(BigInt(r) * 4000000007n - 9n), float4(values[6]!)];
      sink.row(row(bytes.map((v, c) => (nulls[c] ? null : v))), 5);
      const got = (c: number): number => (nulls[c] ? Number.NaN : values[c]!);
      expectedX.push(got(1), got(2), got(4), got(5), got(6));
      expectedY.push(Math.fround(got(3)), got(0));
    }
    const raw = b.finish();
    assert.equal(raw.rows, n);
    assert.equal(raw.width, 5);
    assert.deepEqual(Array.from(raw.x), Array.from(Float32Array.from(expectedX)));
    assert.deepEqual(Array.from(raw.y), expectedY);
    assert.deepEqual(raw.features.map((f) => [f.spec.name, f.offset]), [['b', 0], ['s', 1], ['i', 2], ['l', 3], ['f', 4]]);
    assert.deepEqual(raw.labels.map((f) => [f.spec.name, f.offset]), [['y', 0], ['z', 1]]);
    assert.throws(() => sink.row(row([null, null]), 5), { code: '22000', message: /expected 7 columns per row, received 2/ });
  });

  it('stops at the memory limit with the caller\'s error', () => {
    const small = new RawMatrixBuilder([specs[1]!], [], 16, (bytes) => new PgError('53200', `needs ${bytes}`));
    const sink = binaryRowSink([specs[1]!], small);
    for (let i = 0; i < 4; i++) sink.row(row([int8(BigInt(i))]), 5);
    assert.throws(() => sink.row(row([int8(9n)]), 5), { code: '53200', message: /needs 20/ });
  });
});

const int2 = (v: number): Buffer => int16(v);
const float8 = (v: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b;
};
const int4Array = (values: number[]): Buffer =>
  Buffer.concat([int32(1), int32(0), int32(23), int32(values.length), int32(1), ...values.map((v) => field(int32(v)))]);

/** Every type a training column can have, and a float8 label. */
const allTypes = [
  { name: 'b', type: 'boolean' },
  { name: 's', type: 'smallint' },
  { name: 'i', type: 'integer' },
  { name: 'l', type: 'bigint' },
  { name: 'f', type: 'real' },
  { name: 'd', type: 'double precision' },
  { name: 'n', type: 'numeric' },
  { name: 'a', type: 'integer[]' },
  { name: 'e', type: 'real[]' },
  { name: 'c', type: 'text' },
  { name: 'y', type: 'double precision' },
];
const imputed = Object.fromEntries(['b', 's', 'i', 'l', 'f', 'd', 'n'].map((name) => [name, { impute: 'mean' }]));
const preprocess = { ...imputed, c: { encode: 'target', impute: 'mode' } };
const allPlan = planDataset({ task: 'regression', columns: allTypes, yColumnNames: ['y'], preprocess });

/** Row r of a table of every type, with NULLs in each scalar column every few rows. */
function typedRow(r: number): Buffer {
  const nullEvery = (k: number, value: Buffer): Buffer | null => (r % k === 3 ? null : value);
  return row([
    nullEvery(7, Buffer.from([r % 2])),
    nullEvery(11, int2(r % 300 - 150)),
    nullEvery(13, int32(r * 7919 - 1000000)),
    nullEvery(17, int8(BigInt(r) * 4000000007n - 9n)),
    nullEvery(19, float4(r / 7)),
    nullEvery(23, float8(Math.sin(r))),
    nullEvery(29, numeric([r % 10000, 1234], 0, r % 2 === 0 ? 0 : 0x4000)),
    int4Array([r, -r, r % 5]),
    float4Array([2, 2], [r, r / 3, -r, 0.25]),
    nullEvery(5, Buffer.from(['alpha', 'béta', 'gamma', 'δ'][r % 4]!)),
    float8(r * 0.5 - 3),
  ]);
}

/** The matrix as the main thread's decoder builds it, row by row (the path before the chunks). */
function decodedHere(rows: Buffer[]): RawMatrix {
  const b = new RawMatrixBuilder(allPlan.specs, ['y'], 1 << 30, () => new PgError('53200', 'too large'));
  const sink = binaryRowSink(allPlan.specs, b);
  for (const r of rows) sink.row(r, 5);
  return b.finish();
}

function offThread(): OffThreadRowSink {
  return new OffThreadRowSink({ specs: allPlan.specs, labelNames: ['y'], relation: { schema: 'public', name: 't' }, maxBytes: 1 << 30 });
}

/** Counts rows begun by the main thread's builders; a worker's builder is another module instance. */
function countMainThreadRows(): { count: number; restore(): void } {
  const counter = { count: 0, restore: () => (RawMatrixBuilder.prototype.beginRow = original) };
  const original = RawMatrixBuilder.prototype.beginRow;
  RawMatrixBuilder.prototype.beginRow = function (this: RawMatrixBuilder) {
    counter.count++;
    original.call(this);
  };
  return counter;
}

function assertSameMatrix(actual: RawMatrix, expected: RawMatrix): void {
  assert.equal(actual.rows, expected.rows);
  assert.equal(actual.width, expected.width);
  assert.ok(Buffer.from(actual.x.buffer, actual.x.byteOffset, actual.x.byteLength).equals(Buffer.from(expected.x.buffer, expected.x.byteOffset, expected.x.byteLength)));
  assert.ok(Buffer.from(actual.y.buffer, actual.y.byteOffset, actual.y.byteLength).equals(Buffer.from(expected.y.buffer, expected.y.byteOffset, expected.y.byteLength)));
  assert.deepEqual(actual.features, expected.features);
  assert.deepEqual(actual.labels, expected.labels);
}

describe('binary training rows decoded off the event loop', () => {
  const rows = Array.from({ length: 20000 }, (_, r) => typedRow(r));

  it('decodes a relation larger than a chunk on an engine thread into the same matrix, labels and snapshot', async () => {
    assert.ok(rows.reduce((n, r) => n + r.length, 0) > 4 * CHUNK_BYTES, 'several chunks');
    const expected = decodedHere(rows);
    const callsBefore = poolStats().workerCalls;
    const counter = countMainThreadRows();
    let raw: RawMatrix;
    try {
      const sink = offThread();
      for (const r of rows) sink.row(r, 5);
      raw = await sink.finish();
    } finally {
      counter.restore();
    }
    assert.equal(counter.count, 0, 'no row decoded on the main thread');
    assert.equal(poolStats().workerCalls, callsBefore + 1, 'one decoding job');
    assertSameMatrix(raw, expected);
    const options = { testSize: 0.25, testSampling: 'last' as const };
    const a = datasetFromMatrix(allPlan, raw, options);
    const b = datasetFromMatrix(allPlan, expected, options);
    assert.deepEqual(a.snapshotColumns, b.snapshotColumns);
    assert.deepEqual(a.xTrain, b.xTrain);
    assert.deepEqual(a.yTrain, b.yTrain);
  });

  it('decodes a relation of less than a chunk on the event loop at the end, into the same matrix', async () => {
    const few = rows.slice(0, 100);
    const counter = countMainThreadRows();
    const callsBefore = poolStats().workerCalls;
    const sink = offThread();
    for (const r of few) sink.row(r, 5);
    const raw = await sink.finish();
    counter.restore();
    assert.equal(counter.count, few.length, 'decoded here');
    assert.equal(poolStats().workerCalls, callsBefore, 'no worker round trip');
    assertSameMatrix(raw, decodedHere(few));
  });

  it('fails with the decoder\'s error and SQLSTATE for a bad row after the first chunks', async () => {
    const bad = [...rows];
    bad[15000] = row([null, null, null, null, null, null, null, null, null, null, null]);
    const sink = offThread();
    for (const r of bad) sink.row(r, 5);
    await assert.rejects(sink.finish(), { code: '22004', message: 'column "a" has a NULL array', column: 'a' });
    bad[15000] = row([null, null, null, null, null, null, null, int4Array([1, 2]), float4Array([4], [1, 2, 3, 4]), null, null]);
    const widths = offThread();
    for (const r of bad) widths.row(r, 5);
    await assert.rejects(widths.finish(), { code: '22023', message: /mismatched array length for feature "a": expected 3, received 2/ });
  });

  it('stops at the memory limit on the engine thread with the relation\'s 53200', async () => {
    const sink = new OffThreadRowSink({ specs: allPlan.specs, labelNames: ['y'], relation: { schema: 'public', name: 't' }, maxBytes: 1 << 20 });
    for (const r of rows) sink.row(r, 5);
    await assert.rejects(sink.finish(), { code: '53200', message: /relation "public.t" is too large to train on: its rows so far need about 1\.\d MB/ });
  });

  it('an abandoned read (the upstream failed mid-read) frees the engine thread and raises nothing', async () => {
    const sink = offThread();
    for (const r of rows.slice(0, 10000)) sink.row(r, 5);
    sink.abandon();
    const next = offThread();
    for (const r of rows) next.row(r, 5);
    assertSameMatrix(await next.finish(), decodedHere(rows));
  });
});

/** Rows grouped as a socket delivers them: reads of at most 64 KB (a row is never split here). */
function socketReads(rows: Buffer[]): Buffer[][] {
  const reads: Buffer[][] = [[]];
  let bytes = 0;
  for (const r of rows) {
    if (bytes + r.length > 64 * 1024) {
      reads.push([]);
      bytes = 0;
    }
    reads.at(-1)!.push(r);
    bytes += r.length;
  }
  return reads;
}

describe('binary training rows while every engine thread is busy', () => {
  const rows = Array.from({ length: 20000 }, (_, r) => typedRow(r));

  it('pauses the upstream at its bound of waiting chunks, resumes as they are decoded, and builds the same matrix', async () => {
    assert.ok(rows.reduce((n, r) => n + r.length, 0) > 3 * MAX_CHUNKS_WAITING * CHUNK_BYTES, 'more than the bound, several times');
    const busy = new AbortController();
    const fits = Array.from({ length: enginePoolSize() }, () =>
      prepareAndFit(
        { dataset: toyDatasetJob('regression', 0.1), algorithm: 'xgboost', task: 'regression', hyperparams: { n_estimators: 100000 } },
        { dataset: () => undefined, progress: () => undefined },
        busy.signal,
      ).catch(() => undefined),
    );
    let paused = false;
    let pauses = 0;
    let resumed = (): void => undefined;
    const sink = offThread();
    sink.flow({
      pause: () => {
        assert.equal(paused, false, 'paused once at a time');
        paused = true;
        pauses++;
      },
      resume: () => {
        paused = false;
        resumed();
      },
    });
    let queuedWhenPaused: number | undefined;
    const reads = socketReads(rows);
    for (const read of reads) {
      if (paused) {
        // Paused after each chunk until the next turn of the event loop, and at the bound until the
        // decoder catches up: here only once the busy threads are freed.
        if (!busy.signal.aborted && sink.peakWaiting >= MAX_CHUNKS_WAITING) {
          queuedWhenPaused = poolLoad().queued;
          busy.abort(new PgError('57014', 'canceling statement due to user request'));
        }
        await new Promise<void>((resolve) => (resumed = resolve));
      }
      for (const r of read) sink.row(r, 5);
      // What arrives after the pause is the rest of one socket read: at most two chunks more.
      assert.ok(sink.peakWaiting <= MAX_CHUNKS_WAITING + 2, `${sink.peakWaiting} chunks waiting`);
    }
    const raw = await sink.finish();
    await Promise.all(fits);
    assert.ok(pauses > reads.length / 4, `paused ${pauses} times in ${reads.length} socket reads: once a chunk`);
    assert.ok(busy.signal.aborted, 'the bound was reached while every engine thread was busy');
    assert.ok(queuedWhenPaused! >= 1, 'the decoding job waited for a busy pool');
    assert.equal(paused, false, 'nothing left paused');
    assertSameMatrix(raw, decodedHere(rows));
  });

  it('resumes a paused upstream when the decoder fails or the read is abandoned', async () => {
    for (const end of ['fails', 'abandoned'] as const) {
      const bad = [...rows];
      if (end === 'fails') bad[100] = row([null, null, null, null, null, null, null, null, null, null, null]);
      let paused = false;
      let resumed = (): void => undefined;
      const sink = offThread();
      sink.flow({
        pause: () => (paused = true),
        resume: () => {
          paused = false;
          resumed();
        },
      });
      // Sent at once, faster than any decoder: the bound is reached before the first chunk is decoded.
      for (const r of bad) sink.row(r, 5);
      assert.equal(paused, true);
      if (end === 'fails') {
        // The job fails on its first chunk: the upstream flows again before the read ends.
        await new Promise<void>((resolve) => (resumed = resolve));
        await assert.rejects(sink.finish(), { code: '22004' });
      } else {
        sink.abandon();
        assert.equal(paused, false);
      }
    }
  });
});

describe('binary training rows paced while other sessions are active', () => {
  // About 7 chunks: fewer than MAX_CHUNKS_WAITING, so only the pacer holds the upstream past a turn.
  const rows = Array.from({ length: 3000 }, (_, r) => typedRow(r));
  const total = rows.reduce((n, r) => n + r.length, 0);
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  /** Reads `rows` as a socket would, a turn between reads; while paused past a turn, moves the clocks 1 ms at a time. */
  async function read(sink: OffThreadRowSink, clock: { now: number }, tick: (ms: number) => void): Promise<{ raw: RawMatrix; waitedMs: number }> {
    let paused = false;
    sink.flow({ pause: () => (paused = true), resume: () => (paused = false) });
    let waitedMs = 0;
    for (const socketRead of socketReads(rows)) {
      await turn();
      while (paused) {
        clock.now += 1;
        tick(1);
        waitedMs += 1;
      }
      for (const r of socketRead) sink.row(r, 5);
    }
    const raw = await sink.finish();
    assert.equal(paused, false, 'nothing left paused');
    return { raw, waitedMs };
  }

  const job = { specs: allPlan.specs, labelNames: ['y'], relation: { schema: 'public', name: 't' }, maxBytes: 1 << 30 };
  const bytesPerSecond = 1024 * 1024;

  it('holds the upstream between chunks for as long as the budget says, and builds the same matrix', async (t) => {
    assert.ok(total > 5 * CHUNK_BYTES && total < (MAX_CHUNKS_WAITING - 2) * CHUNK_BYTES, `${total} bytes`);
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const clock = { now: 0 };
    const sink = new OffThreadRowSink(job, { bytesPerSecond, othersActive: () => true, now: () => clock.now });
    const { raw, waitedMs } = await read(sink, clock, (ms) => t.mock.timers.tick(ms));
    // Every chunk is paid for by a wait but the burst (the first), the one whose wait the end of the
    // read cuts short and the last (sent by finish).
    const atLeast = ((total - 3 * CHUNK_BYTES) / bytesPerSecond) * 1000;
    const atMost = (total / bytesPerSecond) * 1000 + 10;
    assert.ok(waitedMs >= atLeast && waitedMs <= atMost, `waited ${waitedMs} ms of the clock, expected ${atLeast.toFixed(0)}–${atMost.toFixed(0)}`);
    assertSameMatrix(raw, decodedHere(rows));
  });

  it('reads at full speed, a chunk a turn, while no other session is active', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const clock = { now: 0 };
    const sink = new OffThreadRowSink(job, { bytesPerSecond, othersActive: () => false, now: () => clock.now });
    const { raw, waitedMs } = await read(sink, clock, (ms) => t.mock.timers.tick(ms));
    assert.equal(waitedMs, 0);
    assertSameMatrix(raw, decodedHere(rows));
  });
});

/** A row as the upstream frames it: type byte D and its true length (typedRow leaves XXXXX there). */
function framed(r: Buffer): Buffer {
  const message = Buffer.from(r);
  message[0] = 0x44;
  message.writeInt32BE(message.length - 1, 1);
  return message;
}

/** `stream` cut into reads of `size` bytes, through the session's framer: runs of rows to rowRun, a cut row to row. */
function feedReads(sink: OffThreadRowSink, stream: Buffer, size: number): { runs: number; single: number } {
  const calls = { runs: 0, single: 0 };
  const framer = new MessageFramer();
  const runs: MessageRuns = {
    code: 0x44,
    wanted: () => true,
    run: (chunk, start, end) => {
      calls.runs++;
      sink.rowRun(chunk, start, end);
    },
  };
  for (let at = 0; at < stream.length; at += size) {
    framer.push(stream.subarray(at, at + size), (_code, message) => {
      calls.single++;
      sink.row(message, 5);
    }, runs);
  }
  return calls;
}

describe('binary training rows taken in runs of DataRows from the socket reads', () => {
  const rows = Array.from({ length: 20000 }, (_, r) => typedRow(r));
  // A row larger than a chunk, among the others: a chunk of its own size.
  rows[7000] = row([null, null, null, null, null, null, null, int4Array([1, 2, 3]), float4Array([2, 2], [1, 2, 3, 4]), Buffer.from('long '.repeat(20000)), float8(1)]);
  const stream = Buffer.concat(rows.map(framed));

  for (const size of [64 * 1024, 1000, 200_003]) {
    it(`decodes reads of ${size} bytes cut anywhere into the same matrix as row by row, on an engine thread`, async () => {
      const counter = countMainThreadRows();
      let raw: RawMatrix;
      let calls: { runs: number; single: number };
      try {
        const sink = offThread();
        calls = feedReads(sink, stream, size);
        raw = await sink.finish();
      } finally {
        counter.restore();
      }
      assert.equal(counter.count, 0, 'no row decoded on the main thread');
      assert.ok(calls.runs > 0 && calls.single < calls.runs + 2, `rows in runs, only cut ones alone: ${JSON.stringify(calls)}`);
      assertSameMatrix(raw, decodedHere(rows));
    });
  }

  it('takes a run of many chunks in one call', async () => {
    const sink = offThread();
    sink.rowRun(stream, 0, stream.length);
    assertSameMatrix(await sink.finish(), decodedHere(rows));
  });

  it('decodes a relation of less than a chunk taken in runs on the event loop at the end', async () => {
    const few = rows.slice(0, 100);
    const sink = offThread();
    feedReads(sink, Buffer.concat(few.map(framed)), 1500);
    assertSameMatrix(await sink.finish(), decodedHere(few));
  });
});
