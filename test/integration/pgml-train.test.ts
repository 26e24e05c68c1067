// pgml.train / train_joint / snapshot through the proxy with node-postgres: the seed workflow,
// every algorithm and task on small generated tables, options, transactions, privileges and every
// bad input of issue 3. The full suite runs on real Postgres; a smoke test also on embedded PGlite.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { noticingClient, type Notice } from '../support/pg-client.js';
import { describeTargets, type Target } from '../support/targets.js';

async function connect(target: Target, user?: string): Promise<{ client: pg.Client; notices: Notice[] }> {
  const notices: Notice[] = [];
  return { client: await noticingClient(target.url(user), notices), notices };
}

// Deterministic data: labels are functions of the features, so every model has signal to learn.
const SEED_TABLE = `
  CREATE TABLE click_train_array AS
  SELECT ARRAY[sin(i)::real, cos(i * 0.7)::real, ((i % 13) / 13.0)::real] AS features,
         (sin(i) + cos(i * 0.7) > 0.3) AS is_clickbait
    FROM generate_series(1, 240) AS i`;

const TABLES = `
  CREATE TABLE reg_data AS
  SELECT sin(i)::float8 AS x1, cos(i * 1.3)::float4 AS x2, (i % 7)::int AS x3,
         (3 * sin(i) - 2 * cos(i * 1.3) + 0.1 * (i % 7))::float8 AS y
    FROM generate_series(1, 160) AS i;
  CREATE TABLE cls_data AS
  SELECT sin(i)::float8 AS x1, cos(i * 1.3)::float8 AS x2,
         CASE WHEN sin(i) > 0.4 THEN 'high' WHEN sin(i) < -0.4 THEN 'low' ELSE 'mid' END AS label
    FROM generate_series(1, 180) AS i;
  CREATE TABLE clu_data AS
  SELECT (CASE WHEN i % 3 = 0 THEN 10 WHEN i % 3 = 1 THEN -10 ELSE 0 END + sin(i))::float8 AS a,
         (CASE WHEN i % 3 = 0 THEN 10 ELSE -5 END + cos(i))::float8 AS b
    FROM generate_series(1, 120) AS i;
  CREATE TABLE mixed_data AS
  SELECT sin(i)::float8 AS x1,
         CASE WHEN i % 10 = 0 THEN NULL ELSE cos(i)::float8 END AS x2,
         (ARRAY['red', 'green', 'blue'])[i % 3 + 1] AS color,
         (i % 4 = 0) AS flag,
         (2 * sin(i) + CASE i % 3 WHEN 0 THEN 1 WHEN 1 THEN 0 ELSE -1 END)::float8 AS y
    FROM generate_series(1, 150) AS i;
  CREATE TABLE joint_data AS
  SELECT sin(i)::float8 AS x1, cos(i)::float8 AS x2, (2 * sin(i))::float8 AS y1, (cos(i) - sin(i))::float8 AS y2
    FROM generate_series(1, 100) AS i;`;

async function count(client: pg.Client, sql: string): Promise<number> {
  return Number((await client.query(sql)).rows[0].n);
}

async function registryCounts(client: pg.Client): Promise<string> {
  const r = await client.query(`SELECT (SELECT count(*) FROM pgml.projects) AS p, (SELECT count(*) FROM pgml.models) AS m,
     (SELECT count(*) FROM pgml.snapshots) AS s, (SELECT count(*) FROM pgml.files) AS f, (SELECT count(*) FROM pgml.deployments) AS d`);
  return JSON.stringify(r.rows[0]);
}

