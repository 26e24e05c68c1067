// The training read's CPU cost per million rows, in CPU time (robust to a loaded machine, where the
// wall-clock p99s swing): n rows of 30 float4 features and a boolean label, as binary DataRows in
// 64 KB socket reads, through the session's framer into the read's sink (OffThreadRowSink) with
// the real engine pool decoding them:
// - main_thread_ms: the event loop's CPU for the whole read (framing, the sink's copies, handing the
//   chunks over), from /proc/self/task/<pid>/stat;
// - decode_ms: the decoding alone (decodeChunk into the raw matrix) on this thread, per chunk.
// - gc_count, gc_ms, gc_max_ms: the main thread's garbage collections during the read (the proxy's
//   young generation, --min-semi-space-size=16, as test/support/proxy.ts starts it).
// Each build (this checkout's dist/, and BENCH_BASELINE_DIST, e.g. main's dist/) runs in a fresh
// process, alternating, BENCH_REPEAT times (3); the best of each is reported.
// Run: npm run build && node --import tsx bench/training-read-cpu.ts   (prints one JSON line)
// Env: BENCH_ROWS (1000000), BENCH_BASELINE_DIST, BENCH_REPEAT.
import { fileURLToPath } from 'node:url';
import { alternateBuilds, type Collections, FEATURES, mainThreadCpuMs, ROW_BYTES, watchCollections, writeRow } from './read-bench-support.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const here = fileURLToPath(new URL('../dist', import.meta.url));

/** gc_*: the main thread's collections during the read: a pause each, which a session waits out. */
interface Measured extends Collections {
  main_thread_ms: number;
  decode_ms: number;
  rows: number;
}

/**
 * The socket reads of `rows` rows: 16 distinct full reads, repeated, and the rest (so that the bench
 * holds little: a quarter of a gigabyte of reads held at once would bring on collections of its own).
 */
function socketReads(rows: number): Buffer[] {
  const perRead = Math.floor(65536 / ROW_BYTES);
  const distinct: Buffer[] = [];
  const reads: Buffer[] = [];
  let s = 7;
  for (let r = 0; r < rows; r += perRead) {
    const n = Math.min(perRead, rows - r);
    if (n === perRead && distinct.length === 16) {
      reads.push(distinct[reads.length % 16]!);
      continue;
    }
    const read = Buffer.alloc(n * ROW_BYTES);
    for (let i = 0; i < n; i++) s = writeRow(read, i * ROW_BYTES, s);
    if (n === perRead) distinct.push(read);
    reads.push(read);
  }
  return reads;
}

/** One build's measurement, in this process (the child). */
async function measure(dist: string): Promise<Measured> {
  const { MessageFramer } = await import(`${dist}/wire/framer.js`);
  const { OffThreadRowSink } = await import(`${dist}/pgml/store/off-thread-rows.js`);
  const { relationDecoder, decodeChunk } = await import(`${dist}/pgml/store/decode-job.js`);
  const { planDataset } = await import(`${dist}/pgml/preparation/dataset.js`);
  const { closePool } = await import(`${dist}/pgml/engines/pool.js`);
  const columns = [...Array.from({ length: FEATURES }, (_, j) => ({ name: `x${j}`, type: 'real' })), { name: 'label', type: 'boolean' }];
  const plan = planDataset({ task: 'classification', columns, yColumnNames: ['label'], preprocess: {} });
  const job = { specs: plan.specs, labelNames: ['label'], relation: { schema: 'public', name: 't' }, maxBytes: 2 ** 32 };
  const reads = socketReads(ROWS);

  // The read as the session does it: one socket read per turn of the event loop.
  const sink = new OffThreadRowSink(job);
  const framer = new MessageFramer();
  // A build whose sink takes runs of DataRows gets them as the session hands them (its framer ignores this otherwise).
  const runs = { code: 0x44, wanted: () => typeof sink.rowRun === 'function', run: (chunk: Buffer, start: number, end: number) => sink.rowRun(chunk, start, end) };
  const stopWatching = watchCollections();
  const before = mainThreadCpuMs();
  for (const read of reads) {
    framer.push(read, (_code: number, message: Buffer) => sink.row(message, 5), runs);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const read = mainThreadCpuMs() - before;
  await new Promise((resolve) => setImmediate(resolve));
  const gcStats = stopWatching();
  const raw = await sink.finish();
  await closePool();

  const { builder, sink: decoder } = relationDecoder(job);
  const start = process.cpuUsage();
  for (const chunk of reads) decodeChunk(chunk, decoder);
  const used = process.cpuUsage(start);
  if (builder.finish().rows !== raw.rows) throw new Error('the two decodes disagree');
  return { main_thread_ms: read, ...gcStats, decode_ms: Math.round((used.user + used.system) / 1000), rows: raw.rows };
}

if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(await measure(process.argv[3]!)));
} else {
  const { runs, load_average } = alternateBuilds<Measured>(fileURLToPath(import.meta.url), here, REPEAT);
  const best = (list: Measured[], key: 'main_thread_ms' | 'decode_ms'): number => Math.min(...list.map((m) => m[key]));
  const summary = Object.fromEntries(
    Object.entries(runs).map(([name, list]) => [name, { main_thread_ms: best(list, 'main_thread_ms'), decode_ms: best(list, 'decode_ms'), runs: list }]),
  );
  process.stdout.write(`${JSON.stringify({ bench: 'training-read-cpu', rows: ROWS, features: FEATURES, ...summary, load_average })}\n`);
}
