// Whether other client sessions are active (proxy/activity.ts), on a clock the test moves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionActivity } from '../../../src/proxy/activity.js';

describe('session activity', () => {
  it('sees another session that sent something within the window, never the asking one itself', () => {
    let now = 0;
    const activity = new SessionActivity(() => now);
    const [training, other, third] = [{}, {}, {}];
    assert.equal(activity.othersActiveWithin(training, 1000), false, 'nobody yet');
    activity.heard(training);
    assert.equal(activity.othersActiveWithin(training, 1000), false, 'only itself');
    activity.heard(other);
    assert.equal(activity.othersActiveWithin(training, 1000), true);
    assert.equal(activity.othersActiveWithin(other, 1000), true, 'the training session was heard too');
    now = 500;
    activity.heard(training);
    // The latest sender is the asking session: the one before it counts.
    assert.equal(activity.othersActiveWithin(training, 1000), true);
    now = 1001;
    assert.equal(activity.othersActiveWithin(training, 1000), false, 'the other went quiet 1001 ms ago');
    assert.equal(activity.othersActiveWithin(third, 1000), true, 'the training session spoke 501 ms ago');
    activity.heard(third);
    activity.heard(third);
    assert.equal(activity.othersActiveWithin(training, 1000), true);
    assert.equal(activity.othersActiveWithin(third, 1000), true, 'the training session, before it');
  });
  it('tells its listener of every message heard (the engine threads wait for quiet clients)', () => {
    let told = 0;
    const activity = new SessionActivity(() => 0, () => told++);
    const session = {};
    activity.heard(session);
    activity.heard(session);
    activity.heard({});
    assert.equal(told, 3);
  });
});
