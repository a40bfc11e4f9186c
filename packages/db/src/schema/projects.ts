import { foreignKey, index, jsonb, pgTable, text, unique, uuid, varchar } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './_columns';
import { users } from './auth';
import { connections } from './connections';
import { workspaces } from './workspaces';

/**
 * Import projects (F13). A project keeps existing when its connection is
 * deleted (`connection_id` → NULL, ADR-005); importing then fails with a
 * clear "project has no connection" error instead of guessing one.
 */
export const projects = pgTable(
  'projects',
  {
    id: id(),
    workspaceId: uuid('workspace_id').notNull(),
    name: varchar('name', { length: 100 }).notNull(),
    description: text('description'),
    connectionId: uuid('connection_id'),
    config: jsonb('config').$type<Record<string, unknown>>().notNull().default({}),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('projects_workspace_name_key').on(t.workspaceId, t.name),
    index('projects_connection_id_idx').on(t.connectionId),
    foreignKey({ name: 'projects_workspace_id_fkey', columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete(
      'cascade',
    ),
    foreignKey({
      name: 'projects_connection_id_fkey',
      columns: [t.connectionId],
      foreignColumns: [connections.id],
    }).onDelete('set null'),
    foreignKey({ name: 'projects_created_by_fkey', columns: [t.createdBy], foreignColumns: [users.id] }).onDelete(
      'set null',
    ),
  ],
);

export type Project = typeof projects.$inferSelect;
export type NewProject = typeof projects.$inferInsert;
