-- pgml.predict_proba, predict_joint and decompose take their features as real[] alone in
-- PostgresML 2.x (only pgml.predict has an overload per numeric array type, and a row form).
-- Earlier versions of pgml-proxy created stubs for every numeric array type and rows, which made
-- `ARRAY[0.1, 2.0]` (numeric[]) ambiguous where PostgresML resolves it to real[]. The stubs of the current overloads are
-- recreated at every start; these drop the extra ones. One a view or function still depends on is
-- kept (with a NOTICE) rather than failing the upgrade.
DO $$
DECLARE
  signature text;
BEGIN
  FOREACH signature IN ARRAY ARRAY[
    'pgml.predict_proba(text, double precision[])', 'pgml.predict_proba(text, smallint[])',
    'pgml.predict_proba(text, integer[])', 'pgml.predict_proba(text, bigint[])', 'pgml.predict_proba(text, boolean[])',
    'pgml.predict_joint(text, double precision[])', 'pgml.predict_joint(text, smallint[])',
    'pgml.predict_joint(text, integer[])', 'pgml.predict_joint(text, bigint[])', 'pgml.predict_joint(text, boolean[])',
    'pgml.decompose(text, double precision[])', 'pgml.decompose(text, smallint[])',
    'pgml.decompose(text, integer[])', 'pgml.decompose(text, bigint[])', 'pgml.decompose(text, boolean[])',
    'pgml.predict_proba(text, anyelement)', 'pgml.predict_proba(bigint, anyelement)',
    'pgml.predict_joint(text, anyelement)', 'pgml.predict_joint(bigint, anyelement)'
  ] LOOP
    BEGIN
      EXECUTE 'DROP FUNCTION IF EXISTS ' || signature;
    EXCEPTION WHEN dependent_objects_still_exist THEN
      RAISE NOTICE 'pgml-proxy kept % : other objects depend on it', signature;
    END;
  END LOOP;
END
$$;
