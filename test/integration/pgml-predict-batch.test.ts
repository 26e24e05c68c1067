// pgml.predict_batch as PostgresML's documentation writes it: a set-returning call over array_agg in
// the select list, zipped with unnest(array_agg(...)) of the same rows. Each batch's predictions must
// pair with the rows they were computed from, even when the FROM is volatile, per group, and with
// bound parameters; each is compared with one pgml.predict of that row.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { describeTargets } from '../support/targets.js';

describeTargets('pgml.predict_batch', { proxyOnly: true }, (target) => {
  let client: pg.Client;
  /** pgml.predict of each row of flowers, by id. */
  let single: Map<number, number>;

  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    await client.connect();
    await client.query(`SELECT pgml.load_dataset('iris')`);
    await client.query(`SELECT pgml.load_dataset('digits')`);
    await client.query(`CREATE TABLE flowers AS SELECT row_number() OVER ()::int AS id, * FROM pgml.iris`);
    await client.query(`SELECT * FROM pgml.train('Iris Batch', 'classification', 'pgml.iris', 'target', 'xgboost', '{"n_estimators": 5}')`);
    await client.query(`SELECT * FROM pgml.train('My Classification Project', 'classification', 'pgml.digits', 'target', 'xgboost', '{"n_estimators": 5}')`);
    const { rows } = await client.query(
      `SELECT id, pgml.predict('Iris Batch', ARRAY[sepal_length, sepal_width, petal_length, petal_width]) AS p FROM flowers`,
    );
    single = new Map(rows.map((r) => [r.id, r.p]));
    assert.equal(single.size, 150);
  });

  after(async () => {
    await client?.end();
  });

  function assertPaired(rows: { prediction: number; id: number }[], expectedCount: number): void {
    assert.equal(rows.length, expectedCount);
    for (const row of rows) assert.equal(row.prediction, single.get(row.id), `row ${row.id}`);
  }

  test("the documentation's CTE, verbatim, with the target passed through unnest(array_agg(target))", async () => {
    const { rows } = await client.query(`WITH predictions AS (
	SELECT pgml.predict_batch(
		'My Classification Project',
		array_agg(image)
	) AS prediction,
	unnest(
		array_agg(target)
	) AS target
	FROM pgml.digits
	WHERE target = 0
)
SELECT prediction, target FROM predictions
LIMIT 10;`);
    assert.equal(rows.length, 10);
    for (const row of rows) assert.equal(row.target, 0);
    // The same rows in the same (scan) order, one pgml.predict each: a wrong pairing or a NULL would show.
    const single = await client.query(
      `SELECT pgml.predict('My Classification Project', image) AS prediction FROM pgml.digits WHERE target = 0 LIMIT 10`,
    );
    assert.deepEqual(rows.map((r) => r.prediction), single.rows.map((r) => r.prediction));
    assert.ok(rows.every((r) => typeof r.prediction === 'number'));
  });

  test('each prediction pairs with its row: ids passed through, over a volatile FROM', async () => {
    const { rows } = await client.query(`WITH predictions AS (
      SELECT pgml.predict_batch('Iris Batch', array_agg(ARRAY[sepal_length, sepal_width, petal_length, petal_width])) AS prediction,
             unnest(array_agg(id)) AS id
        FROM (SELECT * FROM flowers ORDER BY random() LIMIT 60) s
    ) SELECT prediction, id FROM predictions`);
    assertPaired(rows, 60);
    assert.equal(new Set(rows.map((r) => r.id)).size, 60);
  });

  test("by model id one real[], as PostgresML's predict_model_batch returns it (by project name a set)", async () => {
    const id = (await client.query(`SELECT id FROM pgml.deployed_models WHERE name = 'Iris Batch'`)).rows[0].id;
    const features = `(SELECT array_agg(f ORDER BY id, k) FROM flowers, unnest(ARRAY[sepal_length, sepal_width, petal_length, petal_width]) WITH ORDINALITY AS u(f, k) WHERE id <= 4)`;
    const byId = await client.query(`SELECT pgml.predict_batch(${id}::bigint, ${features}::real[]) AS p`);
    assert.equal(byId.rows.length, 1);
    assert.deepEqual(byId.rows[0].p, [1, 2, 3, 4].map((row) => single.get(row)));
    const byName = await client.query(`SELECT p FROM pgml.predict_batch('Iris Batch', ${features}::real[]) AS p`);
    assert.deepEqual(byName.rows.map((r) => r.p), [1, 2, 3, 4].map((row) => single.get(row)));
  });

  test('one batch per group, and bound parameters in the extended protocol', async () => {
    const { rows } = await client.query(
      `SELECT target, pgml.predict_batch($1, array_agg(ARRAY[sepal_length, sepal_width, petal_length, petal_width])) AS prediction,
              unnest(array_agg(id)) AS id
         FROM flowers WHERE id % $2 = 0 GROUP BY target ORDER BY target`,
      ['Iris Batch', 3],
    );
    assertPaired(rows, 50);
    assert.deepEqual([...new Set(rows.map((r) => r.target))], [0, 1, 2]);
  });
});
