-- Reverses 0001_workspace_member_count.sql. member_count keeps its last value.
DROP TRIGGER IF EXISTS "workspace_members_count_move" ON "workspace_members";
DROP TRIGGER IF EXISTS "workspace_members_count_insert_delete" ON "workspace_members";
DROP FUNCTION IF EXISTS "workspace_member_count_sync"();
