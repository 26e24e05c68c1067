// pgml.embed over many rows (per-row evaluation in batches), nested in pgml.predict, in semantic
// search with pgml.cosine_similarity and pgvector, and on bad input, on both proxy targets. Every
// stored embedding is compared with a single pgml.embed call on the same text; /metrics shows how
// many requests reached the embedding thread, so a row-at-a-time evaluation fails the tests.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import { REPO_ROOT } from '../support/proxy.js';
import { describeTargets, type Target } from '../support/targets.js';

process.env.PGML_MODELS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'models');
const MODEL = 'pgml-test/tiny-bert';
/** Rows per FETCH in src/proxy/batch/run.ts: a run longer than this reports progress. */
const BATCH_ROWS = 10_000;
/** Rows per engine call within a FETCH (run.ts): one chunk is written while the next is embedded. */
const EVALUATION_ROWS = 1000;
/** Engine calls for `rows` rows staged in one run. */
const engineCalls = (rows: number) => Math.floor(rows / BATCH_ROWS) * Math.ceil(BATCH_ROWS / EVALUATION_ROWS) + Math.ceil((rows % BATCH_ROWS) / EVALUATION_ROWS);

const TOPICS = ['the cat', 'a dog', 'stock markets', 'the weather', 'a famous star', 'the new train'];
const VERBS = ['sat on the mat', 'rose sharply', 'fell today', 'lives alone', 'was amazing', 'is terrible'];
/** 100 distinct sentences; rows repeat some of them and hold a NULL and an empty string. */
const SENTENCES = Array.from({ length: 100 }, (_, i) => `${TOPICS[i % 6]} ${VERBS[Math.floor(i / 6) % 6]} ${i}`);

function sqlState(code: string) {
  return (error: unknown) => (error as { code?: string }).code === code;
}

function assertClose(actual: readonly number[] | null, expected: readonly number[] | null, what: string): void {
  assert.ok(actual && expected, `${what}: ${JSON.stringify(actual)?.slice(0, 40)} vs ${JSON.stringify(expected)?.slice(0, 40)}`);
  assert.equal(actual.length, expected.length, what);
  actual.forEach((x, i) => assert.ok(Math.abs(x - expected[i]!) < 1e-5, `${what} [${i}]: ${x} vs ${expected[i]}`));
}

/** Requests to the embedding thread and texts embedded for MODEL, from the proxy's /metrics. */
async function usage(target: Target): Promise<{ requests: number; texts: number }> {
  const text = await (await fetch(`${target.proxy!.httpUrl}/metrics`)).text();
  const read = (metric: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${metric}{model="${MODEL}"} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };
  return { requests: read('pgml_proxy_embedding_requests_total'), texts: read('pgml_proxy_embedding_texts_total') };
}