describeTargets('pgml.train', { proxyOnly: true }, (target, kind) => {
  let client: pg.Client;
  let notices: Notice[];
  before(async () => {
    ({ client, notices } = await connect(target()));
    await client.query(SEED_TABLE);
  });
  after(async () => {
    await client?.end();
  });

  test('seed workflow: xgboost on a real[] feature column, then pgml.trained_models', async () => {
    notices.length = 0;
    const r = await client.query(
      `SELECT * FROM pgml.train(project_name => 'clickbait_classifier', algorithm => 'xgboost', task => 'classification',
         relation_name => 'click_train_array', y_column_name => 'is_clickbait', test_sampling => 'random')`,
    );
    assert.deepEqual(r.rows, [{ project: 'clickbait_classifier', task: 'classification', algorithm: 'xgboost', deployed: true }]);
    const models = await client.query('select id, name, algorithm from pgml.trained_models');
    assert.equal(models.rows.length, 1);
    assert.equal(models.rows[0].name, 'clickbait_classifier');
    assert.equal(models.rows[0].algorithm, 'xgboost');

    const model = await client.query(
      `SELECT m.metrics, m.runtime::text AS runtime, m.num_features, s.relation_name, s.y_column_name, s.test_sampling::text AS sampling
         FROM pgml.models m JOIN pgml.snapshots s ON s.id = m.snapshot_id WHERE m.id = $1`,
      [models.rows[0].id],
    );
    const row = model.rows[0];
    for (const key of ['f1', 'precision', 'recall', 'accuracy', 'mcc', 'roc_auc', 'log_loss', 'fit_time', 'score_time']) {
      assert.equal(typeof row.metrics[key], 'number', `metric ${key}`);
    }
    assert.ok(row.metrics.accuracy > 0.7, `accuracy ${row.metrics.accuracy}`);
    assert.ok(['native', 'wasm'].includes(row.runtime));
    assert.equal(row.num_features, 3);
    assert.deepEqual([row.relation_name, row.y_column_name, row.sampling], ['click_train_array', ['is_clickbait'], 'random']);

    const files = await client.query('SELECT part, data, checksum FROM pgml.files WHERE model_id = $1 ORDER BY part', [models.rows[0].id]);
    assert.ok(files.rows.length >= 1);
    for (const f of files.rows) assert.deepEqual(f.checksum, createHash('sha256').update(f.data).digest());
    const deployed = await client.query('SELECT id FROM pgml.deployed_models WHERE name = $1', ['clickbait_classifier']);
    assert.deepEqual(deployed.rows, [{ id: models.rows[0].id }]);

    assert.ok(notices.every((n) => n.severity === 'INFO' || n.severity === 'WARNING'));
    assert.ok(notices.some((n) => /Snapshotting table "click_train_array"/.test(n.message)));
    assert.ok(notices.some((n) => /"f1":/.test(n.message)), 'final metrics are reported as a notice');
  });

  test('SELECT pgml.train(...) with positional arguments renders the row', async () => {
    const r = await client.query(
      `SELECT pgml.train('clickbait_positional', 'classification', 'click_train_array', 'is_clickbait', 'linear') AS t`,
    );
    assert.equal(r.rows[0].t, '(clickbait_positional,classification,linear,t)');
  });

  test('materialize_snapshot copies the relation before training, trains on the copy and reads the relation once', async () => {
    await client.query(`CREATE TABLE once_data AS SELECT i::real AS x1, (i % 7)::real AS x2, (2 * i + i % 7)::real AS y FROM generate_series(1, 120) AS i`);
    // Every read of the view draws from the sequence: its last value counts the rows read.
    await client.query(`CREATE SEQUENCE once_reads`);
    await client.query(`CREATE VIEW once_view AS SELECT x1, x2, y, nextval('once_reads')::real AS n FROM once_data`);
    const snapshotTables = `SELECT count(*) AS n FROM pg_catalog.pg_tables WHERE schemaname = 'pgml' AND tablename LIKE 'snapshot\\_%'`;
    const tablesBefore = await count(client, snapshotTables);
    notices.length = 0;
    await client.query(`SELECT * FROM pgml.train('read_once', 'regression', 'once_view', 'y', materialize_snapshot => true)`);
    assert.equal(await count(client, `SELECT last_value AS n FROM once_reads`), 120);
    const s = await client.query(
      `SELECT s.id, s.materialized, s.analysis FROM pgml.snapshots s JOIN pgml.models m ON m.snapshot_id = s.id JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'read_once'`,
    );
    assert.equal(s.rows[0].materialized, true);
    assert.equal(s.rows[0].analysis.samples, 120);
    const copy = await client.query(`SELECT count(*)::int AS rows, min(n)::int AS first, max(n)::int AS last FROM pgml.snapshot_${Number(s.rows[0].id)}`);
    assert.deepEqual(copy.rows, [{ rows: 120, first: 1, last: 120 }]);
    const messages = notices.map((n) => n.message);
    const copied = messages.findIndex((m) => m === `Snapshot of table "once_view" created and saved in "pgml"."snapshot_${Number(s.rows[0].id)}"`);
    assert.ok(copied >= 0, messages.join('\n'));
    assert.ok(copied < messages.findIndex((m) => m.startsWith('Training Model')), 'the copy is made before training');

    // A training that fails after the copy (too few rows for test_size) leaves neither the copy nor a snapshot row.
    const before = await registryCounts(client);
    await assert.rejects(
      client.query(`SELECT * FROM pgml.train('read_once_fails', 'regression', 'once_view', 'y', test_size => 500, materialize_snapshot => true)`),
      { code: '22023' },
    );
    assert.equal(await registryCounts(client), before);
    assert.equal(await count(client, snapshotTables), tablesBefore + 1);
    assert.deepEqual((await client.query('SELECT 1 AS ok')).rows, [{ ok: 1 }]);
  });

  if (kind === 'proxy-pglite') return;

  test('every algorithm trains on its tasks with PostgresML metric keys', async () => {
    await client.query(TABLES);
    const cases: [string, string, string, string | null, string[]][] = [
      ...['linear', 'ridge', 'lasso', 'elastic_net', 'svm', 'random_forest', 'xgboost', 'xgboost_random_forest', 'neural_network'].map(
        (a): [string, string, string, string | null, string[]] => [a, 'regression', 'reg_data', 'y', ['r2', 'mean_absolute_error', 'mean_squared_error']],
      ),
      ...['linear', 'ridge', 'svm', 'random_forest', 'xgboost', 'xgboost_random_forest', 'neural_network'].map(
        (a): [string, string, string, string | null, string[]] => [a, 'classification', 'cls_data', 'label', ['f1', 'precision', 'recall', 'accuracy', 'mcc']],
      ),
      ['kmeans', 'clustering', 'clu_data', null, ['silhouette']],
      ['mini_batch_kmeans', 'clustering', 'clu_data', null, ['silhouette']],
      ['pca', 'decomposition', 'clu_data', null, ['cumulative_explained_variance']],
    ];
    for (const [algorithm, task, relation, y, keys] of cases) {
      const project = `all_${task}_${algorithm}`;
      const hyperparams = task === 'clustering' ? '{"n_clusters": 3}' : '{}';
      const r = await client.query(
        `SELECT * FROM pgml.train($1, $2, $3, $4, $5, $6::jsonb, test_sampling => 'last')`,
        [project, task, relation, y, algorithm, hyperparams],
      );
      assert.deepEqual(r.rows[0], { project, task, algorithm, deployed: true });
      const m = await client.query(
        `SELECT m.metrics, m.runtime::text AS runtime FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = $1`,
        [project],
      );
      for (const key of [...keys, 'fit_time', 'score_time']) {
        assert.equal(typeof m.rows[0].metrics[key], 'number', `${algorithm}/${task}: ${key} in ${JSON.stringify(m.rows[0].metrics)}`);
      }
      assert.ok(['native', 'wasm', 'js'].includes(m.rows[0].runtime));
    }
    const linear = await client.query(
      `SELECT (m.metrics->>'r2')::float8 AS r2 FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'all_regression_linear'`,
    );
    assert.ok(linear.rows[0].r2 > 0.95, `linear r2 ${linear.rows[0].r2}`);
  });

  test('clustering and decomposition default to kmeans and pca', async () => {
    const r = await client.query(`SELECT * FROM pgml.train('default_clusters', 'clustering', 'clu_data', hyperparams => '{"n_clusters": 3}')`);
    assert.equal(r.rows[0].algorithm, 'kmeans');
    const d = await client.query(`SELECT * FROM pgml.train('default_pca', 'decomposition', 'clu_data')`);
    assert.equal(d.rows[0].algorithm, 'pca');
  });

  test('retrain without relation_name reuses the last snapshot; a worse model is not deployed', async () => {
    await client.query(`SELECT * FROM pgml.train('retrain', 'regression', 'reg_data', 'y', 'linear', test_sampling => 'last')`);
    notices.length = 0;
    const r = await client.query(`SELECT * FROM pgml.train('retrain', algorithm => 'lasso', hyperparams => '{"alpha": 5}')`);
    assert.deepEqual(r.rows[0], { project: 'retrain', task: 'regression', algorithm: 'lasso', deployed: false });
    const rows = await client.query(
      `SELECT m.algorithm, m.snapshot_id FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'retrain' ORDER BY m.id`,
    );
    assert.equal(rows.rows.length, 2);
    assert.equal(rows.rows[0].snapshot_id, rows.rows[1].snapshot_id);
    // PostgresML's notices on reuse: which snapshot, and no "Snapshotting table" (that one is for a relation).
    const messages = notices.map((n) => n.message);
    assert.ok(messages.includes(`Using existing snapshot from "pgml"."snapshot_${Number(rows.rows[0].snapshot_id)}"`), messages.join('\n'));
    assert.ok(!messages.some((m) => m.startsWith('Snapshotting table')), messages.join('\n'));
    const deployed = await client.query(`SELECT algorithm FROM pgml.deployed_models WHERE name = 'retrain'`);
    assert.equal(deployed.rows[0].algorithm, 'linear');
    const off = await client.query(`SELECT deployed FROM pgml.train('retrain', automatic_deploy => false)`);
    assert.equal(off.rows[0].deployed, false);
  });

  test('preprocess: one_hot text, imputed NULLs, scaling; stored with the model', async () => {
    const r = await client.query(
      `SELECT * FROM pgml.train('mixed', 'regression', 'mixed_data', 'y', 'linear',
         preprocess => '{"color": {"encode": "one_hot"}, "x2": {"impute": "mean", "scale": "standard"}}')`,
    );
    assert.equal(r.rows[0].deployed, true);
    const m = await client.query(
      `SELECT m.metrics, m.pipeline, m.num_features FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'mixed'`,
    );
    assert.ok(m.rows[0].metrics.r2 > 0.95, `r2 ${m.rows[0].metrics.r2}`);
    assert.equal(m.rows[0].num_features, 4);
    const color = m.rows[0].pipeline.features.find((f: { name: string }) => f.name === 'color');
    assert.equal(color.preprocessor.encode, 'one_hot');
  });

  test('grid search keeps the best candidate and records search_results', async () => {
    const r = await client.query(
      `SELECT * FROM pgml.train('searched', 'regression', 'reg_data', 'y', 'ridge', search => 'grid',
         search_params => '{"alpha": [0.001, 100]}', search_args => '{"cv": 2}')`,
    );
    assert.equal(r.rows[0].algorithm, 'ridge');
    const m = await client.query(
      `SELECT m.hyperparams, m.metrics, m.search FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'searched'`,
    );
    assert.deepEqual(m.rows[0].hyperparams, { alpha: 0.001 });
    assert.equal(m.rows[0].search, 'grid');
    assert.deepEqual(m.rows[0].metrics.search_results.params, [{ alpha: 0.001 }, { alpha: 100 }]);
    const random = await client.query(
      `SELECT * FROM pgml.train('searched_random', 'regression', 'reg_data', 'y', 'ridge', search => 'random',
         search_params => '{"alpha": [0.01, 0.1, 1]}', search_args => '{"n_iter": 2, "cv": 2}')`,
    );
    assert.equal(random.rows[0].deployed, true);
  });

  test('train_joint fits several label columns', async () => {
    const r = await client.query(`SELECT * FROM pgml.train_joint('joint', 'regression', 'joint_data', ARRAY['y1', 'y2'], 'linear')`);
    assert.deepEqual(r.rows[0], { project: 'joint', task: 'regression', algorithm: 'linear', deployed: true });
    const s = await client.query(
      `SELECT s.y_column_name FROM pgml.snapshots s JOIN pgml.models m ON m.snapshot_id = s.id JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'joint'`,
    );
    assert.deepEqual(s.rows[0].y_column_name, ['y1', 'y2']);
  });

  test('materialize_snapshot and pgml.snapshot copy the relation into pgml.snapshot_<id>', async () => {
    await client.query(`SELECT * FROM pgml.train('materialized', 'regression', 'reg_data', 'y', materialize_snapshot => true)`);
    const s = await client.query(
      `SELECT s.id, s.materialized FROM pgml.snapshots s JOIN pgml.models m ON m.snapshot_id = s.id JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'materialized'`,
    );
    assert.equal(s.rows[0].materialized, true);
    assert.equal(await count(client, `SELECT count(*) AS n FROM pgml.snapshot_${Number(s.rows[0].id)}`), 160);
    // A retrain reads the frozen copy: rows added to the table later do not change it.
    await client.query('INSERT INTO reg_data SELECT * FROM reg_data LIMIT 1');
    await client.query(`SELECT * FROM pgml.train('materialized')`);
    const a = await client.query(`SELECT analysis FROM pgml.snapshots WHERE id = $1`, [s.rows[0].id]);
    assert.equal(a.rows[0].analysis.samples, 160);
    await client.query('DELETE FROM reg_data WHERE ctid = (SELECT max(ctid) FROM reg_data)');

    const noticed = notices.length;
    const r = await client.query(`SELECT * FROM pgml.snapshot('cls_data', 'label')`);
    assert.deepEqual(r.rows, [{ relation: 'cls_data', y_column_name: 'label' }]);
    // PostgresML's pgml.snapshot sends no notice (pgml.train announces its snapshot, snapshot() does not).
    assert.deepEqual(notices.slice(noticed), []);
    const id = (await client.query(`SELECT max(id) AS id FROM pgml.snapshots`)).rows[0].id;
    assert.equal(await count(client, `SELECT count(*) AS n FROM pgml.snapshot_${Number(id)}`), 180);
  });

  test('BEGIN; train on uncommitted rows; ROLLBACK leaves nothing behind', async () => {
    const before = await registryCounts(client);
    await client.query('BEGIN');
    await client.query(`CREATE TABLE tx_only AS SELECT x1, y FROM reg_data`);
    const r = await client.query(`SELECT * FROM pgml.train('tx_project', 'regression', 'tx_only', 'y')`);
    assert.equal(r.rows[0].deployed, true);
    assert.equal(await count(client, `SELECT count(*) AS n FROM pgml.trained_models WHERE name = 'tx_project'`), 1);
    await client.query('ROLLBACK');
    assert.equal(await registryCounts(client), before);
    assert.equal(await count(client, `SELECT count(*) AS n FROM pgml.projects WHERE name = 'tx_project'`), 0);
  });

  test("a role without SELECT on the relation gets 42501 and nothing is registered", async () => {
    await client.query(`CREATE ROLE no_select_trainer LOGIN`);
    await client.query(`GRANT USAGE ON SCHEMA pgml TO no_select_trainer`);
    await client.query(`GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA pgml TO no_select_trainer`);
    await client.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA pgml TO no_select_trainer`);
    const before = await registryCounts(client);
    const other = await connect(target(), 'no_select_trainer');
    try {
      await assert.rejects(
        other.client.query(`SELECT * FROM pgml.train('forbidden', 'regression', 'reg_data', 'y')`),
        { code: '42501' },
      );
      assert.deepEqual((await other.client.query('SELECT 1 AS ok')).rows, [{ ok: 1 }]);
    } finally {
      await other.client.end();
    }
    assert.equal(await registryCounts(client), before);
  });

  test('bad input: clear errors, nothing registered, session usable', async () => {
    await client.query(`
      CREATE TABLE empty_data (x float8, y float8);
      CREATE TABLE tiny_data AS SELECT 1.0::float8 AS x, 2.0::float8 AS y;
      CREATE TABLE null_data AS SELECT i::float8 AS x, CASE WHEN i = 3 THEN NULL ELSE i * 2.0 END::float8 AS y2,
             CASE WHEN i = 5 THEN NULL ELSE i::float8 END AS xn, (i % 2 = 0) AS label FROM generate_series(1, 40) i;
      CREATE TABLE text_data AS SELECT i::float8 AS x, (i % 3)::text AS t, i * 1.5 AS y FROM generate_series(1, 40) i;
      CREATE TABLE one_class AS SELECT i::float8 AS x, 'same'::text AS label FROM generate_series(1, 40) i;
      CREATE TABLE date_data AS SELECT i::float8 AS x, now()::date AS d, i * 2.0 AS y FROM generate_series(1, 40) i;`);
    const before = await registryCounts(client);
    const cases: [string, string, RegExp][] = [
      [`SELECT * FROM pgml.train('bad', 'regression', 'no_such_table', 'y')`, '42P01', /could not be found in the public schema/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'nope.reg_data', 'y')`, '42P01', /does not exist/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'reg_data', 'no_such_column')`, '42703', /no_such_column/],
      [`SELECT * FROM pgml.train('bad_no_task', relation_name => 'reg_data', y_column_name => 'y')`, '22023', /must specify a `task`/],
      [`SELECT * FROM pgml.train('clickbait_classifier', 'regression', 'reg_data', 'y')`, '22023', /different task/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'reg_data')`, '22023', /y_column_name/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'null_data', 'y2', preprocess => '{"xn": {"impute": "mean"}}')`, '22004', /NULL/],
      [`SELECT * FROM pgml.train('bad', 'classification', 'null_data', 'label', test_sampling => 'last')`, '22004', /missing values for column "y2"/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'text_data', 'y', preprocess => '{"x": {"encode": "one_hot"}}')`, '22023', /continuous column "x"/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'text_data', 'y', preprocess => '{"t": {"impute": "mean"}}')`, '22023', /categorical column "t"/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'date_data', 'y')`, '0A000', /"d"/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'empty_data', 'y')`, '22023', /no rows/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'tiny_data', 'y')`, '22023', /test_size/],
      [`SELECT * FROM pgml.train('bad', 'classification', 'one_class', 'label')`, '22023', /at least 2 classes/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'reg_data', 'y', 'xgboost', '{"n_estimatorz": 3}')`, '22023', /n_estimatorz/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'reg_data', 'y', 'ridge', search => 'grid', search_args => '{"folds": 3}')`, '22023', /folds/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'reg_data', 'y', 'ridge', search => 'grid', search_params => '{"alpha": 1}')`, '22023', /array/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'reg_data', 'y', 'no_such_algorithm')`, '22023', /unknown algorithm/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'reg_data', 'y', 'kmeans')`, '22023', /does not support regression/],
      [`SELECT * FROM pgml.train('bad', 'forecasting', 'reg_data', 'y')`, '22023', /invalid task/],
      [`SELECT * FROM pgml.train('bad', 'regression', 'reg_data', 'y', test_sampling => 'sideways')`, '22023', /test_sampling/],
      [`SELECT * FROM pgml.train('never_trained')`, '22023', /must specify a `task`/],
    ];
    for (const [sql, code, message] of cases) {
      await assert.rejects(client.query(sql), (err: pg.DatabaseError) => {
        assert.equal(err.code, code, `${sql}: ${err.message}`);
        assert.match(err.message, message, sql);
        return true;
      });
      assert.deepEqual((await client.query('SELECT 1 AS ok')).rows, [{ ok: 1 }]);
    }
    // The "text column without preprocessing where numbers are needed": a text label for regression.
    await assert.rejects(client.query(`SELECT * FROM pgml.train('bad', 'regression', 'cls_data', 'label')`), { code: '42804' });
    assert.equal(await registryCounts(client), before);
    const unknownHint = await client.query(`SELECT 1`).then(() =>
      client.query(`SELECT * FROM pgml.train('bad', 'classification', 'cls_data', 'label', 'lasso')`).catch((e: pg.DatabaseError) => e),
    );
    assert.match(String((unknownHint as pg.DatabaseError).hint), /algorithms for classification: .*xgboost/);
  });
});
