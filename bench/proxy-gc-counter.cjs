// Preloaded into the proxy by bench/predict-allocations.ts (`node --require`): at each SIGUSR2 it
// appends one JSON line to PGML_BENCH_GC_COUNTS with counts since the start: scavenges, full
// (mark-compact) collections, bytes allocated (the used heap before each collection less the one after the
// previous, from v8.GCProfiler, plus what is used now) and CPU µs (process.cpuUsage). Counts, not
// timings: they hold on a loaded machine.
const v8 = require('node:v8');
const fs = require('node:fs');

const out = process.env.PGML_BENCH_GC_COUNTS;
if (!out) throw new Error('proxy-gc-counter.cjs: PGML_BENCH_GC_COUNTS names the file to write');
let profiler = new v8.GCProfiler();
profiler.start();
let scavenges = 0;
let markCompacts = 0;
let allocated = 0;
let usedAfterLast = v8.getHeapStatistics().used_heap_size;
process.on('SIGUSR2', () => {
  for (const gc of profiler.stop().statistics) {
    if (gc.gcType === 'Scavenge' || gc.gcType === 'MinorMarkCompact') scavenges++;
    else if (gc.gcType === 'MarkSweepCompact') markCompacts++;
    allocated += gc.beforeGC.heapStatistics.usedHeapSize - usedAfterLast;
    usedAfterLast = gc.afterGC.heapStatistics.usedHeapSize;
  }
  profiler = new v8.GCProfiler();
  profiler.start();
  const cpu = process.cpuUsage();
  const used = v8.getHeapStatistics().used_heap_size;
  fs.appendFileSync(out, `${JSON.stringify({ scavenges, markCompacts, allocated: allocated + used - usedAfterLast, cpuUs: cpu.user + cpu.system })}\n`);
});
