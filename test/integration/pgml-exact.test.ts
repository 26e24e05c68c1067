// Issue 11's statements as the issue quotes them, byte for byte, and per-row calls outside the
// select list over FROMs that change between two reads (ORDER BY random() LIMIT n, TABLESAMPLE, a
// concurrent writer), each position also in the extended protocol with binary results, and each
// SELECT position through a cursor fetched in pieces and under LIMIT. Every result is compared, as the
// client received it, with one constant call per row computed separately; none may be NULL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { describeTargets } from '../support/targets.js';
import { RawConnection, errorFields, frontendMessage, syncMessage } from '../support/raw-wire.js';

const SETUP = `
  CREATE TABLE flowers AS
  SELECT ARRAY[sepal_length, sepal_width, petal_length, petal_width]::real[] AS f, target, row_number() OVER () AS id FROM pgml.iris;
  CREATE TABLE scored AS SELECT id, f, NULL::real AS p FROM flowers;
  CREATE TABLE out (f real[], p real);
  CREATE TABLE live (id serial PRIMARY KEY, f real[], p real);
  INSERT INTO live (f) SELECT f FROM flowers;
  CREATE TABLE t AS SELECT f FROM flowers WHERE target = 1 LIMIT 4;
  CREATE TABLE picks (id bigint);
  CREATE FUNCTION classify_features(features real[]) RETURNS real LANGUAGE sql AS $$ SELECT pgml.predict('iris', features) $$;`;

/** Every value as the text the server sent: the comparison is of what the client received. */
const rawText = { getTypeParser: () => (value: string) => value };

