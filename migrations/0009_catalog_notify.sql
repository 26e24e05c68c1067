-- DDL on functions made directly on the upstream (not through a pgml-proxy) tells the proxies to
-- reload the functions they inline, as DDL through a proxy does. Event triggers need a superuser:
-- without one this migration installs nothing, and such DDL is seen only after a proxy restart
-- or DDL through a proxy (README, "Functions calling pgml").
DO $migration$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    RAISE NOTICE 'pgml-proxy: not a superuser, so no event trigger announces DDL made directly on the upstream';
    RETURN;
  END IF;
  CREATE FUNCTION pgml_proxy.notify_catalog() RETURNS event_trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_notify('pgml_proxy_catalog', 'ddl');
  END
  $$;
  CREATE EVENT TRIGGER pgml_proxy_catalog ON ddl_command_end
    WHEN TAG IN ('CREATE FUNCTION', 'ALTER FUNCTION', 'DROP FUNCTION', 'ALTER ROUTINE', 'DROP ROUTINE',
                 'ALTER SCHEMA', 'DROP SCHEMA', 'CREATE EXTENSION', 'ALTER EXTENSION', 'DROP EXTENSION', 'DROP OWNED')
    EXECUTE FUNCTION pgml_proxy.notify_catalog();
END
$migration$;
