// SSLRequest: refused with 'N' by default (clients fall back to plain text when they may), and
// answered with TLS when --tls-cert/--tls-key are given.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { execCapture } from '../support/exec.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { startProxy, type ProxyProcess } from '../support/proxy.js';

const PSQL = process.env.PSQL ?? '/usr/bin/psql';

let cluster: PgCluster;
let plain: ProxyProcess;
let secure: ProxyProcess;
let scratch: string;

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'pgml-tls-'));
  const key = join(scratch, 'key.pem');
  const cert = join(scratch, 'cert.pem');
  const made = await execCapture('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
  assert.equal(made.code, 0, made.stderr);
  cluster = await startPgCluster();
  plain = await startProxy({ upstream: cluster.url() });
  secure = await startProxy({ upstream: cluster.url(), extraArgs: ['--tls-cert', cert, '--tls-key', key] });
});

after(async () => {
  await secure?.stop();
  await plain?.stop();
  await cluster?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test('with a certificate, sslmode=require gets an encrypted session', async () => {
  const r = await execCapture(PSQL, ['-X', '-At', '-d', `${secure.url()}?sslmode=require`, '-c', 'select pgml.version()']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+/);
  const client = new pg.Client({ connectionString: secure.url(), ssl: { rejectUnauthorized: false } });
  await client.connect();
  try {
    assert.equal((await client.query('select 41 + 1 as n')).rows[0].n, 42);
    assert.equal((client as unknown as { connection: { stream: { encrypted?: boolean } } }).connection.stream.encrypted, true);
  } finally {
    await client.end();
  }
});

test('without a certificate, sslmode=require is refused and sslmode=prefer falls back', async () => {
  const required = await execCapture(PSQL, ['-X', '-At', '-d', `${plain.url()}?sslmode=require`, '-c', 'select 1']);
  assert.notEqual(required.code, 0);
  assert.match(required.stderr, /SSL/i);
  const preferred = await execCapture(PSQL, ['-X', '-At', '-d', `${plain.url()}?sslmode=prefer`, '-c', 'select 1']);
  assert.equal(preferred.code, 0, preferred.stderr);
  assert.equal(preferred.stdout, '1\n');
});
