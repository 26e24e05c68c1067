-- pgml.train, train_joint, snapshot and deploy now declare PostgresML's enum types
-- (pgml.algorithm, pgml.search, pgml.sampling, pgml.runtime, pgml.strategy) so that calls such as
-- 'xgboost'::pgml.algorithm resolve. The stubs are re-created with those types at start; the ones
-- with text parameters would otherwise stay behind as a second overload of each function.
DROP FUNCTION IF EXISTS pgml.train(text, text, text, text, text, jsonb, text, jsonb, jsonb, real, text, text, boolean, boolean, jsonb);
DROP FUNCTION IF EXISTS pgml.train_joint(text, text, text, text[], text, jsonb, text, jsonb, jsonb, real, text, text, boolean, boolean, jsonb);
DROP FUNCTION IF EXISTS pgml.snapshot(text, text, real, text, jsonb);
DROP FUNCTION IF EXISTS pgml.deploy(text, text, text);
