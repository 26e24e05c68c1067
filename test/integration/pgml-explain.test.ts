// EXPLAIN of a statement calling pgml.* (PostgresML's vector-database guide EXPLAINs its
// `ORDER BY embedding <=> pgml.embed(...)` search to show the index is used): constant calls are
// folded as in the statement itself, so the plan shown is the one the proxy's statement gets (in
// PostgresML the functions are immutable and Postgres folds them while planning), and EXPLAIN
// ANALYZE runs. Before, EXPLAIN passed through as written: the plan of a call Postgres cannot
// fold (no index condition on it), and EXPLAIN ANALYZE failed with the stub's error. Per-row calls
// leave the EXPLAIN as written.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { describeTargets } from '../support/targets.js';

const SETUP = `
  CREATE TABLE explain_train AS
  SELECT (i % 50)::real AS a, (3 * (i % 50))::real AS y FROM generate_series(1, 200) AS i;
  CREATE TABLE explain_t AS SELECT (i % 200)::real AS x FROM generate_series(1, 2000) AS i;
  CREATE INDEX explain_t_x ON explain_t (x);
  ANALYZE explain_t;`;

describeTargets('EXPLAIN of statements calling pgml.*', { proxyOnly: true }, (target) => {
  let client: pg.Client;
  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    await client.connect();
    await client.query(SETUP);
    await client.query(`SELECT * FROM pgml.train('explain_reg', 'regression', 'explain_train', 'y', 'linear')`);
  });
  after(async () => {
    await client?.end();
  });

  const plan = async (sql: string): Promise<string> => (await client.query(sql)).rows.map((r) => r['QUERY PLAN']).join('\n');

  test('a constant call is folded: the index is used, and the value is the call on its own', async () => {
    const predicted = (await client.query(`SELECT pgml.predict('explain_reg', ARRAY[7]::real[]) AS p`)).rows[0].p as number;
    await client.query('BEGIN');
    try {
      await client.query('SET LOCAL enable_seqscan = off');
      const shown = await plan(`EXPLAIN SELECT x FROM explain_t WHERE x = pgml.predict('explain_reg', ARRAY[7]::real[])`);
      assert.match(shown, /Index (Only )?Scan (using|on) explain_t_x/);
      assert.match(shown, /Index Cond: \(x = '?([-0-9.e]+)'?::real\)/);
      assert.equal(Number(/Index Cond: \(x = '?([-0-9.e]+)'?::real\)/.exec(shown)![1]), predicted);
      assert.doesNotMatch(shown, /pgml\./);
    } finally {
      await client.query('ROLLBACK');
    }
  });

  test('EXPLAIN ANALYZE runs the statement with the folded call', async () => {
    const shown = await plan(`EXPLAIN ANALYZE SELECT count(*) FROM explain_t WHERE x < pgml.predict('explain_reg', ARRAY[20]::real[])`);
    assert.match(shown, /actual time=/);
    assert.match(shown, /Execution Time/);
  });

  test('a per-row call leaves the EXPLAIN as written (no rows read, no columns changed)', async () => {
    const shown = await plan(`EXPLAIN SELECT pgml.predict('explain_reg', ARRAY[x]) FROM explain_t`);
    assert.match(shown, /Seq Scan on explain_t/);
    assert.deepEqual((await client.query(`SELECT count(*)::int AS n FROM pg_class WHERE relpersistence = 't'`)).rows, [{ n: 0 }]);
  });
});