describeTargets('per-row calls: issue 11 statements verbatim, exact outside the select list', { proxyOnly: true }, (target) => {
  let client: pg.Client;
  let raw: pg.Client;
  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    await client.connect();
    await client.query(`SELECT * FROM pgml.load_dataset('iris')`);
    await client.query(SETUP);
    await client.query(`SELECT * FROM pgml.train('iris', 'classification', 'pgml.iris', 'target', 'xgboost', '{"n_estimators": 10}')`);
    await client.query(`SELECT * FROM pgml.train('iris', algorithm => 'linear')`);
    raw = new pg.Client({ connectionString: target().url(), types: rawText });
    await raw.connect();
  });
  after(async () => {
    await raw?.end();
    await client?.end();
  });

  /** The constant call on one row's features (their text as received), as text. */
  const constant = async (features: string, model: string = `'iris'`): Promise<string> => {
    const r = await raw.query(`SELECT pgml.predict(${model}, '${features}'::real[]) AS p`);
    return r.rows[0].p;
  };
  const known = new Map<string, string>();
  /** constant(), once per distinct features: the matrix below meets the same 150 flowers again and again. */
  const expected = async (features: string): Promise<string> => {
    let value = known.get(features);
    if (value === undefined) known.set(features, (value = await constant(features)));
    return value;
  };
  const expectedAll = (features: readonly string[]) => Promise.all(features.map(expected));
  const split = (joined: string | null) => (joined === null ? [] : joined.split(';'));

  const simple: Run = (sql) => raw.query(sql);
  /** The statement with LIMIT 7 after it (SELECT positions). */
  const limited: Run = (sql) => raw.query(`${sql} LIMIT 7`);
  /** The statement as a cursor, fetched 7 rows at a time inside a transaction (SELECT positions). */
  const cursor: Run = async (sql) => {
    await raw.query('BEGIN');
    try {
      await raw.query(`DECLARE exact_cursor CURSOR FOR ${sql}`);
      const rows = [];
      for (;;) {
        const piece = await raw.query('FETCH 7 FROM exact_cursor');
        rows.push(...piece.rows);
        if (piece.rows.length < 7) break;
      }
      await raw.query('COMMIT');
      return { rows, rowCount: rows.length };
    } catch (error) {
      await raw.query('ROLLBACK');
      throw error;
    }
  };
  /** The statement in the extended protocol, every result column in binary, turned back into the server's text. */
  const binary: Run = (sql) => binaryQuery(target().host, target().port, target().database, sql);

  test('SELECT pgml.predict(\'iris\', f) FROM (SELECT * FROM flowers ORDER BY random() LIMIT 40) s', async () => {
    const sql = `SELECT pgml.predict('iris', f) FROM (SELECT * FROM flowers ORDER BY random() LIMIT 40) s`;
    // Which rows the statement read is not visible in its result: read them beside it, in the same
    // one pass, and check that each value is the constant call on that row.
    for (let round = 0; round < 3; round++) {
      const r = await raw.query(sql);
      assert.equal(r.rows.length, 40);
      assert.deepEqual(r.fields.map((f) => [f.name, f.dataTypeID]), [['predict', 700]]);
      for (const row of r.rows) assert.notEqual(row.predict, null);
      const withFeatures = await raw.query(`SELECT f, pgml.predict('iris', f) FROM (SELECT * FROM flowers ORDER BY random() LIMIT 40) s`);
      for (const row of withFeatures.rows) assert.equal(row.predict, await constant(row.f), row.f);
    }
  });

  test('SELECT pgml.predict(m.id, f) FROM pgml.models m, t', async () => {
    const r = await raw.query('SELECT pgml.predict(m.id, f) FROM pgml.models m, t');
    const models = (await raw.query('SELECT id FROM pgml.models ORDER BY id')).rows.map((m) => m.id);
    const features = (await raw.query('SELECT f FROM t')).rows.map((row) => row.f);
    assert.equal(models.length, 2);
    assert.equal(r.rows.length, models.length * features.length);
    // The same statement with each row's model id and features beside its result.
    const labelled = await raw.query('SELECT m.id, f, pgml.predict(m.id, f) FROM pgml.models m, t');
    assert.deepEqual(labelled.rows.map((row) => row.predict).sort(), r.rows.map((row) => row.predict).sort());
    for (const row of labelled.rows) {
      assert.notEqual(row.predict, null);
      assert.equal(row.predict, await constant(row.f, `${row.id}::bigint`), `model ${row.id}, features ${row.f}`);
    }
  });

  test('$1::text::real[] handed to pgml.predict inside an inlined SQL function', async () => {
    const features = (await raw.query('SELECT f FROM t LIMIT 1')).rows[0].f;
    const want = await constant(features);
    const bound = await raw.query('SELECT classify_features($1::text::real[])', [features]);
    assert.deepEqual(bound.rows, [{ classify_features: want }]);
    const perRow = await raw.query('SELECT f, classify_features(f) AS p FROM t WHERE f <> $1::text::real[]', [features]);
    for (const row of perRow.rows) assert.equal(row.p, await constant(row.f));
    const inWhere = await raw.query('SELECT f FROM t WHERE classify_features(f) = classify_features($1::text::real[])', [features]);
    assert.ok(inWhere.rows.length > 0);
    for (const row of inWhere.rows) assert.equal(await constant(row.f), want);
  });

  /**
   * Each position of a per-row call, as a statement over `from` (a FROM item aliased s with a
   * column f), and the check of its result against one constant call per row. `size` is the number
   * of rows the FROM yields, when it is known. `run` sends the statement under test (simple Query
   * unless a test says otherwise); the checks' own queries go through `raw`.
   */
  const positions: Record<string, (from: string, size?: number, run?: Run) => Promise<void>> = {
    'select list': async (from, size, run = simple) => {
      const r = await run(`SELECT f, pgml.predict('iris', f) AS p FROM ${from}`);
      if (size !== undefined) assert.equal(r.rows.length, size);
      assert.deepEqual(r.rows.map((row) => row.p), await expectedAll(r.rows.map((row) => row.f)));
    },
    WHERE: async (from, _size, run = simple) => {
      const r = await run(`SELECT f FROM ${from} WHERE pgml.predict('iris', f) = 1`);
      for (const row of r.rows) assert.equal(await expected(row.f), '1', row.f);
    },
    'ORDER BY': async (from, size, run = simple) => {
      const r = await run(`SELECT f FROM ${from} ORDER BY pgml.predict('iris', f), f`);
      if (size !== undefined) assert.equal(r.rows.length, size);
      const values = (await expectedAll(r.rows.map((row) => row.f))).map(Number);
      assert.deepEqual(values, [...values].sort((a, b) => a - b));
    },
    aggregate: async (from, size, run = simple) => {
      const r = await run(
        `SELECT string_agg(f::text, ';') AS every, string_agg(f::text, ';') FILTER (WHERE pgml.predict('iris', f) = 1) AS ones,
                sum(pgml.predict('iris', f)) AS total, count(*) AS n FROM ${from}`,
      );
      const every = split(r.rows[0]!.every);
      if (size !== undefined) assert.equal(every.length, size);
      const values = await expectedAll(every);
      assert.deepEqual(split(r.rows[0]!.ones).sort(), every.filter((_, i) => values[i] === '1').sort());
      assert.equal(Number(r.rows[0]!.total), values.reduce((sum, v) => sum + Number(v), 0));
    },
    'GROUP BY': async (from, size, run = simple) => {
      const r = await run(`SELECT pgml.predict('iris', f) AS p, string_agg(f::text, ';') AS fs FROM ${from} GROUP BY 1`);
      if (size !== undefined) assert.equal(r.rows.reduce((n, row) => n + split(row.fs).length, 0), size);
      for (const row of r.rows) assert.deepEqual(await expectedAll(split(row.fs)), split(row.fs).map(() => row.p), `group ${row.p}`);
    },
    'UPDATE SET': async (from, size, run = simple) => {
      await raw.query('UPDATE scored SET p = NULL');
      const r = await run(`UPDATE scored SET p = pgml.predict('iris', s.f) FROM ${from} WHERE scored.id = s.id`);
      if (size !== undefined) assert.equal(r.rowCount, size);
      const written = (await raw.query('SELECT f, p FROM scored WHERE p IS NOT NULL')).rows;
      assert.equal(written.length, r.rowCount);
      assert.deepEqual(written.map((row) => row.p), await expectedAll(written.map((row) => row.f)));
    },
    'INSERT ... SELECT': async (from, size, run = simple) => {
      await raw.query('TRUNCATE out');
      const r = await run(`INSERT INTO out (f, p) SELECT f, pgml.predict('iris', f) FROM ${from}`);
      if (size !== undefined) assert.equal(r.rowCount, size);
      const written = (await raw.query('SELECT f, p FROM out')).rows;
      assert.deepEqual(written.map((row) => row.p), await expectedAll(written.map((row) => row.f)));
    },
    'CREATE TABLE AS': async (from, size, run = simple) => {
      await raw.query('DROP TABLE IF EXISTS made');
      await run(`CREATE TABLE made AS SELECT f, pgml.predict('iris', f) AS p FROM ${from}`);
      const written = (await raw.query('SELECT f, p FROM made')).rows;
      if (size !== undefined) assert.equal(written.length, size);
      assert.deepEqual(written.map((row) => row.p), await expectedAll(written.map((row) => row.f)));
    },
    CTE: async (from, size, run = simple) => {
      const r = await run(
        `WITH picked AS (SELECT f FROM ${from}) SELECT string_agg(f::text, ';') AS every, string_agg(f::text, ';') FILTER (WHERE pgml.predict('iris', f) = 1) AS ones FROM picked`,
      );
      const every = split(r.rows[0]!.every);
      if (size !== undefined) assert.equal(every.length, size);
      const values = await expectedAll(every);
      assert.deepEqual(split(r.rows[0]!.ones).sort(), every.filter((_, i) => values[i] === '1').sort());
      const inside = await run(`WITH scored AS (SELECT f, pgml.predict('iris', f) AS p FROM ${from}) SELECT f, p FROM scored WHERE p >= 1`);
      for (const row of inside.rows) assert.equal(row.p, await expected(row.f), row.f);
    },
    RETURNING: async (from, size, run = simple) => {
      await raw.query('TRUNCATE out');
      const r = await run(`INSERT INTO out (f) SELECT f FROM ${from} RETURNING f, pgml.predict('iris', f) AS p`);
      if (size !== undefined) assert.equal(r.rows.length, size);
      assert.deepEqual(r.rows.map((row) => row.p), await expectedAll(r.rows.map((row) => row.f)));
      const updated = await run(`UPDATE out SET f = f[4:4] || f[1:3] RETURNING f, pgml.predict('iris', f) AS p`);
      assert.deepEqual(updated.rows.map((row) => row.p), await expectedAll(updated.rows.map((row) => row.f)));
    },
  };

  const volatileFroms: [string, string, number | undefined][] = [
    ['ORDER BY random() LIMIT 40', '(SELECT * FROM flowers ORDER BY random() LIMIT 40) s', 40],
    ['TABLESAMPLE', 'flowers AS s TABLESAMPLE BERNOULLI (30)', undefined],
  ];
  for (const [position, check] of Object.entries(positions)) {
    for (const [name, from, size] of volatileFroms) {
      test(`${position} over a volatile FROM (${name}): exact, never NULL`, async () => {
        for (let round = 0; round < 2; round++) await check(from, size);
      });
    }
  }

  const [, randomFrom, randomSize] = volatileFroms[0]!;
  const selectPositions = ['select list', 'WHERE', 'ORDER BY', 'aggregate', 'GROUP BY', 'CTE'];
  for (const [position, check] of Object.entries(positions)) {
    test(`${position} in the extended protocol with binary results, over ORDER BY random() LIMIT 40: exact`, () =>
      check(randomFrom, randomSize, binary));
    if (!selectPositions.includes(position)) continue;
    test(`${position} through a cursor fetched in pieces, over ORDER BY random() LIMIT 40: exact`, () =>
      check(randomFrom, randomSize, cursor));
    test(`${position} with LIMIT 7, over ORDER BY random() LIMIT 40: exact`, () => check(randomFrom, undefined, limited));
  }

  test('every position while a concurrent writer inserts rows into the FROM', async () => {
    const writer = new pg.Client({ connectionString: target().url() });
    await writer.connect();
    let writing = true;
    const inserts = (async () => {
      // Paced, so that the table stays small enough for the checks to finish on a loaded machine.
      for (let batch = 0; writing && batch < 300; batch++) {
        await writer.query('INSERT INTO live (f) SELECT f FROM flowers ORDER BY random() LIMIT 10');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      for (const check of Object.values(positions)) await check('live s');
      // The target of the UPDATE itself is being written to.
      await raw.query(`UPDATE live SET p = pgml.predict('iris', f) WHERE p IS NULL`);
    } finally {
      writing = false;
      await inserts;
      await writer.end();
    }
    const written = (await raw.query('SELECT f, p FROM live WHERE p IS NOT NULL')).rows;
    assert.ok(written.length >= 150);
    assert.deepEqual(written.map((row) => row.p), await expectedAll(written.map((row) => row.f)));
  });

  test('a keyed statement outside a block: atomic with the rest of its Query, the client left idle', async () => {
    await raw.query('UPDATE scored SET p = -1');
    await assert.rejects(raw.query(`UPDATE scored SET p = pgml.predict('iris', f) WHERE id <= 10; SELECT 1/0`), { code: '22012' });
    assert.equal((await raw.query('SELECT count(*) AS n FROM scored WHERE p = -1')).rows[0].n, '150');
    // Idle: in an (aborted) block this would fail with 25P02.
    assert.equal((await raw.query('SELECT txid_current_if_assigned() IS NULL AS idle')).rows[0].idle, 't');
    const both = (await raw.query(`UPDATE scored SET p = pgml.predict('iris', f) WHERE id <= 10; BEGIN; SELECT 1 AS one`)) as unknown as pg.QueryResult[];
    assert.deepEqual(both.map((r) => r.command), ['UPDATE', 'BEGIN', 'SELECT']);
    // The client's own BEGIN stands: the block is the client's until its COMMIT.
    await raw.query('UPDATE scored SET p = -2 WHERE id = 11');
    await raw.query('ROLLBACK');
    const written = (await raw.query('SELECT f, p FROM scored WHERE p <> -1 ORDER BY id')).rows;
    assert.equal(written.length, 10);
    assert.deepEqual(written.map((row) => row.p), await expectedAll(written.map((row) => row.f)));
  });

  test('UPDATE of a view: refused outside RETURNING (no row identity to lock), one pass in RETURNING', async () => {
    await raw.query('CREATE VIEW scored_view AS SELECT * FROM scored');
    await assert.rejects(raw.query(`UPDATE scored_view SET p = pgml.predict('iris', f) WHERE id <= 3`), { code: '0A000' });
    const returned = await raw.query(`UPDATE scored_view SET p = 0 WHERE id <= 3 RETURNING f, pgml.predict('iris', f) AS q`);
    assert.equal(returned.rows.length, 3);
    assert.deepEqual(returned.rows.map((row) => row.q), await expectedAll(returned.rows.map((row) => row.f)));
  });

  test('a LATERAL subquery of one row over a volatile FROM', async () => {
    for (let round = 0; round < 2; round++) {
      const r = await raw.query(
        `SELECT t.f, l.p FROM (SELECT * FROM flowers ORDER BY random() LIMIT 40) t, LATERAL (SELECT pgml.predict('iris', t.f) AS p) l WHERE l.p >= 1`,
      );
      assert.ok(r.rows.length > 0);
      assert.deepEqual(r.rows.map((row) => row.p), await expectedAll(r.rows.map((row) => row.f)));
    }
  });

  test('a volatile condition in WHERE (SELECT, INSERT ... SELECT, UPDATE): applied once per row, every row exact', async () => {
    for (let round = 0; round < 2; round++) {
      const selected = await raw.query(`SELECT f FROM flowers WHERE random() < 0.5 AND pgml.predict('iris', f) >= 1`);
      assert.ok(selected.rows.length > 0 && selected.rows.length < 150);
      for (const row of selected.rows) assert.notEqual(await expected(row.f), '0', row.f);
      await raw.query('TRUNCATE out');
      const inserted = await raw.query(`INSERT INTO out (f, p) SELECT f, pgml.predict('iris', f) FROM flowers WHERE random() < 0.5 ORDER BY pgml.predict('iris', f)`);
      const written = (await raw.query('SELECT f, p FROM out')).rows;
      assert.equal(written.length, inserted.rowCount);
      assert.deepEqual(written.map((row) => row.p), await expectedAll(written.map((row) => row.f)));
      await raw.query('UPDATE scored SET p = NULL');
      const updated = await raw.query(`UPDATE scored SET p = pgml.predict('iris', f) WHERE random() < 0.5`);
      const scored = (await raw.query('SELECT f, p FROM scored WHERE p IS NOT NULL')).rows;
      assert.ok(updated.rowCount! > 0 && updated.rowCount! < 150);
      assert.equal(scored.length, updated.rowCount);
      assert.deepEqual(scored.map((row) => row.p), await expectedAll(scored.map((row) => row.f)));
    }
  });

  test('a volatile per-row argument outside the select list: refused with 0A000 and the form that works, which is exact', async () => {
    await assert.rejects(raw.query(`SELECT f FROM flowers WHERE pgml.predict('iris', ARRAY[f[1] + random()::real, f[2], f[3], f[4]]) >= 1`), (e: pg.DatabaseError) => {
      assert.equal(e.code, '0A000');
      assert.match(e.message, /volatile/);
      assert.match(e.hint ?? '', /FROM \(SELECT \*, random\(\) AS r FROM t\) s/);
      return true;
    });
    const r = await raw.query(`SELECT g FROM (SELECT ARRAY[f[1] + random()::real, f[2], f[3], f[4]] AS g FROM flowers) s WHERE pgml.predict('iris', g) >= 1`);
    assert.ok(r.rows.length > 0);
    for (const row of r.rows) assert.notEqual(await constant(row.g), '0', row.g);
  });

  test('a WHERE over a join, or with a subquery: a row the other conditions reject is not an error', async () => {
    // Postgres may evaluate the call on a row before the join or the subquery rejects it.
    await raw.query('TRUNCATE picks; INSERT INTO picks SELECT id FROM flowers ORDER BY random() LIMIT 30');
    const picked = (await raw.query('SELECT f FROM flowers WHERE id IN (SELECT id FROM picks)')).rows.map((row) => row.f);
    const wanted = picked.filter((_, i, all) => all.indexOf(_) === i);
    const ones = (await expectedAll(wanted)).filter((v) => v !== '0').length;
    assert.ok(ones > 0);
    for (const sql of [
      `SELECT a.f FROM flowers a, picks b WHERE a.id = b.id AND pgml.predict('iris', a.f) >= 1`,
      `SELECT a.f FROM flowers a JOIN picks b ON a.id = b.id WHERE pgml.predict('iris', a.f) >= 1`,
      `SELECT f FROM flowers WHERE id IN (SELECT id FROM picks) AND pgml.predict('iris', f) >= 1`,
    ]) {
      const r = await raw.query(sql);
      for (const row of r.rows) assert.notEqual(await expected(row.f), '0', row.f);
      assert.equal(r.rows.length, (await expectedAll(picked)).filter((v) => v !== '0').length, sql);
    }
  });

  test('a subquery in WHERE over a table a concurrent writer refills (SELECT, UPDATE): every row exact', async () => {
    const writer = new pg.Client({ connectionString: target().url() });
    await writer.connect();
    let writing = true;
    const refills = (async () => {
      for (let round = 0; writing && round < 2000; round++) {
        await writer.query('BEGIN; DELETE FROM picks; INSERT INTO picks SELECT id FROM flowers ORDER BY random() LIMIT 30; COMMIT');
      }
    })();
    try {
      for (let round = 0; round < 4; round++) {
        const selected = await raw.query(`SELECT f FROM flowers WHERE id IN (SELECT id FROM picks) AND pgml.predict('iris', f) >= 1`);
        for (const row of selected.rows) assert.notEqual(await expected(row.f), '0', row.f);
        await raw.query('UPDATE scored SET p = NULL');
        const updated = await raw.query(`UPDATE scored SET p = pgml.predict('iris', f) WHERE id IN (SELECT id FROM picks)`);
        const scored = (await raw.query('SELECT f, p FROM scored WHERE p IS NOT NULL')).rows;
        assert.equal(scored.length, updated.rowCount);
        assert.deepEqual(scored.map((row) => row.p), await expectedAll(scored.map((row) => row.f)));
      }
    } finally {
      writing = false;
      await refills;
      await writer.end();
    }
  });

  test('UPDATE ... RETURNING with a per-row SET: the RETURNING call reads the row as updated', async () => {
    const before = new Map((await raw.query('SELECT id, f FROM scored WHERE id <= 20')).rows.map((row) => [row.id, row.f]));
    const r = await raw.query(`UPDATE scored SET f = f[4:4] || f[1:3], p = pgml.predict('iris', f) WHERE id <= 20 RETURNING id, f, p, pgml.predict('iris', f) AS q`);
    assert.equal(r.rows.length, 20);
    for (const row of r.rows) {
      assert.equal(row.p, await expected(before.get(row.id)), `SET, flower ${row.id}`);
      assert.equal(row.q, await expected(row.f), `RETURNING, flower ${row.id}`);
    }
    await raw.query('UPDATE scored SET f = f[2:4] || f[1:1] WHERE id <= 20');
  });

  test('LIMIT, a cursor fetched in pieces, over a volatile FROM', async () => {
    const limited = await raw.query(`SELECT f FROM (SELECT * FROM flowers ORDER BY random() LIMIT 40) s WHERE pgml.predict('iris', f) >= 1 ORDER BY pgml.predict('iris', f) DESC LIMIT 5`);
    assert.equal(limited.rows.length, 5);
    const values = await expectedAll(limited.rows.map((row) => row.f));
    assert.ok(values.every((v) => v !== '0'));
    assert.deepEqual(values, [...values].sort().reverse());
    await raw.query('BEGIN');
    await raw.query(`DECLARE c CURSOR FOR SELECT f FROM flowers AS s TABLESAMPLE BERNOULLI (50) WHERE pgml.predict('iris', f) = 2 ORDER BY pgml.predict('iris', f), f`);
    const pieces = [];
    for (let piece = (await raw.query('FETCH 4 FROM c')).rows; piece.length > 0; piece = (await raw.query('FETCH 4 FROM c')).rows) pieces.push(piece);
    await raw.query('COMMIT');
    assert.ok(pieces.length > 1);
    for (const row of pieces.flat()) assert.equal(await expected(row.f), '2', row.f);
  });

  test('extended protocol with binary results, over a volatile FROM', async () => {
    // A frontend of its own (test/support/raw-wire.ts): pg's binary mode decodes values as UTF-8 text first.
    const sql = `SELECT id, pgml.predict($1, f) AS p FROM (SELECT * FROM flowers ORDER BY random() LIMIT 40) s WHERE pgml.predict($1, f) >= $2 ORDER BY pgml.predict($1, f), id`;
    const rows = await binaryRows(target().host, target().port, target().database, sql, ['iris', '1']);
    assert.ok(rows.length > 0);
    const values = rows.map(([, p]) => p!.readFloatBE(0));
    for (const [i, [id]] of rows.entries()) {
      const flower = String(id!.readBigInt64BE(0));
      const features = (await raw.query('SELECT f FROM flowers WHERE id = $1', [flower])).rows[0].f;
      assert.equal(values[i], Number(await expected(features)), `flower ${flower}`);
      assert.ok(values[i]! >= 1);
    }
    assert.deepEqual(values, [...values].sort((a, b) => a - b));
  });
});

