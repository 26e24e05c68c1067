// pgml.chunk per row, as PostgresML's documentation writes it: the pgml.chunk API page's
// `SELECT pgml.chunk('recursive_character', content) FROM documents;` and the Unified RAG guide's
// documents and chunks statements (RAG_DOCUMENTS_SQL and RAG_CHUNKS_SQL, byte for byte, run through
// psql). Each document's chunks must be pgml.chunk of that document alone, in its order, paired with
// the document's id, also over a volatile FROM (ORDER BY random() LIMIT n).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { execCapture } from '../support/exec.js';
import { sqlState, suiteClient } from '../support/pg-client.js';
import { describeTargets, type Target } from '../support/targets.js';

const PSQL = process.env.PSQL ?? '/usr/bin/psql';

const RAG_DOCUMENTS_SQL = `CREATE TABLE documents (id SERIAL PRIMARY KEY, document text NOT NULL);

-- Insert a document that has some examples of pgml.transform
INSERT INTO documents (document) VALUES ('
Here is an example of the pgml.transform function

SELECT pgml.transform(
  task   => ''{
    "task": "text-generation",
    "model": "meta-llama/Meta-Llama-3.1-8B-Instruct"
  }''::JSONB,
  inputs  => ARRAY[''AI is going to''],
  args   => ''{
    "max_new_tokens": 100
  }''::JSONB
);

Here is another example of the pgml.transform function

SELECT pgml.transform(
  task   => ''{
    "task": "text-generation",
    "model": "meta-llama/Meta-Llama-3.1-70B-Instruct"
  }''::JSONB,
  inputs  => ARRAY[''AI is going to''],
  args   => ''{
    "max_new_tokens": 100
  }''::JSONB
);

Here is a third example of the pgml.transform function

SELECT pgml.transform(
  task   => ''{
    "task": "text-generation",
    "model": "microsoft/Phi-3-mini-128k-instruct"
  }''::JSONB,
  inputs  => ARRAY[''AI is going to''],
  args   => ''{
    "max_new_tokens": 100
  }''::JSONB
);
');

-- Also insert some random documents
INSERT INTO documents (document) SELECT md5(random()::text) FROM generate_series(1, 100);
`;

const RAG_CHUNKS_SQL = `CREATE TABLE chunks(id SERIAL PRIMARY KEY, chunk text NOT NULL, chunk_index int NOT NULL, document_id int references documents(id));

INSERT INTO chunks (chunk, chunk_index, document_id)
SELECT
    (chunk).chunk,
    (chunk).chunk_index,
    id
FROM (
    SELECT
        pgml.chunk('recursive_character', document, '{"chunk_size": 250}') chunk,
        id
    FROM
        documents) sub_query;
`;

/** Each document's chunks as pgml.chunk gives them for its text alone, as a constant. */
async function chunksOf(client: pg.Client, documents: Map<number, string>, kwargs: string): Promise<Map<number, [number, string][]>> {
  const out = new Map<number, [number, string][]>();
  for (const [id, text] of documents) {
    const { rows } = await client.query(`SELECT chunk_index, chunk FROM pgml.chunk('recursive_character', $1, ${kwargs})`, [text]);
    out.set(id, rows.map((r) => [Number(r.chunk_index), r.chunk as string]));
  }
  return out;
}

/** Rows of (id, chunk_index, chunk) grouped by id, in the order they came. */
function byDocument(rows: readonly [number, number, string][]): Map<number, [number, string][]> {
  const out = new Map<number, [number, string][]>();
  for (const [id, index, chunk] of rows) {
    if (!out.has(id)) out.set(id, []);
    out.get(id)!.push([index, chunk]);
  }
  return out;
}

/** Requests to the embedding thread and texts they carried for the recursive_character splitter, from /metrics. */
async function splitterUsage(target: Target): Promise<{ requests: number; texts: number }> {
  const text = await (await fetch(`${target.proxy!.httpUrl}/metrics`)).text();
  const read = (metric: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${metric}{model="pgml.chunk:recursive_character"} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };
  return { requests: read('pgml_proxy_embedding_requests_total'), texts: read('pgml_proxy_embedding_texts_total') };
}

