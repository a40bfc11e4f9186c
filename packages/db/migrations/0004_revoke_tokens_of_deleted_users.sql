-- A token a person made acts only while that person is a member of its workspace (the API checks
-- on every request). Deleting the person sets api_tokens.created_by to NULL, which would make
-- their tokens look like tokens no one made, with their own role and budget; so they are revoked
-- first, whoever deletes the user (API, seed, psql).
CREATE FUNCTION "api_tokens_revoke_of_deleted_user"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "api_tokens" SET "revoked_at" = now() WHERE "created_by" = OLD."id" AND "revoked_at" IS NULL;
  RETURN OLD;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "users_revoke_api_tokens"
  BEFORE DELETE ON "users"
  FOR EACH ROW EXECUTE FUNCTION "api_tokens_revoke_of_deleted_user"();
