-- Issue 15: read-only access for analysts. A NOLOGIN role holding USAGE on the schema and SELECT on
-- the report_* views only (the views run with their owner's rights, so the raw tables stay closed).
-- Operators grant it to their analysts' logins: GRANT wirewatch_reader TO alice;
-- Roles belong to the cluster, not the database: create it only once.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wirewatch_reader') THEN
        CREATE ROLE wirewatch_reader NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- another database's migration created it at the same moment
END
$$;
COMMENT ON ROLE wirewatch_reader IS 'wirewatch: SELECT on the report_* views of the warehouse, nothing else (grant it to analysts'' logins).';

-- Keeps the grants in step with the views: the migration runner calls it after every migration, so
-- a report_* view added later is readable at once. (ALTER DEFAULT PRIVILEGES cannot tell a report
-- view from a raw table, so it would open the raw tables too.)
CREATE OR REPLACE FUNCTION wirewatch_grant_reader() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    view_name text;
    granted integer := 0;
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO wirewatch_reader', current_schema());
    FOR view_name IN
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm') AND c.relname LIKE 'report\_%'
    LOOP
        EXECUTE format('GRANT SELECT ON %I TO wirewatch_reader', view_name);
        granted := granted + 1;
    END LOOP;
    RETURN granted;
END
$$;
COMMENT ON FUNCTION wirewatch_grant_reader() IS 'Grants wirewatch_reader SELECT on every report_* view (run by the migration runner after each migration); returns how many.';
REVOKE EXECUTE ON FUNCTION wirewatch_grant_reader() FROM PUBLIC;

-- Nobody but the owner creates objects in the schema (PostgreSQL 15's default; older servers let
-- every role create tables in public).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

SELECT wirewatch_grant_reader();
