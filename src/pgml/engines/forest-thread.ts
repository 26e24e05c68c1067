/**
 * Entry point of a forest's extra tree thread (forest-fit.ts): fits trees from the shared counter and
 * sends each one back packed, its buffers transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fitTreesFromCounter, type ForestJob, type ForestThreadMessage } from './forest-fit.js';
import { packTrees } from './tree.js';

const port = parentPort;
if (!port) throw new Error('engines/forest-thread.ts must run as a worker thread (see forest-fit.ts)');
const job = workerData as ForestJob;
fitTreesFromCounter(job, (t, tree) => {
  const packed = packTrees([tree], job.plan.outputs);
  const message: ForestThreadMessage = { tree: t, packed };
  const buffers = [packed.feature, packed.left, packed.right, packed.threshold, packed.value].map((array) => array.buffer as ArrayBuffer);
  port.postMessage(message, buffers);
});
port.postMessage({ done: true } satisfies ForestThreadMessage);
