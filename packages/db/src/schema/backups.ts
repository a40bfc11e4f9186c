import { bigint, check, foreignKey, index, integer, jsonb, pgTable, text, timestamp, unique, uuid, varchar } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { users } from './auth';
import { id } from './_columns';

/** What a finished backup's manifest says, kept with its run so the list needs no file access. */
export interface BackupRunSummary {
  engine: 'pg' | 'pglite';
  appVersion: string;
  migration: string | null;
  tables: number;
  rows: number;
  payloadSha256: string;
}

/**
 * One backup attempt of the system database, from the Backups page, the REST API or the schedule.
 * `scheduled_for` is unique: of several instances woken by the same cron tick, the one whose
 * insert wins runs it. The file itself lives in the backup folder of the instance that wrote it.
 */
export const backupRuns = pgTable(
  'backup_runs',
  {
    id: id(),
    trigger: varchar('trigger', { length: 16 }).notNull(),
    scheduledFor: timestamp('scheduled_for', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    outcome: varchar('outcome', { length: 16 }).notNull().default('running'),
    fileName: text('file_name'),
    bytes: bigint('bytes', { mode: 'number' }),
    durationMs: integer('duration_ms'),
    summary: jsonb('summary').$type<BackupRunSummary>(),
    error: text('error'),
    requestedBy: uuid('requested_by'),
  },
  (t) => [
    unique('backup_runs_scheduled_for_key').on(t.scheduledFor),
    index('backup_runs_started_at_idx').on(t.startedAt.desc()),
    check('backup_runs_trigger_check', sql`${t.trigger} in ('manual', 'scheduled')`),
    check('backup_runs_outcome_check', sql`${t.outcome} in ('running', 'success', 'failure')`),
    foreignKey({ name: 'backup_runs_requested_by_fkey', columns: [t.requestedBy], foreignColumns: [users.id] }).onDelete('set null'),
  ],
);

export type BackupRun = typeof backupRuns.$inferSelect;
