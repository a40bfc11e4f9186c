// Backups of the system database taken by the running app: on request (Backups page, REST) or on
// the BACKUP_SCHEDULE cron. Each attempt is a backup_runs row, logged and audited; retention runs
// only after a backup succeeded. The file format and restore live in @studio/db/backup.
import { createReadStream, readFileSync, type ReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { createBackup, pruneBackups, withSession, type Database } from '@studio/db';
import { backupRuns, type BackupRun } from '@studio/db/schema';
import { Cron } from 'croner';
import { and, desc, eq, lt, or } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { AuditActor, AuditService } from './audit';
import { ConflictError, InvalidInputError, NotFoundError } from './errors';
import { keysetPage, type Page } from './pagination';
import { atomically, scopedDatabase } from './unit-of-work';

export interface BackupConfig {
  /** BACKUP_DIR: where this instance writes and serves backup files. */
  dir: string;
  /** BACKUP_KEEP: the newest N are kept (0 = no count limit). */
  keep: number;
  /** BACKUP_MAX_AGE_DAYS: older ones are removed (0 = no age limit). */
  maxAgeDays: number;
  /** BACKUP_SCHEDULE: cron expression (UTC); undefined = no scheduled backups. */
  schedule: string | undefined;
  /** Recorded in each manifest. */
  appVersion: string;
}

export interface BackupRunView {
  id: string;
  trigger: 'manual' | 'scheduled';
  outcome: 'running' | 'success' | 'failure';
  startedAt: Date;
  finishedAt: Date | null;
  fileName: string | null;
  bytes: number | null;
  durationMs: number | null;
  summary: BackupRun['summary'];
  error: string | null;
  /** The file is in this instance's backup folder (not pruned, not written by another instance). */
  downloadable: boolean;
}

/** The API package's version, written into each manifest. */
export const API_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

// Any fixed 64-bit number, distinct from the migration lock.
const BACKUP_LOCK_KEY = '8170217452301766008';
const FILE_NAME = /^studio-[0-9TZ]+-[0-9a-f]{4}\.studio-backup$/;

export class BackupService {
  #running = false;
  #lastSuccessAt: Date | undefined;
  #cron: Cron | undefined;

  constructor(
    private readonly database: Database,
    readonly config: BackupConfig,
    private readonly audit: AuditService,
    private readonly logger: Logger,
  ) {}

  /** The system database as services hold it: joins the transaction of an `atomically` scope. */
  get #db() {
    return scopedDatabase(this.database.db);
  }

  /** When this system database last got a successful backup (any instance); for the metric. */
  get lastSuccessAt(): Date | undefined {
    return this.#lastSuccessAt;
  }

  async refreshLastSuccess(): Promise<void> {
    const [row] = await this.database.db
      .select({ at: backupRuns.finishedAt })
      .from(backupRuns)
      .where(eq(backupRuns.outcome, 'success'))
      .orderBy(desc(backupRuns.finishedAt))
      .limit(1);
    if (row?.at) this.#lastSuccessAt = row.at;
  }

  /**
   * Takes a backup now. Refused with a conflict while another one runs, in this instance or (on
   * PostgreSQL) any other: the advisory lock is held for the whole run.
   */
  async run(request: { trigger: 'manual' | 'scheduled'; actor: AuditActor | null; scheduledFor?: Date }): Promise<BackupRunView> {
    if (this.#running) throw new ConflictError('A backup is already running', { reason: 'backup_in_progress' });
    this.#running = true;
    try {
      return await this.#withLock(async () => {
        const [run] = await this.database.db
          .insert(backupRuns)
          .values({ trigger: request.trigger, scheduledFor: request.scheduledFor ?? null, requestedBy: request.actor?.userId ?? null })
          .onConflictDoNothing({ target: backupRuns.scheduledFor })
          .returning();
        // Another instance claimed this cron tick first.
        if (!run) throw new ConflictError('This scheduled backup was taken by another instance', { reason: 'backup_in_progress' });
        return this.#execute(run, request.actor);
      });
    } finally {
      this.#running = false;
    }
  }

  async #withLock<T>(fn: () => Promise<T>): Promise<T> {
    if (this.database.kind === 'pglite') return fn();
    return withSession(this.database, async (session) => {
      const [row] = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [BACKUP_LOCK_KEY]);
      if (!row?.locked) throw new ConflictError('A backup is already running on another instance', { reason: 'backup_in_progress' });
      try {
        return await fn();
      } finally {
        await session.query('SELECT pg_advisory_unlock($1::bigint)', [BACKUP_LOCK_KEY]);
      }
    });
  }

  async #execute(run: BackupRun, actor: AuditActor | null): Promise<BackupRunView> {
    const auditTarget = { type: 'backup', id: run.id };
    try {
      const result = await createBackup(this.database, { dir: this.config.dir, appVersion: this.config.appVersion });
      const { manifest } = result;
      const summary = {
        engine: manifest.source.engine,
        appVersion: manifest.appVersion,
        migration: manifest.migrations.at(-1) ?? null,
        tables: manifest.tables.length,
        rows: manifest.tables.reduce((sum, table) => sum + table.rows, 0),
        payloadSha256: manifest.payloadSha256,
      };
      // The run's success and its audit row commit together; retention runs once they have, so a
      // run that could not be recorded (and answers as failed) never cost an older backup.
      const done = await atomically(this.#db, async () => {
        const [done] = await this.#db
          .update(backupRuns)
          .set({ outcome: 'success', finishedAt: new Date(), fileName: result.name, bytes: result.bytes, durationMs: result.durationMs, summary })
          .where(eq(backupRuns.id, run.id))
          .returning();
        await this.audit.record({
          actor,
          action: 'backup.create',
          target: auditTarget,
          outcome: 'success',
          details: { trigger: run.trigger, file: result.name, bytes: result.bytes, durationMs: result.durationMs },
        });
        return done;
      });
      this.#lastSuccessAt = done?.finishedAt ?? new Date();
      const pruned = await pruneBackups(this.config.dir, { keep: this.config.keep, maxAgeDays: this.config.maxAgeDays });
      this.logger.info({ backup: result.name, bytes: result.bytes, durationMs: result.durationMs, trigger: run.trigger, pruned }, 'system database backup written');
      // Files, not rows: no transaction to join, so this row follows the deletion (a failed write is counted).
      if (pruned.length > 0) await this.audit.record({ actor, action: 'backup.prune', target: auditTarget, outcome: 'success', details: { trigger: run.trigger, pruned } });
      return this.#view(done ?? run);
    } catch (error) {
      const message = (error as Error).message;
      const [failed] = await this.database.db
        .update(backupRuns)
        .set({ outcome: 'failure', finishedAt: new Date(), error: message.slice(0, 2000) })
        .where(eq(backupRuns.id, run.id))
        .returning();
      this.logger.error({ err: { message }, trigger: run.trigger }, 'system database backup failed');
      await this.audit.record({ actor, action: 'backup.create', target: auditTarget, outcome: 'failure', details: { trigger: run.trigger, error: message } });
      return this.#view(failed ?? run);
    }
  }

  /** Newest first; keyset on (started_at, id). */
  async list(input: { limit: number; cursor?: string | undefined }): Promise<Page<BackupRunView>> {
    let after: { at: Date; id: string } | undefined;
    if (input.cursor) {
      const [at, id] = input.cursor.split('|');
      const time = new Date(at ?? '');
      if (!id || Number.isNaN(time.getTime())) throw new InvalidInputError('cursor', 'cursor is not one this list returned');
      after = { at: time, id };
    }
    const rows = await this.database.db
      .select()
      .from(backupRuns)
      .where(after ? or(lt(backupRuns.startedAt, after.at), and(eq(backupRuns.startedAt, after.at), lt(backupRuns.id, after.id))) : undefined)
      .orderBy(desc(backupRuns.startedAt), desc(backupRuns.id))
      .limit(input.limit + 1);
    const views = await Promise.all(rows.map((row) => this.#view(row)));
    return keysetPage(views, input.limit, (view) => `${view.startedAt.toISOString()}|${view.id}`);
  }

  async get(id: string): Promise<BackupRunView> {
    const [row] = await this.database.db.select().from(backupRuns).where(eq(backupRuns.id, id));
    if (!row) throw new NotFoundError('Backup', { backupId: id });
    return this.#view(row);
  }

  /** The file of a downloadable run; the name comes from our own row and is checked again. */
  openFile(view: BackupRunView): ReadStream {
    if (!view.downloadable || !view.fileName || !FILE_NAME.test(view.fileName)) throw new NotFoundError('Backup file', { backupId: view.id });
    return createReadStream(path.join(this.config.dir, view.fileName));
  }

  async #view(row: BackupRun): Promise<BackupRunView> {
    const downloadable =
      row.outcome === 'success' && row.fileName !== null && FILE_NAME.test(row.fileName)
        ? await access(path.join(this.config.dir, row.fileName)).then(
            () => true,
            () => false,
          )
        : false;
    return {
      id: row.id,
      trigger: row.trigger === 'scheduled' ? 'scheduled' : 'manual',
      outcome: row.outcome === 'success' || row.outcome === 'failure' ? row.outcome : 'running',
      startedAt: row.startedAt,
      finishedAt: row.finishedAt,
      fileName: row.fileName,
      bytes: row.bytes,
      durationMs: row.durationMs,
      summary: row.summary,
      error: row.error,
      downloadable,
    };
  }

  /**
   * Starts the BACKUP_SCHEDULE cron (UTC). Every instance runs the timer; each tick is claimed by
   * one of them (the unique scheduled_for), so the backup is taken once.
   */
  startSchedule(): void {
    if (!this.config.schedule || this.#cron) return;
    this.#cron = new Cron(this.config.schedule, { timezone: 'UTC', protect: true, unref: true }, async (job: Cron) => {
      const scheduledFor = job.currentRun() ?? new Date();
      scheduledFor.setMilliseconds(0);
      await this.runScheduled(scheduledFor);
    });
    this.logger.info({ schedule: this.config.schedule, next: this.#cron.nextRun()?.toISOString() }, 'scheduled backups on');
  }

  /** One cron tick; exported for tests that drive ticks without waiting for the clock. */
  async runScheduled(scheduledFor: Date): Promise<BackupRunView | undefined> {
    try {
      return await this.run({ trigger: 'scheduled', actor: null, scheduledFor });
    } catch (error) {
      if (error instanceof ConflictError) return undefined;
      this.logger.error({ err: { message: (error as Error).message } }, 'scheduled backup could not start');
      return undefined;
    }
  }

  stopSchedule(): void {
    this.#cron?.stop();
    this.#cron = undefined;
  }
}
