ALTER TABLE "connections" ADD COLUMN "last_tls" jsonb;
