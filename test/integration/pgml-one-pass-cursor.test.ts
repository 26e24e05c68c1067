// SQL cursors over per-row calls in one pass (issue 11): DECLARE goes upstream once, over the
// SELECT with typed NULLs in place of the calls and their arguments as extra columns, and each
// FETCH's rows are evaluated as they stream back. Fetched in pieces over volatile FROMs, with a
// concurrent writer, BINARY, SCROLL backward, WITH HOLD across COMMIT, and every way a cursor ends:
// a stale name must never strip columns of another cursor's rows. Every result is compared, as the
// client received it, with one constant call per row computed separately; none may be NULL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { describeTargets } from '../support/targets.js';
import { RawConnection, dataRowValues, errorFields, queryMessage } from '../support/raw-wire.js';

const SETUP = `
  CREATE TABLE reg AS
  SELECT i AS id, sin(i)::real AS a, cos(i * 1.3)::real AS b, (3 * sin(i) - 2 * cos(i * 1.3))::real AS y
    FROM generate_series(1, 300) AS i;
  CREATE VIEW reg_train AS SELECT a, b, y FROM reg;
  CREATE TABLE live (id serial PRIMARY KEY, a real, b real);
  INSERT INTO live (a, b) SELECT sin(i), cos(i) FROM generate_series(1, 50) AS i;`;

/** Every value as the server sent it (text, or a Buffer for binary): the comparison is of what the client received. */
const raw = { getTypeParser: () => (value: string) => value };

type Row = { a: string; b: string; p: string | null };

