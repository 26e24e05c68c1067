-- 0015's DETAIL still named causes the keyed path no longer has: a volatile condition of the WHERE is
-- left out of the enumeration and applied by the statement alone, a volatile argument is refused
-- before evaluation, and the WHERE's subqueries read copies. Name what can still miss a row: an
-- expression read as written, evaluated once for the enumeration and again by the statement (README,
-- "What can still miss a row").
CREATE OR REPLACE FUNCTION pgml_proxy.missing_result(typed anyelement, function_schema text, function_name text) RETURNS anyelement
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION 'pgml-proxy: %.% met a row whose arguments were not evaluated', function_schema, function_name
    USING ERRCODE = '40001',
          DETAIL = 'Part of the statement is read as written, once for the proxy''s evaluation and again by the statement, and gave other rows the second time: a LATERAL item, a function after other FROM items, or a subquery or function inside a JOIN that is volatile or reads a table written meanwhile; a JOIN ... ON condition calling a volatile function; the FROM of a SELECT ... FOR UPDATE; a subquery of the WHERE defining CTEs of its own, over a table written meanwhile; or an UPDATE ... RETURNING whose call reads a column its SET assigns by subscript, by field or in a multi-column assignment.',
          HINT = 'Move the volatile part into a FROM item of its own (FROM (SELECT * FROM t WHERE random() < 0.1) s), write a joined subquery as a FROM-list item with the join condition in WHERE, put the call in the select list of a plain SELECT (evaluated in one pass), or run the statement in a BEGIN ISOLATION LEVEL REPEATABLE READ block.';
END
$$;
