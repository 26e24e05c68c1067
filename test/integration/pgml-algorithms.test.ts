// Issue 17 through the proxy with node-postgres: algorithms that train and predict, PostgresML's enum
// casts in calls, scoring of estimators without probabilities, pgml.predict on a decomposition, and
// the clear refusals (catboost). Small tables, so both targets stay cheap.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { libsvmStatus } from '../../src/pgml/engines/libsvm/native.js';
import { noticingClient, type Notice } from '../support/pg-client.js';
import { describeTargets } from '../support/targets.js';


// Deterministic data with signal: two classes, a regression target, three well-separated clusters.
const TABLES = `
  CREATE TABLE algo_binary AS
  SELECT sin(i)::float8 AS x1, cos(i * 1.3)::float8 AS x2, ((i % 11) / 11.0)::float8 AS x3,
         (sin(i) + cos(i * 1.3) > 0.2) AS label
    FROM generate_series(1, 160) AS i;
  CREATE TABLE algo_multi AS
  SELECT sin(i)::float8 AS x1, cos(i * 1.3)::float8 AS x2,
         CASE WHEN sin(i) > 0.4 THEN 'high' WHEN sin(i) < -0.4 THEN 'low' ELSE 'mid' END AS label
    FROM generate_series(1, 150) AS i;
  CREATE TABLE algo_reg AS
  SELECT sin(i)::float8 AS x1, cos(i * 1.3)::float8 AS x2, ((i % 7) / 7.0)::float8 AS x3,
         (3 * sin(i) - 2 * cos(i * 1.3) + 0.5 * (i % 7) / 7.0)::float8 AS y
    FROM generate_series(1, 160) AS i;
  CREATE TABLE algo_clusters AS
  SELECT (CASE WHEN i % 3 = 0 THEN 10 WHEN i % 3 = 1 THEN -10 ELSE 0 END + sin(i))::float8 AS a,
         (CASE WHEN i % 3 = 0 THEN 10 ELSE -5 END + cos(i))::float8 AS b
    FROM generate_series(1, 90) AS i;`;

