// Uncorrelated scalar subquery arguments in the extended protocol (issue 11: "a scalar subquery around
// a call in any position"): node-postgres with parameters, unnamed and named statements executed twice
// with different values, and postgres.js. Each answer is compared with the constant call on the value
// read separately. The subquery is read at each Bind (a table written between two executions gives
// the new value) and the statement checks it reads the same value (40001 otherwise).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { sqlState, suiteClient } from '../support/pg-client.js';
import { describeTargets } from '../support/targets.js';

const SETUP = `
  CREATE TABLE sq_flowers AS
  SELECT i AS id, ARRAY[(i % 7), (i % 5), (i % 3), (i % 2)]::real[] AS features,
         CASE WHEN i % 7 < 2 THEN 0 WHEN i % 7 < 5 THEN 1 ELSE 2 END AS species
    FROM generate_series(1, 90) AS i;
  CREATE TABLE sq_train AS SELECT features, species FROM sq_flowers;
  CREATE TABLE sq_docs (id int PRIMARY KEY, body text);
  INSERT INTO sq_docs VALUES
    (1, 'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.'),
    (2, 'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse.');
  CREATE SEQUENCE sq_seq;`;
const TRAIN = `SELECT * FROM pgml.train('sq_iris', 'classification', 'sq_train', 'species', algorithm => 'xgboost', test_sampling => 'last')`;
const KWARGS = `'{"chunk_size": 40, "chunk_overlap": 10}'`;

// SQL wrappers as users write them for /rpc, the subquery reading the function's parameter.
const WRAPPERS = `
  CREATE FUNCTION predict_flower(flower_id int) RETURNS real LANGUAGE sql AS $$
    SELECT pgml.predict('sq_iris', (SELECT features FROM sq_flowers WHERE id = predict_flower.flower_id))
  $$;
  CREATE FUNCTION predict_bare(flower_id int) RETURNS real LANGUAGE sql AS $$
    SELECT pgml.predict('sq_iris', (SELECT features FROM sq_flowers WHERE id = flower_id))
  $$;
  CREATE FUNCTION chunk_doc(doc_id int) RETURNS TABLE(chunk_index bigint, chunk text) LANGUAGE sql AS $$
    SELECT * FROM pgml.chunk('recursive_character', (SELECT body FROM sq_docs WHERE id = $1))
  $$;`;

