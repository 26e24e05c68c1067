import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandMessage, connectionFailure, errorText, settle } from '../../../src/cron/runner.js';
import { finalStatus, RunCounts } from '../../../src/cron/run-counts.js';

test('return messages are pg_cron\'s: the last tag, or N row(s) when the statement returned rows', () => {
  const tag = (text: string, hadRows: boolean) => commandMessage({ kind: 'tag', tag: text, hadRows });
  assert.equal(tag('INSERT 0 3', false), 'INSERT 0 3');
  assert.equal(tag('CREATE TABLE', false), 'CREATE TABLE');
  assert.equal(tag('SELECT 1', true), '1 row');
  assert.equal(tag('SELECT 0', true), '0 rows');
  assert.equal(tag('SELECT 42', true), '42 rows');
  // UPDATE ... RETURNING also returns rows.
  assert.equal(tag('UPDATE 2', true), '2 rows');
  // pg_cron's GetTaskFeedback counts PGRES_EMPTY_QUERY's tuples: none.
  assert.equal(commandMessage({ kind: 'empty' }), '0 rows');
});

test('errors are stored as libpq\'s whole message, position shown against the text sent', () => {
  assert.equal(errorText(Object.assign(new Error('division by zero'), { severity: 'ERROR' }), 'SELECT 1/0'), 'ERROR:  division by zero\n');
  assert.equal(errorText(new Error('socket hang up'), 'SELECT 1'), 'ERROR:  socket hang up\n');
  const missing = Object.assign(new Error('relation "nosuch" does not exist'), { severity: 'ERROR', position: '15' });
  assert.equal(
    errorText(missing, 'SELECT * FROM nosuch'),
    'ERROR:  relation "nosuch" does not exist\nLINE 1: SELECT * FROM nosuch\n                      ^\n',
  );
});

test('a failed login fails the run with pg_cron\'s "connection failed" and the reason', () => {
  const fatal = Object.assign(new Error('role "bob" is not permitted to log in'), { severity: 'FATAL' });
  assert.deepEqual(connectionFailure(fatal), { succeeded: false, message: 'connection failed: FATAL:  role "bob" is not permitted to log in\n' });
  assert.deepEqual(connectionFailure(new Error('connect ECONNREFUSED 127.0.0.1:1')), {
    succeeded: false,
    message: 'connection failed: connect ECONNREFUSED 127.0.0.1:1',
  });
  assert.deepEqual(connectionFailure('odd'), { succeeded: false, message: 'connection failed: odd' });
});

test('a run cut short by its timeout failed, whatever its cancelled work reported', () => {
  const cancelled = { succeeded: false, message: 'ERROR:  canceling statement due to user request\n' };
  assert.deepEqual(settle(cancelled, 1500), { succeeded: false, message: 'ERROR:  job exceeded its timeout of 1500 ms\n' });
  // Work that finished just as the timer fired still counts as timed out.
  assert.deepEqual(settle({ succeeded: true, message: '1 row' }, 10), { succeeded: false, message: 'ERROR:  job exceeded its timeout of 10 ms\n' });
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
