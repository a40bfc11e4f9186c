import { check, foreignKey, index, integer, pgTable, text, unique, uuid, varchar } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { createdAt, id, updatedAt } from './_columns';
import { users } from './auth';
import { workspaceRole } from './enums';

/**
 * `member_count` is maintained by a trigger on `workspace_members`
 * (migration 0001), so it is right whoever inserts or deletes a membership.
 */
export const workspaces = pgTable(
  'workspaces',
  {
    id: id(),
    name: varchar('name', { length: 100 }).notNull(),
    slug: varchar('slug', { length: 64 }).notNull(),
    description: text('description'),
    createdBy: uuid('created_by'),
    memberCount: integer('member_count').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('workspaces_slug_key').on(t.slug),
    check('workspaces_slug_check', sql`${t.slug} ~ '^[a-z0-9]+(-[a-z0-9]+)*$'`),
    check('workspaces_member_count_check', sql`${t.memberCount} >= 0`),
    index('workspaces_name_idx').on(t.name),
    foreignKey({ name: 'workspaces_created_by_fkey', columns: [t.createdBy], foreignColumns: [users.id] }).onDelete(
      'set null',
    ),
  ],
);

export const workspaceMembers = pgTable(
  'workspace_members',
  {
    id: id(),
    workspaceId: uuid('workspace_id').notNull(),
    userId: uuid('user_id').notNull(),
    role: workspaceRole('role').notNull().default('Member'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('workspace_members_workspace_user_key').on(t.workspaceId, t.userId),
    index('workspace_members_user_id_idx').on(t.userId),
    foreignKey({
      name: 'workspace_members_workspace_id_fkey',
      columns: [t.workspaceId],
      foreignColumns: [workspaces.id],
    }).onDelete('cascade'),
    foreignKey({ name: 'workspace_members_user_id_fkey', columns: [t.userId], foreignColumns: [users.id] }).onDelete(
      'cascade',
    ),
  ],
);

export type Workspace = typeof workspaces.$inferSelect;
export type NewWorkspace = typeof workspaces.$inferInsert;
export type WorkspaceMember = typeof workspaceMembers.$inferSelect;
export type NewWorkspaceMember = typeof workspaceMembers.$inferInsert;
