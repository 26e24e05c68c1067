import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { LoopHolds, nextTurn } from '../../../../src/proxy/batch/loop-steps.js';

describe('nextTurn', () => {
  it('runs each step in a turn of its own: I/O that arrives during a step is read before the next', async () => {
    const seen: string[] = [];
    const server = createServer((socket) => socket.on('data', (data) => seen.push(`io ${data.toString()}`)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    while (server.connections === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const steps = [1, 2, 3].map((k) => nextTurn().then(() => {
      seen.push(`step ${k}`);
      client.write(String(k));
      const until = Date.now() + 20;
      while (Date.now() < until); // the bytes reach the server's socket while the step holds the loop
    }));
    await Promise.all(steps);
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.destroy();
    server.close();
    assert.deepEqual(seen, ['step 1', 'io 1', 'step 2', 'io 2', 'step 3', 'io 3']);
  });
});

describe('LoopHolds', () => {
  it('summarizes the holds since the last take, then starts over', () => {
    const holds = new LoopHolds();
    for (const ms of [5, 1, 9, 3, 7]) holds.record(ms);
    assert.deepEqual(holds.take(), { batches: 5, medianMs: 5, p99Ms: 9, maxMs: 9 });
    assert.deepEqual(holds.take(), { batches: 0, medianMs: 0, p99Ms: 0, maxMs: 0 });
    holds.record(2);
    assert.deepEqual(holds.take(), { batches: 1, medianMs: 2, p99Ms: 2, maxMs: 2 });
  });

  it('keeps the largest hold even when older holds are overwritten', () => {
    const holds = new LoopHolds();
    holds.record(500);
    for (let i = 0; i < 10_000; i++) holds.record(1);
    const summary = holds.take();
    assert.equal(summary.batches, 10_001);
    assert.equal(summary.maxMs, 500);
    assert.equal(summary.medianMs, 1);
  });
});
