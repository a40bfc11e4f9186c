-- Reverses 0008_backup_runs.sql.
DROP INDEX IF EXISTS "backup_runs_started_at_idx";
ALTER TABLE "backup_runs" DROP CONSTRAINT IF EXISTS "backup_runs_requested_by_fkey";
DROP TABLE IF EXISTS "backup_runs";
