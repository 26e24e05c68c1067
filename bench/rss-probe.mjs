// What is resident when, inside a proxy (issue 15): a preload for bench/train-rss.ts and train-wall.ts,
//   PGML_PROXY_NODE_ARGS="--import <this file>" BENCH_PROBE_DIR=/tmp/probe BENCH_NOTICE_LOG=/tmp/notices.log
// The main thread appends to <dir>/<pid>-0.log every 10 ms one JSON array: [epoch ms, VmRSS, RssAnon,
// malloc arena (bytes glibc took from the system outside mmapped chunks, every arena), mmapped chunks
// (MB, count), in use, free (mallinfo2), main V8 heap total, used, arrayBuffers, external], MB; each
// engine thread to <dir>/<pid>-<threadId>.log every 100 ms while it is not inside a native call:
// [epoch ms, V8 heap total, used, arrayBuffers]. train-rss.ts writes the notices with the same clock.
import { isMainThread, threadId } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { readFileSync, appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const file = `${process.env.BENCH_PROBE_DIR ?? '/tmp'}/${process.pid}-${threadId}.log`;
let lines = [];
const flush = () => { if (lines.length) { appendFileSync(file, lines.join('\n') + '\n'); lines = []; } };
if (isMainThread) {
  const koffi = require('koffi');
  const libc = koffi.load('libc.so.6');
  koffi.struct('mallinfo2_s', { arena: 'size_t', ordblks: 'size_t', smblks: 'size_t', hblks: 'size_t', hblkhd: 'size_t', usmblks: 'size_t', fsmblks: 'size_t', uordblks: 'size_t', fordblks: 'size_t', keepcost: 'size_t' });
  const mallinfo2 = libc.func('mallinfo2_s mallinfo2()');
  const MB = 1048576;
  const kb = (text, f) => Number(new RegExp(`${f}:\\s+(\\d+) kB`).exec(text)?.[1]) / 1024;
  const tick = () => {
    const s = readFileSync('/proc/self/status', 'utf8');
    const m = mallinfo2();
    const h = getHeapStatistics();
    const mu = process.memoryUsage();
    lines.push(JSON.stringify([Date.now(), +kb(s, 'VmRSS').toFixed(1), +kb(s, 'RssAnon').toFixed(1), +(Number(m.arena) / MB).toFixed(1), +(Number(m.hblkhd) / MB).toFixed(1), Number(m.hblks), +(Number(m.uordblks) / MB).toFixed(1), +(Number(m.fordblks) / MB).toFixed(1), +(h.total_heap_size / MB).toFixed(1), +(h.used_heap_size / MB).toFixed(1), +(mu.arrayBuffers / MB).toFixed(1), +(h.external_memory / MB).toFixed(1)]));
  };
  setInterval(tick, 10).unref();
  setInterval(flush, 1000).unref();
} else {
  const tick = () => {
    const h = getHeapStatistics();
    const mu = process.memoryUsage();
    lines.push(JSON.stringify([Date.now(), +(h.total_heap_size / 1048576).toFixed(1), +(h.used_heap_size / 1048576).toFixed(1), +(mu.arrayBuffers / 1048576).toFixed(1)]));
    flush();
  };
  setInterval(tick, 100).unref();
}
