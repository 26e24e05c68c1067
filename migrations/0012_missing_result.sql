-- Per-row results looked up by their arguments (src/proxy/batch) must never turn a lookup miss
-- into NULL: a row whose arguments were not among those evaluated (its FROM changed between the
-- proxy's read and the statement's: a volatile function, TABLESAMPLE, a concurrent writer) makes
-- the statement fail with this error instead. 40001 is retryable, as such a race is.
CREATE FUNCTION pgml_proxy.missing_result(typed anyelement, function_schema text, function_name text) RETURNS anyelement
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION 'pgml-proxy: %.% met a row whose arguments were not evaluated', function_schema, function_name
    USING ERRCODE = '40001',
          DETAIL = 'The statement read rows that the proxy''s evaluation did not see: its FROM is volatile (random(), TABLESAMPLE, volatile functions) or was written to meanwhile.',
          HINT = 'Put the call in the select list of a plain SELECT (evaluated in one pass over the statement''s own rows), or run the statement in a REPEATABLE READ transaction.';
END
$$;
GRANT USAGE ON SCHEMA pgml_proxy TO PUBLIC;
GRANT EXECUTE ON FUNCTION pgml_proxy.missing_result(anyelement, text, text) TO PUBLIC;
