-- Reverses 0006_console_queries.sql. Check every statement, write what is listed as manual, then delete the marker line above.
DROP INDEX IF EXISTS "saved_queries_connection_id_idx";
DROP INDEX IF EXISTS "saved_queries_workspace_id_updated_at_idx";
DROP INDEX IF EXISTS "console_history_ran_at_idx";
DROP INDEX IF EXISTS "console_history_user_connection_ran_at_idx";
ALTER TABLE "saved_queries" DROP CONSTRAINT IF EXISTS "saved_queries_created_by_fkey";
ALTER TABLE "saved_queries" DROP CONSTRAINT IF EXISTS "saved_queries_connection_id_fkey";
ALTER TABLE "saved_queries" DROP CONSTRAINT IF EXISTS "saved_queries_workspace_id_fkey";
ALTER TABLE "console_history" DROP CONSTRAINT IF EXISTS "console_history_user_id_fkey";
ALTER TABLE "console_history" DROP CONSTRAINT IF EXISTS "console_history_connection_id_fkey";
ALTER TABLE "console_history" DROP CONSTRAINT IF EXISTS "console_history_workspace_id_fkey";
ALTER TABLE "connections" DROP COLUMN IF EXISTS "console_access";
DROP TABLE IF EXISTS "saved_queries";
DROP TABLE IF EXISTS "console_history";
DROP TYPE IF EXISTS "public"."console_run_outcome";
DROP TYPE IF EXISTS "public"."console_access";
