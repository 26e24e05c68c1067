// What one fit writes to V8's heap: bytes allocated per fit by space, in-process, for this checkout or another's
// sources (BENCH_BASE=/path/to/checkout). A fit's garbage regrows a young generation that V8 shrank while the
// thread idled, on fresh pages (~2.5 ms of CPU a MB on the 2-core VM; BENCHMARKS.md, fresh13 and et15), so the
// bytes are the number to cut. Run with a nursery larger than the fit's allocation, so that no scavenge inside
// the fit hides what it allocated:
// `node --expose-gc --min-semi-space-size=128 --max-semi-space-size=128 --import tsx bench/algorithms/fit-allocation.ts <algorithm> <dataset> [fits]`
// one JSON line; HP='{"random_state":0}' for hyperparameters, TASK=classification for classifiers. The first fit
// (compiles, lazy tables) is reported apart; external is typed arrays' and native memory.
import { loadavg } from 'node:os';
import { getHeapSpaceStatistics } from 'node:v8';
import { loadTrainingRows } from './training-rows.js';

const [algorithm = 'extra_trees', dataset = 'diabetes', fitsArg = '5'] = process.argv.slice(2);
const root = process.env.BENCH_BASE ?? new URL('../..', import.meta.url).pathname;
const { getLocalEngineFactory } = (await import(`${root}/src/pgml/engines/registry.ts`)) as typeof import('../../src/pgml/engines/registry.js');
const task = (process.env.TASK ?? 'regression') as 'regression' | 'classification';
const hyperparams = JSON.parse(process.env.HP ?? '{}') as Record<string, unknown>;
const { x, y, rows, cols, numClasses } = loadTrainingRows(dataset);
const gc = (globalThis as { gc?: (options?: { type: 'minor' | 'major' }) => void }).gc;
if (!gc) throw new Error('run with --expose-gc (see the header)');

const used = (): Record<string, number> => Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
const perFit: { heap_kb: number; by_space_kb: Record<string, number>; external_kb: number; scavenged: boolean }[] = [];
for (let i = 0; i < Number(fitsArg); i++) {
  gc({ type: 'minor' });
  const engine = getLocalEngineFactory(algorithm).create();
  const before = used();
  const externalBefore = process.memoryUsage().external;
  await engine.fit({ x, rows, cols, y, yCols: 1 }, { task, hyperparams, ...(task === 'classification' ? { numClasses } : {}) });
  const after = used();
  const bySpace: Record<string, number> = {};
  for (const space of Object.keys(after)) {
    const kb = Math.round((after[space]! - before[space]!) / 1024);
    if (kb !== 0) bySpace[space.replace('_space', '')] = kb;
  }
  const heap = Object.values(bySpace).reduce((a, b) => a + b, 0);
  // A new space that shrank means a scavenge ran inside the fit and the count is low: raise the semi-space flags.
  perFit.push({ heap_kb: heap, by_space_kb: bySpace, external_kb: Math.round((process.memoryUsage().external - externalBefore) / 1024), scavenged: (bySpace.new ?? 0) < 0 });
}
const later = perFit.slice(1).map((f) => f.heap_kb).sort((a, b) => a - b);
console.log(JSON.stringify({
  bench: 'fit-allocation', build: process.env.BENCH_BASE ? 'base' : 'new', algorithm, dataset, hyperparams,
  first_fit_heap_kb: perFit[0]?.heap_kb, heap_kb_median: later[later.length >> 1], per_fit: perFit, load: loadavg().map((l) => +l.toFixed(1)),
}));
