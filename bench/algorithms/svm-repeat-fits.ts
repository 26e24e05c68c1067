// svm's and nu_svm's rbf fits one after another on one thread, each after memory was given back and left idle,
// as between two trainings of a bench run: whether a fit's kernel matrix is written into pages the VM's host had
// taken back (free page reporting: ~2.5 ms of the thread's CPU per MB to write again; BENCHMARKS.md, svm10, svm12).
// A fresh process runs the warm-up steps of svm and nu_svm (warm-up.ts's before()), an svm breast_cancer and iris
// fit, then for each ALGORITHM:DATASET in SEQ: a PROBE_MB mapping written and unmapped (its thread CPU: how fresh free
// memory is now), IDLE_MS idle, the fit. Per fit: [thread CPU ms, minor faults, NativeRows.of's thread CPU ms, its faults];
// the process's RSS at the end. `node --expose-gc --import tsx bench/algorithms/svm-repeat-fits.ts`, one JSON line;
// BENCH_BASE=<checkout> fits with that checkout's sources.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { threadCpuMs } from './thread-cpu.js';
import { loadTrainingRows, type TrainingRows } from './training-rows.js';

const root = process.env.BENCH_BASE ?? new URL('../..', import.meta.url).pathname;
const { getLocalEngineFactory } = (await import(`${root}/src/pgml/engines/registry.ts`)) as typeof import('../../src/pgml/engines/registry.js');
const { engineWarmUpSteps, idleWarmUp } = (await import(`${root}/src/pgml/engines/warm-up.ts`)) as typeof import('../../src/pgml/engines/warm-up.js');
const { libc } = (await import(`${root}/src/pgml/engines/libc.ts`)) as typeof import('../../src/pgml/engines/libc.js');
const native = (await import(`${root}/src/pgml/engines/libsvm/native.ts`)) as typeof import('../../src/pgml/engines/libsvm/native.js');
const seq = (process.env.SEQ ?? 'svm:digits,svm:digits,nu_svm:digits').split(',');
const probeMb = Number(process.env.PROBE_MB ?? 256);
const idleMs = Number(process.env.IDLE_MS ?? 5000);

/** This thread's minor faults (/proc/thread-self/stat's tenth field). */
function minorFaults(): number {
  return Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ')[7]);
}

// NativeRows.of (the kernel matrix) timed inside each fit.
let matrix = { ms: 0, faults: 0 };
const of = native.NativeRows.of.bind(native.NativeRows);
native.NativeRows.of = (...args: Parameters<typeof of>) => {
  const faults = minorFaults();
  const started = threadCpuMs();
  try {
    return of(...args);
  } finally {
    matrix = { ms: matrix.ms + threadCpuMs() - started, faults: matrix.faults + minorFaults() - faults };
  }
};

const datasets = new Map<string, TrainingRows>();
async function fit(algorithm: string, name: string): Promise<number[]> {
  const data = datasets.get(name) ?? loadTrainingRows(name);
  datasets.set(name, data);
  const task = name === 'diabetes' ? 'regression' : 'classification';
  const engine = getLocalEngineFactory(algorithm).create();
  matrix = { ms: 0, faults: 0 };
  const faults = minorFaults();
  const started = threadCpuMs();
  await engine.fit({ x: data.x, rows: data.rows, cols: data.cols, y: data.y, yCols: 1 }, { task, hyperparams: {}, ...(task === 'classification' ? { numClasses: data.numClasses } : {}) });
  const result = [+(threadCpuMs() - started).toFixed(2), minorFaults() - faults, +matrix.ms.toFixed(2), matrix.faults];
  engine.dispose?.();
  return result;
}

/** Thread CPU of writing one byte per page of a new `mb` MB huge-page mapping, which is then unmapped. */
function probe(mb: number): number {
  const c = libc();
  if (!c) return NaN;
  const length = mb * 2 ** 20;
  const pointer = c.mmap(null, length, 0x3, 0x22, -1, 0);
  const address = c.k.address(pointer) as bigint;
  c.madvise(address, length, 14);
  const bytes = new Uint8Array(c.k.view(pointer, length));
  const started = threadCpuMs();
  for (let at = 0; at < length; at += 4096) bytes[at] = 1;
  const ms = threadCpuMs() - started;
  c.munmap(address, length);
  return +ms.toFixed(1);
}

threadCpuMs();
const warmUp = idleWarmUp(engineWarmUpSteps(), () => true, 2 ** 31 - 1);
await warmUp.before('svm', 'classification');
await warmUp.before('nu_svm', 'classification');
await fit('svm', 'breast_cancer');
await fit('svm', 'iris');
const fits: Record<string, number[]> = {};
const probes: number[] = [];
for (const [i, item] of seq.entries()) {
  const [algorithm = 'svm', name = 'digits'] = item.split(':');
  probes.push(probe(probeMb));
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  fits[`${i + 1} ${item}`] = await fit(algorithm, name);
}
console.log(JSON.stringify({
  bench: 'svm-repeat-fits', build: process.env.BENCH_BASE ? 'base' : 'new', probe_mb: probeMb, idle_ms: idleMs, probe_thread_cpu_ms: probes, fits,
  rss_mb: +((Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096) / 2 ** 20).toFixed(1),
  load_average: loadavg().map((v) => +v.toFixed(1)),
}));
process.exit(0);
