-- Reverses 0011_connection_last_tls.sql.
ALTER TABLE "connections" DROP COLUMN IF EXISTS "last_tls";