/** Runs `sql` with text parameters in the extended protocol, all results in binary: each row's column bytes. */
async function binaryRows(host: string, port: number, database: string, sql: string, params: string[]): Promise<(Buffer | null)[][]> {
  const connection = await RawConnection.open(host, port);
  try {
    await connection.startup('postgres', database);
    const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
    const int32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n);
      return b;
    };
    const values = params.flatMap((p) => [int32(Buffer.byteLength(p)), Buffer.from(p)]);
    connection.write(
      Buffer.concat([
        frontendMessage('P', Buffer.concat([Buffer.from(`\0${sql}\0`), int16(0)])),
        frontendMessage('B', Buffer.concat([Buffer.from('\0\0'), int16(0), int16(params.length), ...values, int16(1), int16(1)])),
        frontendMessage('E', Buffer.concat([Buffer.from('\0'), int32(0)])),
        syncMessage(),
      ]),
    );
    const messages = await connection.readUntil('Z');
    const error = messages.find((m) => m.type === 'E');
    if (error !== undefined) throw new Error(JSON.stringify(errorFields(error)));
    return messages.filter((m) => m.type === 'D').map(({ body }) => {
      const columns: (Buffer | null)[] = [];
      let at = 2;
      for (let i = 0; i < body.readInt16BE(0); i++) {
        const length = body.readInt32BE(at);
        at += 4;
        columns.push(length < 0 ? null : body.subarray(at, at + length));
        at += Math.max(length, 0);
      }
      return columns;
    });
  } finally {
    connection.socket.destroy();
  }
}

