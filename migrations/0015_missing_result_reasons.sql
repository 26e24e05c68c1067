-- The keyed path now reads each scope's FROM once (copies of its items, the rows of an UPDATE or
-- DELETE target locked for the statement), so a lookup miss no longer comes from the FROM. What
-- is left is an expression evaluated twice: a volatile condition in the scope's WHERE, a volatile
-- argument, a subquery in the WHERE over a table written meanwhile, or a LATERAL or joined
-- subquery that is read as written. Say so.
CREATE OR REPLACE FUNCTION pgml_proxy.missing_result(typed anyelement, function_schema text, function_name text) RETURNS anyelement
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION 'pgml-proxy: %.% met a row whose arguments were not evaluated', function_schema, function_name
    USING ERRCODE = '40001',
          DETAIL = 'Its arguments or the rows reaching it changed between the proxy''s evaluation and the statement: a volatile expression in the arguments or in the WHERE (random(), clock_timestamp()...), a subquery in the WHERE over a table written meanwhile, or a LATERAL or JOINed subquery that is volatile.',
          HINT = 'Move the volatile part into a FROM item of its own (FROM (SELECT * FROM t WHERE random() < 0.1) s), put the call in the select list of a plain SELECT (evaluated in one pass), or run the statement in a REPEATABLE READ transaction.';
END
$$;
