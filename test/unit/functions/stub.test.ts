import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stubSql } from '../../../src/functions/stub.js';
import { initParser, parseStatements } from '../../../src/sql/index.js';

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