// Rows as pg gives them (any), so the checks read them the same way whichever runner sent the statement.
type Run = (sql: string) => Promise<{ rows: Record<string, any>[]; rowCount: number | null }>;

/**
 * Parse, Bind (every result column binary), Describe and Execute of `sql`; each value is turned back
 * into the text the server writes for it (shortest exact floats, as Postgres 12+ does), so the checks
 * compare what a binary client received with one constant call per row.
 */
async function binaryQuery(host: string, port: number, database: string, sql: string): ReturnType<Run> {
  const connection = await RawConnection.open(host, port);
  try {
    await connection.startup('postgres', database);
    const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
    connection.write(
      Buffer.concat([
        frontendMessage('P', Buffer.concat([Buffer.from(`\0${sql}\0`), int16(0)])),
        frontendMessage('B', Buffer.concat([Buffer.from('\0\0'), int16(0), int16(0), int16(1), int16(1)])),
        frontendMessage('D', Buffer.from('P\0')),
        frontendMessage('E', Buffer.from([0, 0, 0, 0, 0])),
        syncMessage(),
      ]),
    );
    const messages = await connection.readUntil('Z');
    const error = messages.find((m) => m.type === 'E');
    if (error !== undefined) throw new Error(JSON.stringify(errorFields(error)));
    const description = messages.find((m) => m.type === 'T');
    const columns = description === undefined ? [] : rowDescription(description.body);
    const rows = messages
      .filter((m) => m.type === 'D')
      .map(({ body }) => {
        const row: Record<string, string | null> = {};
        let at = 2;
        for (const column of columns) {
          const length = body.readInt32BE(at);
          at += 4;
          row[column.name] = length < 0 ? null : binaryToText(column.typeOid, body.subarray(at, at + length));
          at += Math.max(length, 0);
        }
        return row;
      });
    const tag = messages.find((m) => m.type === 'C')?.body.toString('utf8').replace(/\0$/, '') ?? '';
    const count = /(\d+)$/.exec(tag)?.[1];
    return { rows, rowCount: count === undefined ? null : Number(count) };
  } finally {
    connection.socket.destroy();
  }
}

