/**
 * Entry point of hist_gradient_boosting's histogram helper (histogram-helper.ts): waits for a step in
 * shared memory, joins it unless the grower already finished it, claims features until none is left,
 * answers; until told to stop. An error is reported through the shared arrays and the port, at once.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { HelperJob, HelperMessage } from './histogram-helper.js';
import { claimFeatures, DONE, FAILED, JOINED, REQUEST, STOP } from './histogram-step.js';

if (!parentPort) throw new Error('engines/histogram-thread.ts must run as a worker thread (see histogram-helper.ts)');
const { arrays, lastBins, port } = workerData as HelperJob;
const { control } = arrays;
const histograms: Float64Array[] = [];
parentPort.postMessage('ready');
for (let seen = 0; ; ) {
  Atomics.wait(control, REQUEST, seen);
  const sequence = Atomics.load(control, REQUEST);
  seen = sequence;
  if (Atomics.load(control, STOP) === 1) break;
  if (Atomics.compareExchange(control, JOINED, sequence - 1, sequence) !== sequence - 1) continue;
  try {
    for (let message = receiveMessageOnPort(port); message; message = receiveMessageOnPort(port)) {
      const { slot, histogram } = message.message as Extract<HelperMessage, { slot: number }>;
      histograms[slot] = histogram;
    }
    claimFeatures(arrays, histograms, lastBins);
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error) } satisfies HelperMessage);
    Atomics.store(control, FAILED, 1);
  }
  Atomics.store(control, DONE, sequence);
  Atomics.notify(control, DONE);
}
port.close();
