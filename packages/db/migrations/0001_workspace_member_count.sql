-- workspaces.member_count follows workspace_members, whoever writes them
-- (API, seed, psql). Row-level UPDATE takes the workspace row lock, so
-- concurrent joins and leaves count correctly.
CREATE FUNCTION "workspace_member_count_sync"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE "workspaces" SET "member_count" = "member_count" + 1 WHERE "id" = NEW."workspace_id";
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    UPDATE "workspaces" SET "member_count" = "member_count" - 1 WHERE "id" = OLD."workspace_id";
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "workspace_members_count_insert_delete"
  AFTER INSERT OR DELETE ON "workspace_members"
  FOR EACH ROW EXECUTE FUNCTION "workspace_member_count_sync"();
--> statement-breakpoint
CREATE TRIGGER "workspace_members_count_move"
  AFTER UPDATE OF "workspace_id" ON "workspace_members"
  FOR EACH ROW WHEN (OLD."workspace_id" IS DISTINCT FROM NEW."workspace_id")
  EXECUTE FUNCTION "workspace_member_count_sync"();
--> statement-breakpoint
UPDATE "workspaces" AS w
SET "member_count" = (SELECT count(*) FROM "workspace_members" m WHERE m."workspace_id" = w."id");
