// The training read's byte budget (store/read-pacer.ts) on a clock the test moves: chunks wait only
// while other sessions are active, and then as long as the budget says, never longer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadPacer } from '../../../../src/pgml/store/read-pacer.js';

const KB = 1024;
const MB = 1024 * KB;

function pacer(bytesPerSecond: number, burst: number) {
  const state = { now: 0, others: true };
  const p = new ReadPacer({ bytesPerSecond, othersActive: () => state.others, now: () => state.now }, burst);
  return { state, p };
}

describe('the training read pacer', () => {
  it('lets a lone read through: no wait while no other session is active', () => {
    const { state, p } = pacer(1 * MB, 64 * KB);
    state.others = false;
    for (let i = 0; i < 100; i++) assert.equal(p.delayAfter(64 * KB), 0);
  });

  it('holds a read to its budget while others are active: 1 MB/s, 64 KB chunks wait 62.5 ms each after the burst', () => {
    const { state, p } = pacer(1 * MB, 64 * KB);
    assert.equal(p.delayAfter(64 * KB), 0, 'the burst');
    let waited = 0;
    for (let i = 0; i < 16; i++) {
      const delay = p.delayAfter(64 * KB);
      assert.equal(delay, 62.5);
      waited += delay;
      state.now += delay;
    }
    // 17 chunks (1.0625 MB) in 1 s: the budget plus the burst.
    assert.equal(waited, 1000);
  });

  it('counts chunks that come before the wait is over: the next wait is longer by theirs', () => {
    const { state, p } = pacer(1 * MB, 64 * KB);
    p.delayAfter(64 * KB);
    assert.equal(p.delayAfter(64 * KB), 62.5);
    assert.equal(p.delayAfter(32 * KB), 93.75, 'the rest of a socket read, at once');
    state.now += 93.75;
    assert.equal(p.delayAfter(64 * KB), 62.5);
  });

  it('refills no more than its burst over a quiet spell, and not while nobody else is active', () => {
    const { state, p } = pacer(1 * MB, 64 * KB);
    p.delayAfter(64 * KB);
    state.now += 10_000;
    assert.equal(p.delayAfter(64 * KB), 0, 'the burst again');
    assert.equal(p.delayAfter(64 * KB), 62.5, 'ten quiet seconds gave one burst, not 10 MB');
    state.others = false;
    assert.equal(p.delayAfter(10 * MB), 0);
    state.others = true;
    assert.equal(p.delayAfter(64 * KB), 0, 'a lone stretch leaves no debt: the burst');
    assert.equal(p.delayAfter(64 * KB), 62.5, 'and no credit beyond it');
  });

  it('never paces with a budget of 0', () => {
    const { p } = pacer(0, 64 * KB);
    for (let i = 0; i < 10; i++) assert.equal(p.delayAfter(MB), 0);
  });
});
