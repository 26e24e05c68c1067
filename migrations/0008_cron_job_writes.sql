-- pg_cron 1.6 gives users SELECT on cron.job and nothing more (row-level security shows them their
-- own rows); its C functions make their permission checks and then write the table as the
-- extension's owner. The proxy evaluates cron.* in the caller's own session, so 0005 had granted
-- users INSERT/UPDATE/DELETE on their own rows instead: they could edit cron.job directly, and
-- another user's job looked missing rather than forbidden.
--
-- These functions take that place. Each makes pg_cron's checks, with pg_cron's messages and
-- SQLSTATEs, for the role calling it, and writes cron.job as the role that ran the migrations.
-- The proxy calls them in the caller's session, so the write stays in the caller's transaction.
-- Called directly, they check exactly what the proxy's path checks, so they grant nothing more.

REVOKE INSERT, UPDATE, DELETE ON cron.job FROM PUBLIC;
REVOKE ALL ON SEQUENCE cron.jobid_seq FROM PUBLIC;
REVOKE ALL ON SEQUENCE cron.runid_seq FROM PUBLIC;

-- Inside a SECURITY DEFINER function current_user is the owner; the caller is the calling
-- session's current user, which only SET ROLE (to a role the session may become) or a
-- superuser's SET SESSION AUTHORIZATION can change.
CREATE FUNCTION cron.pgml_proxy_caller() RETURNS name LANGUAGE sql STABLE
    AS $$ SELECT COALESCE(NULLIF(pg_catalog.current_setting('role'), 'none'), SESSION_USER)::name $$;

CREATE FUNCTION cron.pgml_proxy_is_superuser(p_role name) RETURNS boolean LANGUAGE sql STABLE
    AS $$ SELECT COALESCE((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) p_role), false) $$;

-- Postgres checks EXECUTE before it calls a function; the proxy evaluates the call instead.
CREATE FUNCTION cron.pgml_proxy_ensure_execute(p_caller name, p_function text, p_signature text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT pg_catalog.has_function_privilege(p_caller, pg_catalog.format('cron.%s(%s)', p_function, p_signature), 'EXECUTE') THEN
        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = pg_catalog.format('permission denied for function %s', p_function);
    END IF;
END $$;

-- pg_cron's GetRoleOidIfCanLogin. pg_cron's own errors carry no SQLSTATE, which Postgres sends
-- as XX000; so do these.
CREATE FUNCTION cron.pgml_proxy_ensure_login(p_username text) RETURNS void LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_can_login boolean;
BEGIN
    SELECT rolcanlogin INTO v_can_login FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) p_username;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'XX000', MESSAGE = pg_catalog.format('role "%s" does not exist', p_username);
    END IF;
    IF NOT v_can_login THEN
        RAISE EXCEPTION USING ERRCODE = 'XX000', MESSAGE = pg_catalog.format('role "%s" can not log in', p_username),
            DETAIL = 'Jobs may only be run by roles that have the LOGIN attribute.';
    END IF;
END $$;

-- get_database_oid(name, false), then CONNECT for the job's user.
CREATE FUNCTION cron.pgml_proxy_ensure_connect(p_username text, p_database text) RETURNS void LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_oid oid;
BEGIN
    SELECT oid INTO v_oid FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) p_database;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '3D000', MESSAGE = pg_catalog.format('database "%s" does not exist', p_database);
    END IF;
    IF NOT pg_catalog.has_database_privilege(p_username, v_oid, 'CONNECT') THEN
        RAISE EXCEPTION USING ERRCODE = 'XX000',
            MESSAGE = pg_catalog.format('User %s does not have CONNECT privilege on %s', p_username, p_database);
    END IF;
END $$;

-- ScheduleCronJob, for cron.schedule (both forms) and cron.schedule_in_database. The proxy has
-- already validated the schedule with its parser; one stored unparsed never runs, as in pg_cron.
CREATE FUNCTION cron.pgml_proxy_schedule(p_in_database boolean, p_job_name text, p_schedule text, p_command text,
    p_database text, p_username text, p_active boolean) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_caller name := cron.pgml_proxy_caller();
    v_owner text := v_caller;
    v_database text := COALESCE(p_database, current_database());
    v_jobid bigint;