describeTargets('pgml.chunk per row', { proxyOnly: true, http: true }, (target) => {
  const client = suiteClient(target);

  it('runs the Unified RAG guide\'s chunking through psql: each document\'s chunks as pgml.chunk gives them for it', async () => {
    const before = await splitterUsage(target());
    const run = await execCapture(PSQL, ['-X', '-v', 'ON_ERROR_STOP=1', '-d', target().url(), '-f', '-'], { input: RAG_DOCUMENTS_SQL + RAG_CHUNKS_SQL });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /INSERT 0 \d+\s*$/);
    const after = await splitterUsage(target());
    // The 101 documents went to the splitter in one request, not one request per row.
    assert.deepEqual({ requests: after.requests - before.requests, texts: after.texts - before.texts }, { requests: 1, texts: 101 });
    const documents = new Map((await client().query('SELECT id, document FROM documents')).rows.map((r) => [r.id as number, r.document as string]));
    assert.equal(documents.size, 101);
    const expected = await chunksOf(client(), documents, `'{"chunk_size": 250}'`);
    assert.ok(expected.get(1)!.length > 3);
    const written = await client().query('SELECT document_id, chunk_index, chunk FROM chunks ORDER BY id');
    assert.deepEqual(byDocument(written.rows.map((r) => [r.document_id, r.chunk_index, r.chunk])), expected);
  });

  it('takes the API page\'s SELECT pgml.chunk(\'recursive_character\', content) FROM documents, also over a volatile FROM', async () => {
    await client().query('CREATE SCHEMA api_page');
    await client().query('SET search_path = api_page, public');
    try {
      await client().query('CREATE TABLE documents (id int, content text)');
      await client().query(`INSERT INTO documents SELECT i, repeat('word' || i || ' ', 300 * i) FROM generate_series(1, 4) i`);
      await client().query(`INSERT INTO documents VALUES (5, ''), (6, NULL)`);
      const documents = new Map((await client().query('SELECT id, content FROM documents')).rows.map((r) => [r.id as number, r.content as string]));
      const expected = await chunksOf(client(), documents, `'{}'`);
      const { rows, fields } = await client().query(`SELECT pgml.chunk('recursive_character', content) FROM documents;`);
      assert.deepEqual(fields.map((f) => f.name), ['chunk']);
      // What Postgres writes for a row of (bigint, text): pgml.chunk's record, as the client reads it.
      const expectedText: string[] = [];
      for (const text of documents.values()) {
        const { rows: records } = await client().query(`SELECT ROW(chunk_index, chunk) AS r FROM pgml.chunk('recursive_character', $1)`, [text]);
        expectedText.push(...records.map((r) => r.r as string));
      }
      assert.ok(expectedText.length > 4);
      assert.deepEqual(rows.map((r) => r.chunk), expectedText);
      // The same calls with constants, one document at a time (no rows for '' and NULL).
      for (const [id, text] of documents) {
        const constant = await client().query(`SELECT pgml.chunk('recursive_character', ${text === null ? 'NULL' : `'${text}'`})`);
        assert.deepEqual(constant.rows.map((r) => r.chunk), expected.get(id)!.map(([index, chunk]) => `(${index},"${chunk}")`), `document ${id}`);
      }
      const sampled = await client().query(
        `SELECT id, (c).chunk_index, (c).chunk FROM (SELECT id, pgml.chunk('recursive_character', content) AS c FROM (SELECT * FROM documents ORDER BY random() LIMIT 3) d) s`,
      );
      const got = byDocument(sampled.rows.map((r) => [r.id, Number(r.chunk_index), r.chunk]));
      assert.ok(got.size >= 1 && got.size <= 3);
      for (const [id, chunks] of got) assert.deepEqual(chunks, expected.get(id), `document ${id}`);
    } finally {
      await client().query('RESET search_path');
    }
  });

  it('takes pgml.chunk in LATERAL over a volatile FROM, WITH ORDINALITY, each document with its own chunks', async () => {
    const documents = new Map((await client().query('SELECT id, document FROM documents')).rows.map((r) => [r.id as number, r.document as string]));
    const expected = await chunksOf(client(), documents, `'{"chunk_size": 250}'`);
    const { rows } = await client().query(
      `SELECT documents.id, chunk.chunk_index, chunk.chunk, chunk.n FROM (SELECT * FROM documents ORDER BY random() LIMIT 5) documents, LATERAL pgml.chunk('recursive_character', documents.document, '{"chunk_size": 250}') WITH ORDINALITY AS chunk(chunk_index, chunk, n)`,
    );
    const got = byDocument(rows.map((r) => [r.id, Number(r.chunk_index), r.chunk]));
    assert.equal(got.size, 5);
    for (const [id, chunks] of got) assert.deepEqual(chunks, expected.get(id), `document ${id}`);
    assert.ok(rows.every((r) => Number(r.n) === Number(r.chunk_index)));
  });

  it('takes pgml.chunk per row in a cursor fetched in pieces', async () => {
    const documents = new Map((await client().query('SELECT id, document FROM documents WHERE id <= 3')).rows.map((r) => [r.id as number, r.document as string]));
    const expected = await chunksOf(client(), documents, `'{"chunk_size": 250}'`);
    await client().query('BEGIN');
    await client().query(`DECLARE chunk_cursor CURSOR FOR SELECT id, (c).chunk_index, (c).chunk FROM (SELECT id, pgml.chunk('recursive_character', document, '{"chunk_size": 250}') AS c FROM documents WHERE id <= 3) s`);
    const first = await client().query('FETCH 2 FROM chunk_cursor');
    const rest = await client().query('FETCH ALL FROM chunk_cursor');
    await client().query('COMMIT');
    assert.equal(first.rows.length, 2);
    const got = byDocument([...first.rows, ...rest.rows].map((r) => [r.id, Number(r.chunk_index), r.chunk]));
    assert.deepEqual(got, expected);
  });

  it('refuses a table of chunks per row in a prepared statement with the form that works', async () => {
    await assert.rejects(client().query({ text: `SELECT pgml.chunk('recursive_character', $1::text || document) FROM documents`, values: ['x'] }), sqlState('0A000'));
    assert.equal((await client().query('SELECT 1 AS ok')).rows[0].ok, 1);
  });
});
