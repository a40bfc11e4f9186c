import { sql } from 'drizzle-orm';
import { boolean, foreignKey, index, pgTable, text, unique, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './_columns';
import { users } from './auth';
import { connections } from './connections';
import { workspaces } from './workspaces';

/**
 * Named environments of a workspace (F3). `connection_id` becomes NULL when
 * its connection is deleted (ADR-005): the environment stays, unconfigured.
 * At most one default per workspace is enforced here; "at least one" is the
 * API's job because it spans rows.
 */
export const environments = pgTable(
  'environments',
  {
    id: id(),
    workspaceId: uuid('workspace_id').notNull(),
    name: varchar('name', { length: 100 }).notNull(),
    description: text('description'),
    isDefault: boolean('is_default').notNull().default(false),
    connectionId: uuid('connection_id'),
    /** Apply workspace migrations (F5) when the environment is saved with a new or changed connection. */
    autoMigrate: boolean('auto_migrate').notNull().default(true),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('environments_workspace_name_key').on(t.workspaceId, t.name),
    uniqueIndex('environments_workspace_default_key').on(t.workspaceId).where(sql`is_default`),
    index('environments_connection_id_idx').on(t.connectionId),
    foreignKey({
      name: 'environments_workspace_id_fkey',
      columns: [t.workspaceId],
      foreignColumns: [workspaces.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'environments_connection_id_fkey',
      columns: [t.connectionId],
      foreignColumns: [connections.id],
    }).onDelete('set null'),
    foreignKey({ name: 'environments_created_by_fkey', columns: [t.createdBy], foreignColumns: [users.id] }).onDelete(
      'set null',
    ),
  ],
);

export type Environment = typeof environments.$inferSelect;
export type NewEnvironment = typeof environments.$inferInsert;
