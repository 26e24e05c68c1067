-- pg_cron 1.6's behaviour where its regression test looks (issue 13).

-- Security: EnsureDeletePermission compares the job owner's role with the caller's by identity
-- (pg_cron: get_role_oid(owner) = GetUserId()). 0008 compared lower-cased names, so role
-- caseowner could unschedule a job of "CaseOwner". Role names are compared exactly here; being a
-- member of the owner's role is not being the owner (SET ROLE to it is). Everyone else needs
-- DELETE on cron.job, checked with has_table_privilege as pg_class_aclcheck does.
CREATE OR REPLACE FUNCTION cron.pgml_proxy_unschedule(p_job_id bigint, p_job_name text) RETURNS boolean
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
         WHERE jobname = p_job_name AND username = v_caller::text FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'XX000', MESSAGE = format('could not find valid entry for job ''%s''', p_job_name);
        END IF;
    END IF;
    IF v_owner IS DISTINCT FROM v_caller::text AND NOT has_table_privilege(v_caller, 'cron.job', 'DELETE') THEN
        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'permission denied for table job';
    END IF;
    DELETE FROM cron.job WHERE jobid = v_jobid;
    RETURN true;
END $$;

-- pg_cron 1.4-1 lets everyone read the two sequences, so that a user with USAGE on the schema can
-- pg_dump it; 0008 had revoked that with the write access. Reading a sequence grants no nextval.
GRANT SELECT ON SEQUENCE cron.jobid_seq TO PUBLIC;
GRANT SELECT ON SEQUENCE cron.runid_seq TO PUBLIC;

-- Deliberately unlike pg_cron, the cron schema stays usable by PUBLIC (0001): pg_cron's schema
-- belongs to its extension, and DROP EXTENSION takes the per-role GRANT USAGE with it, while the
-- proxy's schema is permanent, so a per-role grant would block DROP ROLE of every job owner
-- ("privileges for schema cron") until revoked. What PUBLIC's USAGE exposes is pg_cron's own
-- surface: row-level security shows each role its own rows, and alter_job and
-- schedule_in_database stay revoked.