describeTargets('cursors over per-row calls in one pass', { proxyOnly: true }, (target, kind) => {
  let client: pg.Client;
  before(async () => {
    const setup = new pg.Client({ connectionString: target().url() });
    await setup.connect();
    await setup.query(SETUP);
    await setup.query(`SELECT * FROM pgml.train('reg', 'regression', 'reg_train', 'y', 'xgboost', '{"n_estimators": 20}')`);
    await setup.end();
    client = new pg.Client({ connectionString: target().url(), types: raw });
    await client.connect();
  });
  after(async () => {
    await client?.end();
  });

  const constant = async (a: string, b: string): Promise<string> => {
    const r = await client.query(`SELECT pgml.predict('reg', ARRAY[${a}, ${b}]::real[]) AS p`);
    return r.rows[0].p;
  };

  const assertExact = async (rows: Row[]): Promise<void> => {
    for (const row of rows) {
      assert.notEqual(row.p, null, `a NULL p for features (${row.a}, ${row.b})`);
      assert.equal(row.p, await constant(row.a, row.b), `features (${row.a}, ${row.b})`);
    }
  };

  /** Temporary tables of the upstream session: keyed staging would create some. */
  const tempTables = async (): Promise<number> =>
    Number((await client.query(`SELECT count(*) AS n FROM pg_class WHERE relnamespace = pg_my_temp_schema()`)).rows[0].n);

  test('FETCH 3, FETCH 5, FETCH ALL over ORDER BY random() LIMIT n: each row exact, one DECLARE upstream, no staging', async () => {
    await client.query('BEGIN');
    try {
      const before = await tempTables();
      await client.query(`DECLARE c CURSOR FOR SELECT id, a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg ORDER BY random() LIMIT 20`);
      const declared = await client.query(`SELECT statement FROM pg_cursors WHERE name = 'c'`);
      assert.equal(declared.rows.length, 1);
      assert.match(declared.rows[0].statement, /pgml_proxy_arg_1/);
      const three = await client.query('FETCH 3 FROM c');
      assert.deepEqual(three.fields.map((f) => f.name), ['id', 'a', 'b', 'p']);
      assert.equal(three.rows.length, 3);
      const five = await client.query('FETCH 5 FROM c');
      assert.equal(five.rows.length, 5);
      const rest = await client.query('FETCH ALL FROM c');
      assert.equal(rest.rows.length, 12);
      const all = [...three.rows, ...five.rows, ...rest.rows];
      assert.equal(new Set(all.map((r) => r.id)).size, 20);
      await assertExact(all);
      assert.equal(await tempTables(), before);
    } finally {
      await client.query('COMMIT');
    }
  });

  test('TABLESAMPLE, fetched in pieces, MOVE between', async () => {
    await client.query('BEGIN');
    try {
      await client.query(`DECLARE s NO SCROLL CURSOR FOR SELECT a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg TABLESAMPLE BERNOULLI (30)`);
      const first = await client.query('FETCH 4 IN s');
      const moved = await client.query('MOVE 2 s');
      assert.equal(moved.rows.length, 0);
      const rest = await client.query('FETCH FORWARD ALL FROM s');
      await assertExact([...first.rows, ...rest.rows]);
    } finally {
      await client.query('COMMIT');
    }
  });

  // PGlite runs one transaction at a time: a writer would wait for the cursor's block to end.
  test('a concurrent writer inserting between fetches', { skip: kind === 'proxy-pglite' && 'PGlite has one backend' }, async () => {
    const writer = new pg.Client({ connectionString: target().url() });
    await writer.connect();
    await client.query('BEGIN');
    try {
      await client.query(`DECLARE w CURSOR FOR SELECT a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM live ORDER BY id`);
      const rows: Row[] = [];
      for (let round = 0; round < 4; round++) {
        rows.push(...(await client.query('FETCH 10 FROM w')).rows);
        await writer.query('INSERT INTO live (a, b) SELECT random(), random() FROM generate_series(1, 20)');
      }
      rows.push(...(await client.query('FETCH ALL FROM w')).rows);
      assert.ok(rows.length >= 50);
      await assertExact(rows);
    } finally {
      await client.query('COMMIT');
      await writer.end();
    }
  });

  test('a BINARY cursor: results in binary, in place', async () => {
    // Raw wire bytes (node-postgres decodes a simple Query's values as UTF-8): each float4 as the
    // server's own float4send writes the constant call.
    const wire = await RawConnection.open(target().host, target().port);
    try {
      await wire.startup('postgres', target().database);
      const query = async (sql: string) => {
        wire.write(queryMessage(sql));
        const messages = await wire.readUntil('Z');
        assert.deepEqual(messages.filter((m) => m.type === 'E').map(errorFields), [], sql);
        return messages;
      };
      await query('BEGIN');
      await query(`DECLARE bc BINARY CURSOR FOR SELECT id, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg ORDER BY random() LIMIT 8`);
      const messages = [...(await query('FETCH 3 FROM bc')), ...(await query('FETCH ALL FROM bc'))];
      await query('COMMIT');
      const descriptions = messages.filter((m) => m.type === 'T');
      assert.ok(descriptions.every((d) => d.body.readInt16BE(0) === 2), 'two columns, the extra one dropped');
      const rows = messages.filter((m) => m.type === 'D');
      assert.equal(rows.length, 8);
      for (const row of rows) {
        const [id, p] = dataRowValues(row.body);
        assert.equal(id?.length, 4);
        const features = await client.query('SELECT a, b FROM reg WHERE id = $1', [id!.readInt32BE(0)]);
        const { a, b } = features.rows[0];
        const want = await client.query(`SELECT encode(float4send(pgml.predict('reg', ARRAY[${a}, ${b}]::real[])), 'hex') AS hex`);
        assert.equal(p?.toString('hex'), want.rows[0].hex, `row ${id!.readInt32BE(0)}`);
      }
    } finally {
      wire.destroy();
    }
  });

  test('a SCROLL cursor fetched backward evaluates the rows again', async () => {
    await client.query('BEGIN');
    try {
      await client.query(`DECLARE sc SCROLL CURSOR FOR SELECT id, a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg ORDER BY id`);
      const forward = await client.query('FETCH 6 FROM sc');
      const backward = await client.query('FETCH BACKWARD 4 FROM sc');
      assert.deepEqual(backward.rows.map((r) => r.id), ['5', '4', '3', '2']);
      const absolute = await client.query('FETCH ABSOLUTE 300 FROM sc');
      assert.deepEqual(absolute.rows.map((r) => r.id), ['300']);
      await assertExact([...forward.rows, ...backward.rows, ...absolute.rows]);
    } finally {
      await client.query('COMMIT');
    }
  });

  test('WITH HOLD across COMMIT, then CLOSE', async () => {
    await client.query('BEGIN');
    await client.query(`DECLARE h CURSOR WITH HOLD FOR SELECT a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg ORDER BY random() LIMIT 12`);
    const inBlock = await client.query('FETCH 2 FROM h');
    await client.query('COMMIT');
    const afterCommit = await client.query('FETCH ALL FROM h');
    assert.equal(inBlock.rows.length + afterCommit.rows.length, 12);
    await assertExact([...inBlock.rows, ...afterCommit.rows]);
    await client.query('CLOSE h');
  });

  /** A cursor named c over a plain SELECT, fetched: its rows as they are, no column stripped. */
  const assertPlain = async (): Promise<void> => {
    const r = await client.query('FETCH 3 FROM c');
    assert.deepEqual(r.fields.map((f) => f.name), ['id', 'a']);
    assert.deepEqual(r.rows.map((row) => row.id), ['1', '2', '3']);
    assert.ok(r.rows.every((row) => row.a !== null));
  };
  const declareOverCall = `DECLARE c CURSOR FOR SELECT id, a, b, pgml.predict('reg', ARRAY[a, b]) AS p FROM reg ORDER BY id`;
  const declarePlain = 'DECLARE c CURSOR FOR SELECT id, a FROM reg ORDER BY id';

  test('a stale name never strips another cursor: COMMIT, ROLLBACK, a failed block, ROLLBACK TO, CLOSE, CLOSE ALL', async () => {
    const endings: [string, string[]][] = [
      ['COMMIT', ['COMMIT', 'BEGIN']],
      ['ROLLBACK', ['ROLLBACK', 'BEGIN']],
      ['a failed block', ['SELECT 1/0', 'ROLLBACK', 'BEGIN']],
      ['CLOSE', ['CLOSE c']],
      ['CLOSE ALL', ['CLOSE ALL']],
    ];
    for (const [name, statements] of endings) {
      await client.query('BEGIN');
      try {
        await client.query(declareOverCall);
        await assertExact((await client.query('FETCH 2 FROM c')).rows);
        for (const sql of statements) await client.query(sql).catch(() => {});
        await client.query(declarePlain);
        await assertPlain().catch((error: Error) => assert.fail(`after ${name}: ${error.message}`));
      } finally {
        await client.query('ROLLBACK');
      }
    }
    await client.query('BEGIN');
    try {
      await client.query('SAVEPOINT s');
      await client.query(declareOverCall);
      await client.query('ROLLBACK TO SAVEPOINT s');
      await client.query(declarePlain);
      await assertPlain();
    } finally {
      await client.query('ROLLBACK');
    }
  });

  test('DISCARD ALL, and a WITH HOLD cursor replaced by a new DECLARE of its name', async () => {
    await client.query(declareOverCall.replace('CURSOR', 'CURSOR WITH HOLD'));
    await client.query('DISCARD ALL');
    await client.query('BEGIN');
    try {
      await client.query(declarePlain);
      await assertPlain();
    } finally {
      await client.query('ROLLBACK');
    }
    await client.query(declareOverCall.replace('CURSOR', 'CURSOR WITH HOLD'));
    await client.query('CLOSE c');
    await client.query(declarePlain.replace('CURSOR', 'CURSOR WITH HOLD'));
    await assertPlain();
    await client.query('CLOSE c');
  });

  test('DECLARE and FETCH in one Query; a FETCH the proxy would pass through unevaluated, or prepared, is refused', async () => {
    await client.query('BEGIN');
    try {
      const results = (await client.query(`${declareOverCall}; FETCH 4 FROM c; FETCH 2 FROM c`)) as unknown as pg.QueryResult[];
      assert.deepEqual(results.map((r) => r.rows.length), [0, 4, 2]);
      assert.deepEqual(results[2]!.fields.map((f) => f.name), ['id', 'a', 'b', 'p']);
      await assertExact([...results[1]!.rows, ...results[2]!.rows]);
      // No call the proxy evaluates beside it: the Query would pass through as it is.
      await assert.rejects(client.query('FETCH 1 FROM c; SELECT 1'), (error: { code?: string }) => error.code === '0A000');
    } finally {
      await client.query('ROLLBACK');
    }
    // A prepared FETCH (extended protocol) is refused too.
    await client.query('BEGIN');
    try {
      await client.query(declareOverCall);
      await assert.rejects(client.query({ name: 'fetch_c', text: 'FETCH 1 FROM c' }), (error: { code?: string }) => error.code === '0A000');
    } finally {
      await client.query('ROLLBACK');
    }
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, '1');
  });
});
