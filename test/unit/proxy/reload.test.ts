import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoalescedReload } from '../../../src/proxy/reload.js';

test('requests during a run share it and cause exactly one more run; later requests start afresh', async () => {
  const reloads = new CoalescedReload();
  let runs = 0;
  let release!: () => void;
  const work = async () => {
    runs++;
    if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
  };
  const first = reloads.run(work);
  const second = reloads.run(work);
  const third = reloads.run(work);
  assert.equal(second, first);
  assert.equal(third, first);
  release();
  await first;
  assert.equal(runs, 2);
  await reloads.run(work);
  assert.equal(runs, 3);
});
