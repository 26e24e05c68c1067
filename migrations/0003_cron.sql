-- pg_cron 1.6's tables, as its install script plus upgrade scripts leave them
-- (pg_cron.sql, pg_cron--1.0--1.1.sql ... pg_cron--1.5--1.6.sql), so clients that read or
-- clean up cron.job / cron.job_run_details see the columns, defaults, grants and row-level
-- security they expect. The schema comes from 0001.
--
-- Left out on purpose: the cron.* functions (the proxy evaluates them), the
-- cron_job_cache_invalidate trigger (its function is C inside pg_cron), and
-- pg_extension_config_dump (only valid inside an extension script).

CREATE SEQUENCE cron.jobid_seq;

CREATE TABLE cron.job (
    jobid bigint PRIMARY KEY DEFAULT pg_catalog.nextval('cron.jobid_seq'),
    schedule text NOT NULL,
    command text NOT NULL,
    nodename text NOT NULL DEFAULT 'localhost',
    nodeport int NOT NULL DEFAULT pg_catalog.inet_server_port(),
    database text NOT NULL DEFAULT pg_catalog.current_database(),
    username text NOT NULL DEFAULT CURRENT_USER,
    active boolean NOT NULL DEFAULT true,
    jobname text
);

-- cron.schedule(job_name, ...) upserts with ON CONFLICT ON CONSTRAINT jobname_username_uniq,
-- so the constraint keeps pg_cron's name.
CREATE UNIQUE INDEX jobname_username_idx ON cron.job (jobname, username);
ALTER TABLE cron.job ADD CONSTRAINT jobname_username_uniq UNIQUE USING INDEX jobname_username_idx;

GRANT SELECT ON cron.job TO PUBLIC;
ALTER TABLE cron.job ENABLE ROW LEVEL SECURITY;
CREATE POLICY cron_job_policy ON cron.job
    USING (username OPERATOR(pg_catalog.=) CURRENT_USER);

CREATE SEQUENCE cron.runid_seq;

CREATE TABLE cron.job_run_details (
    jobid bigint,
    runid bigint PRIMARY KEY DEFAULT pg_catalog.nextval('cron.runid_seq'),
    job_pid integer,
    database text,
    username text,
    command text,
    status text,
    return_message text,
    start_time timestamptz,
    end_time timestamptz
);

-- Users may read and delete (purge) their own run history, nothing more.
GRANT SELECT ON cron.job_run_details TO PUBLIC;
GRANT DELETE ON cron.job_run_details TO PUBLIC;
ALTER TABLE cron.job_run_details ENABLE ROW LEVEL SECURITY;
CREATE POLICY cron_job_run_details_policy ON cron.job_run_details
    USING (username OPERATOR(pg_catalog.=) CURRENT_USER);
