-- Reverses 0000_initial.sql: tables from the most dependent to the least
-- (their indexes and constraints go with them), then the enum types.
-- No CASCADE and no IF EXISTS: if something unexpected depends on these
-- objects, the revert fails and rolls back instead of dropping it silently.
DROP TABLE "audit_log";
DROP TABLE "projects";
DROP TABLE "api_tokens";
DROP TABLE "stored_procedures";
DROP TABLE "environments";
DROP TABLE "connection_access";
DROP TABLE "connections";
DROP TABLE "workspace_members";
DROP TABLE "workspaces";
DROP TABLE "sessions";
DROP TABLE "users";
DROP TABLE "roles";
DROP TYPE "public"."audit_outcome";
DROP TYPE "public"."connection_access_level";
DROP TYPE "public"."connection_status";
DROP TYPE "public"."connection_type";
DROP TYPE "public"."stored_procedure_status";
DROP TYPE "public"."workspace_role";
