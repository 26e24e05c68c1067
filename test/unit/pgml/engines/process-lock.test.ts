import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { startThreadBeside } from '../../../../src/pgml/thread-start.js';
import { processLockData, processLockHolder, ProcessLock, releaseProcessLocksOf, withProcessLock } from '../../../../src/pgml/engines/process-lock.js';

describe('process locks', () => {
  it('a lock a terminated thread held is freed by releaseProcessLocksOf, and only then', async () => {
    const holder = startThreadBeside(new URL('./fixtures/lock-holder.ts', import.meta.url).href, 'lock-holder', { workerData: processLockData() });
    const { threadId } = holder;
    await once(holder, 'message');
    assert.equal(processLockHolder(ProcessLock.LibcRand), threadId);
    await holder.terminate();
    // Terminated inside the critical section: its finally never ran.
    assert.equal(processLockHolder(ProcessLock.LibcRand), threadId);
    releaseProcessLocksOf(threadId + 1); // another thread's exit leaves it alone
    assert.equal(processLockHolder(ProcessLock.LibcRand), threadId);
    releaseProcessLocksOf(threadId);
    assert.equal(processLockHolder(ProcessLock.LibcRand), undefined);
    assert.equal(withProcessLock(ProcessLock.LibcRand, () => processLockHolder(ProcessLock.LibcRand)), 0);
    assert.equal(processLockHolder(ProcessLock.LibcRand), undefined);
  });
});
