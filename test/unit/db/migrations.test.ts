import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadMigrations } from '../../../src/db/migrations.js';
import { initParser, parseStatements } from '../../../src/sql/index.js';

test('migrations are numbered in a strictly increasing order and parse', async () => {
  await initParser();
  const migrations = await loadMigrations(fileURLToPath(new URL('../../../migrations', import.meta.url)));
  assert.ok(migrations.length >= 3);
  assert.equal(migrations[0]?.version, 1);
  migrations.slice(1).forEach((m, i) => assert.ok(m.version > migrations[i]!.version, `${m.name} comes after ${migrations[i]!.name}`));
  for (const m of migrations) assert.ok(parseStatements(m.sql).length > 0, m.name);
});
