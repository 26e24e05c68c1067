-- The seed workflow: classify headlines as clickbait by their embeddings.
-- Run from this directory through pgml-proxy (see README.md):
--   psql postgres://postgres@127.0.0.1:6432/postgres -f setup.sql
\set ON_ERROR_STOP on

-- 1. The labelled headlines (1 = clickbait, 0 = news).
DROP TABLE IF EXISTS clickbait_features, clickbait_headlines;
CREATE TABLE clickbait_headlines (headline text NOT NULL, clickbait integer NOT NULL);
\copy clickbait_headlines FROM 'headlines.csv' WITH (FORMAT csv, HEADER true)

-- 2. Features: one 100-dimensional embedding per headline from the offline model. The proxy
--    embeds all rows in one batch.
CREATE TABLE clickbait_features AS
SELECT pgml.embed('wink/sg-100d', headline) AS embedding, clickbait
FROM clickbait_headlines;

-- 3. Train. The first model of a project is deployed automatically.
SELECT project, task, algorithm, deployed
FROM pgml.train('clickbait_classifier', 'classification', 'clickbait_features', 'clickbait', algorithm => 'xgboost');

-- 4. The seed's two predictions: expect 0 (news) and 1 (clickbait).
SELECT pgml.predict('clickbait_classifier', pgml.embed('wink/sg-100d', 'Hottest weather in 100 years')) AS hottest_weather;
SELECT pgml.predict('clickbait_classifier', pgml.embed('wink/sg-100d', 'Once A Huge Star, Today He Lives Alone in Westlake.')) AS huge_star;

-- 5. Every labelled headline classified in one statement, nesting pgml.embed in pgml.predict per
--    row: the proxy embeds the distinct headlines in one batch, then predicts the distinct
--    embeddings in one batch. On the training data itself this shows how well the model fits it.
SELECT count(*) AS headlines,
       round(avg((pgml.predict('clickbait_classifier', pgml.embed('wink/sg-100d', headline)) = clickbait)::int), 2) AS training_accuracy
FROM clickbait_headlines;
