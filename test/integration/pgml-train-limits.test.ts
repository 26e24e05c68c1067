// pgml.train on a proxy started with a small memory limit and progress reported every round: a
// relation too large for the limit is refused before it is read, with its estimated size and a
// hint, the session stays usable and nothing is registered; a fit in rounds reports each of them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { noticingClient, type Notice } from '../support/pg-client.js';
import { describeTargets } from '../support/targets.js';


describeTargets(
  'pgml.train limits and progress',
  { proxyOnly: true, proxyArgs: ['--fit-memory-mb', '64', '--train-progress-seconds', '0'] },
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
  },
);
