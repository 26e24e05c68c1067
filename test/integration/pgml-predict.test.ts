// pgml.predict and friends through the proxy: every shape of issue 4 (constants, parameters from
// several drivers, per-row calls in the select list, aggregates, WHERE/ORDER BY, writes, CTEs,
// subqueries, joins, transactions, several statements), bad input, and predictions compared
// with the engine's own predictions on the same inputs (model bytes read back from pgml.files).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import postgres from 'postgres';
import { describeTargets } from '../support/targets.js';
import { getLocalEngineFactory } from '../../src/pgml/engines/registry.js';
import { FeaturePipeline } from '../../src/pgml/preparation/pipeline.js';
import { decodeClass, type LabelEncoding } from '../../src/pgml/preparation/dataset.js';

const SETUP = `
  CREATE TABLE reg AS
  SELECT i AS id, sin(i)::real AS a, cos(i * 1.3)::real AS b, ((i % 7) / 7.0)::real AS c,
         (3 * sin(i) - 2 * cos(i * 1.3) + (i % 7) / 7.0)::real AS y, NULL::real AS y_hat
    FROM generate_series(1, 300) AS i;
  CREATE TABLE cls AS
  SELECT i AS id, sin(i)::real AS a, cos(i * 0.7)::real AS b, (sin(i) + cos(i * 0.7) > 0.3)::int::real AS label
    FROM generate_series(1, 240) AS i;
  CREATE TABLE mixed AS
  SELECT i AS id, sin(i)::float8 AS x1, (ARRAY['red', 'green', 'blue'])[i % 3 + 1] AS color,
         (2 * sin(i) + CASE i % 3 WHEN 0 THEN 1 WHEN 1 THEN 0 ELSE -1 END)::float8 AS y
    FROM generate_series(1, 150) AS i;
  CREATE VIEW reg_train AS SELECT a, b, c, y FROM reg;
  CREATE VIEW cls_train AS SELECT a, b, label FROM cls;
  CREATE VIEW mixed_train AS SELECT x1, color, y FROM mixed;`;

interface Reference {
  predict(rows: number[][]): Promise<number[]>;
}

/** The engine's own predictions for the deployed model of a project, outside the proxy's serving path. */
async function reference(client: pg.Client, project: string): Promise<Reference> {
  const m = await client.query(
    `SELECT m.id, m.algorithm, p.task::text AS task, m.pipeline, m.labels FROM pgml.deployed_models d
       JOIN pgml.models m ON m.id = d.id JOIN pgml.projects p ON p.id = m.project_id WHERE d.name = $1`,
    [project],
  );
  const row = m.rows[0];
  const files = await client.query('SELECT data FROM pgml.files WHERE model_id = $1 ORDER BY part', [row.id]);
  const engine = await getLocalEngineFactory(row.algorithm).deserialize(Buffer.concat(files.rows.map((f) => f.data)));
  const pipeline = FeaturePipeline.fromJSON(row.pipeline);
  return {
    async predict(rows) {
      const x = new Float32Array(rows.length * pipeline.width);
      rows.forEach((r, i) => x.set(pipeline.transformNumeric(r), i * pipeline.width));
      const out = Array.from(await engine.predict(x, rows.length));
      if (row.task !== 'classification') return out;
      return out.map((v) => Number(decodeClass(row.labels as LabelEncoding, v)));
    },
  };
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));

