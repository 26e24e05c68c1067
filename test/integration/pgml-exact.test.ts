// Issue 11's statements as the issue quotes them, byte for byte, and per-row calls outside the
// select list over FROMs that change between two reads (ORDER BY random() LIMIT n, TABLESAMPLE, a
// concurrent writer). Every result is compared, as the client received it, with one constant call
// per row computed separately; none may be NULL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { describeTargets } from '../support/targets.js';

const SETUP = `
  CREATE TABLE flowers AS
  SELECT ARRAY[sepal_length, sepal_width, petal_length, petal_width]::real[] AS f, target FROM pgml.iris;
  CREATE TABLE t AS SELECT f FROM flowers WHERE target = 1 LIMIT 4;
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
});
