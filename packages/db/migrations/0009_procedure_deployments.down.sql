-- Reverses 0009_procedure_deployments.sql.
DROP INDEX IF EXISTS "procedure_deployments_environment_id_idx";
ALTER TABLE "procedure_deployments" DROP CONSTRAINT IF EXISTS "procedure_deployments_deployed_by_fkey";
ALTER TABLE "procedure_deployments" DROP CONSTRAINT IF EXISTS "procedure_deployments_environment_id_fkey";
ALTER TABLE "procedure_deployments" DROP CONSTRAINT IF EXISTS "procedure_deployments_procedure_id_fkey";
DROP TABLE IF EXISTS "procedure_deployments";
