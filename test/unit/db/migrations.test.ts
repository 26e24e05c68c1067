import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadMigrations, stubSql } from '../../../src/db/migrations.js';
import { initParser, parseStatements } from '../../../src/sql/index.js';

test('migrations are numbered in a strictly increasing order and parse', async () => {
  await initParser();
  const migrations = await loadMigrations(fileURLToPath(new URL('../../../migrations', import.meta.url)));
  assert.ok(migrations.length >= 3);
  assert.equal(migrations[0]?.version, 1);
  migrations.slice(1).forEach((m, i) => assert.ok(m.version > migrations[i]!.version, `${m.name} comes after ${migrations[i]!.name}`));
  for (const m of migrations) assert.ok(parseStatements(m.sql).length > 0, m.name);
});

test('a stub keeps the signature and raises through pgml-proxy', async () => {
  await initParser();
  const sql = stubSql({
    schema: 'pgml',
    name: 'train',
    params: [
      { name: 'project_name', type: 'text', hasDefault: false },
      { name: 'test_size', type: 'real', hasDefault: true },
    ],
    returns: { kind: 'table', columns: [{ name: 'project', type: 'text' }] },
  });
  const [stmt] = parseStatements(sql);
  assert.ok(stmt);
  assert.match(sql, /"test_size" real DEFAULT NULL/);
  assert.match(sql, /RETURNS TABLE\("project" text\)/);
  assert.match(sql, /must be called through pgml-proxy/);
});
