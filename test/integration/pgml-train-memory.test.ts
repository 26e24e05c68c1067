// pgml.train on a matrix large enough that a training gives its memory back early (issue 15): the
// float32 training rows once XGBoost has binned them, the whole matrix when the training ends. The
// held-out rows are scored after the first drop and a retrain reads the relation again after the
// second: both must see the real rows, so the metrics are those of a model that learned the label.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { noticingClient, type Notice } from '../support/pg-client.js';
import { describeTargets } from '../support/targets.js';

describeTargets('pgml.train memory given back early', { proxyOnly: true, realPostgresOnly: true }, (target) => {
  let client: pg.Client;
  const notices: Notice[] = [];
  before(async () => {
    client = await noticingClient(target().url(), notices);
    // 80000 rows × 32 float4 features: a 10 MB matrix, above the 8 MB from which memory is given back.
    // The label is the sign of the first feature: any model that sees the real rows scores near 1.
    await client.query(
      `CREATE TABLE wide AS
         SELECT ARRAY(SELECT sin(i * k)::real FROM generate_series(1, 32) AS k) AS features, (sin(i) > 0) AS label
           FROM generate_series(1, 80000) AS i`,
    );
  });
  after(async () => {
    await client?.end();
  });

  async function lastMetrics(project: string): Promise<Record<string, number>> {
    const { rows } = await client.query(
      `SELECT m.metrics FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = $1 ORDER BY m.id DESC LIMIT 1`,
      [project],
    );
    const { fit_time: _fit, score_time: _score, ...rest } = rows[0].metrics as Record<string, number>;
    return rest;
  }

  for (const algorithm of ['xgboost', 'linear']) {
    test(`${algorithm}: the held-out rows are scored on their real values, and a retrain reads the relation again`, async () => {
      const hyperparams = algorithm === 'xgboost' ? '{"n_estimators": 5, "max_depth": 3, "tree_method": "hist"}' : '{}';
      await client.query(
        `SELECT * FROM pgml.train('wide_${algorithm}', 'classification', 'wide', 'label', $1, $2::jsonb, test_size => 0.25, test_sampling => 'last')`,
        [algorithm, hyperparams],
      );
      const first = await lastMetrics(`wide_${algorithm}`);
      assert.ok(first.accuracy! > 0.95, `accuracy ${first.accuracy} on the held-out rows`);
      // The project's snapshot: the relation is read again into a new matrix.
      await client.query(`SELECT * FROM pgml.train('wide_${algorithm}', algorithm => $1, hyperparams => $2::jsonb)`, [algorithm, hyperparams]);
      assert.deepEqual(await lastMetrics(`wide_${algorithm}`), first);
    });
  }
});
