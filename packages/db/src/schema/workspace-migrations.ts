import { sql } from 'drizzle-orm';
import { check, foreignKey, index, integer, jsonb, pgTable, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { updatedAt } from './_columns';
import { connections } from './connections';
import { workspaces } from './workspaces';

/** A migration that is in the folder but not applied to the workspace database. */
export interface PendingWorkspaceMigration {
  version: number;
  name: string;
}

/** Why a workspace database's history disagrees with the migrations folder (F5 drift). */
export interface WorkspaceSchemaProblem {
  kind: 'checksum_mismatch' | 'unknown_version' | 'missing_version';
  version: number;
  message: string;
}

/** The last failure seen for this database: a migration run or the validation itself. No secrets. */
export interface WorkspaceSchemaError {
  /** `MIGRATION_FAILED`, `MIGRATION_LOCKED`, `POOL_CREATE`, … */
  code: string;
  /** SQL Server error number, when the server gave one. */
  number: number | null;
  message: string;
  /** The migration that failed, when one did. */
  version: number | null;
  at: string;
}

/** The last migration run against this database (apply, rollback or auto-apply on environment save). */
export interface WorkspaceMigrationRun {
  operation: 'apply' | 'rollback';
  outcome: 'applied' | 'current' | 'rolled_back' | 'failed';
  from: number | null;
  to: number | null;
  at: string;
  durationMs: number;
}

/**
 * What the API last learned about a workspace SQL Server database's schema (F5), one row per
 * connection: written when a pool is created (validation), after every migration run, and on
 * status calls. The history itself lives inside the workspace database; this is the cached view
 * that environments.list/get and workspaceMigrations.status show without a round trip.
 */
export const workspaceSchemaStatus = pgTable(
  'workspace_schema_status',
  {
    connectionId: uuid('connection_id').primaryKey(),
    workspaceId: uuid('workspace_id').notNull(),
    /** uninitialised | needs_migration | current | drifted, or unknown when the check itself failed. */
    status: varchar('status', { length: 32 }).notNull(),
    currentVersion: integer('current_version'),
    latestVersion: integer('latest_version').notNull(),
    pending: jsonb('pending').$type<PendingWorkspaceMigration[]>().notNull().default([]),
    problems: jsonb('problems').$type<WorkspaceSchemaProblem[]>().notNull().default([]),
    lastError: jsonb('last_error').$type<WorkspaceSchemaError>(),
    lastRun: jsonb('last_run').$type<WorkspaceMigrationRun>(),
    checkedAt: timestamp('checked_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check(
      'workspace_schema_status_status_check',
      sql`${t.status} in ('uninitialised', 'needs_migration', 'current', 'drifted', 'unknown')`,
    ),
    index('workspace_schema_status_workspace_id_idx').on(t.workspaceId),
    foreignKey({
      name: 'workspace_schema_status_connection_id_fkey',
      columns: [t.connectionId],
      foreignColumns: [connections.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'workspace_schema_status_workspace_id_fkey',
      columns: [t.workspaceId],
      foreignColumns: [workspaces.id],
    }).onDelete('cascade'),
  ],
);

export type WorkspaceSchemaStatusRow = typeof workspaceSchemaStatus.$inferSelect;
