import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config.js';
import { upstreamAddress } from '../../src/main.js';

test('defaults', () => {
  const c = loadConfig([], {});
  assert.deepEqual(c?.listen, { host: '127.0.0.1', port: 6432 });
  assert.equal(c?.upstream, undefined);
  assert.equal(c?.dataDir, './.pgml-data');
  assert.deepEqual(c?.http, { host: '127.0.0.1', port: 8080 });
});

test('flags win over the environment', () => {
  const c = loadConfig(['--listen', '0.0.0.0:7000', '--http', 'off'], { PGML_LISTEN: '127.0.0.1:1', DATABASE_URL: 'postgres://u@h/db' });
  assert.deepEqual(c?.listen, { host: '0.0.0.0', port: 7000 });
  assert.equal(c?.http, 'off');
  assert.equal(c?.upstream, 'postgres://u@h/db');
});

test('bad flags and values are one-line errors', () => {
  assert.throws(() => loadConfig(['--nope'], {}), ConfigError);
  assert.throws(() => loadConfig(['--listen', 'nohost'], {}), /--listen/);
  assert.throws(() => loadConfig(['--upstream', 'mysql://x'], {}), /postgres:\/\//);
  assert.throws(() => loadConfig(['--tls-cert', 'a.pem'], {}), ConfigError);
  assert.equal(loadConfig(['--help'], {}), null);
});

test('upstream URLs: TCP and libpq Unix-socket form', () => {
  assert.deepEqual(upstreamAddress('postgres://u:p@db.example:5433/x'), { host: 'db.example', port: 5433 });
  assert.deepEqual(upstreamAddress('postgresql://u@/x?host=/var/run/postgresql'), { host: '/var/run/postgresql', port: 5432 });
});

test('--auth-timeout defaults to Postgres authentication_timeout and keeps to its range', () => {
  assert.equal(loadConfig([], {})?.authTimeout, 60);
  assert.equal(loadConfig(['--auth-timeout', '5'], {})?.authTimeout, 5);
  assert.throws(() => loadConfig(['--auth-timeout', '0'], {}), /--auth-timeout/);
  assert.throws(() => loadConfig(['--auth-timeout', '601'], {}), /--auth-timeout/);
});

test('--dashboard is on by default and turns off', () => {
  assert.equal(loadConfig([], {})?.dashboard, true);
  assert.equal(loadConfig(['--dashboard', 'off'], {})?.dashboard, false);
  assert.throws(() => loadConfig(['--dashboard', 'maybe'], {}), /--dashboard/);
});

test('--embed-spin-us: 0 (sleep at once) by default, from the environment, whole microseconds only', () => {
  assert.equal(loadConfig([], {})?.embedSpinUs, 0);
  assert.equal(loadConfig(['--embed-spin-us', '3000'], {})?.embedSpinUs, 3000);
  assert.equal(loadConfig([], { PGML_EMBED_SPIN_US: '500' })?.embedSpinUs, 500);
  assert.equal(loadConfig(['--embed-spin-us', '0'], { PGML_EMBED_SPIN_US: '500' })?.embedSpinUs, 0);
  assert.throws(() => loadConfig(['--embed-spin-us', '-1'], {}), /--embed-spin-us/);
  assert.throws(() => loadConfig(['--embed-spin-us', '2.5'], {}), /--embed-spin-us/);
});

test('--train-read-mb-per-second: 8 by default, from the environment, 0 never paces, no negative pace', () => {
  assert.equal(loadConfig([], {})?.trainReadMbPerSecond, 8);
  assert.equal(loadConfig([], { PGML_TRAIN_READ_MB_PER_SECOND: '2.5' })?.trainReadMbPerSecond, 2.5);
  assert.equal(loadConfig(['--train-read-mb-per-second', '0'], { PGML_TRAIN_READ_MB_PER_SECOND: '2' })?.trainReadMbPerSecond, 0);
  assert.throws(() => loadConfig(['--train-read-mb-per-second', '-1'], {}), /--train-read-mb-per-second/);
});
