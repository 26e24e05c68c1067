// Issue 11's argument forms, each answer compared with the same call written with constants:
// bound parameters inside arrays, casts and arithmetic (typed as Postgres types them, no 42P18),
// SQL wrappers called with bound parameters and over /rpc, and constant calls nested in per-row ones.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { describeTargets } from '../support/targets.js';

const FLOWERS = `
  CREATE TABLE arg_flowers AS
  SELECT (i % 7)::real AS a, (i % 5)::real AS b, (i % 3)::real AS c, (i % 2)::real AS d,
         CASE WHEN i % 7 < 2 THEN 0 WHEN i % 7 < 5 THEN 1 ELSE 2 END AS species
    FROM generate_series(1, 90) AS i;`;
const TRAIN = `SELECT * FROM pgml.train('iris', 'classification', 'arg_flowers', 'species', algorithm => 'xgboost', test_sampling => 'last')`;
const CLASSIFY = `CREATE FUNCTION classify(a real, b real, c real, d real) RETURNS real LANGUAGE sql AS $$ SELECT pgml.predict('iris', ARRAY[a, b, c, d]) $$`;

describeTargets('pgml.* arguments', { proxyOnly: true, http: true, proxyArgs: ['--anon-role', 'postgres'] }, (target) => {
  let client: pg.Client;
  const predict = async (features: number[]): Promise<number> =>
    (await client.query(`SELECT pgml.predict('iris', ARRAY[${features.join(', ')}]::real[]) AS v`)).rows[0].v;

  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    await client.connect();
    await client.query(FLOWERS);
    await client.query(TRAIN);
    await client.query(CLASSIFY);
  });
  after(async () => {
    await client.end();
  });

  test('bound parameters inside the features array, typed by their casts or by the call', async () => {
    const expected = await predict([6, 2, 1, 0]);
    const typed = await client.query('SELECT pgml.predict($1, ARRAY[$2::real, $3::real, $4::real, $5::real])', ['iris', 6, 2, 1, 0]);
    assert.deepEqual(typed.rows, [{ predict: expected }]);
    const untyped = await client.query('SELECT pgml.predict($1, ARRAY[$2, $3, $4, $5])', ['iris', 6, 2, 1, 0]);
    assert.deepEqual(untyped.rows, [{ predict: expected }]);
    const arithmetic = await client.query('SELECT pgml.predict($1, ARRAY[$2 * 2, $3::real, $4 + 0.0, $5]::real[]) AS p', ['iris', 3, 2, 1, 0]);
    assert.deepEqual(arithmetic.rows, [{ p: expected }]);
    // The parameter is also used outside the call, and the call stands among other columns.
    const mixed = await client.query('SELECT $1::text AS project, pgml.predict($1, ARRAY[$2::real, $3::real, $4::real, $5::real]) AS p', ['iris', 6, 2, 1, 0]);
    assert.deepEqual(mixed.rows, [{ project: 'iris', p: expected }]);
  });

  test('bound parameters next to columns in a per-row call', async () => {
    const rows = (await client.query('SELECT a, b FROM arg_flowers ORDER BY a, b LIMIT 40')).rows;
    const expected = await Promise.all(rows.map((r) => predict([r.a, r.b, 1, 0])));
    const perRow = await client.query('SELECT pgml.predict($1, ARRAY[a, b, $2, $3]) AS p FROM (SELECT a, b FROM arg_flowers ORDER BY a, b LIMIT 40) s ORDER BY a, b', ['iris', 1, 0]);
    assert.deepEqual(perRow.rows.map((r) => r.p), expected);
  });

  test('a SQL wrapper whose parameters are used in an expression: bound parameters and /rpc', async () => {
    const expected = await predict([6, 2, 1, 0]);
    assert.deepEqual((await client.query('SELECT classify($1, $2, $3, $4)', [6, 2, 1, 0])).rows, [{ classify: expected }]);
    assert.deepEqual((await client.query('SELECT classify(6, 2, 1, 0)')).rows, [{ classify: expected }]);
    const reply = await fetch(`${target().proxy!.httpUrl}/rpc/classify`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ a: 6, b: 2, c: 1, d: 0 }),
    });
    const text = await reply.text();
    assert.equal(reply.status, 200, text);
    assert.deepEqual(JSON.parse(text), expected);
  });

  test('a constant call nested in a per-row call is evaluated once: no refusal', async () => {
    const rows = (await client.query('SELECT a, b FROM arg_flowers ORDER BY a, b LIMIT 20')).rows;
    const first = await predict([6, 2, 1, 0]);
    const expected = await Promise.all(rows.map((r) => predict([first, 0, r.a, r.b])));
    const nested = await client.query(
      `SELECT pgml.predict('iris', ARRAY[pgml.predict('iris', ARRAY[6, 2, 1, 0]::real[]), 0, a, b]) AS p
         FROM (SELECT a, b FROM arg_flowers ORDER BY a, b LIMIT 20) s ORDER BY a, b`,
    );
    assert.deepEqual(nested.rows.map((r) => r.p), expected);
  });

  test('a model id from a column takes the bigint overload, as the column is bigint', async () => {
    const { id } = (await client.query(`SELECT m.id::int AS id FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'iris' ORDER BY m.id DESC LIMIT 1`)).rows[0];
    const expected = (await client.query(`SELECT pgml.predict(${id}::bigint, ARRAY[6, 2, 1, 0]::real[]) AS v`)).rows[0].v;
    assert.equal(expected, await predict([6, 2, 1, 0]));
    const fromColumn = await client.query(`SELECT m.id::int AS id, pgml.predict(m.id, ARRAY[6, 2, 1, 0]::real[]) AS p FROM pgml.models m WHERE m.id = ${id}`);
    assert.deepEqual(fromColumn.rows, [{ id, p: expected }]);
    const joined = await client.query(
      `SELECT pgml.predict(m.id, ARRAY[a, b, c, d]) AS p, a, b, c, d FROM pgml.models m, (SELECT * FROM arg_flowers ORDER BY a, b, c, d LIMIT 10) t WHERE m.id = ${id} ORDER BY a, b, c, d`,
    );
    assert.deepEqual(joined.rows.map((r) => r.p), await Promise.all(joined.rows.map((r) => predict([r.a, r.b, r.c, r.d]))));
    // By model id, PostgresML's predict_model_batch returns one real[].
    const batch = await client.query(`SELECT pgml.predict_batch(${id}, ARRAY[6, 2, 1, 0, 6, 2, 1, 0]::real[]) AS p`);
    assert.deepEqual(batch.rows, [{ p: [expected, expected] }]);
  });

  test('ROW(a, b, c, d) features, per row', async () => {
    const rows = (await client.query('SELECT a, b, c, d FROM arg_flowers ORDER BY a, b, c, d LIMIT 12')).rows;
    const perRow = await client.query('SELECT pgml.predict(\'iris\', ROW(a, b, c, d)) AS p FROM (SELECT a, b, c, d FROM arg_flowers ORDER BY a, b, c, d LIMIT 12) s ORDER BY a, b, c, d');
    assert.deepEqual(perRow.rows.map((r) => r.p), await Promise.all(rows.map((r) => predict([r.a, r.b, r.c, r.d]))));
  });

  test('PostgresML\'s row forms: a constant tuple or ROW(...), by project name or model id, as the same ARRAY', async () => {
    const expected = await predict([5.1, 3.5, 1.4, 0.2]);
    const { id } = (await client.query(`SELECT m.id::int AS id FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'iris' ORDER BY m.id DESC LIMIT 1`)).rows[0];
    for (const sql of [
      `SELECT pgml.predict('iris', (5.1, 3.5, 1.4, 0.2)) AS p`,
      `SELECT pgml.predict('iris', ROW(5.1, 3.5, 1.4, 0.2)) AS p`,
      `SELECT pgml.predict(${id}, (5.1, 3.5, 1.4, 0.2)) AS p`,
      `SELECT pgml.predict(${id}::bigint, ROW(5.1, 3.5, 1.4, 0.2)) AS p`,
      `SELECT pgml.predict(m.id, (5.1, 3.5, 1.4, 0.2)) AS p FROM pgml.models m WHERE m.id = ${id}`,
    ]) {
      assert.deepEqual((await client.query(sql)).rows, [{ p: expected }], sql);
    }
    const bound = await client.query('SELECT pgml.predict($1, ($2::real, $3::real, $4::real, $5::real)) AS p', ['iris', 5.1, 3.5, 1.4, 0.2]);
    assert.deepEqual(bound.rows, [{ p: expected }]);
  });

  test('per-row tuples and whole-row references, each row as the ARRAY of its features', async () => {
    await client.query('CREATE TABLE arg_features AS SELECT a, b, c, d FROM arg_flowers ORDER BY a, b, c, d LIMIT 30');
    const { id } = (await client.query(`SELECT m.id::int AS id FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'iris' ORDER BY m.id DESC LIMIT 1`)).rows[0];
    const statements = [
      `SELECT a, b, c, d, pgml.predict('iris', (a, b, c, d)) AS p FROM arg_features`,
      // A bare whole-row reference, as the table's name or its alias.
      `SELECT a, b, c, d, pgml.predict('iris', arg_features) AS p FROM arg_features`,
      `SELECT a, b, c, d, pgml.predict('iris', t) AS p FROM arg_features t`,
      `SELECT a, b, c, d, pgml.predict(${id}, t) AS p FROM arg_features t`,
      `SELECT t.a, t.b, t.c, t.d, pgml.predict(m.id, t) AS p FROM arg_features t, pgml.models m WHERE m.id = ${id}`,
      // The training relation's own rows: its columns are read by name, the label left out.
      `SELECT a, b, c, d, pgml.predict('iris', f) AS p FROM (SELECT * FROM arg_flowers ORDER BY random() LIMIT 30) f`,
      // Outside the select list (the keyed path), the whole row too.
      `SELECT a, b, c, d, species AS p FROM arg_flowers f WHERE pgml.predict('iris', f) = species AND a < 3`,
    ];
    for (const sql of statements) {
      const { rows } = await client.query(sql);
      assert.ok(rows.length > 0, sql);
      const expected = await Promise.all(rows.map((r) => predict([r.a, r.b, r.c, r.d])));
      assert.deepEqual(rows.map((r) => r.p), expected, sql);
    }
  });

  test('a composite-typed column as the features: the row overload, as Postgres chooses it', async () => {
    await client.query('CREATE TYPE measures AS (a real, b real, c real, d real); CREATE TABLE m (f measures)');
    await client.query('INSERT INTO m SELECT ROW(a, b, c, d)::measures FROM arg_flowers ORDER BY a, b, c, d LIMIT 30');
    const features = (await client.query('SELECT (f).a, (f).b, (f).c, (f).d FROM m')).rows;
    const expected = await Promise.all(features.map((r) => predict([r.a, r.b, r.c, r.d])));
    const plain = await client.query(`SELECT pgml.predict('iris', f) FROM m`);
    assert.deepEqual(plain.rows.map((r) => r.predict), expected);
    // Again (the analysis, probe included, is remembered), and prepared with the project bound.
    assert.deepEqual((await client.query(`SELECT pgml.predict('iris', f) FROM m`)).rows, plain.rows);
    assert.deepEqual((await client.query('SELECT pgml.predict($1, f) FROM m', ['iris'])).rows, plain.rows);
    const aliased = await client.query(`SELECT (s.f).a, (s.f).b, (s.f).c, (s.f).d, pgml.predict('iris', s.f) AS p FROM m s`);
    assert.deepEqual(aliased.rows.map((r) => r.p), await Promise.all(aliased.rows.map((r) => predict([r.a, r.b, r.c, r.d]))));
    // Outside the select list (keyed): the rows whose prediction is 1.
    const keyed = await client.query(`SELECT (s.f).a, (s.f).b, (s.f).c, (s.f).d FROM m s WHERE pgml.predict('iris', s.f) = 1`);
    const ones = features.filter((_, i) => expected[i] === 1);
    assert.ok(ones.length > 0 && ones.length < features.length);
    assert.deepEqual(keyed.rows, ones);
  });

  test('rows of the wrong shape or type: clear errors, the session stays usable', async () => {
    const cases: [string, string, RegExp][] = [
      [`SELECT pgml.predict('iris', (5.1, 3.5, 1.4))`, '42804', /the row has 3 values, but the model takes 4 features: a, b, c, d/],
      [`SELECT pgml.predict('iris', (a, b)) FROM arg_flowers`, '42804', /the row has 2 values/],
      [`SELECT pgml.predict('iris', ('x', 3.5, 1.4, 0.2))`, '22P02', /column "a" \(float4\) holds a value that is not a number: "x"/],
      [`SELECT pgml.predict('iris', t) FROM (SELECT a, b FROM arg_flowers) t`, '42804', /the row lacks the model's feature columns "c", "d"/],
    ];
    for (const [sql, code, message] of cases) {
      await assert.rejects(client.query(sql), (error: { code?: string; message: string }) => {
        assert.equal(error.code, code, `${sql}: ${error.message}`);
        assert.match(error.message, message);
        return true;
      });
    }
    assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
  });

  test('a text feature encoded at training: tuples with text, whole rows, per row as the constant tuple', async () => {
    await client.query(`CREATE TABLE arg_mixed AS
      SELECT (i % 9)::real AS x, (ARRAY['red', 'green', 'blue'])[i % 3 + 1] AS color, (i % 9) * 2 + (i % 3) * 5 AS y
        FROM generate_series(1, 60) AS i`);
    await client.query(`SELECT * FROM pgml.train('mixed', 'regression', 'arg_mixed', 'y', 'linear', preprocess => '{"color": {"encode": "one_hot"}, "x": {"scale": "standard"}}')`);
    const constant = async (x: number, color: string): Promise<number> =>
      (await client.query(`SELECT pgml.predict('mixed', (${x}::real, '${color}'::text)) AS p`)).rows[0].p;
    assert.ok(Math.abs((await constant(4, 'blue')) - (4 * 2 + 2 * 5)) < 1e-3);
    assert.equal((await client.query(`SELECT pgml.predict('mixed', ROW(4, 'blue')) AS p`)).rows[0].p, await constant(4, 'blue'));
    for (const sql of [
      `SELECT x, color, pgml.predict('mixed', (x, color)) AS p FROM arg_mixed ORDER BY x, color`,
      `SELECT x, color, pgml.predict('mixed', m) AS p FROM arg_mixed m ORDER BY x, color`,
    ]) {
      const { rows } = await client.query(sql);
      assert.equal(rows.length, 60);
      assert.deepEqual(rows.map((r) => r.p), await Promise.all(rows.map((r) => constant(r.x, r.color))), sql);
    }
  });

  test('cron.unschedule(jobname) FROM cron.job takes the text overload for a text column', async () => {
    await client.query(`SELECT cron.schedule('args-nightly', '0 3 * * *', 'SELECT 1')`);
    await client.query(`SELECT cron.unschedule(jobname) FROM cron.job WHERE jobname = 'args-nightly'`);
    assert.deepEqual((await client.query(`SELECT jobid FROM cron.job WHERE jobname = 'args-nightly'`)).rows, []);
  });
});
