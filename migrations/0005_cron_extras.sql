-- What pgml-proxy's scheduler needs beyond pg_cron 1.6's two tables (0003).

-- pg_cron keeps cron.timezone in postgresql.conf; the proxy has no server configuration of its
-- own, so its settings live here and are re-read within a second of a change (see the trigger
-- below). max_run_history is ours: how many runs per job cron.job_run_details keeps.
CREATE TABLE cron.settings (
    name text PRIMARY KEY CHECK (name IN ('timezone', 'max_run_history')),
    value text NOT NULL
);
INSERT INTO cron.settings (name, value) VALUES ('timezone', 'GMT'), ('max_run_history', '1000');
GRANT SELECT ON cron.settings TO PUBLIC;

-- A per-job time limit, a side table so cron.job keeps pg_cron's exact columns. Owners manage
-- their own jobs' rows: the policy's subquery on cron.job sees only the caller's jobs.
CREATE TABLE cron.job_timeout (
    jobid bigint PRIMARY KEY REFERENCES cron.job (jobid) ON DELETE CASCADE,
    timeout interval NOT NULL CHECK (timeout > interval '0')
);
GRANT SELECT, INSERT, UPDATE, DELETE ON cron.job_timeout TO PUBLIC;
ALTER TABLE cron.job_timeout ENABLE ROW LEVEL SECURITY;
CREATE POLICY cron_job_timeout_policy ON cron.job_timeout
    USING (EXISTS (SELECT 1 FROM cron.job j WHERE j.jobid OPERATOR(pg_catalog.=) job_timeout.jobid));

-- pg_cron's functions write cron.job as the extension owner. The proxy's cron.* functions run in
-- the caller's own session instead, so users get write access to their own rows only: the
-- existing policy (username = CURRENT_USER) is both the USING and the WITH CHECK rule.
GRANT INSERT, UPDATE, DELETE ON cron.job TO PUBLIC;
GRANT USAGE ON SEQUENCE cron.jobid_seq TO PUBLIC;
GRANT SELECT ON SEQUENCE cron.jobid_seq TO PUBLIC;
GRANT SELECT ON SEQUENCE cron.runid_seq TO PUBLIC;

-- Each scheduled tick of each job is claimed by exactly one proxy process: the first INSERT wins.
CREATE TABLE cron.pgml_proxy_ticks (
    jobid bigint NOT NULL,
    tick timestamptz NOT NULL,
    PRIMARY KEY (jobid, tick)
);

-- Every proxy LISTENs on this channel and reloads its jobs; a statement trigger (pg_cron's
-- cron_job_cache_invalidate does the same job) also covers edits made directly to the tables.
CREATE FUNCTION cron.pgml_proxy_jobs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.pg_notify('pgml_proxy_cron', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
CREATE TRIGGER pgml_proxy_jobs_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cron.job
    FOR EACH STATEMENT EXECUTE FUNCTION cron.pgml_proxy_jobs_changed();
CREATE TRIGGER pgml_proxy_jobs_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cron.settings
    FOR EACH STATEMENT EXECUTE FUNCTION cron.pgml_proxy_jobs_changed();
CREATE TRIGGER pgml_proxy_jobs_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cron.job_timeout
    FOR EACH STATEMENT EXECUTE FUNCTION cron.pgml_proxy_jobs_changed();

-- pg_cron revokes these two from PUBLIC ("admin should decide whether alter_job is safe"), and
-- the proxy checks EXECUTE on the upstream's function before evaluating a call. The stubs that
-- pgml-proxy installs after migrations replace these bodies with CREATE OR REPLACE, which keeps
-- the ACL, so the signatures here are exactly the stubs' (every default NULL).
CREATE FUNCTION cron.alter_job("job_id" bigint, "schedule" text DEFAULT NULL, "command" text DEFAULT NULL,
    "database" text DEFAULT NULL, "username" text DEFAULT NULL, "active" boolean DEFAULT NULL)
    RETURNS void LANGUAGE sql AS 'SELECT NULL::void';
REVOKE ALL ON FUNCTION cron.alter_job(bigint, text, text, text, text, boolean) FROM PUBLIC;
CREATE FUNCTION cron.schedule_in_database("job_name" text, "schedule" text, "command" text, "database" text,
    "username" text DEFAULT NULL, "active" boolean DEFAULT NULL)
    RETURNS bigint LANGUAGE sql AS 'SELECT NULL::bigint';
REVOKE ALL ON FUNCTION cron.schedule_in_database(text, text, text, text, text, boolean) FROM PUBLIC;
