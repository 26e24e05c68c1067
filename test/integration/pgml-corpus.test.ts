// A corpus of statements in the shape of PostgresML's documentation (our own data and names):
// train and predict for classification, regression, joint regression, clustering, decomposition,
// preprocessing, with row tuples as PostgresML's examples pass them, and the vector functions.
// The data are built so each answer is known exactly: labels a rule of one feature, targets exact
// linear functions, two blobs far apart; every result is compared with what it must be.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { headlinesTable, NEWS_HEADLINE } from '../support/clickbait.js';
import { describeTargets } from '../support/targets.js';

const DATA = `
  CREATE TABLE corpus_flowers AS
  SELECT (i % 7)::real AS sepal_length, (i % 5)::real AS sepal_width, (i % 3)::real AS petal_length, (i % 2)::real AS petal_width,
         CASE WHEN i % 7 < 2 THEN 0 WHEN i % 7 < 5 THEN 1 ELSE 2 END AS target
    FROM generate_series(1, 120) AS i;
  CREATE TABLE corpus_lines AS
  SELECT i::real AS x1, (i % 4)::real AS x2, (3 * i + 2 * (i % 4) + 1)::real AS y, (2 * i - (i % 4))::real AS z
    FROM generate_series(1, 50) AS i;
  CREATE VIEW corpus_line AS SELECT x1, x2, y FROM corpus_lines;
  CREATE TABLE corpus_blobs AS
  SELECT (CASE WHEN i % 2 = 0 THEN 0 ELSE 10 END + (i % 3) * 0.1)::real AS a,
         (CASE WHEN i % 2 = 0 THEN 0 ELSE 10 END + (i % 5) * 0.1)::real AS b
    FROM generate_series(1, 40) AS i;`;

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-3, `${what}: ${actual} != ${expected}`);

