// PostgresML's documented way to keep embeddings, a column GENERATED ALWAYS AS (pgml.embed(...))
// STORED, through the proxy: the docs' statements as written (the model name made the offline tiny
// BERT, so vector(384) becomes vector(32)), each stored value compared with pgml.embed of the same
// text called on its own. Real Postgres has no pgvector here, so it runs the FLOAT[] guides; the
// embedded PGlite, which has it, runs the pgml.embed page's vector(...) form too.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { execCapture } from '../support/exec.js';
import { REPO_ROOT } from '../support/proxy.js';
import { suiteClient } from '../support/pg-client.js';
import { describeTargets } from '../support/targets.js';

process.env.PGML_MODELS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'models');

function sqlState(code: string, message?: RegExp) {
  return (error: unknown) => {
    const e = error as { code?: string; message?: string };
    return e.code === code && (message === undefined || message.test(e.message ?? ''));
  };
}

/** pgml.embed of one text, called on its own, as a list of numbers (vector's text is a JSON array). */
async function embedAlone(client: pg.Client, sql: string, text: string): Promise<number[]> {
  const { rows } = await client.query(sql, [text]);
  return rows[0].e as number[];
}

function vectorValue(value: unknown): number[] {
  return typeof value === 'string' ? (JSON.parse(value) as number[]) : (value as number[]);
}

