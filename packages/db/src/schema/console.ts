import { sql } from 'drizzle-orm';
import { check, foreignKey, index, integer, pgTable, text, timestamp, unique, uuid, varchar } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './_columns';
import { users } from './auth';
import { connections } from './connections';
import { consoleRunOutcome } from './enums';
import { workspaces } from './workspaces';

/**
 * Query console history: one row per run by a person, visible only to them, per connection. Kept
 * 90 days (the API prunes). Parameter values are never stored; the text is what the person typed.
 */
export const consoleHistory = pgTable(
  'console_history',
  {
    id: id(),
    workspaceId: uuid('workspace_id').notNull(),
    connectionId: uuid('connection_id').notNull(),
    userId: uuid('user_id').notNull(),
    sql: text('sql').notNull(),
    outcome: consoleRunOutcome('outcome').notNull(),
    durationMs: integer('duration_ms').notNull(),
    /** Rows returned over all result sets plus rows affected. */
    rowCount: integer('row_count').notNull(),
    errorCode: varchar('error_code', { length: 64 }),
    ranAt: timestamp('ran_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Serves "my runs on this connection, newest first" (the history panel).
    index('console_history_user_connection_ran_at_idx').on(t.userId, t.connectionId, t.ranAt.desc()),
    // Serves the 90-day prune.
    index('console_history_ran_at_idx').on(t.ranAt),
    check('console_history_duration_check', sql`${t.durationMs} >= 0`),
    foreignKey({ name: 'console_history_workspace_id_fkey', columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    foreignKey({ name: 'console_history_connection_id_fkey', columns: [t.connectionId], foreignColumns: [connections.id] }).onDelete('cascade'),
    foreignKey({ name: 'console_history_user_id_fkey', columns: [t.userId], foreignColumns: [users.id] }).onDelete('cascade'),
  ],
);

/** Named queries shared by everyone in the workspace; optionally tied to a connection. */
export const savedQueries = pgTable(
  'saved_queries',
  {
    id: id(),
    workspaceId: uuid('workspace_id').notNull(),
    connectionId: uuid('connection_id'),
    name: varchar('name', { length: 200 }).notNull(),
    description: text('description'),
    sql: text('sql').notNull(),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('saved_queries_workspace_name_key').on(t.workspaceId, t.name),
    index('saved_queries_workspace_id_updated_at_idx').on(t.workspaceId, t.updatedAt.desc()),
    index('saved_queries_connection_id_idx').on(t.connectionId),
    foreignKey({ name: 'saved_queries_workspace_id_fkey', columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    foreignKey({ name: 'saved_queries_connection_id_fkey', columns: [t.connectionId], foreignColumns: [connections.id] }).onDelete('set null'),
    foreignKey({ name: 'saved_queries_created_by_fkey', columns: [t.createdBy], foreignColumns: [users.id] }).onDelete('set null'),
  ],
);

export type ConsoleHistoryRow = typeof consoleHistory.$inferSelect;
export type SavedQuery = typeof savedQueries.$inferSelect;
