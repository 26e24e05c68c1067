// The clock of client messages that the engine threads read (engines/client-clock.ts), across a real thread.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ClientClock } from '../../../../src/pgml/engines/client-clock.js';

/** What a thread started now reads from the clock's buffer: heardWithin(ms). */
async function readInThread(buffer: SharedArrayBuffer, ms: number): Promise<boolean> {
  const url = new URL(`../../../../src/pgml/engines/client-clock.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;
  // Under tsx the thread registers it before importing the .ts module (as src/pgml/thread-start.ts does).
  const tsx = url.endsWith('.ts') ? `await (await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).register();` : '';
  const code = `const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      ${tsx}
      const { ClientClock } = await import(workerData.url);
      parentPort.postMessage(new ClientClock(workerData.buffer).heardWithin(workerData.ms));
    })();`;
  const worker = new Worker(code, { eval: true, workerData: { url, buffer, ms } });
  try {
    return await new Promise<boolean>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

describe('client clock', () => {
  it('has heard nothing until a client sends something, then another thread sees it within the window', async () => {
    const clock = ClientClock.create();
    assert.equal(clock.heardWithin(60_000), false, 'no client yet');
    assert.equal(await readInThread(clock.buffer, 60_000), false, 'no client yet, in another thread');
    clock.heard();
    assert.equal(clock.heardWithin(60_000), true);
    assert.equal(await readInThread(clock.buffer, 60_000), true, 'another thread sees the message');
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(clock.heardWithin(10), false, 'the message is older than 10 ms');
    assert.equal(await readInThread(clock.buffer, 10), false, 'older than 10 ms in another thread too');
  });
});
