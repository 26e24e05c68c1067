// PostgresML's pgml-extension/examples/chunking.sql through psql, byte for byte (CHUNKING_SQL below):
// pgml.chunk takes scalar subqueries over the statement's CTEs as arguments. An uncorrelated
// subquery is a constant of the statement: the proxy evaluates it once and the statement checks it
// reads the same value (src/sql/subquery-args.ts). Each chunk written is compared with pgml.chunk of
// the document's text as a constant; a correlated subquery stays per row, and a subquery that reads
// another value when the statement runs fails with 40001.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execCapture } from '../support/exec.js';
import { sqlState, suiteClient } from '../support/pg-client.js';
import { describeTargets } from '../support/targets.js';

const PSQL = process.env.PSQL ?? '/usr/bin/psql';

const CHUNKING_SQL = `--- Chunk text for  LLM embeddings and vectorization.

DROP TABLE IF EXISTS documents CASCADE;
CREATE TABLE documents (
	id BIGSERIAL PRIMARY KEY,
	document TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

DROP TABLE IF EXISTS splitters CASCADE;
CREATE TABLE splitters (
	id BIGSERIAL PRIMARY KEY,
	splitter VARCHAR NOT NULL DEFAULT 'recursive_character'
);

DROP TABLE IF EXISTS document_chunks CASCADE;
CREATE TABLE document_chunks(
	id BIGSERIAL PRIMARY KEY,
	document_id BIGINT NOT NULL REFERENCES documents(id),
	splitter_id BIGINT NOT NULL REFERENCES splitters(id),
	chunk_index BIGINT NOT NULL,
	chunk VARCHAR
);

INSERT INTO documents VALUES (
	1,
	'It was the best of times, it was the worst of times, it was the age of wisdom, 
	it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, 
	it was the season of Darkness, it was the spring of hope, it was the winter of despair, we had everything before us, 
	we had nothing before us, we were all going direct to Heaven, we were all going direct the other way—in short, the period was so far like
	the present period, that some of its noisiest authorities insisted on its being received, for good or for evil, in the superlative degree of comparison only.',
	NOW()
);

INSERT INTO splitters VALUES (1, 'recursive_character');

WITH document AS (
	SELECT id, document
	FROM documents
	WHERE id = 1
),

splitter AS (
	SELECT id, splitter
	FROM splitters
	WHERE id = 1
)

INSERT INTO document_chunks SELECT
	nextval('document_chunks_id_seq'::regclass),
	(SELECT id FROM document),
	(SELECT id FROM splitter),
	chunk_index,
	chunk
FROM
	pgml.chunk(
		(SELECT splitter FROM splitter),
		(SELECT document FROM document),
		'{"chunk_size": 2, "chunk_overlap": 2}'
	);

SELECT * FROM document_chunks LIMIT 5;
`;

describeTargets('PostgresML chunking example', { proxyOnly: true }, (target) => {
  const client = suiteClient(target);

  it('runs examples/chunking.sql as psql runs it, each chunk as pgml.chunk gives it for the document', async () => {
    const run = await execCapture(PSQL, ['-X', '-v', 'ON_ERROR_STOP=1', '-d', target().url(), '-f', '-'], { input: CHUNKING_SQL });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /INSERT 0 \d+/);
    const document = (await client().query('SELECT document FROM documents WHERE id = 1')).rows[0].document as string;
    const expected = await client().query(`SELECT chunk_index, chunk FROM pgml.chunk('recursive_character', $1, '{"chunk_size": 2, "chunk_overlap": 2}')`, [document]);
    assert.ok(expected.rows.length > 50);
    const written = await client().query('SELECT document_id, splitter_id, chunk_index, chunk FROM document_chunks ORDER BY id');
    assert.deepEqual(
      written.rows.map((r) => [Number(r.document_id), Number(r.splitter_id), Number(r.chunk_index), r.chunk]),
      expected.rows.map((r) => [1, 1, Number(r.chunk_index), r.chunk]),
    );
  });

  it('takes uncorrelated subqueries in the select list and inside a transaction block', async () => {
    await client().query(`CREATE TEMP TABLE chunk_texts (id int, body text)`);
    await client().query(`INSERT INTO chunk_texts VALUES (1, 'one two three four five six'), (2, 'seven eight')`);
    const kwargs = `'{"separator": " ", "chunk_size": 10, "chunk_overlap": 0}'`;
    const expected = (await client().query(`SELECT chunk FROM pgml.chunk('character', 'one two three four five six', ${kwargs})`)).rows;
    await client().query('BEGIN');
    const inBlock = await client().query(`SELECT chunk FROM pgml.chunk('character', (SELECT body FROM chunk_texts WHERE id = 1), ${kwargs})`);
    await client().query('COMMIT');
    assert.deepEqual(inBlock.rows, expected);
    const selectList = await client().query(`SELECT pgml.chunk('character', (SELECT body FROM chunk_texts WHERE id = 1), ${kwargs}) AS c`);
    const constant = await client().query(`SELECT pgml.chunk('character', 'one two three four five six', ${kwargs}) AS c`);
    assert.deepEqual(selectList.rows, constant.rows);
    assert.equal(selectList.rows.length, expected.length);
    const none = await client().query(`SELECT * FROM pgml.chunk('character', (SELECT body FROM chunk_texts WHERE id = 3))`);
    assert.equal(none.rows.length, 0);
  });

  it('keeps a correlated subquery per row, and fails with 40001 when the statement reads another value', async () => {
    await client().query(`CREATE TEMP TABLE chunk_rows (id int, body text)`);
    await client().query(`INSERT INTO chunk_rows VALUES (1, 'a b'), (2, 'c d')`);
    await client().query('BEGIN');
    // Per row in LATERAL, each document's subquery read for that document.
    const { rows } = await client().query(
      `SELECT d.id, c.chunk FROM chunk_rows d, LATERAL pgml.chunk('character', (SELECT body FROM chunk_rows x WHERE x.id = d.id)) c ORDER BY d.id`,
    );
    assert.deepEqual(rows, [{ id: 1, chunk: 'a b' }, { id: 2, chunk: 'c d' }]);
    await client().query('ROLLBACK');
    await client().query('CREATE TEMP SEQUENCE chunk_seq');
    const changing = `(SELECT nextval('chunk_seq')::text FROM chunk_rows LIMIT 1)`;
    await assert.rejects(client().query(`SELECT * FROM pgml.chunk('character', ${changing})`), sqlState('40001'));
    await assert.rejects(client().query(`SELECT pgml.chunk('character', ${changing})`), sqlState('40001'));
    assert.equal((await client().query('SELECT 1 AS ok')).rows[0].ok, 1);
  });
});