describeTargets('uncorrelated subquery arguments in the extended protocol', { proxyOnly: true, http: true, proxyArgs: ['--anon-role', 'postgres'] }, (target) => {
  const client = suiteClient(target);
  let sql: postgres.Sql;

  before(async () => {
    await client().query(SETUP);
    await client().query(TRAIN);
    await client().query(WRAPPERS);
    sql = postgres(target().url(), { max: 1, onnotice: () => undefined });
  });
  after(async () => {
    await sql.end();
  });

  /** pgml.predict of the features read separately, as a constant of a simple Query. */
  const predicted = async (id: number): Promise<number> => {
    const features = (await client().query(`SELECT features::text AS f FROM sq_flowers WHERE id = ${id}`)).rows[0].f as string;
    return (await client().query(`SELECT pgml.predict('sq_iris', ${client().escapeLiteral(features)}::real[]) AS p`)).rows[0].p;
  };
  /** pgml.chunk of the body read separately, as a constant of a simple Query. */
  const chunked = async (id: number, kwargs = ''): Promise<unknown[]> => {
    const body = (await client().query(`SELECT body FROM sq_docs WHERE id = ${id}`)).rows[0].body as string;
    return (await client().query(`SELECT * FROM pgml.chunk('recursive_character', ${client().escapeLiteral(body)}${kwargs})`)).rows;
  };

  test('pgml.predict over a subquery reading a bound parameter: unnamed and named statements, twice each', async () => {
    const [p3, p5] = [await predicted(3), await predicted(5)];
    assert.notEqual(p3, p5, 'the two rows must tell the executions apart');
    const text = `SELECT pgml.predict('sq_iris', (SELECT features FROM sq_flowers WHERE id = $1))`;
    assert.deepEqual((await client().query(text, [3])).rows, [{ predict: p3 }]);
    assert.deepEqual((await client().query(text, [5])).rows, [{ predict: p5 }]);
    assert.deepEqual((await client().query({ name: 'sq_predict', text, values: [3] })).rows, [{ predict: p3 }]);
    assert.deepEqual((await client().query({ name: 'sq_predict', text, values: [5] })).rows, [{ predict: p5 }]);
    // The clickbait walkthrough's named-argument form, with the subquery around the features.
    const named = `SELECT pgml.predict(project_name => 'sq_iris', features => (SELECT features FROM sq_flowers WHERE id = $1)) AS p`;
    assert.deepEqual((await client().query(named, [5])).rows, [{ p: p5 }]);
  });

  test('pgml.chunk in FROM over a subquery reading a bound parameter, and without parameters', async () => {
    const text = `SELECT * FROM pgml.chunk('recursive_character', (SELECT body FROM sq_docs WHERE id = $1))`;
    for (const id of [1, 2]) assert.deepEqual((await client().query(text, [id])).rows, await chunked(id));
    const withKwargs = `SELECT * FROM pgml.chunk('recursive_character', (SELECT body FROM sq_docs WHERE id = $1), ${KWARGS})`;
    for (const id of [2, 1]) assert.deepEqual((await client().query({ name: 'sq_chunk', text: withKwargs, values: [id] })).rows, await chunked(id, `, ${KWARGS}`));
    const constant = `SELECT * FROM pgml.chunk('recursive_character', (SELECT body FROM sq_docs WHERE id = 2), ${KWARGS})`;
    assert.deepEqual((await client().query({ name: 'sq_chunk_constant', text: constant, values: [] })).rows, await chunked(2, `, ${KWARGS}`));
    const none = await client().query(text, [99]);
    assert.deepEqual(none.rows, []);
  });

  test('a named statement reads the subquery at each execution: a table written in between gives the new value', async () => {
    const text = `SELECT pgml.predict('sq_iris', (SELECT features FROM sq_flowers WHERE id = 90)) AS p`;
    const before = await predicted(90);
    assert.deepEqual((await client().query({ name: 'sq_latest', text, values: [] })).rows, [{ p: before }]);
    await client().query(`UPDATE sq_flowers SET features = (SELECT features FROM sq_flowers WHERE id = 3) WHERE id = 90`);
    assert.deepEqual((await client().query({ name: 'sq_latest', text, values: [] })).rows, [{ p: await predicted(3) }]);
  });

  test('postgres.js: tagged templates prepare named statements and bind the parameter', async () => {
    for (const id of [5, 3]) {
      const rows = await sql`SELECT pgml.predict('sq_iris', (SELECT features FROM sq_flowers WHERE id = ${id})) AS p`;
      assert.deepEqual([...rows], [{ p: await predicted(id) }]);
    }
    for (const id of [1, 2]) {
      const rows = await sql`SELECT * FROM pgml.chunk('recursive_character', (SELECT body FROM sq_docs WHERE id = ${id}))`;
      assert.deepEqual(
        rows.map((r) => ({ ...r })),
        (await chunked(id)).map((r) => ({ ...(r as object), chunk_index: String((r as { chunk_index: unknown }).chunk_index) })),
      );
    }
  });

  test('/rpc and bound parameters through SQL wrappers whose subquery reads the function parameter', async () => {
    const rpc = async (name: string, body: object): Promise<unknown> => {
      const reply = await fetch(`${target().proxy!.httpUrl}/rpc/${name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(reply.status, 200, await reply.clone().text());
      return reply.json();
    };
    for (const id of [3, 5]) {
      assert.deepEqual((await client().query('SELECT predict_flower($1) AS p', [id])).rows, [{ p: await predicted(id) }]);
      assert.equal(await rpc('predict_flower', { flower_id: id }), await predicted(id));
    }
    for (const id of [1, 2]) {
      const expected = (await chunked(id)).map((r) => ({ ...(r as object), chunk_index: Number((r as { chunk_index: unknown }).chunk_index) }));
      assert.deepEqual(await rpc('chunk_doc', { doc_id: id }), expected);
    }
  });

  test('a wrapper reading its parameter by a bare name is refused with the same reason in both protocols', async () => {
    // flower_id could be a column of sq_flowers: the proxy cannot tell which Postgres would read.
    const reason = { code: '0A000', message: /cannot inline public\.predict_bare\(\).*bare name.*function_name\.parameter/ };
    await assert.rejects(client().query('SELECT predict_bare(3)'), reason);
    await assert.rejects(client().query('SELECT predict_bare($1)', [3]), reason);
    await assert.rejects(client().query({ name: 'sq_bare', text: 'SELECT predict_bare($1)', values: [3] }), reason);
    assert.deepEqual((await client().query('SELECT $1::int AS ok', [1])).rows, [{ ok: 1 }]);
  });

  test('a subquery reading another value when the statement runs fails with 40001; the session stays usable', async () => {
    const changing = `SELECT * FROM pgml.chunk('character', (SELECT nextval('sq_seq')::text || $1 FROM sq_docs LIMIT 1))`;
    await assert.rejects(client().query(changing, ['x']), sqlState('40001'));
    await assert.rejects(client().query({ name: 'sq_changing', text: changing, values: ['y'] }), sqlState('40001'));
    assert.deepEqual((await client().query('SELECT $1::int AS ok', [1])).rows, [{ ok: 1 }]);
    // Inside a transaction block, too: the block fails as the statement would have failed it.
    await client().query('BEGIN');
    await assert.rejects(client().query(changing, ['z']), sqlState('40001'));
    await client().query('ROLLBACK');
  });
});
