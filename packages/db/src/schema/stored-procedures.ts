import { sql } from 'drizzle-orm';
import { check, foreignKey, index, pgTable, text, timestamp, unique, uuid, varchar } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './_columns';
import { users } from './auth';
import { storedProcedureStatus } from './enums';
import { workspaces } from './workspaces';

/**
 * SQL editor metadata, exactly seed 003's table: one row per procedure with
 * its draft and last published text. The procedure itself lives in the
 * workspace's SQL Server. 128 is SQL Server's identifier limit (sysname).
 */
export const storedProcedures = pgTable(
  'stored_procedures',
  {
    id: id(),
    workspaceId: uuid('workspace_id').notNull(),
    name: varchar('name', { length: 128 }).notNull(),
    status: storedProcedureStatus('status').notNull().default('draft'),
    sqlDraft: text('sql_draft').notNull().default(''),
    sqlPublished: text('sql_published'),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('stored_procedures_workspace_name_key').on(t.workspaceId, t.name),
    // Serves "procedures of a workspace, most recently edited first" and any lookup by workspace_id.
    index('stored_procedures_workspace_id_updated_at_idx').on(t.workspaceId, t.updatedAt.desc()),
    check(
      'stored_procedures_published_check',
      sql`${t.status} = 'draft' or (${t.sqlPublished} is not null and ${t.publishedAt} is not null)`,
    ),
    foreignKey({
      name: 'stored_procedures_workspace_id_fkey',
      columns: [t.workspaceId],
      foreignColumns: [workspaces.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'stored_procedures_created_by_fkey',
      columns: [t.createdBy],
      foreignColumns: [users.id],
    }).onDelete('set null'),
  ],
);

export type StoredProcedure = typeof storedProcedures.$inferSelect;
export type NewStoredProcedure = typeof storedProcedures.$inferInsert;
