-- Generated columns whose expression calls a function pgml-proxy evaluates (PostgresML's documented
-- `embedding vector(384) GENERATED ALWAYS AS (pgml.embed(...)) STORED`). Postgres computes generated
-- columns itself and cannot run pgml.*, so the proxy creates such a column as a plain column and
-- computes it in every INSERT and UPDATE it rewrites (README, "Generated columns"). Keyed by the
-- table's oid and the column's number, so renaming either keeps the definition; the expression is
-- stored with each column it reads written as `$<attnum>`, for the same reason.
CREATE TABLE pgml_proxy.generated_columns (
  table_oid oid NOT NULL,
  attnum int2 NOT NULL,
  expression text NOT NULL,
  -- The numbers of the columns the expression reads.
  reads int2[] NOT NULL,
  PRIMARY KEY (table_oid, attnum)
);
-- The table's owner records its columns in the same transaction that creates them, as itself. Only
-- a role with its owner's privileges may record a column of a table: an expression recorded for a
-- table runs in every INSERT through the proxy, with the writer's privileges, as Postgres runs the
-- owner's generation expressions, defaults and triggers; nobody else may put one there. An entry is
-- also believed only for a table carrying the trigger below, which only its owner can create.
GRANT SELECT, INSERT ON pgml_proxy.generated_columns TO PUBLIC;
ALTER TABLE pgml_proxy.generated_columns ENABLE ROW LEVEL SECURITY;
CREATE POLICY generated_columns_read ON pgml_proxy.generated_columns FOR SELECT USING (true);
CREATE POLICY generated_columns_owner_records ON pgml_proxy.generated_columns FOR INSERT
  WITH CHECK (EXISTS (SELECT FROM pg_catalog.pg_class c
                       WHERE c.oid = table_oid AND pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE')));

-- Every value the proxy computes passes through this function, which marks the next row written to
-- the table as computed; the trigger accepts a row so marked and clears the mark. A row goes to its
-- BEFORE trigger before the next row's values are computed, so the mark never covers another row.
CREATE FUNCTION pgml_proxy.generated_value(table_oid oid, value anyelement) RETURNS anyelement
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_catalog.set_config('pgml_proxy.generated_row', table_oid::text, true);
  RETURN value;
END
$$;

-- Refuses a write that did not come through the proxy's rewrite (a direct connection, COPY): it
-- would leave the column without its value. An UPDATE that changes neither the column nor a
-- column its expression reads needs no new value and passes.
CREATE FUNCTION pgml_proxy.refuse_uncomputed_write() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  generated record;
  column_name name;
BEGIN
  IF pg_catalog.current_setting('pgml_proxy.generated_row', true) = TG_RELID::text THEN
    PERFORM pg_catalog.set_config('pgml_proxy.generated_row', '', true);
    RETURN NEW;
  END IF;
  FOR generated IN
    SELECT a.attname, g.reads FROM pgml_proxy.generated_columns g
      JOIN pg_catalog.pg_attribute a ON a.attrelid = g.table_oid AND a.attnum = g.attnum AND NOT a.attisdropped
     WHERE g.table_oid = TG_RELID ORDER BY g.attnum
  LOOP
    IF TG_OP = 'UPDATE' THEN
      CONTINUE WHEN NOT EXISTS (
        SELECT FROM pg_catalog.pg_attribute r
         WHERE r.attrelid = TG_RELID AND NOT r.attisdropped
           AND (r.attname = generated.attname OR r.attnum = ANY (generated.reads))
           AND pg_catalog.to_jsonb(NEW) -> r.attname::text IS DISTINCT FROM pg_catalog.to_jsonb(OLD) -> r.attname::text);
    END IF;
    column_name := generated.attname;
    EXIT;
  END LOOP;
  IF column_name IS NULL THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'column "%" of relation "%" is computed by pgml-proxy', column_name, TG_TABLE_NAME
    USING ERRCODE = '0A000',
          DETAIL = 'Its generation expression calls functions that only pgml-proxy evaluates, so only an INSERT or UPDATE sent through pgml-proxy can write this row.',
          HINT = 'Send the INSERT or UPDATE through pgml-proxy (COPY is not computed: use INSERT ... SELECT from a table COPY filled).';
END
$$;
GRANT EXECUTE ON FUNCTION pgml_proxy.generated_value(oid, anyelement) TO PUBLIC;
GRANT EXECUTE ON FUNCTION pgml_proxy.refuse_uncomputed_write() TO PUBLIC;