describeTargets('pgml algorithms', { proxyOnly: true }, (target) => {
  let client: pg.Client;
  const notices: Notice[] = [];
  before(async () => {
    client = await noticingClient(target().url(), notices);
    await client.query(TABLES);
  });
  after(async () => {
    await client?.end();
  });

  async function metrics(project: string): Promise<Record<string, number>> {
    const r = await client.query(
      `SELECT m.metrics FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = $1 ORDER BY m.id DESC LIMIT 1`,
      [project],
    );
    return r.rows[0].metrics as Record<string, number>;
  }

  test('ridge and svm train on binary classification, scored on their hard predictions', async () => {
    for (const algorithm of ['ridge', 'svm']) {
      const project = `binary_${algorithm}`;
      await client.query(`SELECT * FROM pgml.train($1, 'classification', 'algo_binary', 'label', $2, test_sampling => 'last')`, [project, algorithm]);
      const m = await metrics(project);
      assert.ok(m.accuracy! > 0.7, `${algorithm} accuracy ${m.accuracy}`);
      // Without probabilities roc_auc comes from the 0/1 predictions: still a real number in [0, 1].
      assert.ok(m.roc_auc! >= 0 && m.roc_auc! <= 1, `${algorithm} roc_auc ${m.roc_auc}`);
      const p = await client.query(`SELECT pgml.predict($1, ARRAY[1.0, 0.5, 0.2]::float8[]) AS p`, [project]);
      assert.ok([0, 1].includes(p.rows[0].p), `${algorithm} predicts a class`);
    }
  });

  test('svm with probability: true answers pgml.predict_proba, repeatably for a random_state, and takes max_iter', async () => {
    for (const project of ['svm_proba', 'svm_proba_again']) {
      await client.query(
        `SELECT * FROM pgml.train($1, 'classification', 'algo_multi', 'label', 'svm', hyperparams => '{"probability": true, "random_state": 3}', test_sampling => 'last')`,
        [project],
      );
    }
    const r = await client.query(
      `SELECT pgml.predict_proba('svm_proba', ARRAY[0.9, 0.1]) AS p, pgml.predict_proba('svm_proba_again', ARRAY[0.9, 0.1]) AS again`,
    );
    assert.equal(r.rows[0].p.length, 3);
    assert.ok(Math.abs(r.rows[0].p.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-5, JSON.stringify(r.rows[0].p));
    assert.deepEqual(r.rows[0].again, r.rows[0].p, 'the same random_state shuffles the same folds');
    // The solver stops at max_iter and keeps that model, the cross-validation folds' solvers too.
    await client.query(`SELECT * FROM pgml.train('svm_proba_stopped', 'classification', 'algo_binary', 'label', 'svm', hyperparams => '{"probability": true, "max_iter": 3}')`);
    const m = await metrics('svm_proba_stopped');
    assert.ok(m.roc_auc! >= 0 && m.roc_auc! <= 1, `roc_auc ${m.roc_auc}`);
  });

  test('svm and nu_svm record the runtime that trained them: native libsvm, or the port with an INFO notice saying why', {
    skip: libsvmStatus().status === 'loaded' ? false : 'libsvm (Debian: libsvm3) is not installed',
  }, async () => {
    notices.length = 0;
    await client.query(`SELECT * FROM pgml.train('svm_on_libsvm', 'classification', 'algo_multi', 'label', 'svm', test_sampling => 'last')`);
    await client.query(`SELECT * FROM pgml.train('nu_svm_on_libsvm', 'classification', 'algo_binary', 'label', 'nu_svm', test_sampling => 'last')`);
    assert.deepEqual(notices.filter((n) => n.message.includes('not on native libsvm')), []);
    await client.query(`SELECT * FROM pgml.train('svm_on_port', 'regression', 'algo_reg', 'y', 'svm', hyperparams => '{"max_iter": 100000}')`);
    const runtimes = await client.query(
      `SELECT p.name, m.runtime::text AS runtime FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id
        WHERE p.name IN ('svm_on_libsvm', 'nu_svm_on_libsvm', 'svm_on_port') ORDER BY p.name`,
    );
    assert.deepEqual(runtimes.rows, [
      { name: 'nu_svm_on_libsvm', runtime: 'native' }, { name: 'svm_on_libsvm', runtime: 'native' }, { name: 'svm_on_port', runtime: 'js' },
    ]);
    assert.ok(
      notices.some((n) => n.severity === 'INFO' && /^svm trained on the TypeScript port of scikit-learn's libsvm, not on native libsvm: max_iter/.test(n.message)),
      JSON.stringify(notices),
    );
    assert.ok((await metrics('svm_on_libsvm')).accuracy! > 0.8);
    const p = await client.query(`SELECT pgml.predict('svm_on_libsvm', ARRAY[0.9, 0.1]::float8[]) AS p`);
    assert.equal(p.rows[0].p, 0, 'class 0 of high, low, mid');
  });

  test('pgml.predict on a decomposition project answers the first component', async () => {
    await client.query(`SELECT * FROM pgml.train('decomposed', 'decomposition', 'algo_clusters', hyperparams => '{"n_components": 2}')`);
    const r = await client.query(
      `SELECT pgml.predict('decomposed', ARRAY[1.0, 2.0]::float8[]) AS first, pgml.decompose('decomposed', ARRAY[1.0, 2.0]) AS all_components`,
    );
    assert.equal(r.rows[0].all_components.length, 2);
    assert.ok(Math.abs(r.rows[0].first - r.rows[0].all_components[0]) < 1e-5, JSON.stringify(r.rows[0]));
  });

  test("PostgresML's enum casts: pgml.algorithm, pgml.sampling, pgml.strategy", async () => {
    const trained = await client.query(
      `SELECT * FROM pgml.train('enum_casts', 'regression', 'algo_reg', 'y', algorithm => 'xgboost'::pgml.algorithm, test_sampling => 'random'::pgml.sampling)`,
    );
    assert.equal(trained.rows[0].algorithm, 'xgboost');
    await client.query(`SELECT * FROM pgml.train('enum_casts', algorithm => 'ridge'::pgml.algorithm)`);
    const deployed = await client.query(`SELECT * FROM pgml.deploy('enum_casts', 'best_score'::pgml.strategy, 'ridge'::pgml.algorithm)`);
    assert.equal(deployed.rows[0].algorithm, 'ridge');
    const best = await client.query(`SELECT * FROM pgml.deploy('enum_casts', strategy => 'best_score'::pgml.strategy)`);
    assert.equal(best.rows.length, 1);
  });

  test('lightgbm trains and predicts on each task, and stores LightGBM\'s own model format', async () => {
    await client.query(`SELECT * FROM pgml.train('lgbm_multi', 'classification', 'algo_multi', 'label', 'lightgbm', '{"n_estimators": 20, "num_threads": 1}')`);
    const multi = await metrics('lgbm_multi');
    assert.ok(multi.accuracy! > 0.85, `accuracy ${multi.accuracy}`);
    const proba = await client.query(`SELECT pgml.predict_proba('lgbm_multi', ARRAY[0.9, 0.1]) AS p, pgml.predict('lgbm_multi', ARRAY[0.9, 0.1]::float8[]) AS c`);
    assert.equal(proba.rows[0].p.length, 3);
    assert.ok(Math.abs(proba.rows[0].p.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-5);

    await client.query(`SELECT * FROM pgml.train('lgbm_binary', 'classification', 'algo_binary', 'label', 'lightgbm', '{"num_threads": 1}')`);
    assert.ok((await metrics('lgbm_binary')).roc_auc! > 0.8);

    await client.query(`SELECT * FROM pgml.train('lgbm_reg', 'regression', 'algo_reg', 'y', 'lightgbm', '{"num_threads": 1, "min_child_samples": 5}', test_sampling => 'last')`);
    assert.ok((await metrics('lgbm_reg')).r2! > 0.8, `r2 ${(await metrics('lgbm_reg')).r2}`);
    const perRow = await client.query(`SELECT pgml.predict('lgbm_reg', ARRAY[x1, x2, x3]) AS p, y FROM algo_reg LIMIT 5`);
    assert.equal(perRow.rows.length, 5);
    const file = await client.query(
      `SELECT convert_from(f.data, 'UTF8') AS model, m.runtime::text AS runtime FROM pgml.files f
         JOIN pgml.models m ON m.id = f.model_id JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'lgbm_reg' ORDER BY f.part`,
    );
    assert.equal(file.rows[0].runtime, 'native');
    assert.match(file.rows.map((r) => r.model).join(''), /^tree\nversion=v\d[\s\S]*objective=regression/);
  });

  test('unknown lightgbm hyperparameters get 22023 listing the valid ones', async () => {
    await assert.rejects(
      client.query(`SELECT * FROM pgml.train('lgbm_bad', 'regression', 'algo_reg', 'y', 'lightgbm', '{"n_estimator": 5}')`),
      (error: { code: string; hint?: string }) => error.code === '22023' && /num_leaves/.test(error.hint ?? ''),
    );
  });

  test('the scikit-learn tree ensembles train and predict on each task', async () => {
    const small = '{"n_estimators": 10, "random_state": 1}';
    for (const algorithm of ['gradient_boosting_trees', 'hist_gradient_boosting', 'extra_trees', 'bagging', 'ada_boost']) {
      const hyperparams = algorithm === 'hist_gradient_boosting' ? '{"max_iter": 20, "min_samples_leaf": 5, "random_state": 1}' : small;
      await client.query(`SELECT * FROM pgml.train($1, 'classification', 'algo_multi', 'label', $2, $3::jsonb, test_sampling => 'last')`, [
        `${algorithm}_multi`, algorithm, hyperparams,
      ]);
      const multi = await metrics(`${algorithm}_multi`);
      assert.ok(multi.accuracy! > 0.8, `${algorithm} accuracy ${multi.accuracy}`);
      const proba = await client.query(`SELECT pgml.predict_proba($1, ARRAY[0.9, 0.1]) AS p`, [`${algorithm}_multi`]);
      assert.ok(Math.abs(proba.rows[0].p.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-5, `${algorithm} probabilities`);

      await client.query(`SELECT * FROM pgml.train($1, 'regression', 'algo_reg', 'y', $2, $3::jsonb, test_sampling => 'last')`, [
        `${algorithm}_reg`, algorithm, hyperparams,
      ]);
      const reg = await metrics(`${algorithm}_reg`);
      assert.ok(reg.r2! > 0.6, `${algorithm} r2 ${reg.r2}`);
      const perRow = await client.query(`SELECT count(pgml.predict($1, ARRAY[x1, x2, x3])) AS n FROM algo_reg`, [`${algorithm}_reg`]);
      assert.equal(Number(perRow.rows[0].n), 160);
    }
  });

  test('the SGD family and nu_svm train and predict', async () => {
    const cases: [string, string, string, string][] = [
      ['stochastic_gradient_descent', 'classification', 'algo_binary', 'label'],
      ['stochastic_gradient_descent', 'regression', 'algo_reg', 'y'],
      ['perceptron', 'classification', 'algo_binary', 'label'],
      ['passive_aggressive', 'classification', 'algo_binary', 'label'],
      ['passive_aggressive', 'regression', 'algo_reg', 'y'],
      ['nu_svm', 'classification', 'algo_binary', 'label'],
      ['nu_svm', 'regression', 'algo_reg', 'y'],
    ];
    for (const [algorithm, task, relation, label] of cases) {
      const project = `${algorithm}_${task}`;
      const hyperparams = algorithm === 'nu_svm' ? '{}' : '{"random_state": 0}';
      await client.query(`SELECT * FROM pgml.train($1, $2, $3, $4, $5, $6::jsonb, test_sampling => 'last')`, [project, task, relation, label, algorithm, hyperparams]);
      const m = await metrics(project);
      if (task === 'classification') assert.ok(m.accuracy! > 0.6, `${project} accuracy ${m.accuracy}`);
      else assert.ok(m.r2! > 0.5, `${project} r2 ${m.r2}`);
      const p = await client.query(`SELECT pgml.predict($1, ARRAY[0.5, 0.2, 0.1]::float8[]) AS p`, [project]);
      assert.equal(typeof p.rows[0].p, 'number');
    }
  });

  // Issue 17's remaining scikit-learn names: each trains and predicts through SQL on its tasks.
  const SKLEARN_NAMES: [string, 'regression' | 'classification' | 'both', string][] = [
    ['bayesian_ridge', 'regression', '{}'],
    ['automatic_relevance_determination', 'regression', '{}'],
    ['least_angle', 'regression', '{}'],
    ['lasso_least_angle', 'regression', '{"alpha": 0.001}'],
    ['orthogonal_matching_pursuit', 'regression', '{"n_nonzero_coefs": 2}'],
    ['huber', 'regression', '{}'],
    ['quantile', 'regression', '{"alpha": 0.001}'],
    ['linear_svm', 'both', '{"random_state": 0}'],
    ['kernel_ridge', 'regression', '{"kernel": "rbf", "alpha": 0.01}'],
    ['ransac', 'regression', '{"random_state": 0}'],
    ['theil_sen', 'regression', '{"random_state": 0, "max_subpopulation": 500}'],
    ['gaussian_process', 'both', '{}'],
  ];

  test('the remaining scikit-learn estimators train and predict through SQL', async () => {
    for (const [algorithm, tasks, hyperparams] of SKLEARN_NAMES) {
      if (tasks !== 'classification') {
        const project = `${algorithm}_reg`;
        await client.query(`SELECT * FROM pgml.train($1, 'regression', 'algo_reg', 'y', $2, $3::jsonb, test_sampling => 'last')`, [project, algorithm, hyperparams]);
        const m = await metrics(project);
        assert.ok(m.r2! > 0.6, `${algorithm} r2 ${m.r2}`);
        const perRow = await client.query(`SELECT pgml.predict($1, ARRAY[x1, x2, x3]) AS p, y FROM algo_reg ORDER BY x1 LIMIT 3`, [project]);
        for (const row of perRow.rows) assert.equal(typeof row.p, 'number', `${algorithm} predicts a number`);
      }
      if (tasks !== 'regression') {
        const project = `${algorithm}_multi`;
        await client.query(`SELECT * FROM pgml.train($1, 'classification', 'algo_multi', 'label', $2, $3::jsonb, test_sampling => 'last')`, [project, algorithm, hyperparams]);
        const m = await metrics(project);
        assert.ok(m.accuracy! > 0.8, `${algorithm} accuracy ${m.accuracy}`);
        const p = await client.query(`SELECT pgml.predict($1, ARRAY[0.9, 0.1]::float8[]) AS p`, [project]);
        assert.ok([0, 1, 2].includes(p.rows[0].p), `${algorithm} predicts class ${p.rows[0].p}`);
      }
    }
  });

  test('birch, mean_shift and affinity_propagation cluster through SQL', async () => {
    for (const [algorithm, hyperparams] of [['birch', '{"threshold": 1.0}'], ['mean_shift', '{}'], ['affinity_propagation', '{"random_state": 0, "damping": 0.9}']]) {
      const project = `${algorithm}_clusters`;
      // The last quarter as test rows (every third row of each blob): with 'random' sampling the fit
      // saw a different 75% each run, and affinity_propagation merged two blobs on some of them.
      await client.query(`SELECT * FROM pgml.train($1, 'clustering', 'algo_clusters', algorithm => $2, hyperparams => $3::jsonb, test_sampling => 'last')`, [project, algorithm, hyperparams]);
      // The three blobs: rows of one blob share a cluster, different blobs do not.
      const r = await client.query(`SELECT b > 0 AS top, a > -5 AS right_side, pgml.predict($1, ARRAY[a, b]) AS cluster FROM algo_clusters`, [project]);
      assert.equal(r.rows.length, 90);
      const byBlob = new Map<string, Set<number>>();
      for (const row of r.rows) byBlob.set(`${row.top}/${row.right_side}`, (byBlob.get(`${row.top}/${row.right_side}`) ?? new Set()).add(row.cluster));
      const clusters = [...byBlob.values()].map((c) => [...c]);
      assert.equal(clusters.length, 3);
      assert.ok(clusters.every((c) => c.length === 1), `${algorithm}: ${JSON.stringify(clusters)}`);
      assert.equal(new Set(clusters.map((c) => c[0])).size, 3, `${algorithm}: ${JSON.stringify(clusters)}`);
    }
  });

  test('the multi-output linear estimators train several targets with pgml.train_joint; single-output ones refuse', async () => {
    await client.query(`CREATE TABLE IF NOT EXISTS algo_joint AS SELECT x1, x2, x3, y, (2 * x1)::float8 AS y2 FROM algo_reg`);
    for (const algorithm of ['least_angle', 'lasso_least_angle', 'orthogonal_matching_pursuit', 'kernel_ridge', 'ransac', 'gaussian_process']) {
      await client.query(
        `SELECT * FROM pgml.train_joint($1, 'regression', 'algo_joint', ARRAY['y', 'y2'], $2, test_sampling => 'last')`,
        [`joint_${algorithm}`, algorithm],
      );
      const r = await client.query(`SELECT pgml.predict_joint($1, ARRAY[0.5, 0.2, 0.1]) AS p`, [`joint_${algorithm}`]);
      assert.equal(r.rows[0].p.length, 2, algorithm);
    }
  });

  test('single-output regressors train jointly as PostgresML wraps them (MultiOutputRegressor): one model per target', async () => {
    await client.query(`CREATE TABLE IF NOT EXISTS algo_joint AS SELECT x1, x2, x3, y, (2 * x1)::float8 AS y2 FROM algo_reg`);
    // The same rows in the same order, one target each: 'last' sampling splits them alike.
    await client.query(`CREATE OR REPLACE VIEW algo_joint_y AS SELECT x1, x2, x3, y FROM algo_joint`);
    await client.query(`CREATE OR REPLACE VIEW algo_joint_y2 AS SELECT x1, x2, x3, y2 FROM algo_joint`);
    const features = 'ARRAY[0.5, 0.2, 0.1]::real[]';
    for (const [algorithm, hyperparams] of [
      ['bayesian_ridge', '{}'],
      ['huber', '{}'],
      ['gradient_boosting_trees', '{"n_estimators": 5, "random_state": 3}'],
    ]) {
      const train = (project: string, relation: string, labels: string) =>
        client.query(
          `SELECT * FROM pgml.train_joint($1, 'regression', '${relation}', ${labels}, $2, $3::jsonb, test_sampling => 'last')`,
          [project, algorithm, hyperparams],
        );
      await train(`mo_${algorithm}`, 'algo_joint', `ARRAY['y', 'y2']`);
      await train(`mo_${algorithm}_y`, 'algo_joint_y', `ARRAY['y']`);
      await train(`mo_${algorithm}_y2`, 'algo_joint_y2', `ARRAY['y2']`);
      const { rows } = await client.query(
        `SELECT pgml.predict_joint($1, ${features}) AS joint, pgml.predict($2, ${features}) AS y, pgml.predict($3, ${features}) AS y2`,
        [`mo_${algorithm}`, `mo_${algorithm}_y`, `mo_${algorithm}_y2`],
      );
      // Each target's model is that target's own single-output model, so the answers are equal.
      assert.deepEqual(rows[0].joint, [rows[0].y, rows[0].y2], algorithm);
    }
  });

  test("regression with the default test_sampling ('stratified') holds out rows at random, not the smallest labels", async () => {
    await client.query(`CREATE TABLE algo_continuous AS SELECT i::float8 AS x, (2 * i + sin(i))::float8 AS y FROM generate_series(1, 200) AS i`);
    await client.query(`SELECT * FROM pgml.train('continuous', 'regression', 'algo_continuous', 'y', 'linear')`);
    const held = await client.query(
      `SELECT r.test_rows, r.results->'y_true' AS y_true FROM pgml.model_test_results r JOIN pgml.models m ON m.id = r.model_id
         JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'continuous'`,
    );
    const yTrue = held.rows[0].y_true as number[];
    assert.equal(held.rows[0].test_rows, 50);
    // Stratifying by the value of a continuous label held out the 50 smallest (y <= 100).
    assert.ok(Math.max(...yTrue) > 200, `held-out labels ${JSON.stringify(yTrue)}`);
  });

  test('extra_trees trains several targets at once with pgml.train_joint', async () => {
    await client.query(`CREATE TABLE IF NOT EXISTS algo_joint AS SELECT x1, x2, x3, y, (2 * x1)::float8 AS y2 FROM algo_reg`);
    await client.query(
      `SELECT * FROM pgml.train_joint('joint_trees', 'regression', 'algo_joint', ARRAY['y', 'y2'], 'extra_trees', '{"n_estimators": 10}', test_sampling => 'last')`,
    );
    const r = await client.query(`SELECT pgml.predict_joint('joint_trees', ARRAY[0.5, 0.2, 0.1]) AS p`);
    assert.equal(r.rows[0].p.length, 2);
  });

  // PostgresML's multi_classification.sql: its setup, then its grid search byte for byte.
  test('gradient_boosting_trees grid-searches max_leaf_nodes and criterion as multi_classification.sql does', async () => {
    await client.query(`SELECT pgml.load_dataset('iris');`);
    await client.query(`DROP VIEW IF EXISTS pgml.iris_view;`);
    await client.query(`CREATE VIEW pgml.iris_view AS SELECT * FROM pgml.iris ORDER BY random() LIMIT 100;`);
    await client.query(`SELECT * FROM pgml.train('Iris Flower Types', 'classification', 'pgml.iris_view', 'target');`);
    const search = await client.query(`SELECT pgml.train(
    'Iris Flower Types', 
    algorithm => 'gradient_boosting_trees', 
    hyperparams => '{"random_state": 0}',
    search => 'grid', 
    search_params => '{
        "n_estimators": [10, 20],
        "max_leaf_nodes": [2, 4],
        "criterion": ["friedman_mse", "squared_error"]
    }'
);`);
    assert.equal(search.rows.length, 1);
    const r = await client.query(
      `SELECT m.hyperparams, m.search, m.metrics FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id
        WHERE p.name = 'Iris Flower Types' AND m.algorithm = 'gradient_boosting_trees' ORDER BY m.id DESC LIMIT 1`,
    );
    const model = r.rows[0];
    assert.equal(model.search, 'grid');
    assert.ok([2, 4].includes(model.hyperparams.max_leaf_nodes), JSON.stringify(model.hyperparams));
    assert.ok(['friedman_mse', 'squared_error'].includes(model.hyperparams.criterion), JSON.stringify(model.hyperparams));
    assert.ok(model.metrics.f1 > 0.8, JSON.stringify(model.metrics));
  });

  test('catboost: 0A000 saying why', async () => {
    await assert.rejects(
      client.query(`SELECT * FROM pgml.train('cat', 'classification', 'algo_binary', 'label', 'catboost')`),
      (error: { code: string; message: string; hint?: string }) =>
        error.code === '0A000' && /catboost/.test(error.message) && /CatBoost/.test(error.hint ?? ''),
    );
    const alive = await client.query('SELECT 1 AS one');
    assert.equal(alive.rows[0].one, 1);
  });
});
