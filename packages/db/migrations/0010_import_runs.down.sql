-- Reverses 0010_import_runs.sql. projects is unchanged by 0010 (it already had its
-- connection_id ON DELETE SET NULL from 0000).
DROP INDEX IF EXISTS "import_runs_one_running_per_table_key";
DROP INDEX IF EXISTS "import_runs_project_started_idx";
DROP INDEX IF EXISTS "import_runs_workspace_started_idx";
ALTER TABLE "import_rejects" DROP CONSTRAINT IF EXISTS "import_rejects_run_id_fkey";
ALTER TABLE "import_runs" DROP CONSTRAINT IF EXISTS "import_runs_started_by_fkey";
ALTER TABLE "import_runs" DROP CONSTRAINT IF EXISTS "import_runs_project_id_fkey";
ALTER TABLE "import_runs" DROP CONSTRAINT IF EXISTS "import_runs_workspace_id_fkey";
DROP TABLE IF EXISTS "import_rejects";
DROP TABLE IF EXISTS "import_runs";
