import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oldestKeptOffset, parseSettings } from '../../../src/cron/store.js';

test('cron.settings rows become settings; unset names stay undefined', () => {
  assert.deepEqual(parseSettings([{ name: 'timezone', value: 'Europe/Paris' }, { name: 'max_run_history', value: '25' }]), {
    timezone: 'Europe/Paris',
    maxRunHistory: 25,
  });
  assert.deepEqual(parseSettings([]), { timezone: undefined, maxRunHistory: undefined });
});

test('a max_run_history that is not a whole number is ignored (the default applies)', () => {
  for (const value of ['-1', '2.5', 'ten', '', ' 3']) {
    assert.equal(parseSettings([{ name: 'max_run_history', value }]).maxRunHistory, undefined, value);
  }
  assert.equal(parseSettings([{ name: 'max_run_history', value: '0' }]).maxRunHistory, 0);
});

test('history trimming keeps the newest N runs, and always the run just recorded', () => {
  // Offsets into the job's runs, newest first: everything older than that row is deleted.
  assert.equal(oldestKeptOffset(1000), 999);
  assert.equal(oldestKeptOffset(3), 2);
  assert.equal(oldestKeptOffset(1), 0);
  assert.equal(oldestKeptOffset(0), 0);
});
