-- Whether the upstream can plan a query: a subquery argument written alone (src/sql/subquery-args.ts)
-- plans exactly when it reads nothing of the outer query. Planning may fail; the exception block
-- rolls back a subtransaction of its own, so the failure never aborts the caller's transaction or
-- the client's pipeline (a SAVEPOINT would need a transaction block, which a pipeline's implicit
-- transaction is not). EXPLAIN plans the query without running it.
CREATE FUNCTION pgml_proxy.query_plans(query text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  EXECUTE 'EXPLAIN ' || query;
  RETURN true;
EXCEPTION WHEN OTHERS THEN
  RETURN false;
END
$$;
GRANT EXECUTE ON FUNCTION pgml_proxy.query_plans(text) TO PUBLIC;
