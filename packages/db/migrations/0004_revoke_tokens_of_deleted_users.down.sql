-- Reverses 0004_revoke_tokens_of_deleted_users.sql. Tokens already revoked stay revoked.
DROP TRIGGER IF EXISTS "users_revoke_api_tokens" ON "users";
DROP FUNCTION IF EXISTS "api_tokens_revoke_of_deleted_user"();
