-- The planner's row estimate for reading a whole relation, as a value: pgml.train refuses a
-- relation too large for --fit-memory-mb before reading a row, and with this function the training's
-- catalog query asks for the estimate in the same round trip instead of a separate EXPLAIN.
-- SECURITY INVOKER (the default): the EXPLAIN runs with the caller's privileges, as before.
CREATE FUNCTION pgml_proxy.estimated_rows(relation regclass) RETURNS float8
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE format('EXPLAIN (FORMAT JSON) SELECT * FROM %s', relation) INTO plan;
  RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END
$$;
GRANT EXECUTE ON FUNCTION pgml_proxy.estimated_rows(regclass) TO PUBLIC;
