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
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { GCProfiler, getHeapStatistics } from 'node:v8';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const FEATURES = 30;
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const READ_BYTES = 65536;
/** Reads into one buffer, as a socket with `onread` would: what the fresh buffers cost, by difference. */
const REUSE_READS = process.env.BENCH_REUSE_READS === '1';
const ROW_BYTES = 5 + 2 + FEATURES * 8 + 4 + 1;
const here = fileURLToPath(new URL('../dist', import.meta.url));

interface Measured {
  main_thread_ms: number;
  gc_count: number;
  gc_ms: number;
  gc_max_ms: number;
  gc_kinds: string;
  allocated_mb: number;
  rows: number;
}

function mainThreadCpuMs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** 4096 distinct DataRows back to back; the stream of rows repeats them. */
function rowBlock(): Buffer {
  const block = Buffer.alloc(4096 * ROW_BYTES);
  let s = 7;
  for (let i = 0; i < 4096; i++) {
    const o = i * ROW_BYTES;
    block[o] = 0x44;
    block.writeInt32BE(ROW_BYTES - 1, o + 1);
    block.writeInt16BE(FEATURES + 1, o + 5);
    let p = o + 7;
    for (let c = 0; c < FEATURES; c++, p += 8) {
      s = (s * 1103515245 + 12345) % 2147483648;
      block.writeInt32BE(4, p);
      block.writeFloatBE(s / 2147483648 - 0.5, p + 4);
    }
    block.writeInt32BE(1, p);
    block[p + 4] = s & 1;
  }
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

  const pauses: number[] = [];
  const kinds: string[] = [];
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      pauses.push(e.duration);
      kinds.push(`${(e as unknown as { detail: { kind: number } }).detail.kind}:${e.duration.toFixed(1)}`);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
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
  gc.disconnect();
  const rows = await reading;
  const raw = await sink.finish();
  await closePool();
  if (rows !== ROWS || raw.rows !== ROWS) throw new Error(`read ${rows} rows, decoded ${raw.rows}, expected ${ROWS}`);
  return {
    main_thread_ms: read,
    gc_count: pauses.length,
    gc_ms: Math.round(pauses.reduce((a, b) => a + b, 0)),
    gc_max_ms: Number(pauses.reduce((a, b) => Math.max(a, b), 0).toFixed(2)),
    gc_kinds: kinds.join(' '),
    allocated_mb: Number((allocated / 2 ** 20).toFixed(1)),
    rows: raw.rows,
  };
}

if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(await measure(process.argv[3]!)));
} else {
  const builds = { current: here, ...(process.env.BENCH_BASELINE_DIST ? { baseline: process.env.BENCH_BASELINE_DIST } : {}) };
  const runs: Record<string, Measured[]> = {};
  const start = loadavg().map((v) => Number(v.toPrecision(2)));
  for (let i = 0; i < REPEAT; i++) {
    for (const [name, dist] of Object.entries(builds)) {
      const out = execFileSync(process.execPath, ['--min-semi-space-size=16', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', dist], { encoding: 'utf8' });
      (runs[name] ??= []).push(JSON.parse(out) as Measured);
    }
  }
  const best = (list: Measured[], key: 'main_thread_ms' | 'gc_count'): number => Math.min(...list.map((m) => m[key]));
  const summary = Object.fromEntries(
    Object.entries(runs).map(([name, list]) => [name, { main_thread_ms: best(list, 'main_thread_ms'), gc_count: best(list, 'gc_count'), runs: list }]),
  );
  const end = loadavg().map((v) => Number(v.toPrecision(2)));
  process.stdout.write(`${JSON.stringify({ bench: 'training-read-path', rows: ROWS, features: FEATURES, ...summary, load_average: { start, end } })}\n`);
}