describeTargets('pgml.predict', { proxyOnly: true }, (target, kind) => {
  let client: pg.Client;
  let regRef: Reference;
  let regRows: { id: number; a: number; b: number; c: number }[];
  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    await client.connect();
    await client.query(SETUP);
    await client.query(`SELECT * FROM pgml.train('reg', 'regression', 'reg_train', 'y', 'xgboost', '{"n_estimators": 20}')`);
    await client.query(`SELECT * FROM pgml.train('cls', 'classification', 'cls_train', 'label', 'xgboost', '{"n_estimators": 10}')`);
    regRef = await reference(client, 'reg');
    regRows = (await client.query('SELECT id, a, b, c FROM reg ORDER BY id')).rows;
  });
  after(async () => {
    await client?.end();
  });

  const expected = async (rows: { a: number; b: number; c: number }[]) => regRef.predict(rows.map((r) => [r.a, r.b, r.c]));

  test('1. constant features, every array type', async () => {
    const want = await regRef.predict([[0.5, -0.25, 0.125]]);
    for (const cast of ['real[]', 'float8[]']) {
      const r = await client.query(`SELECT pgml.predict('reg', ARRAY[0.5, -0.25, 0.125]::${cast}) AS p`);
      assert.ok(close(r.rows[0].p, want[0]!), `${cast}: ${r.rows[0].p} vs ${want[0]}`);
    }
    // numeric[] fits the real[], double precision[] and row overloads equally: not unique, as in Postgres.
    await assert.rejects(client.query(`SELECT pgml.predict('reg', ARRAY[0.5, -0.25, 0.125]::numeric[]) AS p`), { code: '42725' });
    const ints = await client.query(`SELECT pgml.predict('reg', ARRAY[1, 0, 1]) AS p, pgml.predict('reg', ARRAY[1, 0, 1]::int8[]) AS q`);
    const wantInts = await regRef.predict([[1, 0, 1]]);
    assert.ok(close(ints.rows[0].p, wantInts[0]!) && close(ints.rows[0].q, wantInts[0]!));
    const bools = await client.query(`SELECT pgml.predict('reg', ARRAY[true, false, true]) AS p`);
    assert.ok(close(bools.rows[0].p, wantInts[0]!));
  });

  test('2. parameters from pg and postgres.js', async () => {
    const want = await regRef.predict([[0.5, -0.25, 0.125]]);
    const r = await client.query('SELECT pgml.predict($1, $2::real[]) AS p', ['reg', [0.5, -0.25, 0.125]]);
    assert.ok(close(r.rows[0].p, want[0]!));
    const sql = postgres(target().url(), { max: 1, onnotice: () => {} });
    try {
      const rows = await sql`SELECT pgml.predict(${'reg'}, ${[0.5, -0.25, 0.125]}::real[]) AS p`;
      assert.ok(close(rows[0]!.p, want[0]!));
    } finally {
      await sql.end();
    }
  });

  test('3. per row: select list with WHERE, ORDER BY, LIMIT', async () => {
    const r = await client.query(`SELECT id, pgml.predict('reg', ARRAY[a, b, c]) AS y FROM reg WHERE id < 200 ORDER BY id LIMIT 100`);
    assert.equal(r.rows.length, 100);
    const want = await expected(regRows.slice(0, 100));
    r.rows.forEach((row, i) => {
      assert.equal(row.id, i + 1);
      assert.ok(close(row.y, want[i]!), `row ${row.id}: ${row.y} vs ${want[i]}`);
    });
    const unaliased = await client.query(`SELECT pgml.predict('reg', ARRAY[a, b, c]) FROM reg WHERE id = 1`);
    assert.deepEqual(Object.keys(unaliased.rows[0]), ['predict']);
  });

  test('4. in aggregates', { timeout: 20000 }, async () => {
    const r = await client.query(`SELECT avg((pgml.predict('cls', ARRAY[a, b]) = label)::int) AS acc, count(*) AS n FROM cls`);
    assert.equal(Number(r.rows[0].n), 240);
    assert.ok(Number(r.rows[0].acc) > 0.8, `accuracy ${r.rows[0].acc}`);

    // Per row inside an aggregate of a grouped query, grouped by position.
    const want = await expected(regRows);
    const grouped = await client.query(
      `SELECT id % 2 AS parity, avg(pgml.predict('reg', ARRAY[a, b, c])) AS mean, count(*)::int AS n FROM reg GROUP BY 1 ORDER BY 1`,
    );
    assert.deepEqual(grouped.rows.map((g) => [g.parity, g.n]), [[0, 150], [1, 150]]);
    for (const g of grouped.rows) {
      const mine = regRows.map((row, i) => [row.id, want[i]!] as const).filter(([id]) => id % 2 === g.parity);
      const mean = mine.reduce((sum, [, p]) => sum + p, 0) / mine.length;
      assert.ok(Math.abs(g.mean - mean) < 1e-4, `parity ${g.parity}: ${g.mean} vs ${mean}`);
    }
    // Grouped by the prediction itself.
    const perRow = await client.query(`SELECT pgml.predict('cls', ARRAY[a, b]) AS k FROM cls`);
    const byClass = await client.query(`SELECT pgml.predict('cls', ARRAY[a, b]) AS k, count(*)::int AS n FROM cls GROUP BY 1 ORDER BY 1`);
    const counts = new Map<number, number>();
    for (const row of perRow.rows) counts.set(row.k, (counts.get(row.k) ?? 0) + 1);
    assert.deepEqual(byClass.rows.map((g) => [g.k, g.n]), [...counts].sort((x, y) => x[0] - y[0]));
  });

  test('5. in WHERE and ORDER BY', async () => {
    const r = await client.query(
      `SELECT id FROM reg WHERE pgml.predict('reg', ARRAY[a, b, c]) > 0.5 ORDER BY pgml.predict('reg', ARRAY[a, b, c]) DESC, id LIMIT 5`,
    );
    const want = await expected(regRows);
    const ranked = regRows.map((row, i) => ({ id: row.id, p: want[i]! })).filter((x) => x.p > 0.5);
    ranked.sort((x, y) => y.p - x.p || x.id - y.id);
    assert.deepEqual(r.rows.map((x) => x.id), ranked.slice(0, 5).map((x) => x.id));
  });

  test('6. in writes: UPDATE, INSERT ... SELECT, CREATE TABLE AS', async () => {
    const u = await client.query(`UPDATE reg SET y_hat = pgml.predict('reg', ARRAY[a, b, c]) WHERE id <= 50`);
    assert.equal(u.rowCount, 50);
    const updated = await client.query('SELECT y_hat FROM reg WHERE id <= 50 ORDER BY id');
    const want = await expected(regRows.slice(0, 50));
    updated.rows.forEach((row, i) => assert.ok(close(row.y_hat, want[i]!)));
    await client.query('CREATE TABLE reg_out (id int, p real)');
    const ins = await client.query(`INSERT INTO reg_out SELECT id, pgml.predict('reg', ARRAY[a, b, c]) FROM reg WHERE id <= 10`);
    assert.equal(ins.rowCount, 10);
    await client.query(`CREATE TABLE reg_ctas AS SELECT id, pgml.predict('reg', ARRAY[a, b, c]) AS p FROM reg`);
    const both = await client.query('SELECT o.p AS o, c.p AS c FROM reg_out o JOIN reg_ctas c USING (id) ORDER BY id');
    both.rows.forEach((row, i) => assert.ok(close(row.o, want[i]!) && close(row.c, want[i]!)));
    const temps = await client.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'pgml_proxy_results%'`);
    assert.equal(temps.rows[0].n, 0, 'the staging tables are dropped after each statement');
  });

  test('8. CTEs, subqueries, joins, two projects, transactions, several statements', async () => {
    const want = await expected(regRows);
    const cte = await client.query(
      `WITH scored AS (SELECT id, pgml.predict('reg', ARRAY[a, b, c]) AS p FROM reg) SELECT id, p FROM scored WHERE id <= 3 ORDER BY id`,
    );
    cte.rows.forEach((row, i) => assert.ok(close(row.p, want[i]!)));
    const sub = await client.query(
      `SELECT s.id, s.p * 2 AS p2 FROM (SELECT id, pgml.predict('reg', ARRAY[a, b, c]) AS p FROM reg) s WHERE s.id IN (4, 5) ORDER BY s.id`,
    );
    sub.rows.forEach((row, i) => assert.ok(close(row.p2, 2 * want[3 + i]!)));
    const join = await client.query(
      `SELECT r.id, pgml.predict('reg', ARRAY[r.a, r.b, r.c]) AS p, pgml.predict('cls', ARRAY[c.a, c.b]) AS k
         FROM reg r JOIN cls c ON c.id = r.id WHERE r.id <= 5 ORDER BY r.id`,
    );
    assert.equal(join.rows.length, 5);
    join.rows.forEach((row, i) => {
      assert.ok(close(row.p, want[i]!));
      assert.ok(row.k === 0 || row.k === 1);
    });
    await client.query('BEGIN');
    const inTx = await client.query(`SELECT pgml.predict('reg', ARRAY[a, b, c]) AS p FROM reg WHERE id = 7`);
    assert.ok(close(inTx.rows[0].p, want[6]!));
    await client.query('COMMIT');
    const multi = await client.query(
      `UPDATE reg SET y_hat = NULL; UPDATE reg SET y_hat = pgml.predict('reg', ARRAY[a, b, c]) WHERE id = 9; SELECT y_hat FROM reg WHERE id = 9`,
    );
    const last = (multi as unknown as pg.QueryResult[]).at(-1)!;
    assert.ok(close(last.rows[0].y_hat, want[8]!));
    // A per-row call reads rows that statements before it in the same message create.
    const created = await client.query(
      `CREATE TABLE reg_few AS SELECT id, a, b, c FROM reg WHERE id <= 3; INSERT INTO reg_few SELECT id, a, b, c FROM reg WHERE id = 4;
       SELECT id, pgml.predict('reg', ARRAY[a, b, c]) AS p FROM reg_few ORDER BY id`,
    );
    const rows = (created as unknown as pg.QueryResult[]).at(-1)!.rows;
    assert.deepEqual(rows.map((r) => r.id), [1, 2, 3, 4]);
    rows.forEach((row, i) => assert.ok(close(row.p, want[i]!)));
  });

  test('per-row calls in the extended protocol: parameters, named statements, writes, transactions, errors', async () => {
    const want = await expected(regRows);
    const selected = await client.query(
      `SELECT id, pgml.predict('reg', ARRAY[a, b, c]) AS y FROM reg WHERE id < $1 ORDER BY id LIMIT $2`,
      [200, 100],
    );
    assert.equal(selected.rows.length, 100);
    selected.rows.forEach((row, i) => assert.ok(close(row.y, want[i]!), `row ${row.id}: ${row.y} vs ${want[i]}`));

    // A named statement binds again with other values: the rows it evaluates follow them.
    const text = 'SELECT id, pgml.predict($1, ARRAY[a, b, c]) AS y FROM reg WHERE id = $2';
    for (const id of [5, 7]) {
      const r = await client.query({ name: 'per_row_by_id', text, values: ['reg', id] });
      assert.deepEqual(r.rows.map((x) => x.id), [id]);
      assert.ok(close(r.rows[0].y, want[id - 1]!));
    }

    await client.query('UPDATE reg SET y_hat = NULL');
    const updated = await client.query(`UPDATE reg SET y_hat = pgml.predict('reg', ARRAY[a, b, c]) WHERE id > $1`, [290]);
    assert.equal(updated.rowCount, 10);
    const stored = await client.query('SELECT id, y_hat FROM reg WHERE y_hat IS NOT NULL ORDER BY id');
    assert.deepEqual(stored.rows.map((x) => x.id), Array.from({ length: 10 }, (_, i) => 291 + i));
    stored.rows.forEach((row) => assert.ok(close(row.y_hat, want[row.id - 1]!)));

    // Inside the client's own transaction: a rollback undoes the write like any other.
    await client.query('BEGIN');
    await client.query(`UPDATE reg SET y_hat = pgml.predict('reg', ARRAY[a, b, c]) WHERE id <= $1`, [3]);
    await client.query('ROLLBACK');
    assert.equal((await client.query('SELECT count(*)::int AS n FROM reg WHERE y_hat IS NOT NULL')).rows[0].n, 10);

    // A refused call leaves no transaction open: a write right after it is visible to others at once.
    await assert.rejects(
      client.query(`SELECT pgml.predict($1, ARRAY[a, b, c]) FROM reg WHERE id < $2`, ['nope', 5]),
      (e: pg.DatabaseError) => e.code === '42704',
    );
    await client.query('UPDATE reg SET y_hat = 0 WHERE id = $1', [1]);
    const other = new pg.Client({ connectionString: target().url() });
    await other.connect();
    try {
      assert.equal((await other.query('SELECT y_hat FROM reg WHERE id = 1')).rows[0].y_hat, 0);
    } finally {
      await other.end();
    }
    const temps = await client.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'pgml_proxy_results%'`);
    assert.equal(temps.rows[0].n, 0, 'the staging tables go when the implicit transaction commits');

    const sql = postgres(target().url(), { max: 1, onnotice: () => {} });
    try {
      const rows = await sql`SELECT id, pgml.predict('reg', ARRAY[a, b, c]) AS y FROM reg WHERE id <= ${4} ORDER BY id`;
      assert.deepEqual(rows.map((r) => r.id), [1, 2, 3, 4]);
      rows.forEach((r, i) => assert.ok(close(r.y, want[i]!)));
    } finally {
      await sql.end();
    }
  });

  test('outer-query references are refused with 0A000 and a hint; the session stays usable', async () => {
    await assert.rejects(
      client.query(`SELECT r.id, (SELECT pgml.predict('reg', ARRAY[r.a, c.a, c.b]) FROM cls c WHERE c.id = 1) FROM reg r WHERE r.id < 3`),
      (e: pg.DatabaseError) => e.code === '0A000' && /FROM/.test(e.hint ?? ''),
    );
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
  });

  test('bad input: clear errors, session usable', async () => {
    const cases: [string, string, RegExp][] = [
      [`SELECT pgml.predict('nope', ARRAY[1, 2, 3])`, '42704', /does not exist/],
      [`SELECT pgml.predict('reg', ARRAY[1, 2])`, '22023', /expected 3 features, received 2/],
      [`SELECT pgml.predict('reg', NULL::real[])`, '22004', /NULL/],
      [`SELECT pgml.predict('reg', ARRAY['1', 'two', '3'])`, '22P02', /not a number: "two"/],
      [`SELECT pgml.predict('reg', ARRAY[a, b]) FROM reg`, '22023', /expected 3 features, received 2/],
    ];
    for (const [sql, code, message] of cases) {
      await assert.rejects(client.query(sql), (e: pg.DatabaseError) => e.code === code && message.test(e.message), sql);
      assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    }
    // A model whose stored bytes were damaged (never loaded before, so not in the cache): XX001.
    const trained = await client.query(`SELECT * FROM pgml.train('damaged', 'regression', 'reg_train', 'y', 'linear')`);
    assert.equal(trained.rows.length, 1);
    await client.query(
      `UPDATE pgml.files SET data = set_byte(data, 0, (get_byte(data, 0) + 1) % 256)
        WHERE model_id = (SELECT id FROM pgml.deployed_models WHERE name = 'damaged')
          AND part = 0`,
    );
    await assert.rejects(
      client.query(`SELECT pgml.predict('damaged', ARRAY[1, 2, 3])`),
      (e: pg.DatabaseError) => e.code === 'XX001' && /checksum mismatch/.test(e.message),
    );
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    await client.query(`INSERT INTO pgml.projects (name, task) VALUES ('undeployed', 'regression')`);
    await assert.rejects(client.query(`SELECT pgml.predict('undeployed', ARRAY[1, 2, 3])`), (e: pg.DatabaseError) => e.code === '42704' && /No deployed model/.test(e.message));
  });

  test('predict_proba, predict by model id, predict_batch', async () => {
    const proba = await client.query(`SELECT pgml.predict_proba('cls', ARRAY[0.5, 0.5]::real[]) AS p`);
    assert.equal(proba.rows[0].p.length, 2);
    assert.ok(Math.abs(proba.rows[0].p[0] + proba.rows[0].p[1] - 1) < 1e-5);
    const id = (await client.query(`SELECT id FROM pgml.deployed_models WHERE name = 'reg'`)).rows[0].id;
    const want = await regRef.predict([[0.5, -0.25, 0.125]]);
    const byId = await client.query(`SELECT pgml.predict(${id}::bigint, ARRAY[0.5, -0.25, 0.125]::real[]) AS p`);
    assert.ok(close(byId.rows[0].p, want[0]!));
    const batch = await client.query(`SELECT * FROM pgml.predict_batch('reg', ARRAY[0.5, -0.25, 0.125, 0.5, -0.25, 0.125]::real[]) AS p`);
    assert.equal(batch.rows.length, 2);
    assert.ok(close(batch.rows[1].p, want[0]!));
  });

  test('a new deployment is used by every session from its next statement on', async () => {
    const other = new pg.Client({ connectionString: target().url() });
    await other.connect();
    try {
      const features = 'ARRAY[0.5, -0.25, 0.125]::real[]';
      await other.query(`SELECT pgml.predict('reg', ${features})`); // the other session has used the old model
      await client.query(`SELECT * FROM pgml.train('reg', 'regression', 'reg_train', 'y', 'linear')`);
      await client.query(`SELECT * FROM pgml.deploy('reg', 'most_recent')`);
      const linear = await reference(client, 'reg');
      const want = await linear.predict([[0.5, -0.25, 0.125]]);
      const r = await other.query(`SELECT pgml.predict('reg', ${features}) AS p`);
      assert.ok(close(r.rows[0].p, want[0]!), `${r.rows[0].p} vs ${want[0]}`);
      const perRow = await other.query(`SELECT pgml.predict('reg', ARRAY[a, b, c]) AS p FROM reg WHERE id = 1`);
      assert.ok(close(perRow.rows[0].p, (await linear.predict([[regRows[0]!.a, regRows[0]!.b, regRows[0]!.c]]))[0]!));
    } finally {
      await other.end();
    }
  });

  if (kind === 'proxy-pglite') return;

  test("a deployment made through this proxy is used by its other sessions at once, before the upstream's notification arrives", async (t) => {
    // The proxy's LISTEN backend is stopped, so the deployment's NOTIFY cannot reach the proxy: only
    // the deploying session's own invalidation (at the end of its transaction) can tell the other.
    const listeners = (await client.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'pgml-proxy listener'`)).rows.map((r) => r.pid as number);
    assert.ok(listeners.length > 0, 'the proxy listens');
    try {
      for (const pid of listeners) process.kill(pid, 'SIGSTOP');
    } catch (error) {
      return t.skip(`cannot stop the listener backend here: ${(error as Error).message}`);
    }
    const other = new pg.Client({ connectionString: target().url() });
    try {
      await other.connect();
      const features = 'ARRAY[0.5, -0.25, 0.125]::real[]';
      const before = (await other.query(`SELECT pgml.predict('reg', ${features}) AS p`)).rows[0].p;
      await other.query(`SELECT pgml.predict('reg', ${features}) AS p`); // served from the cache now
      await client.query(`SELECT * FROM pgml.train('reg', algorithm => 'ridge', hyperparams => '{"alpha": 1000}')`);
      await client.query(`SELECT * FROM pgml.deploy('reg', 'most_recent')`);
      const newest = (await client.query(`SELECT max(m.id) AS id FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'reg'`)).rows[0].id;
      const want = (await client.query(`SELECT pgml.predict(${newest}::bigint, ${features}) AS p`)).rows[0].p;
      assert.notEqual(want, before, 'the new model predicts something else');
      assert.equal((await other.query(`SELECT pgml.predict('reg', ${features}) AS p`)).rows[0].p, want);
    } finally {
      for (const pid of listeners) process.kill(pid, 'SIGCONT');
      await other.end();
    }
  });

  test('row form for a model trained with preprocess', async () => {
    await client.query(
      `SELECT * FROM pgml.train('mixed', 'regression', 'mixed_train', 'y', 'linear', preprocess => '{"color": {"encode": "one_hot"}}')`,
    );
    const r = await client.query(`SELECT id, pgml.predict('mixed', (x1, color)) AS p, y FROM mixed ORDER BY id LIMIT 20`);
    assert.equal(r.rows.length, 20);
    const err = r.rows.reduce((s, row) => s + Math.abs(row.p - row.y), 0) / r.rows.length;
    assert.ok(err < 0.5, `mean abs error ${err}`);
  });
});
