// The whole engine warm-up's cost on a fresh thread (every step of engineWarmUpSteps, as an idle engine thread
// runs them; quantile's steps left out): the main thread's CPU (thread-cpu.ts) and the step count.
// `node --import tsx bench/algorithms/warm-up-total.ts`, one JSON line; BENCH_BASE=<checkout> for its sources.
import { loadavg } from 'node:os';
import { threadCpuMs } from './thread-cpu.js';

const root = process.env.BENCH_BASE ?? new URL('../..', import.meta.url).pathname;
const { engineWarmUpSteps } = (await import(`${root}/src/pgml/engines/warm-up.ts`)) as typeof import('../../src/pgml/engines/warm-up.js');
const steps = engineWarmUpSteps();
const started = threadCpuMs();
for (const step of steps) await step.run();
console.log(JSON.stringify({
  bench: 'warm-up-total', build: process.env.BENCH_BASE ? 'base' : 'new', steps: steps.length,
  thread_cpu_ms: Math.round(threadCpuMs() - started), load_average: loadavg().map((v) => +v.toFixed(1)),
}));
process.exit(0);
