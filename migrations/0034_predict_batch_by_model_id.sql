-- PostgresML's pgml.predict_batch(model_id bigint, features real[]) returns real[] (its
-- predict_model_batch), not SETOF real as earlier versions of pgml-proxy declared it; only the
-- project-name overload returns a set. A function's return type cannot be replaced in place, so the
-- old stub is dropped here and recreated at start with the right one. Should a view depend on the
-- old stub, this fails and names it rather than dropping it.
DROP FUNCTION IF EXISTS pgml.predict_batch(bigint, real[]);