describeTargets('pgml.embed per row, nested and in search', { proxyOnly: true, http: true }, (target) => {
  let client: pg.Client;
  let notices: string[] = [];
  /** Each distinct body's embedding from its own single pgml.embed call. */
  const single = new Map<string, number[]>();

  async function embedOne(text: string): Promise<number[]> {
    let e = single.get(text);
    if (!e) {
      e = (await client.query(`SELECT pgml.embed($1, $2) AS e`, [MODEL, text])).rows[0].e as number[];
      single.set(text, e);
    }
    return e;
  }

  /** Runs `sql` and returns how many embedding requests and texts it cost. */
  async function measured(sql: string): Promise<{ requests: number; texts: number; result: pg.QueryResult }> {
    const before = await usage(target());
    const result = await client.query(sql);
    const after = await usage(target());
    return { requests: after.requests - before.requests, texts: after.texts - before.texts, result };
  }

  /** Every row's embedding equals the single-call embedding of its body; NULL bodies stay NULL. */
  async function assertEmbedded(table: string): Promise<void> {
    const { rows } = await client.query(`SELECT d.id, d.body, t.emb FROM docs d JOIN ${table} t USING (id) ORDER BY d.id`);
    assert.equal(rows.length, 120);
    for (const row of rows) {
      if (row.body === null) assert.equal(row.emb, null, `row ${row.id}`);
      else assertClose(row.emb, await embedOne(row.body), `row ${row.id} (${JSON.stringify(row.body)})`);
    }
  }

  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    client.on('notice', (n) => notices.push(n.message ?? ''));
    await client.connect();
    await client.query('CREATE TABLE docs (id int PRIMARY KEY, body text, emb real[])');
    // 120 rows: the 100 sentences, 18 repeats, one empty string and one NULL.
    await client.query(
      `INSERT INTO docs (id, body) SELECT i, CASE WHEN i = 119 THEN '' WHEN i = 120 THEN NULL ELSE ($1::text[])[(i - 1) % 100 + 1] END
         FROM generate_series(1, 120) i`,
      [SENTENCES],
    );
  });
  after(async () => {
    await client.end();
  });

  // 101 distinct non-NULL bodies (100 sentences and ''): one request to the embedding thread each time.
  const DISTINCT = 101;

  it('SELECT id, pgml.embed(m, body) FROM docs: one engine call, results equal single calls', async () => {
    const { requests, texts, result } = await measured(`SELECT id, pgml.embed('${MODEL}', body) AS emb FROM docs ORDER BY id`);
    assert.deepEqual({ requests, texts }, { requests: 1, texts: DISTINCT });
    await client.query('CREATE TEMP TABLE selected (id int, emb real[])');
    await client.query('INSERT INTO selected SELECT id, emb::real[] FROM unnest($1::int[], $2::text[]) AS t(id, emb)', [
      result.rows.map((r) => r.id),
      result.rows.map((r) => (r.emb === null ? null : `{${(r.emb as number[]).join(',')}}`)),
    ]);
    await assertEmbedded('selected');
  });

  it('UPDATE docs SET emb = pgml.embed(m, body) WHERE emb IS NULL', async () => {
    const { requests, texts, result } = await measured(`UPDATE docs SET emb = pgml.embed('${MODEL}', body) WHERE emb IS NULL`);
    assert.equal(result.rowCount, 120);
    assert.deepEqual({ requests, texts }, { requests: 1, texts: DISTINCT });
    await assertEmbedded('docs');
    // Done rows are not enumerated again.
    const again = await measured(`UPDATE docs SET emb = pgml.embed('${MODEL}', body) WHERE emb IS NULL AND body IS NOT NULL`);
    assert.deepEqual({ rows: again.result.rowCount, texts: again.texts }, { rows: 0, texts: 0 });
  });

  it('INSERT INTO e SELECT id, pgml.embed(m, body) FROM docs', async () => {
    await client.query('CREATE TABLE e (id int, emb real[])');
    const { requests, texts, result } = await measured(`INSERT INTO e SELECT id, pgml.embed('${MODEL}', body) FROM docs`);
    assert.equal(result.rowCount, 120);
    assert.deepEqual({ requests, texts }, { requests: 1, texts: DISTINCT });
    await assertEmbedded('e');
  });

  it('CREATE TABLE ... AS SELECT ... pgml.embed(...)', async () => {
    const { requests, texts } = await measured(`CREATE TABLE c AS SELECT id, pgml.embed('${MODEL}', body) AS emb FROM docs`);
    assert.deepEqual({ requests, texts }, { requests: 1, texts: DISTINCT });
    await assertEmbedded('c');
  });

  it('reports progress as notices on a run longer than one batch', async () => {
    const rows = BATCH_ROWS + 500;
    await client.query(`CREATE TABLE many AS SELECT i AS id, 'sentence ' || i AS body FROM generate_series(1, ${rows}) i`);
    notices = [];
    const { requests, result } = await measured(`SELECT count(pgml.embed('${MODEL}', body)) AS n FROM many`);
    assert.equal(Number(result.rows[0].n), rows);
    assert.equal(requests, engineCalls(rows));
    assert.deepEqual(
      notices.filter((n) => n.startsWith('pgml.embed:')),
      [`pgml.embed: ${BATCH_ROWS} of ${rows} rows`, `pgml.embed: ${rows} of ${rows} rows`],
    );
    const sample = await client.query(`SELECT body, pgml.embed('${MODEL}', body) AS emb FROM many WHERE id IN (1, ${rows}) ORDER BY id`);
    for (const r of sample.rows) assertClose(r.emb, await embedOne(r.body), r.body);
  });

  it('UPDATE over many engine calls: each row gets its own text\'s embedding, across chunk and batch edges', async () => {
    const rows = BATCH_ROWS + 500;
    await client.query('ALTER TABLE many ADD COLUMN emb real[]');
    const { requests, result } = await measured(`UPDATE many SET emb = pgml.embed('${MODEL}', body)`);
    assert.equal(result.rowCount, rows);
    assert.equal(requests, engineCalls(rows));
    const edges = [1, 2, EVALUATION_ROWS - 1, EVALUATION_ROWS, EVALUATION_ROWS + 1, 5 * EVALUATION_ROWS + 7, BATCH_ROWS, BATCH_ROWS + 1, rows];
    const stored = await client.query(`SELECT id, body, emb FROM many WHERE id = ANY($1::int[]) ORDER BY id`, [edges]);
    assert.deepEqual(stored.rows.map((r) => r.id), edges);
    // Bitwise: the stored float4 values are the single call's.
    for (const r of stored.rows) assert.deepEqual(r.emb, await embedOne(r.body), `row ${r.id}`);
    assert.equal((await client.query('SELECT count(*) AS n FROM many WHERE emb IS NULL')).rows[0].n, '0');
  });

  it('an engine call failing after others have run fails the UPDATE with nothing written; the session stays usable', async () => {
    await client.query('UPDATE many SET emb = NULL WHERE id <= 3000');
    const before = await usage(target());
    // Rows past the first chunks name a model that does not exist: the error comes from a later engine call.
    const sql = `UPDATE many SET emb = pgml.embed(CASE WHEN id > 2500 THEN 'pgml-test/no-such-model' ELSE '${MODEL}' END, body) WHERE id <= 3000`;
    await assert.rejects(client.query(sql), (error: { code?: string; message?: string }) => {
      assert.ok(error.code !== undefined && error.code !== 'XX000', String(error.code));
      assert.match(error.message ?? '', /no-such-model/);
      return true;
    });
    assert.ok((await usage(target())).requests > before.requests, 'some chunks were embedded before the failing one');
    assert.equal((await client.query('SELECT count(*) AS n FROM many WHERE id <= 3000 AND emb IS NOT NULL')).rows[0].n, '0');
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
  });

  it('nests pgml.embed with a bound parameter inside pgml.predict', async () => {
    await client.query(`CREATE TABLE labelled AS SELECT emb, (id % 2)::int AS label FROM docs WHERE emb IS NOT NULL`);
    await client.query(`SELECT * FROM pgml.train('embed_nested', 'classification', 'labelled', 'label', algorithm => 'xgboost')`);
    for (const text of [SENTENCES[3]!, 'a dog rose sharply today']) {
      const nested = await client.query(`SELECT pgml.predict('embed_nested', pgml.embed($1, $2)) AS p`, [MODEL, text]);
      const direct = await client.query(`SELECT pgml.predict('embed_nested', $1::real[]) AS p`, [await embedOne(text)]);
      assert.equal(nested.rows[0].p, direct.rows[0].p, text);
    }
  });

  // Per-row nesting: pgml.embed is evaluated in batches over the bodies, then pgml.predict in batches
  // over the distinct embeddings. Expected values: pgml.predict per row on docs.emb, which the UPDATE
  // test above filled with pgml.embed per row and checked against single calls. pgml.predict refuses
  // NULL features, so the row with a NULL body stays out.
  const PROJECT = 'embed_nested';
  const NESTED = `pgml.predict('${PROJECT}', pgml.embed('${MODEL}', body))`;

  async function predictedOnStoredEmbeddings(where = 'body IS NOT NULL'): Promise<{ id: number; p: number | null }[]> {
    return (await client.query(`SELECT id, pgml.predict('${PROJECT}', emb) AS p FROM docs WHERE ${where} ORDER BY id`)).rows;
  }

  it('SELECT id, pgml.predict(p, pgml.embed(m, body)) FROM docs: each call batched, equal to predicting on the stored embeddings', async () => {
    const { requests, texts, result } = await measured(`SELECT id, ${NESTED} AS p FROM docs WHERE body IS NOT NULL ORDER BY id`);
    assert.deepEqual({ requests, texts }, { requests: 1, texts: DISTINCT });
    const expected = await predictedOnStoredEmbeddings();
    assert.equal(result.rows.length, 119);
    assert.deepEqual(result.rows, expected);
    // Both classes occur, so a wrong lookup (say, every row reading one result) cannot pass.
    assert.equal(new Set(expected.filter((r) => r.p !== null).map((r) => r.p)).size, 2);

    // Over a VALUES list, as examples/clickbait/README.md suggests for your own headlines.
    const mine = await client.query(
      `SELECT id, pgml.predict('${PROJECT}', pgml.embed('${MODEL}', body)) AS p FROM (VALUES (7, $1), (8, $2)) AS mine(id, body) ORDER BY id`,
      [SENTENCES[6], SENTENCES[7]],
    );
    assert.deepEqual(mine.rows, expected.slice(6, 8));
  });

  it('nested inside an expression, in WHERE and ORDER BY', async () => {
    const cast = await measured(
      `SELECT id, pgml.predict('${PROJECT}', pgml.embed('${MODEL}', body)::real[]) AS p FROM docs WHERE id <= 60 ORDER BY id`,
    );
    assert.deepEqual({ requests: cast.requests, texts: cast.texts }, { requests: 1, texts: 60 });
    assert.deepEqual(cast.result.rows, await predictedOnStoredEmbeddings('id <= 60'));

    const filtered = await measured(
      `SELECT id FROM docs WHERE id > 10 AND body IS NOT NULL AND ${NESTED} = 1 ORDER BY ${NESTED} DESC, id`,
    );
    assert.equal(filtered.requests, 2, 'one engine call per call site');
    const ones = (await predictedOnStoredEmbeddings('id > 10 AND body IS NOT NULL')).filter((r) => r.p === 1).map((r) => ({ id: r.id }));
    assert.ok(ones.length > 0);
    assert.deepEqual(filtered.result.rows, ones);
  });

  it('UPDATE ... SET label = pgml.predict(p, pgml.embed(m, body)), and CREATE TABLE AS', async () => {
    await client.query('ALTER TABLE docs ADD COLUMN label real');
    const updated = await measured(`UPDATE docs SET label = ${NESTED} WHERE id BETWEEN 6 AND 100`);
    assert.equal(updated.result.rowCount, 95);
    assert.deepEqual({ requests: updated.requests, texts: updated.texts }, { requests: 1, texts: 95 });
    const labels = await client.query('SELECT id, label AS p FROM docs WHERE label IS NOT NULL ORDER BY id');
    assert.deepEqual(labels.rows, await predictedOnStoredEmbeddings('id BETWEEN 6 AND 100'));

    const created = await measured(`CREATE TABLE nested_ctas AS SELECT id, ${NESTED} AS p FROM docs WHERE body IS NOT NULL`);
    assert.deepEqual({ requests: created.requests, texts: created.texts }, { requests: 1, texts: DISTINCT });
    const stored = await client.query('SELECT id, p FROM nested_ctas ORDER BY id');
    assert.deepEqual(stored.rows, await predictedOnStoredEmbeddings());
  });

  it('nested per row in the extended protocol: $n in WHERE, model names as $n, a named statement bound twice', async () => {
    const before = await usage(target());
    const bounded = await client.query(`SELECT id, ${NESTED} AS p FROM docs WHERE id < $1 ORDER BY id`, [40]);
    assert.deepEqual(bounded.rows, await predictedOnStoredEmbeddings('id < 40'));
    const named = { name: 'nested_per_row', text: 'SELECT id, pgml.predict($1, pgml.embed($2, body)) AS p FROM docs WHERE id BETWEEN $3 AND $4 ORDER BY id' };
    for (const [low, high] of [[1, 30], [90, 119]] as const) {
      const r = await client.query({ ...named, values: [PROJECT, MODEL, low, high] });
      assert.deepEqual(r.rows, await predictedOnStoredEmbeddings(`id BETWEEN ${low} AND ${high}`));
    }
    assert.equal((await usage(target())).requests - before.requests, 3, 'one embedding request per Bind');
  });

  it('nested over more rows than one batch: an engine call per chunk, with progress per batch', async () => {
    notices = [];
    const { requests, result } = await measured(`SELECT count(${NESTED}) AS n FROM many`);
    assert.equal(Number(result.rows[0].n), BATCH_ROWS + 500);
    assert.equal(requests, engineCalls(BATCH_ROWS + 500));
    const progress = (fn: string) => notices.filter((n) => n.startsWith(`pgml.${fn}:`));
    assert.deepEqual(progress('embed'), [`pgml.embed: ${BATCH_ROWS} of ${BATCH_ROWS + 500} rows`, `pgml.embed: ${BATCH_ROWS + 500} of ${BATCH_ROWS + 500} rows`]);
    // One notice per batch of distinct embeddings (as many as the distinct bodies, unless two coincide).
    const predict = progress('predict');
    assert.equal(predict.length, 2, predict.join('; '));
    assert.match(predict[0]!, new RegExp(`^pgml\\.predict: ${BATCH_ROWS} of \\d+ rows$`));
  });

  it('still refused: nested calls reading an outer query\'s columns; a constant nested call is evaluated', async () => {
    await assert.rejects(
      client.query(`SELECT (SELECT pgml.predict('${PROJECT}', pgml.embed('${MODEL}', d.body)) FROM (VALUES (1)) v(x)) FROM docs d`),
      (e: { code?: string; hint?: string }) => e.code === '0A000' && /FROM/.test(e.hint ?? ''),
    );
    // A nested call that does not read the rows is evaluated once (no longer refused): here the
    // concatenation has twice the features the model takes, which the model itself refuses.
    await assert.rejects(
      client.query(`SELECT pgml.predict('${PROJECT}', emb || pgml.embed('${MODEL}', 'fixed')) FROM docs`),
      (e: { code?: string; message?: string }) => e.code === '22023' && /features, received/.test(e.message ?? ''),
    );
    // An error of the upstream while enumerating the inner call's arguments: reported as it is, and
    // the proxy's own transaction around the enumeration is rolled back, so the session goes on.
    await assert.rejects(
      client.query(`SELECT pgml.predict('${PROJECT}', pgml.embed('${MODEL}', body || (1 / (id - id))::text)) FROM docs`),
      sqlState('22012'),
    );
    assert.equal((await client.query('SELECT count(*)::int AS n FROM docs')).rows[0].n, 120);
  });

  it('orders a table by pgml.cosine_similarity to an embedded query', async () => {
    const query = 'a famous star lives alone';
    const { rows } = await client.query(
      `SELECT id, pgml.cosine_similarity(emb, pgml.embed('${MODEL}', '${query}')) AS sim FROM docs
        WHERE body <> '' ORDER BY pgml.cosine_similarity(emb, pgml.embed('${MODEL}', '${query}')) DESC, id LIMIT 10`,
    );
    // The same ranking computed here from the stored vectors and a single-call query embedding.
    const q = await embedOne(query);
    const all = await client.query(`SELECT id, emb FROM docs WHERE body <> '' ORDER BY id`);
    const cosine = (a: number[]) => {
      const dot = a.reduce((s, x, i) => s + x * q[i]!, 0);
      return dot / Math.hypot(...a) / Math.hypot(...q);
    };
    const expected = all.rows.map((r) => ({ id: r.id as number, sim: cosine(r.emb) })).sort((a, b) => b.sim - a.sim || a.id - b.id);
    rows.forEach((r, k) => assert.ok(Math.abs(r.sim - expected[k]!.sim) < 1e-5, `rank ${k}: ${r.id} ${r.sim} vs ${expected[k]!.id} ${expected[k]!.sim}`));
  });

  it('casts pgml.embed(...) to pgvector and orders by <=> where pgvector is installed', async (t) => {
    const available = await client.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`);
    if (available.rowCount === 0) {
      t.skip('this Postgres has no pgvector (pg_available_extensions lacks "vector")');
      return;
    }
    await client.query('CREATE EXTENSION IF NOT EXISTS vector');
    const query = 'the weather fell today';
    const cast = await client.query(`SELECT pgml.embed('${MODEL}', '${query}')::vector::text AS v`);
    assertClose(JSON.parse(cast.rows[0].v), await embedOne(query), 'vector cast');
    const byVector = await client.query(
      `SELECT id FROM docs WHERE body <> '' ORDER BY emb::vector <=> pgml.embed('${MODEL}', '${query}')::vector, id LIMIT 5`,
    );
    const byArray = await client.query(
      `SELECT id FROM docs WHERE body <> '' ORDER BY 1 - pgml.cosine_similarity(emb, pgml.embed('${MODEL}', '${query}')), id LIMIT 5`,
    );
    assert.deepEqual(byVector.rows, byArray.rows);
  });

  it('bad input: empty string, 100 KB text, unknown model per row, non-text argument; the session stays usable', async () => {
    const empty = await client.query(`SELECT pgml.embed($1, '') AS e`, [MODEL]);
    assert.equal(empty.rows[0].e.length, (await embedOne('x')).length);
    // Truncated to the model's max_seq_length, like sentence-transformers: the tail does not matter.
    const huge = await client.query(`SELECT pgml.embed($1, $2) AS e, pgml.embed($1, $3) AS f`, [MODEL, 'word '.repeat(20_000), 'word '.repeat(200) + 'cat '.repeat(100)]);
    assertClose(huge.rows[0].e, huge.rows[0].f, '100 KB text vs another over-long text with the same start');

    await assert.rejects(client.query(`UPDATE docs SET emb = pgml.embed('no-such-model', body)`), sqlState('42704'));
    // As Postgres resolves a call whose column argument fits no overload (id is an integer).
    await assert.rejects(client.query(`SELECT pgml.embed('${MODEL}', id) FROM docs`), sqlState('42883'));
    await assert.rejects(client.query(`SELECT pgml.embed('${MODEL}', body, '{"pooling": 1}') FROM docs`), sqlState('22023'));
    // Nothing was written by the failed UPDATE, and the connection answers.
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM docs WHERE emb IS NULL`);
    assert.equal(rows[0].n, 1);

    await client.query('BEGIN');
    await assert.rejects(client.query(`UPDATE docs SET emb = pgml.embed('no-such-model', body)`), sqlState('42704'));
    await assert.rejects(client.query('SELECT 1'), sqlState('25P02'));
    await client.query('ROLLBACK');
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
  });
});