describeTargets('a PostgresML-style corpus', { proxyOnly: true }, (target) => {
  let client: pg.Client;
  before(async () => {
    client = new pg.Client({ connectionString: target().url() });
    await client.connect();
    await client.query(DATA);
  });
  after(async () => {
    await client.end();
  });

  test('classification: train, then predict per row from a row tuple', async () => {
    const trained = await client.query(`SELECT project, task, algorithm FROM pgml.train('Flower Types', 'classification', 'corpus_flowers', 'target', algorithm => 'xgboost')`);
    assert.deepEqual(trained.rows, [{ project: 'Flower Types', task: 'classification', algorithm: 'xgboost' }]);
    const { rows } = await client.query(
      `SELECT target, pgml.predict('Flower Types', (sepal_length, sepal_width, petal_length, petal_width)) AS prediction FROM corpus_flowers`,
    );
    assert.equal(rows.length, 120);
    for (const row of rows) assert.equal(row.prediction, row.target);
    const one = await client.query(`SELECT pgml.predict('Flower Types', ARRAY[6, 1, 0, 1]::real[]) AS p`);
    assert.deepEqual(one.rows, [{ p: 2 }]);
  });

  test('classification with preprocessing: standard scaling and mean imputation', async () => {
    await client.query(`SELECT * FROM pgml.train('Scaled Flowers', 'classification', 'corpus_flowers', 'target', algorithm => 'xgboost',
      preprocess => '{"sepal_length": {"scale": "standard"}, "petal_width": {"impute": "mean"}}')`);
    const { rows } = await client.query(
      `SELECT target, pgml.predict('Scaled Flowers', (sepal_length, sepal_width, petal_length, petal_width)) AS prediction FROM corpus_flowers`,
    );
    for (const row of rows) assert.equal(row.prediction, row.target);
  });

  test('regression: a linear model of an exact line predicts it', async () => {
    await client.query(`SELECT * FROM pgml.train('Line', 'regression', 'corpus_line', 'y', algorithm => 'linear')`);
    const { rows } = await client.query(`SELECT y, pgml.predict('Line', ARRAY[x1, x2]) AS prediction FROM corpus_line`);
    assert.equal(rows.length, 50);
    for (const row of rows) close(row.prediction, row.y, 'y');
    close((await client.query(`SELECT pgml.predict('Line', ARRAY[100, 3]::real[]) AS p`)).rows[0].p, 307, 'y(100, 3)');
  });

  test('joint regression: two targets at once', async () => {
    await client.query(`SELECT * FROM pgml.train_joint('Two Lines', 'regression', 'corpus_lines', ARRAY['y', 'z'], algorithm => 'linear')`);
    const { rows } = await client.query(`SELECT y, z, pgml.predict_joint('Two Lines', ARRAY[x1, x2]) AS prediction FROM corpus_lines`);
    for (const row of rows) {
      close(row.prediction[0], row.y, 'y');
      close(row.prediction[1], row.z, 'z');
    }
  });

  test('clustering: two blobs far apart are two clusters', async () => {
    await client.query(`SELECT * FROM pgml.train('Blobs', 'clustering', 'corpus_blobs', algorithm => 'kmeans', hyperparams => '{"n_clusters": 2}')`);
    const { rows } = await client.query(`SELECT a < 5 AS near, pgml.predict('Blobs', ARRAY[a, b]) AS cluster FROM corpus_blobs`);
    const near = new Set(rows.filter((r) => r.near).map((r) => r.cluster));
    const far = new Set(rows.filter((r) => !r.near).map((r) => r.cluster));
    assert.equal(near.size, 1);
    assert.equal(far.size, 1);
    assert.notDeepEqual([...near], [...far]);
  });

  test('decomposition: one principal component, per row as by one constant call', async () => {
    await client.query(`SELECT * FROM pgml.train('Blob Components', 'decomposition', 'corpus_blobs', algorithm => 'pca', hyperparams => '{"n_components": 1}')`);
    const { rows } = await client.query(`SELECT a, b, pgml.decompose('Blob Components', ARRAY[a, b]) AS component FROM corpus_blobs ORDER BY a, b`);
    for (const row of rows) {
      const constant = await client.query(`SELECT pgml.decompose('Blob Components', ARRAY[${row.a}, ${row.b}]::real[]) AS c`);
      assert.deepEqual(row.component, constant.rows[0].c);
      assert.equal(row.component.length, 1);
    }
    const spread = Math.abs(rows[0].component[0] - rows[rows.length - 1].component[0]);
    assert.ok(spread > 10, `the blobs are ${spread} apart on the component`);
  });

  test('vector functions, on constants and per row', async () => {
    const { rows } = await client.query(`SELECT pgml.add(ARRAY[1, 2, 3]::real[], 1) AS added, pgml.norm_l2(ARRAY[3, 4]::real[]) AS norm,
      pgml.cosine_similarity(ARRAY[1, 0]::real[], ARRAY[0, 1]::real[]) AS cosine, pgml.distance_l1(ARRAY[1, 2]::real[], ARRAY[3, 5]::real[]) AS l1,
      pgml.dot_product(ARRAY[1, 2, 3]::real[], ARRAY[4, 5, 6]::real[]) AS dot, pgml.normalize_l2(ARRAY[3, 4]::real[]) AS unit`);
    assert.deepEqual(rows, [{ added: [2, 3, 4], norm: 5, cosine: 0, l1: 5, dot: 32, unit: [0.6, 0.8] }]);
    const perRow = await client.query(`SELECT x1, pgml.dot_product(pgml.predict_joint('Two Lines', ARRAY[x1, x2]), ARRAY[1, 0]::real[]) AS y FROM corpus_lines WHERE x1 <= 3 ORDER BY x1`);
    perRow.rows.forEach((row, i) => close(row.y, 3 * (i + 1) + 2 * ((i + 1) % 4) + 1, `y(${row.x1})`));
  });

  test('semantic search: embeddings ranked by cosine similarity to an embedded query', async () => {
    await client.query(headlinesTable('corpus_headlines'));
    const { rows } = await client.query(`
      SELECT headline, pgml.cosine_similarity(pgml.embed('wink/sg-100d', headline), pgml.embed('wink/sg-100d', '${NEWS_HEADLINE}')) AS similarity
        FROM corpus_headlines ORDER BY similarity DESC LIMIT 3`);
    assert.equal(rows[0].headline, NEWS_HEADLINE);
    close(rows[0].similarity, 1, 'similarity of the query to itself');
    assert.ok(rows[1].similarity < rows[0].similarity);
  });
});
