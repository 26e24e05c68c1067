// What a first training of an algorithm pays for its JIT warm-up steps (warm-up.ts) on a thread that has run
// none: `node --import tsx bench/algorithms/warm-up-cost.ts <algorithm>`, one JSON line, a fresh process each
// (the steps' code is compiled for the first time, as in a new engine thread). quantile's steps are counted
// as on the pool's first thread, the only one that has them.
import { performance } from 'node:perf_hooks';
import { engineWarmUpSteps, idleWarmUp, linearProgramWarmUpSteps } from '../../src/pgml/engines/warm-up.js';

const algorithm = process.argv[2] ?? 'stochastic_gradient_descent';
// Busy for good and an idle delay no run reaches: only before() runs steps.
const warmUp = idleWarmUp([...engineWarmUpSteps(), ...linearProgramWarmUpSteps()], () => true, 2 ** 31 - 1);
const cpu = process.cpuUsage();
const start = performance.now();
const steps = await warmUp.before(algorithm);
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ bench: 'warm-up-cost', algorithm, steps, cpu_ms: +((used.user + used.system) / 1000).toFixed(1), wall_ms: +(performance.now() - start).toFixed(1) }));
process.exit(0);
