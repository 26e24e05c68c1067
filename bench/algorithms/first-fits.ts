// First fits after the JIT warm-up, in-process, in a given order: what a user's first fit of each cell costs
// in an engine thread that has been idle long enough to warm up (warm-up.ts), without the proxy around it.
// `node --import tsx bench/algorithms/first-fits.ts algorithm:dataset ...` (classification on breast_cancer,
// digits, iris, wine; regression on diabetes; the training rows as bench/algorithms: the first 75%), one JSON
// line. Run it with the cells in different orders to see whether a cell depends on what ran before it.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { getLocalEngineFactory } from '../../src/pgml/engines/registry.js';
import { engineWarmUpSteps } from '../../src/pgml/engines/warm-up.js';

const SEEDED = new Set(['stochastic_gradient_descent', 'perceptron', 'passive_aggressive']);
const cells = process.argv.slice(2);

function load(name: string) {
  const lines = readFileSync(new URL(`../../datasets/${name}.csv`, import.meta.url), 'utf8').trim().split('\n').slice(1);
  const values = lines.map((line) => line.split(',').map(Number));
  const rows = Math.floor(values.length * 0.75);
  const cols = values[0]!.length - 1;
  const x = new Float32Array(rows * cols);
  const y = new Float32Array(rows);
  values.slice(0, rows).forEach((v, r) => {
    x.set(v.slice(0, cols), r * cols);
    y[r] = v[cols]!;
  });
  return { x, y, rows, cols, numClasses: new Set(values.map((v) => v[cols])).size };
}

const start = performance.now();
for (const step of engineWarmUpSteps()) await step();
const warmUpMs = performance.now() - start;
// The thread idles after its warm-up: TurboFan finishes the compiles the warm-up queued.
await new Promise((resolve) => setTimeout(resolve, 3000));
const fits: Record<string, number> = {};
for (const cell of cells) {
  const [algorithm = '', dataset = ''] = cell.split(':');
  const data = load(dataset);
  const task = dataset === 'diabetes' ? 'regression' : 'classification';
  const engine = getLocalEngineFactory(algorithm).create();
  const begin = performance.now();
  await engine.fit(
    { x: data.x, rows: data.rows, cols: data.cols, y: data.y, yCols: 1 },
    { task, hyperparams: SEEDED.has(algorithm) ? { random_state: 0 } : {}, ...(task === 'classification' ? { numClasses: data.numClasses } : {}) },
  );
  fits[cell] = +(performance.now() - begin).toFixed(2);
}
console.log(JSON.stringify({ bench: 'first-fits', load_average: loadavg().map((v) => +v.toFixed(2)), warm_up_ms: +warmUpMs.toFixed(0), fit_ms: fits }));
