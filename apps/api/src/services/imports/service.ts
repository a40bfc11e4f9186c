// CSV import runs (seed 004): validation before any row is written (project, connection, table,
// header), then the rows streamed into one transaction on the project's connection, with progress,
// rejects, cancel, and a history row that says how it ended. A run is answered as soon as it is
// validated; the rest of the upload is read and written after the answer.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { StudioDatabase } from '@studio/db';
import { importRejects, importRuns, type ImportRun, type ImportRunError } from '@studio/db/schema';
import { describeConstraintViolation } from '@studio/db/errors';
import type { PoolLease } from '@studio/mssql-pool';
import { and, asc, desc, eq, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { AuditActor, AuditService } from '../audit';
import { ImportRefusal, InvalidInputError, NotFoundError, ServiceError } from '../errors';
import type { ProjectView } from '../projects';
import type { WorkspaceDatabase, WorkspaceDatabases } from '../workspace-databases';
import { readTargetTable, splitTableName, type TargetTable } from './catalogue';
import { CsvSource, type CsvRecord } from './csv-source';
import { convertRecord, planImport, type ImportMode, type ImportPlan } from './plan';
import { fileMatches, mappingFor, type ProjectConfig, type TableMapping } from './project-config';
import { canLoadDirectly, loadFileIntoMysql, LoadRowRejected } from './mysql-passthrough';
import { canPassThrough, copyFileIntoPostgres, CopyRowRejected } from './pg-passthrough';
import { openSink, type ImportSink } from './sinks';
import { excerpt, type Dialect } from './values';

export type ErrorPolicy = 'all-or-nothing' | 'skip';
export type ImportOutcome = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** The file, as the HTTP layer received it: a stream read once, by the run. */
export interface ImportUpload {
  stream: Readable;
  fileName: string;
  /** Content-Length (or the multipart part's size when known): refused at once when over the cap. */
  declaredBytes?: number | undefined;
}

export interface StartImportRequest {
  workspaceId: string;
  project: ProjectView & { connectionId: string };
  table: string | undefined;
  mode: ImportMode;
  errorPolicy: ErrorPolicy;
  maxRejects: number;
  upload: ImportUpload;
  startedBy: { userId: string | null; name: string };
  actor: AuditActor | null;
  requestMeta: { ip: string | null; userAgent: string | null };
}

export interface ImportOptions {
  /** The largest file accepted (IMPORT_MAX_BYTES, default 2 GiB). */
  maxFileBytes: number;
  /** How often a running import writes its progress (and proves it is alive). */
  heartbeatMs: number;
  /** A running import whose heartbeat is older than this belongs to a process that stopped. */
  staleAfterMs: number;
  /** This process's id on the runs it starts. */
  instanceId: string;
}

export const DEFAULT_IMPORT_OPTIONS: ImportOptions = { maxFileBytes: 2 * 1024 ** 3, heartbeatMs: 1_000, staleAfterMs: 30_000, instanceId: randomUUID() };

/** Rejected rows kept per run: beyond this a skip run fails (the cap) and an all-or-nothing run stops listing. */
export const MAX_REJECTS_CAP = 10_000;
/** Each field of a rejected row is kept up to this length. */
const REJECT_FIELD_MAX = 4_096;

interface LiveRun {
  id: string;
  workspaceId: string;
  startedByUserId: string | null;
  controller: AbortController;
  counters: Counters;
  done: Promise<void>;
}

interface Counters {
  bytesRead: number;
  rowsRead: number;
  rowsWritten: number;
  rowsRejected: number;
}

export interface ImportRunView {
  id: string;
  projectId: string | null;
  projectName: string;
  connectionId: string | null;
  table: string;
  fileName: string;
  fileBytes: number | null;
  sha256: string | null;
  mode: ImportMode;
  errorPolicy: ErrorPolicy;
  maxRejects: number;
  startedBy: string;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: ImportOutcome;
  bytesRead: number;
  rowsRead: number;
  rowsWritten: number;
  rowsRejected: number;
  elapsedMs: number;
  rowsPerSecond: number;
  error: ImportRunError | null;
}

class CancelReason extends Error {
  constructor(readonly outcome: 'cancelled' | 'interrupted') {
    super(outcome);
  }
}

const CANCELLED: ImportRunError = { error: 'import_cancelled', message: 'The import was cancelled; nothing of it was committed', details: {} };
const INTERRUPTED: ImportRunError = { error: 'import_interrupted', message: 'The API process running this import stopped before it finished; nothing of it was committed', details: {} };

export class ImportService {
  readonly options: ImportOptions;
  readonly #live = new Map<string, LiveRun>();
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly deps: { db: StudioDatabase; workspaceDatabases: WorkspaceDatabases; audit: AuditService; logger: Logger },
    options: Partial<ImportOptions> = {},
  ) {
    this.options = { ...DEFAULT_IMPORT_OPTIONS, instanceId: randomUUID(), ...options };
  }

  /**
   * At start-up: runs left 'running' by a process that is gone become 'interrupted' (their
   * transaction died with their connection); then the same sweep repeats, for other instances.
   * `everyRunIsStale`: no other process can be running imports (the embedded database).
   */
  async startSweeping(options: { everyRunIsStale?: boolean } = {}): Promise<number> {
    const marked = await this.markInterrupted(options.everyRunIsStale ? 0 : this.options.staleAfterMs);
    this.#sweeper ??= setInterval(() => {
      this.markInterrupted(this.options.staleAfterMs).catch((error: unknown) => this.deps.logger.warn({ err: error }, 'import sweep failed'));
    }, Math.max(1_000, this.options.staleAfterMs)).unref();
    return marked;
  }

  /** Marks runs of other processes whose heartbeat is older than `staleAfterMs` as interrupted. */
  async markInterrupted(staleAfterMs: number): Promise<number> {
    const rows = await this.deps.db
      .update(importRuns)
      .set({ outcome: 'interrupted', finishedAt: sql`now()`, error: INTERRUPTED })
      .where(and(eq(importRuns.outcome, 'running'), ne(importRuns.instanceId, this.options.instanceId), lt(importRuns.heartbeatAt, sql`now() - make_interval(secs => ${staleAfterMs / 1000})`)))
      .returning({ id: importRuns.id, workspaceId: importRuns.workspaceId });
    for (const row of rows) {
      await this.deps.audit.record({ actor: null, workspaceId: row.workspaceId, action: 'import.finish', target: { type: 'import', id: row.id }, outcome: 'failure', details: { outcome: 'interrupted' }, ip: null, userAgent: null });
    }
    return rows.length;
  }

  /**
   * Validates and starts a run; resolves once it is validated and recorded (the rows are written
   * after). Refusals: connection_not_found, table_not_found, column_mapping_invalid, file_too_large,
   * file_unreadable, import_busy, invalid_input (table).
   */
  async start(request: StartImportRequest): Promise<ImportRunView> {
    if (this.#closed) throw new ServiceError('service_unavailable', 'The API is shutting down; start the import again in a moment', { retryAfterSeconds: 5 });
    const { upload } = request;
    if (upload.declaredBytes !== undefined && upload.declaredBytes > this.options.maxFileBytes) {
      upload.stream.resume();
      throw fileTooLarge(this.options.maxFileBytes);
    }
    let database: WorkspaceDatabase;
    try {
      database = await this.deps.workspaceDatabases.targetOf(request.workspaceId, { connectionId: request.project.connectionId });
    } catch (error) {
      if (error instanceof NotFoundError) throw new ImportRefusal('connection_not_found', `The connection of project ${request.project.name} does not exist`, { field: 'projectId' });
      throw error;
    }
    const dialect = database.settings.type;
    const source = new CsvSource(upload.stream, request.project.config.csv, this.options.maxFileBytes);
    return new Promise<ImportRunView>((answer, refuse) => {
      let answered = false;
      this.deps.workspaceDatabases
        .withConnection(database, async (lease) => {
          let prepared: Prepared;
          try {
            prepared = await this.#prepare(request, database, dialect, lease, source);
          } catch (error) {
            source.destroy();
            refuse(error);
            return;
          }
          answered = true;
          answer(this.#view(prepared.run));
          await prepared.live.done.catch(() => undefined);
        })
        .catch((error: unknown) => {
          source.destroy();
          if (!answered) refuse(error);
          else this.deps.logger.error({ err: error }, 'import run failed after it was answered');
        });
    });
  }

  async #prepare(request: StartImportRequest, database: WorkspaceDatabase, dialect: Dialect, lease: PoolLease, source: CsvSource): Promise<Prepared> {
    const { project, upload } = request;
    const records = source.batches()[Symbol.asyncIterator]();
    const firstBatch = await records.next();
    const firstRecord = firstBatch.done ? undefined : firstBatch.value[0];
    if (firstBatch.done || firstRecord === undefined) throw new ImportRefusal('file_unreadable', 'The file is empty', { field: 'file' });
    const first = { value: firstRecord };
    const byFile = request.table === undefined ? mappingFor(project.config, upload.fileName) : undefined;
    const tableName = request.table ?? byFile?.table;
    if (tableName === undefined) {
      throw new InvalidInputError('table', `Name the table to import into, or add a mapping to project ${project.name} whose file_pattern matches ${upload.fileName}`);
    }
    const table = await readTargetTable(lease, dialect, tableName);
    const mapping = byFile ?? mappingOfTable(project.config, upload.fileName, table);
    const header = first.value.header ? first.value.fields : null;
    const plan = planImport({ table, header, mapping, config: project.config, mode: request.mode, dialect, csv: project.config.csv });
    const fileColumns = header === null ? plan.columns.map((column) => column.name) : header.map((name) => name ?? '');
    let run: ImportRun;
    try {
      const [row] = await this.deps.db
        .insert(importRuns)
        .values({
          workspaceId: request.workspaceId,
          projectId: project.id,
          projectName: project.name,
          connectionId: database.connectionId,
          targetTable: table.qualified,
          fileName: upload.fileName,
          fileColumns,
          mode: request.mode,
          errorPolicy: request.errorPolicy,
          maxRejects: request.maxRejects,
          startedBy: request.startedBy.userId,
          startedByName: request.startedBy.name,
          instanceId: this.options.instanceId,
        })
        .returning();
      run = row!;
    } catch (error) {
      if (describeConstraintViolation(error)?.constraint === 'import_runs_one_running_per_table_key') {
        const [running] = await this.deps.db
          .select({ id: importRuns.id })
          .from(importRuns)
          .where(and(eq(importRuns.connectionId, database.connectionId), eq(importRuns.targetTable, table.qualified), eq(importRuns.outcome, 'running')));
        throw new ImportRefusal('import_busy', `Another import into ${table.qualified} is running; wait for it or cancel it`, { field: 'table', table: table.qualified, runningImportId: running?.id ?? null });
      }
      throw error;
    }
    await this.deps.audit.record({
      actor: request.actor,
      workspaceId: request.workspaceId,
      action: 'import.start',
      target: { type: 'import', id: run.id },
      outcome: 'success',
      details: { projectId: project.id, projectName: project.name, table: table.qualified, fileName: upload.fileName, mode: request.mode, errorPolicy: request.errorPolicy },
      ip: request.requestMeta.ip,
      userAgent: request.requestMeta.userAgent,
    });
    const pendingFirst = first.value.header ? firstBatch.value.slice(1) : firstBatch.value;
    const controller = new AbortController();
    const counters: Counters = { bytesRead: source.bytesRead, rowsRead: 0, rowsWritten: 0, rowsRejected: 0 };
    const live: LiveRun = { id: run.id, workspaceId: request.workspaceId, startedByUserId: request.startedBy.userId, controller, counters, done: Promise.resolve() };
    this.#live.set(run.id, live);
    const fast = () => ({ plan, csv: project.config.csv, mode: request.mode, allOrNothing: request.errorPolicy === 'all-or-nothing', firstBatchClean: pendingFirst.every((record) => 'values' in convertRecord(plan, record.fields)) });
    const passThrough = (dialect === 'postgres' && canPassThrough(fast())) || (dialect === 'mysql' && canLoadDirectly(fast()));
    const raw = passThrough ? source.takeRaw() : undefined;
    if (raw === undefined) source.forgetRaw();
    const job: Job = { run, request, lease, dialect, plan, source, records, pendingFirst, live };
    live.done = (raw === undefined ? this.#execute(job) : this.#executeRaw(job, raw)).finally(() => this.#live.delete(run.id));
    return { run, live };
  }

  async #execute(job: Job): Promise<void> {
    const { run, request, lease, dialect, plan, source, live } = job;
    const { counters, controller } = live;
    const rejects: (typeof importRejects.$inferInsert)[] = [];
    let storedRejects = 0;
    let sink: ImportSink | undefined;
    let failure: ImportRunError | undefined;
    let heartbeat: NodeJS.Timeout | undefined;
    const flushRejects = async () => {
      if (rejects.length === 0) return;
      const batch = rejects.splice(0);
      await this.deps.db.insert(importRejects).values(batch);
    };
    const progress = async () => {
      counters.bytesRead = source.bytesRead;
      await flushRejects();
      const [row] = await this.deps.db
        .update(importRuns)
        .set({ bytesRead: counters.bytesRead, rowsRead: counters.rowsRead, rowsWritten: counters.rowsWritten, rowsRejected: counters.rowsRejected, heartbeatAt: sql`now()` })
        .where(eq(importRuns.id, run.id))
        .returning({ cancelRequestedAt: importRuns.cancelRequestedAt });
      if (row?.cancelRequestedAt) controller.abort(new CancelReason('cancelled'));
    };
    const stop = () => source.destroy();
    controller.signal.addEventListener('abort', stop, { once: true });
    try {
      heartbeat = setInterval(() => {
        progress().catch((error: unknown) => this.deps.logger.warn({ err: error, importId: run.id }, 'import progress not recorded'));
      }, this.options.heartbeatMs);
      heartbeat.unref();
      sink = await openSink(lease, dialect, plan, request.mode);
      const allOrNothing = request.errorPolicy === 'all-or-nothing';
      reading: for await (const batch of withFirst(job.pendingFirst, job.records)) {
        for (const record of batch) {
          if (controller.signal.aborted) break reading;
          counters.rowsRead += 1;
          const converted = convertRecord(plan, record.fields);
          if ('values' in converted) {
            if (failure === undefined) {
              const sent = sink.write(converted.values);
              if (sent) await sent;
              counters.rowsWritten += 1;
            }
            continue;
          }
          counters.rowsRejected += 1;
          if (storedRejects < request.maxRejects) {
            storedRejects += 1;
            const { reject } = converted;
            rejects.push({ runId: run.id, rowNumber: record.rowNumber, line: record.line, columnName: reject.column, valueExcerpt: excerpt(reject.value), reason: reject.reason, fields: record.fields.map((field) => excerpt(field, REJECT_FIELD_MAX)) });
          }
          if (allOrNothing && failure === undefined) {
            // Nothing will be committed: let the table go now, and keep reading only to list the bad rows.
            failure = { error: 'rows_rejected', message: 'A row was rejected; nothing was imported (all-or-nothing)', details: {} };
            counters.rowsWritten = 0;
            await sink.rollback();
          }
          if (!allOrNothing && counters.rowsRejected > request.maxRejects) {
            failure = { error: 'too_many_rejects', message: `More than ${request.maxRejects} rows were rejected; nothing was imported`, details: { maxRejects: request.maxRejects } };
            break reading;
          }
          if (allOrNothing && storedRejects >= request.maxRejects) break reading;
        }
      }
      if (controller.signal.aborted) throw controller.signal.reason;
      if (failure?.error === 'rows_rejected') {
        failure = { ...failure, message: `${counters.rowsRejected} row${counters.rowsRejected === 1 ? ' was' : 's were'} rejected; nothing was imported (all-or-nothing)`, details: { rowsRejected: counters.rowsRejected } };
      }
      if (failure !== undefined) {
        await sink.rollback();
        await this.#finish(run, live, 'failed', failure, source, false);
        return;
      }
      counters.rowsWritten = await sink.commit();
      sink = undefined;
      await flushRejects();
      await this.#finish(run, live, 'succeeded', null, source, true);
    } catch (error) {
      await sink?.rollback();
      const reason = controller.signal.aborted ? controller.signal.reason : undefined;
      if (reason instanceof CancelReason) {
        await this.#finish(run, live, reason.outcome, reason.outcome === 'cancelled' ? CANCELLED : INTERRUPTED, source, false).catch((e: unknown) => this.deps.logger.error({ err: e }, 'import end not recorded'));
      } else {
        await this.#finish(run, live, 'failed', runErrorOf(error, dialect), source, false).catch((e: unknown) => this.deps.logger.error({ err: e }, 'import end not recorded'));
      }
    } finally {
      clearInterval(heartbeat);
      controller.signal.removeEventListener('abort', stop);
      source.destroy();
      await flushRejects().catch(() => undefined);
    }
  }

  /** The fast path: the file's bytes straight into COPY or LOAD DATA (pg-passthrough.ts, mysql-passthrough.ts); the server finds the first bad row. */
  async #executeRaw(job: Job, raw: Readable): Promise<void> {
    const { run, request, lease, plan, source, live } = job;
    const { counters, controller } = live;
    const stop = () => source.destroy();
    controller.signal.addEventListener('abort', stop, { once: true });
    const progress = async () => {
      counters.bytesRead = source.bytesRead;
      const [row] = await this.deps.db
        .update(importRuns)
        .set({ bytesRead: counters.bytesRead, rowsRead: counters.rowsRead, rowsWritten: counters.rowsWritten, rowsRejected: 0, heartbeatAt: sql`now()` })
        .where(eq(importRuns.id, run.id))
        .returning({ cancelRequestedAt: importRuns.cancelRequestedAt });
      if (row?.cancelRequestedAt) controller.abort(new CancelReason('cancelled'));
    };
    const heartbeat = setInterval(() => {
      progress().catch((error: unknown) => this.deps.logger.warn({ err: error, importId: run.id }, 'import progress not recorded'));
    }, this.options.heartbeatMs);
    heartbeat.unref();
    try {
      const onRows = (rows: number) => {
        counters.rowsRead = rows;
        counters.rowsWritten = rows;
      };
      const { csv } = request.project.config;
      const written =
        job.dialect === 'postgres' ? await copyFileIntoPostgres(lease as PoolLease<'postgres'>, plan, request.mode, csv, raw, onRows) : await loadFileIntoMysql(lease as PoolLease<'mysql'>, plan, request.mode, csv, raw, onRows);
      counters.rowsRead = written;
      counters.rowsWritten = written;
      await this.#finish(run, live, 'succeeded', null, source, true);
    } catch (error) {
      const reason = controller.signal.aborted ? controller.signal.reason : undefined;
      const finish = (outcome: Exclude<ImportOutcome, 'running'>, runError: ImportRunError) => this.#finish(run, live, outcome, runError, source, false).catch((e: unknown) => this.deps.logger.error({ err: e }, 'import end not recorded'));
      if (reason instanceof CancelReason) {
        await finish(reason.outcome, reason.outcome === 'cancelled' ? CANCELLED : INTERRUPTED);
      } else if (error instanceof CopyRowRejected || error instanceof LoadRowRejected) {
        const { reject } = error;
        counters.rowsRead = reject.rowNumber;
        counters.rowsRejected = 1;
        await this.deps.db.insert(importRejects).values({ runId: run.id, rowNumber: reject.rowNumber, line: reject.line, columnName: reject.column, valueExcerpt: excerpt(reject.value), reason: reject.reason, fields: [] });
        await finish('failed', { error: 'rows_rejected', message: `Row ${reject.rowNumber} was rejected; nothing was imported (all-or-nothing)`, details: { rowsRejected: 1 } });
      } else {
        await finish('failed', runErrorOf(error, job.dialect));
      }
    } finally {
      clearInterval(heartbeat);
      controller.signal.removeEventListener('abort', stop);
      source.destroy();
    }
  }

  async #finish(run: ImportRun, live: LiveRun, outcome: Exclude<ImportOutcome, 'running'>, error: ImportRunError | null, source: CsvSource, readWholeFile: boolean): Promise<void> {
    const { counters } = live;
    counters.bytesRead = source.bytesRead;
    if (outcome !== 'succeeded') counters.rowsWritten = 0;
    await this.deps.db
      .update(importRuns)
      .set({
        outcome,
        error,
        finishedAt: sql`now()`,
        heartbeatAt: sql`now()`,
        bytesRead: counters.bytesRead,
        rowsRead: counters.rowsRead,
        rowsWritten: counters.rowsWritten,
        rowsRejected: counters.rowsRejected,
        ...(readWholeFile && { fileBytes: source.bytesRead, sha256: source.sha256 }),
      })
      .where(eq(importRuns.id, run.id));
    await this.deps.audit.record({
      actor: null,
      workspaceId: run.workspaceId,
      action: 'import.finish',
      target: { type: 'import', id: run.id },
      outcome: outcome === 'succeeded' ? 'success' : 'failure',
      details: { outcome, table: run.targetTable, rowsWritten: counters.rowsWritten, rowsRejected: counters.rowsRejected, ...(error && { error: error.error }) },
      ip: null,
      userAgent: null,
    });
  }

  #view(row: ImportRun): ImportRunView {
    const live = this.#live.get(row.id);
    const counters = live && row.outcome === 'running' ? live.counters : row;
    const end = row.finishedAt ?? new Date();
    const elapsedMs = Math.max(0, end.getTime() - row.startedAt.getTime());
    return {
      id: row.id,
      projectId: row.projectId,
      projectName: row.projectName,
      connectionId: row.connectionId,
      table: row.targetTable,
      fileName: row.fileName,
      fileBytes: row.fileBytes,
      sha256: row.sha256,
      mode: row.mode as ImportMode,
      errorPolicy: row.errorPolicy as ErrorPolicy,
      maxRejects: row.maxRejects,
      startedBy: row.startedByName,
      startedAt: row.startedAt,
      finishedAt: row.finishedAt,
      outcome: row.outcome as ImportOutcome,
      bytesRead: counters.bytesRead,
      rowsRead: counters.rowsRead,
      rowsWritten: counters.rowsWritten,
      rowsRejected: counters.rowsRejected,
      elapsedMs,
      rowsPerSecond: elapsedMs > 0 ? Math.round(((counters.rowsWritten + counters.rowsRejected) * 1000) / elapsedMs) : 0,
      error: row.error,
    };
  }

  async #row(workspaceId: string, importId: string): Promise<ImportRun> {
    const [row] = await this.deps.db.select().from(importRuns).where(and(eq(importRuns.workspaceId, workspaceId), eq(importRuns.id, importId)));
    if (!row) throw new ImportRefusal('import_not_found', 'Import was not found', { field: 'importId' });
    return row;
  }

  async get(workspaceId: string, importId: string): Promise<ImportRunView & { startedByUserId: string | null }> {
    const row = await this.#row(workspaceId, importId);
    return { ...this.#view(row), startedByUserId: row.startedBy };
  }

  /** Newest first; keyset on (started_at, id). */
  async list(workspaceId: string, filter: { projectId?: string | undefined }, page: { cursor?: string | undefined; limit: number }) {
    const conditions: SQL[] = [eq(importRuns.workspaceId, workspaceId)];
    if (filter.projectId !== undefined) conditions.push(eq(importRuns.projectId, filter.projectId));
    if (page.cursor !== undefined) {
      const [at, id] = page.cursor.split('|');
      const when = new Date(at ?? '');
      if (Number.isNaN(when.getTime()) || id === undefined) throw new InvalidInputError('cursor', 'cursor is not one this list handed out');
      conditions.push(sql`(${importRuns.startedAt}, ${importRuns.id}) < (${when.toISOString()}::timestamptz, ${id}::uuid)`);
    }
    const rows = await this.deps.db
      .select()
      .from(importRuns)
      .where(and(...conditions))
      .orderBy(desc(importRuns.startedAt), desc(importRuns.id))
      .limit(page.limit + 1);
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return { items: items.map((row) => this.#view(row)), nextCursor: rows.length > page.limit && last ? `${last.startedAt.toISOString()}|${last.id}` : null };
  }

  /**
   * Asks the run to stop; the instance running it rolls back and records 'cancelled'. Idempotent.
   * A run held by another instance answers once that instance recorded the end, or, after a few of
   * its heartbeats, still 'running' (the request stands; it is read with the next heartbeat).
   */
  async cancel(workspaceId: string, importId: string): Promise<ImportRunView> {
    const row = await this.#row(workspaceId, importId);
    if (row.outcome !== 'running') return this.#view(row);
    const live = this.#live.get(importId);
    if (live) {
      live.controller.abort(new CancelReason('cancelled'));
      await live.done.catch(() => undefined);
    } else {
      // Another instance holds the run: it reads the request with its next heartbeat and records the
      // end. Wait a few heartbeats for that, so the answer usually says 'cancelled' already.
      await this.deps.db.update(importRuns).set({ cancelRequestedAt: sql`now()` }).where(and(eq(importRuns.id, importId), eq(importRuns.outcome, 'running')));
      const deadline = Date.now() + Math.max(2_000, 3 * this.options.heartbeatMs);
      for (;;) {
        const current = await this.#row(workspaceId, importId);
        if (current.outcome !== 'running' || Date.now() > deadline) return this.#view(current);
        await new Promise((resolve) => setTimeout(resolve, Math.min(100, this.options.heartbeatMs)));
      }
    }
    return this.#view(await this.#row(workspaceId, importId));
  }

  /** Waits for a run of this process to end (tests, the CLI's local mode). */
  async settled(importId: string): Promise<void> {
    await this.#live.get(importId)?.done.catch(() => undefined);
  }

  /** The rejected rows as CSV: row, line, column, reason, value, then the file's own columns. */
  async rejectsCsv(workspaceId: string, importId: string): Promise<{ fileName: string; open: () => Readable }> {
    const row = await this.#row(workspaceId, importId);
    const db = this.deps.db;
    const header = ['row', 'line', 'column', 'reason', 'value', ...row.fileColumns];
    async function* lines(): AsyncGenerator<string> {
      yield `${header.map(csvCell).join(',')}\r\n`;
      let after = 0;
      for (;;) {
        const batch = await db
          .select()
          .from(importRejects)
          .where(and(eq(importRejects.runId, importId), sql`${importRejects.rowNumber} > ${after}`))
          .orderBy(asc(importRejects.rowNumber))
          .limit(500);
        for (const reject of batch) {
          yield `${[String(reject.rowNumber), String(reject.line), reject.columnName, reject.reason, reject.valueExcerpt, ...reject.fields].map(csvCell).join(',')}\r\n`;
        }
        const last = batch.at(-1);
        if (!last || batch.length < 500) return;
        after = last.rowNumber;
      }
    }
    const base = row.fileName.replace(/\.[^.]*$/, '').replace(/[^\w.-]+/g, '_') || 'import';
    return { fileName: `${base}.rejects.csv`, open: () => Readable.from(lines()) };
  }

  /** Shutdown: running imports roll back and are recorded as interrupted. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    const running = [...this.#live.values()];
    for (const run of running) run.controller.abort(new CancelReason('interrupted'));
    await Promise.all(running.map((run) => run.done.catch(() => undefined)));
  }
}

interface Prepared {
  run: ImportRun;
  live: LiveRun;
}

interface Job {
  run: ImportRun;
  request: StartImportRequest;
  lease: PoolLease;
  dialect: Dialect;
  plan: ImportPlan;
  source: CsvSource;
  records: AsyncIterator<(CsvRecord & { header: boolean })[]>;
  /** The first batch's records after the header. */
  pendingFirst: CsvRecord[];
  live: LiveRun;
}

async function* withFirst(first: CsvRecord[], rest: AsyncIterator<CsvRecord[]>): AsyncGenerator<CsvRecord[]> {
  if (first.length > 0) yield first;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/** The project's mapping for a table the caller named: one whose pattern also matches the file first. */
function mappingOfTable(config: ProjectConfig, fileName: string, table: TargetTable): TableMapping | undefined {
  const names = (mapping: TableMapping) => {
    const { schema, name } = splitTableName(mapping.table);
    return name.toLowerCase() === table.name.toLowerCase() && (schema === null || schema.toLowerCase() === table.schema.toLowerCase());
  };
  const candidates = config.mappings.filter(names);
  return candidates.find((mapping) => fileMatches(mapping.file_pattern, fileName)) ?? candidates[0];
}

function csvCell(value: string | null): string {
  if (value === null) return '';
  return /[",\r\n]/.test(value) || value === '' ? `"${value.replace(/"/g, '""')}"` : value;
}

function fileTooLarge(limit: number): ImportRefusal {
  return new ImportRefusal('file_too_large', `The file is larger than the limit of ${limit} bytes`, { field: 'file', limit });
}

/** Why a run failed, for its history row: our refusals as they are, a database's refusal with its code. */
function runErrorOf(error: unknown, dialect: Dialect): ImportRunError {
  if (error instanceof ServiceError) return { error: error.code, message: error.message, details: error.details };
  const driver = error as { code?: unknown; number?: unknown; errno?: unknown; message?: unknown; originalError?: { info?: { number?: unknown } } };
  const code = driver.number ?? driver.originalError?.info?.number ?? driver.errno ?? driver.code;
  const message = typeof driver.message === 'string' ? driver.message : 'the database refused the rows';
  return { error: 'import_failed', message: `The database refused the import: ${message}`, details: { databaseCode: code === undefined ? null : String(code), database_type: dialect } };
}
