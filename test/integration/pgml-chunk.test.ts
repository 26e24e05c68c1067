// pgml.chunk through the proxy, on Postgres and on embedded PGlite: the chunks LangChain's Python
// splitters give for the same text and kwargs (test/fixtures/chunk/expected.json, written by
// scripts/make-chunk-fixtures.py), numbered from 1 as PostgresML numbers them.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/proxy.js';
import { sqlState, suiteClient } from '../support/pg-client.js';
import { describeTargets } from '../support/targets.js';

interface Case {
  splitter: string;
  kwargs: Record<string, unknown>;
  text: string;
  chunks: string[];
}
const { cases } = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'chunk', 'expected.json'), 'utf8')) as { cases: Case[] };

describeTargets('pgml.chunk', { proxyOnly: true }, (target) => {
  const client = suiteClient(target);

  it('splits as PostgresML does, for every splitter', async () => {
    for (const c of cases) {
      const { rows } = await client().query(`SELECT chunk_index, chunk FROM pgml.chunk($1, $2, $3::jsonb)`, [c.splitter, c.text, JSON.stringify(c.kwargs)]);
      assert.deepEqual(
        rows.map((r) => [Number(r.chunk_index), r.chunk]),
        c.chunks.map((chunk, i) => [i + 1, chunk]),
        `${c.splitter} ${JSON.stringify(c.kwargs)}`,
      );
    }
  });

  it('takes the calls written in PostgresML docs', async () => {
    const { rows } = await client().query(`SELECT pgml.chunk('recursive_character', 'test')`);
    assert.equal(rows.length, 1);
    const literal = await client().query(
      `SELECT * FROM pgml.chunk('recursive_character', '${cases[1]!.text.replaceAll("'", "''")}', '{"chunk_size": 100, "chunk_overlap": 20}')`,
    );
    assert.deepEqual(literal.rows.map((r) => r.chunk), cases[1]!.chunks);
    assert.equal((await client().query(`SELECT * FROM pgml.chunk('markdown', NULL)`)).rows.length, 0);
  });

  it("over a table in LATERAL: each row's chunks as pgml.chunk gives them for its text", async () => {
    await client().query(`CREATE TEMP TABLE docs (id int, body text)`);
    await client().query(`INSERT INTO docs VALUES (1, 'one two three four five six'), (2, 'seven eight'), (3, NULL)`);
    const kwargs = `'{"separator": " ", "chunk_size": 10, "chunk_overlap": 0}'`;
    const { rows } = await client().query(`SELECT d.id, c.chunk_index, c.chunk FROM docs d, LATERAL pgml.chunk('character', d.body, ${kwargs}) c`);
    const expected: unknown[][] = [];
    for (const [id, body] of [[1, 'one two three four five six'], [2, 'seven eight']] as const) {
      const constant = await client().query(`SELECT chunk_index, chunk FROM pgml.chunk('character', '${body}', ${kwargs})`);
      expected.push(...constant.rows.map((r) => [id, Number(r.chunk_index), r.chunk]));
    }
    assert.ok(expected.length > 3);
    assert.deepEqual(rows.map((r) => [r.id, Number(r.chunk_index), r.chunk]), expected);
  });

  it('refuses unknown splitters, nltk and spacy, and bad kwargs', async () => {
    await assert.rejects(client().query(`SELECT * FROM pgml.chunk('nltk', 'Some text. More text.')`), sqlState('0A000'));
    await assert.rejects(client().query(`SELECT * FROM pgml.chunk('sentences', 'x')`), sqlState('22023'));
    await assert.rejects(client().query(`SELECT * FROM pgml.chunk('character', 'x', '{"chunk_size": 10, "chunk_overlap": 20}')`), sqlState('22023'));
    assert.equal((await client().query('SELECT 1 AS ok')).rows[0].ok, 1);
  });
});
