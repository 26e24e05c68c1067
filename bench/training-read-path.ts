// The training read's cost on the main thread per million rows, along the session's whole path:
// upstream socket reads → the session's framer (MessageFramer) → ResponseTracker → the internal
// query's collector (SessionQueryRunner.streamBinary) → the read's sink (OffThreadRowSink, with
// the real engine pool decoding). bench/training-read-cpu.ts measures framer → sink alone.
// n rows of 30 float4 features and a boolean label, in 64 KB socket reads cut anywhere (a row
// split across two reads, as a socket delivers them), each read in a fresh buffer as libuv gives
// one, one read per turn of the event loop, held back while the sink pauses the upstream.
// - main_thread_ms: the event loop's CPU for the read, from /proc/self/task/<pid>/stat;
// - gc_count, gc_ms, gc_max_ms, gc_kinds: the main thread's collections during the read
//   (kind 1 scavenge, 2 mark-compact, 4 incremental marking, 8 weak callbacks), with
//   --min-semi-space-size=16 as test/support/proxy.ts starts the proxy;
// - allocated_mb: bytes allocated on the main thread's V8 heap during the read: its used size's
//   growth between collections, summed (v8.GCProfiler); buffers' backing stores are not on it.
// Each build (this checkout's dist/, and BENCH_BASELINE_DIST, e.g. /tmp/base31/dist) runs in a
// fresh process, alternating, BENCH_REPEAT times (3). A build whose tracker has no row runs is fed
// the same way: its framer ignores the third argument.
// Run: npm run build && BENCH_BASELINE_DIST=/tmp/base31/dist node --import tsx bench/training-read-path.ts
// Env: BENCH_ROWS (1000000), BENCH_BASELINE_DIST, BENCH_REPEAT, BENCH_REUSE_READS=1 (one read buffer for all); BENCH_PROFILE=<file> writes each
// child's CPU profile of the read alone (the last child's remains) for the DevTools' profiler.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { alternateBuilds, type Collections, FEATURES, mainThreadCpuMs, ROW_BYTES, watchCollections, writeRow } from './read-bench-support.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const READ_BYTES = 65536;
/** Reads into one buffer, as a socket with `onread` would: what the fresh buffers cost, by difference. */
const REUSE_READS = process.env.BENCH_REUSE_READS === '1';
const here = fileURLToPath(new URL('../dist', import.meta.url));

interface Measured extends Collections {
  main_thread_ms: number;
  allocated_mb: number;
  rows: number;
}

/** 4096 distinct DataRows back to back; the stream of rows repeats them. */
function rowBlock(): Buffer {
  const block = Buffer.alloc(4096 * ROW_BYTES);
  let s = 7;
  for (let i = 0; i < 4096; i++) s = writeRow(block, i * ROW_BYTES, s);
  return block;
}

const message = (type: string, body: Buffer = Buffer.alloc(0)): Buffer => {
  const m = Buffer.alloc(5 + body.length);
  m[0] = type.charCodeAt(0);
  m.writeInt32BE(4 + body.length, 1);
  body.copy(m, 5);
  return m;
};

