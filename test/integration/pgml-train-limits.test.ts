// pgml.train on a proxy started with a small memory limit and progress reported every round: a
// relation too large for the limit is refused before it is read, with its estimated size and a
// hint, the session stays usable and nothing is registered; a fit in rounds reports each of them.
// Its training read is paced at 1 MB/s while other sessions are active (--train-read-mb-per-second).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { noticingClient, type Notice } from '../support/pg-client.js';
import { describeTargets } from '../support/targets.js';


describeTargets(
  'pgml.train limits and progress',
  { proxyOnly: true, proxyArgs: ['--fit-memory-mb', '64', '--train-progress-seconds', '0', '--train-read-mb-per-second', '1'] },
  (target) => {
    let client: pg.Client;
    const notices: Notice[] = [];
    before(async () => {
      client = await noticingClient(target().url(), notices);
      // The planner knows generate_series' row count: 100 million rows × 2 features, 763 MB as float32.
      await client.query(`CREATE VIEW huge AS SELECT i::float8 AS x, (i % 7)::float4 AS z, (i % 2 = 0) AS y FROM generate_series(1, 100000000) AS i`);
      await client.query(
        `CREATE TABLE rounds AS SELECT sin(i)::float4 AS a, cos(i * 0.3)::float4 AS b, (sin(i) + cos(i * 0.3) > 0) AS label
           FROM generate_series(1, 300) AS i`,
      );
    });
    after(async () => {
      await client?.end();
    });

    test('a relation estimated above --fit-memory-mb is refused before reading, with its size and a hint', async () => {
      const error = await client
        .query(`SELECT * FROM pgml.train('too_big', 'classification', 'huge', 'y', 'xgboost')`)
        .then(() => undefined, (e: pg.DatabaseError) => e);
      assert.ok(error, 'the training must fail');
      assert.equal(error.code, '53200');
      assert.match(error.message, /relation "public\.huge" is too large to train on: an estimated 100000000 rows × 2 features need about 763 MB as float32, above the limit of 64 MB/);
      assert.match(error.hint ?? '', /TABLESAMPLE .*LIMIT .*--fit-memory-mb/);
      assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
      assert.equal(Number((await client.query(`SELECT count(*) AS n FROM pgml.projects WHERE name = 'too_big'`)).rows[0].n), 0);
    });

    test('progress notices count the trees of a fit with the time so far', async () => {
      notices.length = 0;
      await client.query(
        `SELECT * FROM pgml.train('rounds', 'classification', 'rounds', 'label', 'xgboost', hyperparams => '{"n_estimators": 7}')`,
      );
      const progress = notices.filter((n) => n.message.startsWith('pgml.train: '));
      assert.deepEqual(
        progress.map((n) => n.message.replace(/, \d+\.\d s$/, '')),
        [1, 2, 3, 4, 5, 6, 7].map((k) => `pgml.train: ${k} of 7 trees`),
      );
      assert.ok(progress.every((n) => n.severity === 'INFO' && /, \d+\.\d s$/.test(n.message)));
      // Between the dataset notice and the metrics, as PostgresML's own notices frame the fit.
      const at = (pattern: RegExp): number => notices.findIndex((n) => pattern.test(n.message));
      assert.ok(at(/^Training Model/) < at(/^pgml\.train: 1 of 7/) && at(/^pgml\.train: 7 of 7/) < at(/Metrics:/));
    });

    // 60000 rows are many chunks of the binary read (store/off-thread-rows.ts), decoded on an engine thread.
    const ROWS = `FROM generate_series(1, 60000) AS i`;

    test('an error of the upstream or of a row mid-read fails the training with its SQLSTATE; the transaction rolls back', async () => {
      await client.query(`CREATE VIEW divides AS SELECT i::float8 AS x, (1 / (i - 50000))::float8 AS y ${ROWS}`);
      await client.query(`CREATE VIEW null_array AS SELECT ARRAY[i, CASE WHEN i <> 50000 THEN i END]::float4[] AS x, i::float8 AS y ${ROWS}`);
      await client.query('BEGIN');
      const divided = await client.query(`SELECT * FROM pgml.train('mid_read', 'regression', 'divides', 'y', 'linear')`).then(() => undefined, (e: pg.DatabaseError) => e);
      assert.equal(divided?.code, '22012');
      assert.equal(divided?.message, 'division by zero');
      await client.query('ROLLBACK');
      const nulls = await client.query(`SELECT * FROM pgml.train('mid_read', 'regression', 'null_array', 'y', 'linear')`).then(() => undefined, (e: pg.DatabaseError) => e);
      assert.equal(nulls?.code, '22004');
      assert.equal(nulls?.message, 'column "x" has an array with a NULL element');
      assert.equal(Number((await client.query(`SELECT count(*) AS n FROM pgml.projects WHERE name = 'mid_read'`)).rows[0].n), 0);
    });

    test('a relation read in chunks trains on the rows the transaction sees, and its snapshot is the relation', async () => {
      await client.query('BEGIN');
      await client.query(`CREATE TABLE chunked AS SELECT i::int2 AS s, i AS n4, (i * 3)::int8 AS n8, (i / 7.0)::numeric AS num, (i % 3 = 0) AS b,
                                 CASE WHEN i % 11 = 0 THEN NULL ELSE sin(i)::float4 END AS f, ARRAY[i % 5, i % 9]::float8[] AS arr,
                                 (ARRAY['a', 'b', 'c'])[i % 3 + 1] AS t, (i % 2 * 10 + cos(i))::float8 AS y
                            FROM generate_series(1, 30000) AS i`);
      const trained = await client.query(
        `SELECT * FROM pgml.train('chunked', 'regression', 'chunked', 'y', 'linear', test_size => 0.25, test_sampling => 'last',
                                  preprocess => '{"f": {"impute": "mean"}, "t": {"encode": "one_hot"}}', materialize_snapshot => true)`,
      );
      assert.equal(trained.rows[0].deployed, true);
      const snapshot = (await client.query(`SELECT s.relation_name, (s.analysis->>'samples')::int AS samples, s.columns FROM pgml.snapshots s
                                              JOIN pgml.models m ON m.snapshot_id = s.id JOIN pgml.projects p ON p.id = m.project_id
                                             WHERE p.name = 'chunked'`)).rows[0];
      assert.equal(snapshot.samples, 30000);
      assert.deepEqual(snapshot.columns.map((c: { name: string }) => c.name).sort(), ['arr', 'b', 'f', 'n4', 'n8', 'num', 's', 't', 'y']);
      await client.query('ROLLBACK');
      assert.equal((await client.query(`SELECT to_regclass('chunked') AS t`)).rows[0].t, null);
    });

    test('a read paced while another session runs statements trains the same model as a read alone', async () => {
      // About 2 MB of rows: at 1 MB/s a paced read waits between most of its 64 KB chunks.
      await client.query(`CREATE TABLE paced AS SELECT sin(i)::float4 AS a, cos(i * 0.7)::float4 AS b, (i % 13)::int4 AS c, (i / 3.0)::numeric AS d,
                                 (sin(i) * 2 + cos(i * 0.7) + (i % 13) * 0.1 + ((i * 7919) % 101) * 0.01)::float8 AS y
                            FROM generate_series(1, 40000) AS i`);
      const train = (project: string) =>
        client.query(`SELECT * FROM pgml.train($1, 'regression', 'paced', 'y', 'linear', test_size => 0.25, test_sampling => 'last')`, [project]);
      await train('paced_alone');
      const other = new pg.Client({ connectionString: target().url() });
      await other.connect();
      let training = true;
      let statements = 0;
      const busy = (async () => {
        while (training) {
          await other.query('SELECT 1');
          statements++;
        }
      })();
      try {
        await new Promise((resolve) => setTimeout(resolve, 50));
        await train('paced_beside');
      } finally {
        training = false;
        await busy;
        await other.end();
      }
      assert.ok(statements > 1, 'the other session ran statements during the training');
      const models = await client.query(
        `SELECT p.name, m.metrics - 'fit_time' - 'score_time' AS metrics, s.analysis->>'samples' AS samples
           FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id JOIN pgml.snapshots s ON s.id = m.snapshot_id
          WHERE p.name IN ('paced_alone', 'paced_beside') ORDER BY p.name`,
      );
      const [alone, beside] = [models.rows.find((r) => r.name === 'paced_alone'), models.rows.find((r) => r.name === 'paced_beside')];
      assert.equal(beside.samples, '40000');
      assert.deepEqual(beside.metrics, alone.metrics);
      const predictions = await client.query(
        `SELECT pgml.predict('paced_alone', ARRAY[a, b, c, d]) AS alone, pgml.predict('paced_beside', ARRAY[a, b, c, d]) AS beside
           FROM paced WHERE c = 3 LIMIT 50`,
      );
      assert.equal(predictions.rows.length, 50);
      for (const p of predictions.rows) assert.equal(p.beside, p.alone);
    });
  },
);
