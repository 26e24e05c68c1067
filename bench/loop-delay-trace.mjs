// Preloaded into a proxy by bench/train-wall.ts (BENCH_LOOP_TRACE=1, through PGML_PROXY_NODE_ARGS="--import ..."):
// the main thread's stalls as a timeline. A 2 ms timer notes each time it fires more than 1 ms late
// (epoch ms of the firing, lateness in ms); every 250 ms the list so far goes to
// $BENCH_LOOP_TRACE_DIR/<pid>.json (asynchronously, small). The bench cuts it into the training's phases.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.BENCH_LOOP_TRACE_DIR;
// Worker threads inherit the flag that preloads this module; only the main thread's loop is traced.
if (dir !== undefined && isMainThread) {
  const INTERVAL_MS = 2;
  const stalls = [];
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const late = now - last - INTERVAL_MS;
    if (late > 1) stalls.push([performance.timeOrigin + now, Number(late.toFixed(2))]);
    last = now;
  }, INTERVAL_MS).unref();
  let written = 0;
  setInterval(() => {
    if (stalls.length === written) return;
    written = stalls.length;
    void writeFile(join(dir, `${process.pid}.json`), JSON.stringify(stalls)).catch(() => undefined);
  }, 250).unref();
}
