// Per-row calls in the select list, evaluated in one pass over the statement's own rows (issue 11):
// volatile FROMs (ORDER BY random() LIMIT n, TABLESAMPLE), a concurrent writer, LIMIT, portals
// executed in pieces, the extended protocol with binary results, nested per-row calls and
// inlined functions. Every result is compared, as the client received it, with one constant call
// per row computed separately; none may be NULL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import postgres from 'postgres';
import { describeTargets } from '../support/targets.js';
import { headlinesTable } from '../support/clickbait.js';
import { BufferList, RawConnection, dataRowValues, errorFields, frontendMessage, syncMessage } from '../support/raw-wire.js';

const SETUP = `
  CREATE TABLE reg AS
  SELECT i AS id, sin(i)::real AS a, cos(i * 1.3)::real AS b, (3 * sin(i) - 2 * cos(i * 1.3))::real AS y
    FROM generate_series(1, 300) AS i;
  CREATE VIEW reg_train AS SELECT a, b, y FROM reg;
  CREATE TABLE live (id serial PRIMARY KEY, a real, b real);
  INSERT INTO live (a, b) SELECT sin(i), cos(i) FROM generate_series(1, 200) AS i;
  CREATE FUNCTION reg_predict(a real, b real) RETURNS real LANGUAGE sql AS $$ SELECT pgml.predict('reg', ARRAY[a, b]) $$;`;

/** Every value as the text the server sent: the comparison is of what the client received. */
const rawText = { getTypeParser: () => (value: string) => value };

