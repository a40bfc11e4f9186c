-- Reverses 0003_people_accounts.sql: invite/reset links, account state columns, session details.
-- Stored session ids are hashes that cannot be turned back into lucia ids: every session ends.
DELETE FROM "sessions";
DROP TABLE "account_tokens";
DROP TYPE "public"."account_token_kind";
ALTER TABLE "users" DROP COLUMN "last_sign_in_at";
ALTER TABLE "users" DROP COLUMN "deactivated_at";
ALTER TABLE "users" DROP COLUMN "must_change_password";
ALTER TABLE "sessions" DROP COLUMN "last_used_at";
ALTER TABLE "sessions" DROP COLUMN "user_agent";
ALTER TABLE "sessions" DROP COLUMN "ip";