function rowDescription(body: Buffer): { name: string; typeOid: number }[] {
  const columns = [];
  let at = 2;
  for (let i = 0; i < body.readInt16BE(0); i++) {
    const end = body.indexOf(0, at);
    const name = body.subarray(at, end).toString('utf8');
    at = end + 1;
    columns.push({ name, typeOid: body.readUInt32BE(at + 6) });
    at += 18;
  }
  return columns;
}

/** The server's text for the types these statements return (float4out/float8out write the shortest exact form). */
function binaryToText(typeOid: number, value: Buffer): string {
  switch (typeOid) {
    case 25:
      return value.toString('utf8');
    case 20:
      return value.readBigInt64BE(0).toString();
    case 700:
      return float4Text(value.readFloatBE(0));
    case 701:
      return String(value.readDoubleBE(0));
    case 1021: {
      // ndim, has-nulls flag, element type, then (size, lower bound) per dimension, then the elements.
      if (value.readInt32BE(0) !== 1) throw new Error('only one-dimensional real[] is decoded here');
      const elements: string[] = [];
      let at = 20;
      for (let i = 0; i < value.readInt32BE(12); i++) {
        const length = value.readInt32BE(at);
        elements.push(length < 0 ? 'NULL' : float4Text(value.readFloatBE(at + 4)));
        at += 4 + Math.max(length, 0);
      }
      return `{${elements.join(',')}}`;
    }
    default:
      throw new Error(`no binary decoder for type ${typeOid} in this test`);
  }
}

function float4Text(value: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(value.toPrecision(digits)));
    if (Math.fround(Number(text)) === value) return text;
  }
  return String(Number(value.toPrecision(9)));
}
