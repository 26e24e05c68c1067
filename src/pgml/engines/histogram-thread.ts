/**
 * Entry point of hist_gradient_boosting's histogram helper (histogram-helper.ts): waits for a request
 * in shared memory, sums its features of the node's histogram, answers, until told to stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { COUNT, DONE, HESSIANS, REQUEST, START, STOP, type HistogramJob } from './histogram-helper.js';
import { sumFeatures } from './histogram-sums.js';

const port = parentPort;
if (!port) throw new Error('engines/histogram-thread.ts must run as a worker thread (see histogram-helper.ts)');
const { inputs, split, cols, histogram, control } = workerData as HistogramJob;
port.postMessage('ready');
for (let sequence = 1; ; sequence++) {
  Atomics.wait(control, REQUEST, sequence - 1);
  if (Atomics.load(control, STOP) === 1) break;
  sumFeatures(histogram, inputs, split, cols, control[START]!, control[COUNT]!, control[HESSIANS] === 1);
  Atomics.store(control, DONE, sequence);
  Atomics.notify(control, DONE);
}