describeTargets('generated columns computed by pgml functions', { proxyOnly: true }, (target) => {
  const suite = suiteClient(target);
  let client: pg.Client;
  before(() => {
    client = suite();
  });

  it('keeps embeddings as the in-database-generation guide does (FLOAT[], normalized)', async () => {
    await client.query(`CREATE TABLE documents_with_embeddings (
id SERIAL PRIMARY KEY,
body TEXT,
embedding FLOAT[] GENERATED ALWAYS AS (pgml.normalize_l2(pgml.embed('pgml-test/tiny-bert', body))) STORED
);`);
    const inserted = await client.query(`INSERT INTO documents_with_embeddings (body)
VALUES -- embedding vectors are automatically generated
    ('Example text data'),
    ('Another example document'),
    ('Some other thing');`);
    assert.equal(inserted.command, 'INSERT');
    assert.equal(inserted.rowCount, 3);
    const { rows } = await client.query('SELECT body, embedding FROM documents_with_embeddings ORDER BY id');
    assert.deepEqual(rows.map((r) => r.body), ['Example text data', 'Another example document', 'Some other thing']);
    for (const row of rows) {
      const alone = await embedAlone(client, `SELECT pgml.normalize_l2(pgml.embed('pgml-test/tiny-bert', $1))::float8[] AS e`, row.body);
      assert.equal(row.embedding.length, 32);
      assert.deepEqual(row.embedding, alone);
    }
  });

  it('runs the dimensionality-reduction guide: generated column, view, decomposition trained on it', async () => {
    await client.query('DROP TABLE IF EXISTS documents_with_embeddings');
    await client.query(`CREATE TABLE documents_with_embeddings
(
    id        serial PRIMARY KEY,
    body      text,
    embedding float[] GENERATED ALWAYS AS (pgml.normalize_l2(pgml.embed('pgml-test/tiny-bert', body))) STORED
);`);
    const inserted = await client.query(`INSERT INTO documents_with_embeddings (body)
VALUES -- embedding vectors are automatically generated
       ('Example text data'),
       ('Another example document'),
       ('Some other thing'),
       ('We need a few more documents'),
       ('At least as many documents as dimensions in the reduction'),
       ('Which normally isn''t a problem'),
       ('Unless you''re typing out a bunch of demo data');`);
    assert.equal(inserted.rowCount, 7);
    await client.query(`CREATE VIEW just_embeddings AS
SELECT embedding
FROM documents_with_embeddings;`);
    const trained = await client.query(`SELECT *
FROM pgml.train('Embedding Components', 'decomposition', 'just_embeddings', hyperparams => '{"n_components": 3}');`);
    assert.equal(trained.rows[0].task, 'decomposition');
    // The guide's statement as written: PostgresML declares pgml.decompose(text, real[]) alone, and a
    // float[] (double precision[]) column reaches real[] only by an assignment cast, which a function
    // call does not apply; Postgres answers 42883, through PostgresML as through the proxy.
    await assert.rejects(
      client.query(`SELECT pgml.decompose('Embedding Components', embedding) AS pca
FROM just_embeddings
LIMIT 10;`),
      sqlState('42883', /function pgml\.decompose\(unknown, double precision\[\]\) does not exist/),
    );
    const decomposed = await client.query(`SELECT pgml.decompose('Embedding Components', embedding::real[]) AS pca
FROM just_embeddings
LIMIT 10;`);
    assert.equal(decomposed.rows.length, 7);
    const { rows } = await client.query('SELECT body FROM documents_with_embeddings ORDER BY id');
    const alone = [];
    for (const row of rows) {
      const e = await client.query(
        `SELECT pgml.decompose('Embedding Components', pgml.normalize_l2(pgml.embed('pgml-test/tiny-bert', $1::text))::float8[]::real[]) AS pca`,
        [row.body],
      );
      alone.push(e.rows[0].pca);
    }
    // The view has no order: compare the sets of components.
    const key = (v: number[]) => JSON.stringify(v);
    assert.deepEqual(decomposed.rows.map((r) => key(r.pca)).sort(), alone.map(key).sort());
  });

  it('runs the vector-normalization and vector-aggregation guides: generated column, CREATE TABLE AS, normalizations, aggregates by id', async () => {
    await client.query(`CREATE TABLE documents (
   id SERIAL PRIMARY KEY,
   body TEXT,
   embedding FLOAT[] GENERATED ALWAYS AS (pgml.embed('pgml-test/tiny-bert', body)) STORED
);`);
    await client.query(`INSERT INTO documents (body)
VALUES -- embedding vectors are automatically generated
    ('Example text data'),
    ('Another example document'),
    ('Some other thing');`);
    await client.query(`CREATE TABLE documents_normalized_vectors AS 
SELECT 
    id AS document_id, 
    pgml.normalize_l2(embedding) AS normalized_l2_embedding
FROM documents;`);
    const { rows } = await client.query(`SELECT d.body, d.embedding, n.normalized_l2_embedding FROM documents d
      JOIN documents_normalized_vectors n ON n.document_id = d.id ORDER BY d.id`);
    assert.equal(rows.length, 3);
    for (const row of rows) {
      assert.deepEqual(row.embedding, await embedAlone(client, `SELECT pgml.embed('pgml-test/tiny-bert', $1)::float8[] AS e`, row.body));
      assert.deepEqual(row.normalized_l2_embedding, await embedAlone(client, `SELECT pgml.normalize_l2(pgml.embed('pgml-test/tiny-bert', $1)::float8[]) AS e`, row.body));
    }
    const l1 = await client.query('SELECT pgml.normalize_l1(embedding) FROM documents;');
    assert.equal(l1.rows.length, 3);
    // The vector-aggregation guide's statements over the same table, each against the same
    // statement over a one-row `documents` whose embedding is pgml.embed of the row's text alone.
    const aggregations = [
      `SELECT id, pgml.sum(embedding)
FROM documents
GROUP BY id;`,
      `SELECT id, pgml.divide(pgml.sum(embedding), count(*)) AS avg
FROM documents
GROUP BY id;`,
      `SELECT id, pgml.divide(pgml.sum(pgml.multiply(embedding, id)), count(*)) AS id_weighted_avg
FROM documents
GROUP BY id;`,
      `SELECT id, pgml.max_abs(embedding)
FROM documents
GROUP BY id;`,
      `SELECT id, pgml.min_abs(embedding)
FROM documents
GROUP BY id;`,
    ];
    const ids = (await client.query('SELECT id, body FROM documents ORDER BY id')).rows;
    for (const statement of aggregations) {
      const result = await client.query(statement);
      assert.equal(result.rows.length, 3, statement);
      for (const row of result.rows) {
        const body = ids.find((r) => r.id === row.id)?.body;
        const alone = statement.replace(
          'FROM documents',
          `FROM (SELECT $1::int AS id, pgml.embed('pgml-test/tiny-bert', $2::text)::float8[] AS embedding) AS documents`,
        );
        const expected = await client.query(alone, [row.id, body]);
        assert.deepEqual(row, expected.rows[0], statement);
      }
    }
  });

  it('computes the column in INSERT ... SELECT, and recomputes it when UPDATE sets what it reads', async () => {
    await client.query(`CREATE TABLE notes (id int PRIMARY KEY, body text, tag text,
      embedding FLOAT[] GENERATED ALWAYS AS (pgml.embed('pgml-test/tiny-bert', body)) STORED)`);
    await client.query(`INSERT INTO notes (id, body) SELECT i, 'note number ' || i FROM generate_series(1, 4) AS i`);
    await client.query(`UPDATE notes SET body = upper(body) WHERE id % 2 = 0`);
    await client.query(`UPDATE notes SET tag = 'kept' WHERE id = 1`);
    const { rows } = await client.query('SELECT id, body, embedding FROM notes ORDER BY id');
    assert.deepEqual(rows.map((r) => r.body), ['note number 1', 'NOTE NUMBER 2', 'note number 3', 'NOTE NUMBER 4']);
    for (const row of rows) {
      assert.deepEqual(row.embedding, await embedAlone(client, `SELECT pgml.embed('pgml-test/tiny-bert', $1)::float8[] AS e`, row.body), `row ${row.id}`);
    }
    // Renamed table and column: the definition is kept by number.
    await client.query('ALTER TABLE notes RENAME COLUMN body TO text_body');
    await client.query('ALTER TABLE notes RENAME TO renamed_notes');
    await client.query(`UPDATE renamed_notes SET text_body = 'renamed' WHERE id = 3`);
    const renamed = await client.query('SELECT embedding FROM renamed_notes WHERE id = 3');
    assert.deepEqual(renamed.rows[0].embedding, await embedAlone(client, `SELECT pgml.embed('pgml-test/tiny-bert', $1)::float8[] AS e`, 'renamed'));
    // Dropped: a new plain table of the same name is written as any table.
    await client.query('DROP TABLE renamed_notes');
    await client.query('CREATE TABLE renamed_notes (text_body text, embedding float8[])');
    await client.query(`INSERT INTO renamed_notes (text_body, embedding) VALUES ('plain', '{1,2}')`);
    assert.deepEqual((await client.query('SELECT embedding FROM renamed_notes')).rows[0].embedding, [1, 2]);
  });

  it('ALTER TABLE ... ADD COLUMN ... GENERATED fills every existing row, in one transaction', async () => {
    await client.query(`CREATE TABLE t (id int PRIMARY KEY, body text)`);
    await client.query(`INSERT INTO t SELECT i, 'existing row ' || i FROM generate_series(1, 5) AS i`);
    await client.query(`UPDATE t SET body = NULL WHERE id = 5`);
    const added = await client.query(`ALTER TABLE t ADD COLUMN e FLOAT[] GENERATED ALWAYS AS (pgml.embed('pgml-test/tiny-bert', body)) STORED`);
    assert.equal(added.command, 'ALTER');
    await client.query(`INSERT INTO t (id, body) VALUES (6, 'added after')`);
    const { rows } = await client.query('SELECT id, body, e FROM t ORDER BY id');
    assert.equal(rows.length, 6);
    for (const row of rows) {
      const alone = await client.query(`SELECT pgml.embed('pgml-test/tiny-bert', $1::text)::float8[] AS e`, [row.body]);
      assert.deepEqual(row.e, alone.rows[0].e, `row ${row.id}`);
    }
    assert.equal(rows[4].e, null);
    // A fill that fails leaves nothing: no column, no definition, the session usable.
    await assert.rejects(
      client.query(`ALTER TABLE t ADD COLUMN bad FLOAT[] GENERATED ALWAYS AS (pgml.embed('pgml-test/no-such-model', body)) STORED`),
      (error: unknown) => /no-such-model/.test((error as Error).message) && (error as { code?: string }).code !== 'XX000',
    );
    const columns = await client.query(`SELECT attname FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`);
    assert.deepEqual(columns.rows.map((r) => r.attname), ['id', 'body', 'e']);
    assert.equal((await client.query(`SELECT count(*)::int AS n FROM pgml_proxy.generated_columns WHERE table_oid = 't'::regclass`)).rows[0].n, 1);
    // In the client's block, rolled back with it.
    await client.query('BEGIN');
    await client.query(`ALTER TABLE t ADD COLUMN e2 FLOAT[] GENERATED ALWAYS AS (pgml.embed('pgml-test/tiny-bert', upper(body))) STORED`);
    const inBlock = await client.query(`SELECT body, e2 FROM t WHERE id = 1`);
    assert.deepEqual(inBlock.rows[0].e2, (await client.query(`SELECT pgml.embed('pgml-test/tiny-bert', upper($1::text))::float8[] AS e`, [inBlock.rows[0].body])).rows[0].e);
    await client.query('ROLLBACK');
    assert.equal((await client.query(`SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'e2'`)).rows[0].n, 0);
  });

  it('CREATE TABLE IF NOT EXISTS creates the column once, and skips a table that exists as Postgres does', async () => {
    const ddl = `CREATE TABLE IF NOT EXISTS maybe_docs (body TEXT, embedding FLOAT[] GENERATED ALWAYS AS (pgml.embed('pgml-test/tiny-bert', body)) STORED)`;
    const notices: string[] = [];
    client.on('notice', (notice) => notices.push(notice.message ?? ''));
    try {
      assert.equal((await client.query(ddl)).command, 'CREATE');
      assert.deepEqual(notices, []);
      assert.equal((await client.query(ddl)).command, 'CREATE');
      assert.deepEqual(notices, ['relation "maybe_docs" already exists, skipping']);
    } finally {
      client.removeAllListeners('notice');
    }
    assert.equal((await client.query(`SELECT count(*)::int AS n FROM pgml_proxy.generated_columns WHERE table_oid = 'maybe_docs'::regclass`)).rows[0].n, 1);
    await client.query(`INSERT INTO maybe_docs (body) VALUES ('only once')`);
    const { rows } = await client.query('SELECT embedding FROM maybe_docs');
    assert.deepEqual(rows[0].embedding, await embedAlone(client, `SELECT pgml.embed('pgml-test/tiny-bert', $1)::float8[] AS e`, 'only once'));
  });

  it('INSERT ... ON CONFLICT DO UPDATE SET body = EXCLUDED.body recomputes the column', async () => {
    await client.query(`CREATE TABLE upserted (id int PRIMARY KEY, body text, tag text,
      embedding FLOAT[] GENERATED ALWAYS AS (pgml.embed('pgml-test/tiny-bert', body)) STORED)`);
    await client.query(`INSERT INTO upserted (id, body) VALUES (1, 'first text'), (2, 'second text')`);
    const upsert = await client.query(`INSERT INTO upserted (id, body) VALUES (1, 'replaced text'), (3, 'third text')
      ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body`);
    assert.equal(upsert.rowCount, 2);
    await client.query(`INSERT INTO upserted (id, body) SELECT 2, 'selected ' || 'text' ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body`);
    await client.query(`INSERT INTO upserted (id, body) VALUES (3, 'not written') ON CONFLICT (id) DO UPDATE SET tag = 'tagged'`);
    await client.query(`INSERT INTO upserted (id, body) VALUES (3, 'not written either') ON CONFLICT (id) DO NOTHING`);
    const { rows } = await client.query('SELECT id, body, tag, embedding FROM upserted ORDER BY id');
    assert.deepEqual(rows.map((r) => [r.body, r.tag]), [['replaced text', null], ['selected text', null], ['third text', 'tagged']]);
    for (const row of rows) {
      assert.deepEqual(row.embedding, await embedAlone(client, `SELECT pgml.embed('pgml-test/tiny-bert', $1)::float8[] AS e`, row.body), `row ${row.id}`);
    }
    // The expression over a mix of the existing and the proposed row is not computed: refused, nothing written.
    await assert.rejects(
      client.query(`INSERT INTO upserted (id, body) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET body = upserted.body || EXCLUDED.body`),
      sqlState('0A000', /only from the proposed row/),
    );
    await assert.rejects(
      client.query(`INSERT INTO upserted (id, body) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET embedding = '{1}'`),
      sqlState('428C9', /^column "embedding" can only be updated to DEFAULT$/),
    );
    assert.equal((await client.query('SELECT body FROM upserted WHERE id = 1')).rows[0].body, 'replaced text');
  });

  it('refuses COPY FROM into the table clearly (psql \\copy and COPY FROM STDIN), writing nothing', async () => {
    await client.query(`CREATE TABLE copied_docs (body text, embedding FLOAT[] GENERATED ALWAYS AS (pgml.embed('pgml-test/tiny-bert', body)) STORED)`);
    const scratch = mkdtempSync(join(tmpdir(), 'pgml-generated-copy-'));
    try {
      const source = join(scratch, 'bodies.csv');
      writeFileSync(source, 'first copied\nsecond copied\n');
      const psql = (args: string[], input?: string) =>
        execCapture(process.env.PSQL ?? '/usr/bin/psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose', '-d', target().url(), ...args], { input });
      for (const run of [psql(['-c', `\\copy copied_docs (body) from '${source}' csv`]), psql(['-c', 'COPY copied_docs (body) FROM STDIN'], 'from stdin\n\\.\n')]) {
        const r = await run;
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /ERROR:\s+0A000: column "embedding" of relation "copied_docs" is computed by pgml-proxy/);
        assert.match(r.stderr, /HINT:\s+.*use INSERT \.\.\. SELECT from a table COPY filled/);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    assert.equal((await client.query('SELECT count(*)::int AS n FROM copied_docs')).rows[0].n, 0);
    // The session that tried is still usable and the documented detour works.
    await client.query(`INSERT INTO copied_docs (body) VALUES ('after the refusal')`);
    const { rows } = await client.query('SELECT body, embedding FROM copied_docs');
    assert.deepEqual(rows[0].embedding, await embedAlone(client, `SELECT pgml.embed('pgml-test/tiny-bert', $1)::float8[] AS e`, 'after the refusal'));
  });

  it('sees the table in the transaction that creates it', async () => {
    await client.query('BEGIN');
    await client.query(`CREATE TABLE in_block (body text, embedding FLOAT[] GENERATED ALWAYS AS (pgml.embed('pgml-test/tiny-bert', body)) STORED)`);
    await client.query(`INSERT INTO in_block (body) VALUES ('inside the block')`);
    await client.query('COMMIT');
    const { rows } = await client.query('SELECT embedding FROM in_block');
    assert.deepEqual(rows[0].embedding, await embedAlone(client, `SELECT pgml.embed('pgml-test/tiny-bert', $1)::float8[] AS e`, 'inside the block'));
  });

  it('fails as Postgres fails for an explicit value, and refuses writes that do not compute the column', async () => {
    await client.query(`CREATE TABLE guarded (body text, embedding FLOAT[] GENERATED ALWAYS AS (pgml.embed('pgml-test/tiny-bert', body)) STORED)`);
    await assert.rejects(client.query(`INSERT INTO guarded (body, embedding) VALUES ('x', '{1,2}')`), (error: unknown) => {
      const e = error as { code?: string; message?: string; detail?: string };
      return e.code === '428C9' && e.message === 'cannot insert a non-DEFAULT value into column "embedding"' && e.detail === 'Column "embedding" is a generated column.';
    });
    await client.query(`INSERT INTO guarded VALUES ('y', DEFAULT)`);
    await assert.rejects(client.query(`UPDATE guarded SET embedding = '{1}'`), sqlState('428C9', /^column "embedding" can only be updated to DEFAULT$/));
    const { rows } = await client.query(`SELECT body, embedding FROM guarded`);
    assert.deepEqual(rows.map((r) => r.body), ['y']);
    assert.deepEqual(rows[0].embedding, await embedAlone(client, `SELECT pgml.embed('pgml-test/tiny-bert', $1)::float8[] AS e`, 'y'));
    const cluster = target().cluster;
    if (cluster === undefined) return;
    // Straight to the upstream, without the proxy: refused rather than left without its embedding.
    const direct = new pg.Client({ connectionString: cluster.url('postgres', undefined, target().database) });
    await direct.connect();
    try {
      await assert.rejects(direct.query(`INSERT INTO guarded (body) VALUES ('z')`), sqlState('0A000', /column "embedding" of relation "guarded" is computed by pgml-proxy/));
      await assert.rejects(direct.query(`UPDATE guarded SET body = 'w'`), sqlState('0A000'));
    } finally {
      await direct.end();
    }
  });

  it('only the owner of a table records a generated column of it (the expression runs in other roles\' INSERTs)', async () => {
    const cluster = target().cluster;
    if (cluster === undefined) return; // the embedded database has one role
    await client.query(`CREATE TABLE shared_notes (body text, embedding FLOAT[] GENERATED ALWAYS AS (pgml.embed('pgml-test/tiny-bert', body)) STORED)`);
    await client.query(`CREATE TABLE plain_notes (body text, extra text)`);
    await client.query(`CREATE ROLE mallory LOGIN; GRANT INSERT, SELECT ON shared_notes, plain_notes TO mallory`);
    const mallory = new pg.Client({ connectionString: cluster.url('mallory', undefined, target().database) });
    await mallory.connect();
    try {
      for (const [table, attnum] of [['shared_notes', 1], ['plain_notes', 2]] as const) {
        await assert.rejects(
          mallory.query(`INSERT INTO pgml_proxy.generated_columns VALUES ('${table}'::regclass, ${attnum}, 'current_user', '{}')`),
          sqlState('42501', /row-level security/),
        );
      }
    } finally {
      await mallory.end();
    }
    assert.deepEqual((await client.query(`SELECT attnum FROM pgml_proxy.generated_columns WHERE table_oid = 'shared_notes'::regclass`)).rows, [{ attnum: 2 }]);
  });

  it('runs the pgml.embed page as written, vector(32) on the embedded database with pgvector', async (t) => {
    if (target().kind !== 'proxy-pglite') return t.skip('pgvector is installed only with the embedded database here');
    await client.query(`CREATE TABLE star_wars_quotes (
  quote TEXT NOT NULL,
  embedding vector(32) GENERATED ALWAYS AS (
    pgml.embed('pgml-test/tiny-bert', quote, '{"prompt": "passage: "}')
  ) STORED
);`);
    await client.query(`INSERT INTO star_wars_quotes (quote)
VALUES
    ('I find your lack of faith disturbing'),
    ('I''ve got a bad feeling about this.'),
    ('Do or do not, there is no try.');`);
    const { rows } = await client.query('SELECT quote, embedding::text AS embedding FROM star_wars_quotes');
    assert.equal(rows.length, 3);
    for (const row of rows) {
      const alone = await client.query(`SELECT pgml.embed('pgml-test/tiny-bert', $1, '{"prompt": "passage: "}')::vector(32)::text AS e`, [row.quote]);
      assert.deepEqual(vectorValue(row.embedding), vectorValue(alone.rows[0].e));
    }
    const nearest = await client.query(`SELECT quote
FROM star_wars_quotes
ORDER BY pgml.embed(
    'pgml-test/tiny-bert',
    'Feel the force!',
  '{"prompt": "query: "}'::JSONB
  )::vector <=> embedding DESC
LIMIT 1;`);
    const query = await client.query(`SELECT pgml.embed('pgml-test/tiny-bert', 'Feel the force!', '{"prompt": "query: "}'::JSONB)::vector::text AS q`);
    const ranked = await client.query(`SELECT quote FROM star_wars_quotes ORDER BY $1::vector <=> embedding DESC LIMIT 1`, [query.rows[0].q]);
    assert.equal(nearest.rows[0].quote, ranked.rows[0].quote);
  });
});
