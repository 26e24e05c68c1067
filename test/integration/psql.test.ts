// psql exercises the simple protocol, catalog-heavy meta-commands and COPY sub-protocol.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execCapture } from '../support/exec.js';
import { describeTargets, type Target } from '../support/targets.js';

const PSQL = process.env.PSQL ?? '/usr/bin/psql';

function psql(target: Target, args: string[], input?: string) {
  return execCapture(PSQL, ['-X', '-d', target.url(), ...args], { input });
}

describeTargets('psql', {}, (target, kind) => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'pgml-psql-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('-c with two statements prints both results', async () => {
    const r = await psql(target(), ['-At', '-c', 'select 1; select 2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1\n2\n');
  });

  test('\\d describes a table', async () => {
    const create = await psql(target(), ['-c', 'create table psql_described (id int primary key, label text not null)']);
    assert.equal(create.code, 0, create.stderr);
    const r = await psql(target(), ['-c', '\\d psql_described']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Table "public\.psql_described"/);
    assert.match(r.stdout, /\bid\s+\|\s+integer\s+\|/);
    assert.match(r.stdout, /\blabel\s+\|\s+text\s+\|\s+\|\s+not null/);
    assert.match(r.stdout, /"psql_described_pkey" PRIMARY KEY, btree \(id\)/);
  });

  test('\\copy in from a file and back out', async () => {
    const source = join(scratch, 'in.csv');
    const sink = join(scratch, 'out.csv');
    const rows = Array.from({ length: 500 }, (_, i) => `${i},"label, ${i}"`).join('\n') + '\n';
    writeFileSync(source, rows);
    const r = await psql(target(), [
      '-v', 'ON_ERROR_STOP=1',
      '-c', 'create table psql_copied (id int, label text)',
      '-c', `\\copy psql_copied from '${source}' csv`,
      '-c', `\\copy (select * from psql_copied order by id) to '${sink}' csv`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /COPY 500/);
    assert.equal(readFileSync(sink, 'utf8'), rows);
  });

  test('ON_ERROR_STOP stops a script at the first error with exit code 3', async () => {
    const script = join(scratch, 'script.sql');
    writeFileSync(
      script,
      [
        'create table psql_script (n int);',
        'insert into psql_script values (1);',
        'insert into psql_script values (oops);',
        'insert into psql_script values (3);',
      ].join('\n'),
    );
    const r = await psql(target(), ['-v', 'ON_ERROR_STOP=1', '-f', script]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /column "oops" does not exist/);
    const check = await psql(target(), ['-At', '-c', 'select array_agg(n order by n) from psql_script']);
    assert.equal(check.code, 0, check.stderr);
    assert.equal(check.stdout, '{1}\n');
  });

  test('a clean script exits 0', async () => {
    const script = join(scratch, 'ok.sql');
    writeFileSync(script, 'begin;\ncreate temp table t (n int);\ninsert into t select generate_series(1, 3);\nselect sum(n) from t;\ncommit;\n');
    const r = await psql(target(), ['-v', 'ON_ERROR_STOP=1', '-At', '-f', script]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^6$/m);
  });

  test('SELECT pgml.version() returns the proxy version', { skip: kind === 'direct' && 'no pgml schema without the proxy' }, async () => {
    const r = await psql(target(), ['-At', '-c', 'SELECT pgml.version()']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+/);
  });
});
