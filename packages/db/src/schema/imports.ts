import { sql } from 'drizzle-orm';
import { bigint, char, check, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { users } from './auth';
import { projects } from './projects';
import { workspaces } from './workspaces';

/** Why a run failed, in the API's error shape (never a credential or a driver's raw text about one). */
export interface ImportRunError {
  error: string;
  message: string;
  details: Record<string, unknown>;
}

/**
 * One CSV import into a table of a project's connection (F13). The row outlives its project
 * (`project_id` → NULL, `project_name` keeps the name) and its author; `outcome` stays 'running'
 * while `heartbeat_at` moves, and a run whose instance stopped beating is marked 'interrupted'.
 */
export const importRuns = pgTable(
  'import_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id').notNull(),
    projectId: uuid('project_id'),
    projectName: varchar('project_name', { length: 100 }).notNull(),
    connectionId: uuid('connection_id'),
    /** `schema.table` as the catalogue spells it. */
    targetTable: text('target_table').notNull(),
    fileName: text('file_name').notNull(),
    /** Bytes received; the whole file's size once the run has read it all. */
    fileBytes: bigint('file_bytes', { mode: 'number' }),
    /** Lower-case hex SHA-256 of the file, known once it was read to the end. */
    sha256: char('sha256', { length: 64 }),
    /** The file's header (or the table's columns when it has none): the rejects file repeats it. */
    fileColumns: jsonb('file_columns').$type<string[]>().notNull().default([]),
    mode: varchar('mode', { length: 16 }).notNull(),
    errorPolicy: varchar('error_policy', { length: 16 }).notNull(),
    maxRejects: integer('max_rejects').notNull(),
    startedBy: uuid('started_by'),
    /** The person's user name or `token:<prefix>`: kept when the user is deleted. */
    startedByName: varchar('started_by_name', { length: 200 }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull().defaultNow(),
    /** The API process running it (a fresh id per start), so another one can tell its own runs apart. */
    instanceId: varchar('instance_id', { length: 64 }).notNull(),
    outcome: varchar('outcome', { length: 16 }).notNull().default('running'),
    /** Set by whichever instance was asked to cancel; the instance running it stops at its next heartbeat. */
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true }),
    bytesRead: bigint('bytes_read', { mode: 'number' }).notNull().default(0),
    rowsRead: bigint('rows_read', { mode: 'number' }).notNull().default(0),
    rowsWritten: bigint('rows_written', { mode: 'number' }).notNull().default(0),
    rowsRejected: integer('rows_rejected').notNull().default(0),
    error: jsonb('error').$type<ImportRunError>(),
  },
  (t) => [
    index('import_runs_workspace_started_idx').on(t.workspaceId, t.startedAt.desc()),
    index('import_runs_project_started_idx').on(t.projectId, t.startedAt.desc()),
    // One running import per target table, whichever instance started it.
    uniqueIndex('import_runs_one_running_per_table_key').on(t.connectionId, t.targetTable).where(sql`${t.outcome} = 'running'`),
    check('import_runs_mode_check', sql`${t.mode} in ('insert', 'upsert', 'replace')`),
    check('import_runs_error_policy_check', sql`${t.errorPolicy} in ('all-or-nothing', 'skip')`),
    check('import_runs_outcome_check', sql`${t.outcome} in ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')`),
    foreignKey({ name: 'import_runs_workspace_id_fkey', columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    foreignKey({ name: 'import_runs_project_id_fkey', columns: [t.projectId], foreignColumns: [projects.id] }).onDelete('set null'),
    foreignKey({ name: 'import_runs_started_by_fkey', columns: [t.startedBy], foreignColumns: [users.id] }).onDelete('set null'),
  ],
);

/**
 * A row the run set aside (or, all-or-nothing, the rows that failed it): where, which column, why,
 * and the row's fields as read, so the rejects file can be fixed and imported again.
 */
export const importRejects = pgTable(
  'import_rejects',
  {
    runId: uuid('run_id').notNull(),
    /** 1 = the first data row after the header. */
    rowNumber: bigint('row_number', { mode: 'number' }).notNull(),
    /** The line of the file the row starts on (rows may span lines). */
    line: bigint('line', { mode: 'number' }).notNull(),
    columnName: text('column_name'),
    valueExcerpt: text('value_excerpt'),
    reason: text('reason').notNull(),
    /** The row's fields as parsed (null = NULL), each cut to a bounded length. */
    fields: jsonb('fields').$type<(string | null)[]>().notNull(),
  },
  (t) => [
    primaryKey({ name: 'import_rejects_pkey', columns: [t.runId, t.rowNumber] }),
    foreignKey({ name: 'import_rejects_run_id_fkey', columns: [t.runId], foreignColumns: [importRuns.id] }).onDelete('cascade'),
  ],
);

export type ImportRun = typeof importRuns.$inferSelect;
export type ImportReject = typeof importRejects.$inferSelect;