BEGIN
    IF p_in_database OR p_database IS NOT NULL OR p_username IS NOT NULL OR NOT p_active THEN
        PERFORM cron.pgml_proxy_ensure_execute(v_caller, 'schedule_in_database', 'text,text,text,text,text,boolean');
    ELSE
        PERFORM cron.pgml_proxy_ensure_execute(v_caller, 'schedule', CASE WHEN p_job_name IS NULL THEN 'text,text' ELSE 'text,text,text' END);
    END IF;
    IF p_username IS NOT NULL THEN
        IF NOT cron.pgml_proxy_is_superuser(v_caller) THEN
            RAISE EXCEPTION USING ERRCODE = 'XX000', MESSAGE = 'must be superuser to create a job for another role';
        END IF;
        PERFORM cron.pgml_proxy_ensure_login(p_username);
        v_owner := p_username;
    END IF;
    PERFORM cron.pgml_proxy_ensure_connect(v_owner, v_database);

    -- pg_cron's nodeport is the server's port; PGlite has no TCP port, so the configured one.
    IF p_job_name IS NULL THEN
        INSERT INTO cron.job (schedule, command, nodename, nodeport, database, username, active)
        VALUES (p_schedule, p_command, 'localhost', COALESCE(inet_server_port(), current_setting('port')::int),
                v_database, v_owner, p_active)
        RETURNING jobid INTO v_jobid;
    ELSE
        INSERT INTO cron.job (schedule, command, nodename, nodeport, database, username, active, jobname)
        VALUES (p_schedule, p_command, 'localhost', COALESCE(inet_server_port(), current_setting('port')::int),
                v_database, v_owner, p_active, p_job_name)
        ON CONFLICT ON CONSTRAINT jobname_username_uniq
        DO UPDATE SET schedule = EXCLUDED.schedule, command = EXCLUDED.command, database = EXCLUDED.database
        RETURNING jobid INTO v_jobid;
    END IF;
    RETURN v_jobid;
END $$;

-- cron_unschedule and cron_unschedule_named: by id any job, by name only the caller's; then
-- EnsureDeletePermission: the owner (compared case-insensitively), or whoever holds DELETE on
-- cron.job (superusers, or roles an administrator granted it to).
CREATE FUNCTION cron.pgml_proxy_unschedule(p_job_id bigint, p_job_name text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_caller name := cron.pgml_proxy_caller();
    v_jobid bigint;
    v_owner text;
BEGIN
    IF p_job_name IS NULL THEN
        PERFORM cron.pgml_proxy_ensure_execute(v_caller, 'unschedule', 'bigint');
        SELECT jobid, username INTO v_jobid, v_owner FROM cron.job WHERE jobid = p_job_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'XX000', MESSAGE = format('could not find valid entry for job %s', p_job_id);
        END IF;
    ELSE
        PERFORM cron.pgml_proxy_ensure_execute(v_caller, 'unschedule', 'text');
        SELECT jobid, username INTO v_jobid, v_owner FROM cron.job
         WHERE jobname = p_job_name AND username = v_caller FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'XX000', MESSAGE = format('could not find valid entry for job ''%s''', p_job_name);
        END IF;
    END IF;
    IF lower(v_owner) <> lower(v_caller) AND NOT has_table_privilege(v_caller, 'cron.job', 'DELETE') THEN
        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'permission denied for table job';
    END IF;
    DELETE FROM cron.job WHERE jobid = v_jobid;
    RETURN true;
END $$;

-- AlterJob: arguments left NULL are not changed; only a superuser may change the owner or alter
-- another user's job.
CREATE FUNCTION cron.pgml_proxy_alter_job(p_job_id bigint, p_schedule text, p_command text, p_database text,
    p_username text, p_active boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_caller name := cron.pgml_proxy_caller();
    v_superuser boolean := cron.pgml_proxy_is_superuser(v_caller);
    v_owner text := v_caller;
BEGIN
    PERFORM cron.pgml_proxy_ensure_execute(v_caller, 'alter_job', 'bigint,text,text,text,text,boolean');
    IF p_username IS NOT NULL THEN
        IF NOT v_superuser THEN
            RAISE EXCEPTION USING ERRCODE = 'XX000', MESSAGE = 'must be superuser to alter username';
        END IF;
        PERFORM cron.pgml_proxy_ensure_login(p_username);
        v_owner := p_username;
    END IF;
    IF p_database IS NOT NULL THEN
        PERFORM cron.pgml_proxy_ensure_connect(v_owner, p_database);
    END IF;
    IF p_schedule IS NULL AND p_command IS NULL AND p_database IS NULL AND p_username IS NULL AND p_active IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'XX000', MESSAGE = 'no updates specified',
            HINT = 'You must specify at least one job attribute to change when calling alter_job';
    END IF;
    UPDATE cron.job
       SET schedule = COALESCE(p_schedule, schedule), command = COALESCE(p_command, command),
           database = COALESCE(p_database, database), username = COALESCE(p_username, username),
           active = COALESCE(p_active, active)
     WHERE jobid = p_job_id AND (v_superuser OR username = v_caller);
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'XX000', MESSAGE = format('Job %s does not exist or you don''t own it', p_job_id);
    END IF;
END $$;