/** One build's measurement, in this process (the child). */
async function measure(dist: string): Promise<Measured> {
  const { MessageFramer } = await import(`${dist}/wire/framer.js`);
  const { ResponseTracker } = await import(`${dist}/proxy/tracker.js`);
  const { SessionQueryRunner } = await import(`${dist}/proxy/internal-query.js`);
  const { OffThreadRowSink } = await import(`${dist}/pgml/store/off-thread-rows.js`);
  const { planDataset } = await import(`${dist}/pgml/preparation/dataset.js`);
  const { closePool } = await import(`${dist}/pgml/engines/pool.js`);
  const columns = [...Array.from({ length: FEATURES }, (_, j) => ({ name: `x${j}`, type: 'real' })), { name: 'label', type: 'boolean' }];
  const plan = planDataset({ task: 'classification', columns, yColumnNames: ['label'], preprocess: {} });
  const job = { specs: plan.specs, labelNames: ['label'], relation: { schema: 'public', name: 't' }, maxBytes: 2 ** 32 };
  const block = rowBlock();

  const tracker = new ResponseTracker();
  let paused = false;
  let resumed: (() => void) | undefined;
  const runner = new SessionQueryRunner({
    tracker,
    send: () => {},
    pipelineOpen: () => false,
    pauseUpstream: () => (paused = true),
    resumeUpstream: () => {
      paused = false;
      resumed?.();
    },
  });
  const sink = new OffThreadRowSink(job);
  const reading = runner.streamBinary('SELECT * FROM t', [], sink);
  await Promise.resolve();

  // The session's upstream path (session.ts onUpstreamData), without its bookkeeping of other messages.
  const framer = new MessageFramer();
  const runs = {
    code: 0x44,
    wanted: () => tracker.takesRowRuns === true,
    run: (chunk: Buffer, start: number, end: number) => tracker.routeRowRun(chunk, start, end),
  };
  const out: Buffer[] = [];
  const onMessage = (code: number, m: Buffer): void => {
    const forward = tracker.route(code, m);
    if (forward !== null) out.push(forward);
  };
  const head = Buffer.concat([message('3'), message('3'), message('1'), message('2'), message('T', Buffer.alloc(2))]);
  const tail = Buffer.concat([message('C', Buffer.from(`SELECT ${ROWS}\0`)), message('3'), message('Z', Buffer.from('I'))]);
  framer.push(head, onMessage, runs);

  const stopWatching = watchCollections();
  const inspector = process.env.BENCH_PROFILE ? new Session() : undefined;
  if (inspector) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  const profiler = new GCProfiler();
  profiler.start();
  const heapBefore = getHeapStatistics().used_heap_size;
  const before = mainThreadCpuMs();
  const total = ROWS * ROW_BYTES;
  const reused = Buffer.allocUnsafeSlow(READ_BYTES);
  for (let at = 0; at < total; at += READ_BYTES) {
    // A fresh buffer per read, as the socket hands them out, filled from the repeating rows.
    const read = REUSE_READS ? reused.subarray(0, Math.min(READ_BYTES, total - at)) : Buffer.allocUnsafeSlow(Math.min(READ_BYTES, total - at));
    for (let filled = 0; filled < read.length; ) {
      const from = (at + filled) % block.length;
      filled += block.copy(read, filled, from, Math.min(block.length, from + read.length - filled));
    }
    framer.push(read, onMessage, runs);
    out.length = 0;
    await new Promise((resolve) => setImmediate(resolve));
    if (paused) await new Promise<void>((resolve) => (resumed = resolve));
  }
  const read = mainThreadCpuMs() - before;
  const heapAfter = getHeapStatistics().used_heap_size;
  const collections = profiler.stop().statistics;
  if (inspector) writeFileSync(process.env.BENCH_PROFILE!, JSON.stringify((await inspector.post('Profiler.stop')).profile));
  let allocated = 0;
  let from = heapBefore;
  for (const c of collections) {
    allocated += c.beforeGC.heapStatistics.usedHeapSize - from;
    from = c.afterGC.heapStatistics.usedHeapSize;
  }
  allocated += heapAfter - from;
  framer.push(tail, onMessage, runs);
  await new Promise((resolve) => setImmediate(resolve));
  const gcStats = stopWatching();
  const rows = await reading;
  const raw = await sink.finish();
  await closePool();
  if (rows !== ROWS || raw.rows !== ROWS) throw new Error(`read ${rows} rows, decoded ${raw.rows}, expected ${ROWS}`);
  return {
    main_thread_ms: read,
    ...gcStats,
    allocated_mb: Number((allocated / 2 ** 20).toFixed(1)),
    rows: raw.rows,
  };
}

if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(await measure(process.argv[3]!)));
} else {
  const { runs, load_average } = alternateBuilds<Measured>(fileURLToPath(import.meta.url), here, REPEAT);
  const best = (list: Measured[], key: 'main_thread_ms' | 'gc_count'): number => Math.min(...list.map((m) => m[key]));
  const summary = Object.fromEntries(
    Object.entries(runs).map(([name, list]) => [name, { main_thread_ms: best(list, 'main_thread_ms'), gc_count: best(list, 'gc_count'), runs: list }]),
  );
  process.stdout.write(`${JSON.stringify({ bench: 'training-read-path', rows: ROWS, features: FEATURES, ...summary, load_average })}\n`);
}
