-- Every deployment, whoever makes it (pgml.train, pgml.deploy, another pgml-proxy process, a
-- direct INSERT), tells the listening pgml-proxy processes to forget the project's cached
-- deployment. NOTIFY is delivered at commit, so a rolled-back deployment is never announced.
CREATE FUNCTION pgml.notify_deployment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('pgml_proxy_deployments', NEW.project_id::text);
  RETURN NEW;
END
$$;

CREATE TRIGGER deployments_notify AFTER INSERT ON pgml.deployments
  FOR EACH ROW EXECUTE FUNCTION pgml.notify_deployment();
