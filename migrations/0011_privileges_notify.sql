-- Privileges changed directly on the upstream (not through a pgml-proxy) tell the proxies to check
-- again who may use their cached models, as such statements through a proxy do. Event triggers
-- need a superuser: without one this migration installs nothing. Role membership (GRANT role TO
-- role) and ALTER ROLE fire no event trigger: after making those directly on the upstream, run
-- NOTIFY pgml_proxy_privileges (README, "Privileges").
DO $migration$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    RAISE NOTICE 'pgml-proxy: not a superuser, so no event trigger announces privileges changed directly on the upstream';
    RETURN;
  END IF;
  CREATE FUNCTION pgml_proxy.notify_privileges() RETURNS event_trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_notify('pgml_proxy_privileges', 'ddl');
  END
  $$;
  CREATE EVENT TRIGGER pgml_proxy_privileges ON ddl_command_end
    WHEN TAG IN ('GRANT', 'REVOKE', 'ALTER TABLE', 'DROP TABLE', 'CREATE POLICY', 'ALTER POLICY', 'DROP POLICY',
                 'ALTER DEFAULT PRIVILEGES', 'ALTER SCHEMA', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION pgml_proxy.notify_privileges();
END
$migration$;
