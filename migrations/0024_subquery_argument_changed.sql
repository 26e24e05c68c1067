-- An uncorrelated subquery passed to a proxy function (`pgml.chunk((SELECT splitter FROM splitter),
-- ...)`) is evaluated once by the proxy, before the statement, and the call is replaced by its
-- result. The statement compares the subquery's value, as it reads it, with the value evaluated:
-- a volatile subquery or a table written meanwhile would otherwise pair the call's result with
-- rows the value no longer describes. Returns true when they agree; fails the statement otherwise.
CREATE FUNCTION pgml_proxy.argument_unchanged(unchanged boolean, function_schema text, function_name text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF unchanged THEN
    RETURN true;
  END IF;
  RAISE EXCEPTION 'pgml-proxy: a subquery argument of %.% gave another value when the statement ran than when the proxy evaluated it', function_schema, function_name
    USING ERRCODE = '40001',
          DETAIL = 'The subquery is volatile (random(), clock_timestamp()...) or reads a table written between the proxy''s evaluation and the statement.',
          HINT = 'Compute the value in a separate statement and pass it as a constant or parameter, or run the statement in a REPEATABLE READ transaction.';
END
$$;
GRANT EXECUTE ON FUNCTION pgml_proxy.argument_unchanged(boolean, text, text) TO PUBLIC;
