-- The schemas pgml-proxy's functions and tables live in, as PostgresML and pg_cron name them.
CREATE SCHEMA IF NOT EXISTS pgml;
CREATE SCHEMA IF NOT EXISTS cron;
GRANT USAGE ON SCHEMA pgml TO PUBLIC;
GRANT USAGE ON SCHEMA cron TO PUBLIC;
