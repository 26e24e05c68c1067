-- A first session through pgml-proxy: psql -f sql/quickstart.sql postgres://postgres@127.0.0.1:6432/postgres
-- Every statement is plain PostgresML 2.x / pg_cron SQL.

SELECT pgml.version();

-- Load one of PostgresML's built-in datasets (shipped with pgml-proxy, no network needed).
SELECT * FROM pgml.load_dataset('iris');

-- Train a classifier; the first model of a project is deployed automatically.
SELECT * FROM pgml.train(
  project_name  => 'iris_classifier',
  task          => 'classification',
  relation_name => 'pgml.iris',
  y_column_name => 'target',
  algorithm     => 'xgboost'
);

SELECT id, name, algorithm FROM pgml.trained_models;

-- Predict, per row, from SQL.
SELECT target,
       pgml.predict('iris_classifier', ARRAY[sepal_length, sepal_width, petal_length, petal_width]) AS predicted
  FROM pgml.iris
 LIMIT 5;

-- Retrain every night on the project's latest snapshot.
SELECT cron.schedule('nightly-iris', '0 3 * * *', $$SELECT pgml.train('iris_classifier')$$);
SELECT jobid, jobname, schedule, command FROM cron.job;
SELECT cron.unschedule('nightly-iris');
