-- Reverses 0002_workspace_schema_status.sql: the cached workspace schema status (F5) and the
-- per-environment auto-migrate opt-out. The history inside each workspace database is untouched.
DROP TABLE "workspace_schema_status";
ALTER TABLE "environments" DROP COLUMN "auto_migrate";