describeTargets('per-row calls in one pass', { proxyOnly: true }, (target) => {
  let client: pg.Client;
  let raw: pg.Client;
  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    await client.connect();
    await client.query(SETUP);
    await client.query(`SELECT * FROM pgml.train('reg', 'regression', 'reg_train', 'y', 'xgboost', '{"n_estimators": 20}')`);
    raw = new pg.Client({ connectionString: target().url(), types: rawText });
    await raw.connect();
  });
  after(async () => {
    await raw?.end();
    await client?.end();
  });

  /** The constant call for one row's features, as text. */
  const constant = async (a: string, b: string): Promise<string> => {
    const r = await raw.query(`SELECT pgml.predict('reg', ARRAY[${a}, ${b}]::real[]) AS p`);
    return r.rows[0].p;
  };

  /** Each row's result equals the constant call on that row's features, and is never NULL. */
  const assertExact = async (rows: { a: string; b: string; p: string | null }[], column = 'p'): Promise<void> => {
    for (const row of rows) {
      assert.notEqual(row.p, null, `a NULL ${column} for features (${row.a}, ${row.b})`);
      assert.equal(row.p, await constant(row.a, row.b), `features (${row.a}, ${row.b})`);
    }
  };

  test('ORDER BY random() LIMIT n: every row exact, none NULL', async () => {
    const r = await raw.query(`SELECT id, a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg ORDER BY random() LIMIT 40`);
    assert.equal(r.rows.length, 40);
    await assertExact(r.rows);
    assert.deepEqual(r.fields.map((f) => [f.name, f.dataTypeID]), [['id', 23], ['a', 700], ['b', 700], ['p', 700]]);
  });

  test('a volatile FROM: a subquery ordered by random(), TABLESAMPLE', async () => {
    const sub = await raw.query(`SELECT a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM (SELECT * FROM reg ORDER BY random() LIMIT 25) s`);
    assert.equal(sub.rows.length, 25);
    await assertExact(sub.rows);
    const sample = await raw.query(`SELECT a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg TABLESAMPLE BERNOULLI (20)`);
    await assertExact(sample.rows);
  });

  test('LIMIT, WHERE, an unaliased column keeps its name, two calls in one row', async () => {
    const r = await raw.query(
      `SELECT a, b, pgml.predict('reg', ARRAY[a, b]), pgml.predict('reg', ARRAY[b, a]) AS q FROM reg WHERE id > 100 ORDER BY id LIMIT 5`,
    );
    assert.deepEqual(r.fields.map((f) => f.name), ['a', 'b', 'predict', 'q']);
    assert.equal(r.rows.length, 5);
    for (const row of r.rows) {
      assert.equal(row.predict, await constant(row.a, row.b));
      assert.equal(row.q, await constant(row.b, row.a));
    }
  });

  test('rows over many batches arrive in order, each exact', async () => {
    // 3000 rows: several one-pass batches, answered by the pool together or apart, each written in turn.
    const r = await raw.query(`SELECT k, id, a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg, generate_series(1, 10) AS k ORDER BY k, id`);
    assert.equal(r.rows.length, 3000);
    assert.deepEqual(
      r.rows.map((row) => `${row.k}:${row.id}`),
      Array.from({ length: 3000 }, (_, i) => `${Math.floor(i / 300) + 1}:${(i % 300) + 1}`),
    );
    const byFeatures = new Map<string, string>();
    for (const row of r.rows.slice(0, 300)) byFeatures.set(`${row.a},${row.b}`, await constant(row.a, row.b));
    for (const row of r.rows) assert.equal(row.p, byFeatures.get(`${row.a},${row.b}`), `row ${row.k}:${row.id}`);
  });

  test('a concurrent writer inserting rows during the statements', async () => {
    const writer = new pg.Client({ connectionString: target().url() });
    await writer.connect();
    let writing = true;
    const inserts = (async () => {
      while (writing) await writer.query('INSERT INTO live (a, b) SELECT random(), random() FROM generate_series(1, 20)');
    })();
    try {
      for (let round = 0; round < 3; round++) {
        const r = await raw.query(`SELECT a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM live ORDER BY id DESC LIMIT 30`);
        assert.equal(r.rows.length, 30);
        await assertExact(r.rows);
      }
    } finally {
      writing = false;
      await inserts;
      await writer.end();
    }
  });

  test('several statements in one Query, in a transaction block, and an inlined function', async () => {
    const results = (await raw.query(
      `SELECT 1 AS one; SELECT a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg ORDER BY random() LIMIT 3; SELECT 2 AS two`,
    )) as unknown as pg.QueryResult[];
    assert.deepEqual(results.map((r) => r.rows.length), [1, 3, 1]);
    await assertExact(results[1]!.rows);
    await raw.query('BEGIN');
    const inBlock = await raw.query(`SELECT a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg ORDER BY random() LIMIT 3`);
    await raw.query('COMMIT');
    await assertExact(inBlock.rows);
    const inlined = await raw.query(`SELECT a, b, reg_predict(a, b) AS p FROM reg ORDER BY random() LIMIT 5`);
    await assertExact(inlined.rows);
  });

  test('extended protocol: parameters, binary results', async () => {
    const r = await raw.query(`SELECT a, b, pgml.predict($1, ARRAY[a, b]) AS p FROM reg WHERE id <= $2 ORDER BY random()`, ['reg', 20]);
    assert.equal(r.rows.length, 20);
    await assertExact(r.rows);
    // Binary results compared as raw wire bytes (node-postgres decodes binary values as UTF-8
    // before parsing them): each float4 as the server's own float4send writes the constant call.
    const wire = await RawConnection.open(target().host, target().port);
    try {
      await wire.startup('postgres', target().database);
      const sql = `SELECT id, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg ORDER BY random() LIMIT 10`;
      const binaryResults = new BufferList().int16(1).int16(1);
      wire.write(
        Buffer.concat([
          frontendMessage('P', new BufferList().cstring('').cstring(sql).int16(0).body()),
          frontendMessage('B', new BufferList().cstring('').cstring('').int16(0).int16(0).raw(binaryResults.body()).body()),
          frontendMessage('E', new BufferList().cstring('').int32(0).body()),
          syncMessage(),
        ]),
      );
      const messages = await wire.readUntil('Z');
      assert.deepEqual(messages.filter((m) => m.type === 'E').map(errorFields), []);
      const rows = messages.filter((m) => m.type === 'D');
      assert.equal(rows.length, 10);
      for (const row of rows) {
        const [id, p] = dataRowValues(row.body);
        assert.equal(id?.length, 4);
        const features = await raw.query('SELECT a, b FROM reg WHERE id = $1', [id!.readInt32BE(0)]);
        const { a, b } = features.rows[0];
        const want = await client.query(`SELECT float4send(pgml.predict('reg', ARRAY[${a}, ${b}]::real[])) AS bytes`);
        assert.deepEqual(p, want.rows[0].bytes, `row ${id!.readInt32BE(0)}`);
      }
    } finally {
      wire.destroy();
    }
  });

  test('a portal executed in pieces (Execute with a row limit)', async () => {
    const sql = postgres(target().url(), { max: 1, onnotice: () => {} });
    try {
      const seen: { a: number; b: number; p: number }[] = [];
      let pieces = 0;
      const cursor = sql<{ a: number; b: number; p: number }[]>`SELECT a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg ORDER BY random() LIMIT 23`.cursor(5);
      for await (const rows of cursor) {
        pieces++;
        assert.ok(rows.length <= 5);
        seen.push(...rows);
      }
      assert.equal(pieces, 5);
      assert.equal(seen.length, 23);
      for (const row of seen) {
        assert.notEqual(row.p, null);
        assert.equal(Math.fround(row.p), Math.fround(Number(await constant(String(row.a), String(row.b)))));
      }
    } finally {
      await sql.end();
    }
  });

  test('nested per-row calls: pgml.predict(p, pgml.embed(m, headline))', { timeout: 120_000 }, async () => {
    await client.query(headlinesTable('headlines'));
    await client.query(`CREATE TABLE headline_features AS SELECT is_clickbait, pgml.embed('wink/sg-100d', headline) AS emb FROM headlines`);
    await client.query(`SELECT * FROM pgml.train('cb', 'classification', 'headline_features', 'is_clickbait', 'xgboost', '{"n_estimators": 5}')`);
    const r = await raw.query(
      `SELECT headline, pgml.predict('cb', pgml.embed('wink/sg-100d', headline)) AS p FROM headlines ORDER BY random() LIMIT 6`,
    );
    assert.equal(r.rows.length, 6);
    for (const row of r.rows) {
      const one = await raw.query(`SELECT pgml.predict('cb', pgml.embed('wink/sg-100d', $1::text)) AS p`, [row.headline]);
      assert.notEqual(row.p, null);
      assert.equal(row.p, one.rows[0].p, row.headline);
    }
  });

  test('outside the select list over a volatile FROM: exact (the keyed path reads its FROM once)', async () => {
    const volatileWhere = `SELECT a, b FROM (SELECT * FROM reg ORDER BY random() LIMIT 40) s WHERE pgml.predict('reg', ARRAY[a, b]) > 0`;
    for (let round = 0; round < 3; round++) {
      const r = await raw.query(volatileWhere);
      for (const row of r.rows) assert.ok(Number(await constant(row.a, row.b)) > 0, `row (${row.a}, ${row.b}) does not satisfy the WHERE`);
    }
    const stable = await raw.query(`SELECT a, b FROM reg WHERE id <= 30 AND pgml.predict('reg', ARRAY[a, b]) > 0 ORDER BY id`);
    const want = [];
    for (const row of (await raw.query('SELECT a, b FROM reg WHERE id <= 30 ORDER BY id')).rows) {
      if (Number(await constant(row.a, row.b)) > 0) want.push(row);
    }
    assert.deepEqual(stable.rows, want);
  });

  test('pgml.predict_batch in the select list returns its rows, as a set-returning function does there', async () => {
    const rows = (await raw.query('SELECT a, b FROM reg WHERE id <= 3 ORDER BY id')).rows;
    const features = rows.flatMap((r) => [r.a, r.b]).join(', ');
    const r = await raw.query(`SELECT pgml.predict_batch('reg', ARRAY[${features}]::real[])`);
    assert.deepEqual(r.fields.map((f) => f.name), ['predict_batch']);
    const want = [];
    for (const row of rows) want.push(await constant(row.a, row.b));
    assert.deepEqual(r.rows.map((row) => row.predict_batch), want);
    const bound = await raw.query(`SELECT pgml.predict_batch($1, ARRAY[${features}]::real[]) AS p`, ['reg']);
    assert.deepEqual(bound.rows.map((row) => row.p), want);
  });

  test('a cursor over a per-row call, fetched in pieces inside a transaction block', async () => {
    await raw.query('BEGIN');
    await raw.query(`DECLARE c CURSOR FOR SELECT a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg WHERE id <= 12 ORDER BY id`);
    const pieces = [];
    for (let i = 0; i < 3; i++) pieces.push((await raw.query('FETCH 5 FROM c')).rows);
    await raw.query('COMMIT');
    assert.deepEqual(pieces.map((rows) => rows.length), [5, 5, 2]);
    await assertExact(pieces.flat());
    // Outside a block WITH HOLD: one pass needs no block of its own (pgml-one-pass-cursor.test.ts).
    await raw.query(`DECLARE d CURSOR WITH HOLD FOR SELECT a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg ORDER BY id`);
    await assertExact((await raw.query('FETCH 4 FROM d')).rows);
    await raw.query('CLOSE d');
  });

  test('an evaluation error mid-statement: a clear error, the block aborted, the session usable', async () => {
    await assert.rejects(raw.query(`SELECT pgml.predict('reg', ARRAY[a]) FROM reg`), { code: '22023' });
    await raw.query('BEGIN');
    await assert.rejects(raw.query(`SELECT pgml.predict('reg', ARRAY[a]) FROM reg`), { code: '22023' });
    await assert.rejects(raw.query('SELECT 1'), { code: '25P02' });
    await raw.query('ROLLBACK');
    await assert.rejects(raw.query(`SELECT pgml.predict('reg', ARRAY[a]) FROM reg WHERE id < $1`, [5]), { code: '22023' });
    const ok = await raw.query('SELECT 1 AS one');
    assert.equal(ok.rows[0].one, '1');
  });
});
