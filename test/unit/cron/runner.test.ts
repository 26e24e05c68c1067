import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandMessage, connectionFailure, errorText, settle } from '../../../src/cron/runner.js';
import { finalStatus, RunCounts } from '../../../src/cron/run-counts.js';

test('return messages are pg_cron\'s: the last tag, or N row(s) when the statement returned rows', () => {
  assert.equal(commandMessage('INSERT 0 3', false), 'INSERT 0 3');
  assert.equal(commandMessage('CREATE TABLE', false), 'CREATE TABLE');
  assert.equal(commandMessage('SELECT 1', true), '1 row');
  assert.equal(commandMessage('SELECT 0', true), '0 rows');
  assert.equal(commandMessage('SELECT 42', true), '42 rows');
  // UPDATE ... RETURNING also returns rows.
  assert.equal(commandMessage('UPDATE 2', true), '2 rows');
});

test('errors are stored in libpq\'s wording', () => {
  assert.equal(errorText(Object.assign(new Error('division by zero'), { severity: 'ERROR' })), 'ERROR:  division by zero');
  assert.equal(errorText(new Error('socket hang up')), 'ERROR:  socket hang up');
});

test('a failed login fails the run with pg_cron\'s "connection failed" and the reason', () => {
  const fatal = Object.assign(new Error('role "bob" is not permitted to log in'), { severity: 'FATAL' });
  assert.deepEqual(connectionFailure(fatal), { succeeded: false, message: 'connection failed: FATAL:  role "bob" is not permitted to log in' });
  assert.deepEqual(connectionFailure(new Error('connect ECONNREFUSED 127.0.0.1:1')), {
    succeeded: false,
    message: 'connection failed: connect ECONNREFUSED 127.0.0.1:1',
  });
  assert.deepEqual(connectionFailure('odd'), { succeeded: false, message: 'connection failed: odd' });
});

test('a run cut short by its timeout failed, whatever its cancelled work reported', () => {
  const cancelled = { succeeded: false, message: 'ERROR:  canceling statement due to user request' };
  assert.deepEqual(settle(cancelled, 1500), { succeeded: false, message: 'ERROR:  job exceeded its timeout of 1500 ms' });
  // Work that finished just as the timer fired still counts as timed out.
  assert.deepEqual(settle({ succeeded: true, message: '1 row' }, 10), { succeeded: false, message: 'ERROR:  job exceeded its timeout of 10 ms' });
  assert.deepEqual(settle({ succeeded: true, message: '1 row' }, null), { succeeded: true, message: '1 row' });
  assert.deepEqual(settle(cancelled, null), cancelled);
});

test('a finished run ends succeeded or failed, and is counted under that status', () => {
  assert.equal(finalStatus({ succeeded: true, message: 'SELECT 1' }), 'succeeded');
  assert.equal(finalStatus({ succeeded: false, message: 'ERROR:  boom' }), 'failed');
  const counts = new RunCounts();
  assert.deepEqual(counts.snapshot(), [
    { status: 'succeeded', count: 0 },
    { status: 'failed', count: 0 },
  ]);
  counts.record('failed');
  counts.record('succeeded');
  counts.record('failed');
  assert.deepEqual(counts.snapshot(), [
    { status: 'succeeded', count: 1 },
    { status: 'failed', count: 2 },
  ]);
});
