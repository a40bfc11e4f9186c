// The query console (docs/decisions/011): ad-hoc SQL on any connection of a workspace, reached only
// through WorkspaceDatabases, in the mode the connection allows; per-user history and shared saved
// queries in the system database. No tRPC here: authorisation and audit happen in the router.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type { StudioDatabase } from '@studio/db';
import { auditLog, connections, consoleHistory, savedQueries, type ConsoleAccess, type ConsoleRunOutcome } from '@studio/db/schema';
import type { DatabaseType } from '@studio/mssql-pool';
import { and, desc, eq, ilike, lt, or, sql as dsql } from 'drizzle-orm';
import type mssql from 'mssql';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { forbidden } from '../denials';
import { ConflictError, InvalidInputError, NotFoundError, QueryError, QueryTimeoutError, ServiceError } from '../errors';
import { keysetPage } from '../pagination';
import type { ExecutionRegistry, RunningExecution } from '../sql-editor/executions';
import { inTransaction } from '../unit-of-work';
import { TsqlLexError } from '../sql-editor/tsql';
import type { WorkspaceDatabase, WorkspaceDatabases } from '../workspace-databases';
import { exportChannel, EXPORT_CONTENT_TYPES, type ExportFormat, type ExportProgress } from './export';
import { readOnlyRefusal } from './read-only';
import { runOnMysql } from './run-mysql';
import { runOnPostgres } from './run-postgres';
import { runOnSqlServer } from './run-mssql';
import { UnterminatedTextError } from './statements';
import { DatabaseQueryError, type ConsoleMessage, type ConsoleMode, type ConsoleResultSet, type ResultSink, type RunRequest } from './types';

export const DEFAULT_CONSOLE_ROW_LIMIT = 1_000;
export const DEFAULT_CONSOLE_TIMEOUT_MS = 30_000;
/** The pool manager's request timeout when a connection sets none: the most a run may take there. */
export const DEFAULT_CONNECTION_MAX_TIMEOUT_MS = 15_000;
export const HISTORY_RETENTION_DAYS = 90;
/** Rows an export may hold at most unless EXPORT_MAX_ROWS says otherwise. */
export const DEFAULT_EXPORT_MAX_ROWS = 1_000_000;
/** Waiting for a pooled connection is not part of the query's own time limit. */
const ACQUIRE_TIMEOUT_MS = 15_000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

export type ConsoleRunSubject = { connectionId: string };

export interface HistoryEntry {
  workspaceId: string;
  connectionId: string;
  userId: string;
  sql: string;
  outcome: ConsoleRunOutcome;
  durationMs: number;
  rowCount: number;
  errorCode: string | null;
}

function historyRow(entry: HistoryEntry): typeof consoleHistory.$inferInsert {
  return { ...entry, durationMs: Math.max(0, Math.round(entry.durationMs)), errorCode: entry.errorCode?.slice(0, 64) ?? null };
}
export type ConsoleRuns = ExecutionRegistry<ConsoleRunSubject>;

type AuditInsert = typeof auditLog.$inferInsert;
type HistoryInsert = typeof consoleHistory.$inferInsert;
const RUN_AUDIT_KEYS = ['actorUserId', 'actorTokenId', 'actorUsername', 'workspaceId', 'action', 'targetType', 'targetId', 'ip', 'userAgent', 'outcome', 'details'] as const satisfies readonly (keyof AuditInsert)[];
const RUN_HISTORY_KEYS = ['workspaceId', 'connectionId', 'userId', 'sql', 'outcome', 'durationMs', 'rowCount', 'errorCode'] as const satisfies readonly (keyof HistoryInsert)[];

/** `{ key: placeholder('<prefix>key') }` for a prepared INSERT's values (`id` and the timestamp keep their defaults). */
function placeholdersOf<Row>(prefix: string, keys: readonly (keyof Row & string)[]): Row {
  return Object.fromEntries(keys.map((key) => [key, dsql.placeholder(`${prefix}${key}`)])) as Row;
}

/** The values `placeholdersOf(prefix, keys)` asks for, taken from `row` (absent as null). */
function placeholderValuesOf<Row>(prefix: string, keys: readonly (keyof Row & string)[], row: Row, into: Record<string, unknown>): Record<string, unknown> {
  for (const key of keys) into[`${prefix}${key}`] = row[key] ?? null;
  return into;
}

export interface ConsoleTarget {
  database: WorkspaceDatabase;
  name: string;
  type: DatabaseType;
  access: ConsoleAccess;
  /** The connection's own request timeout: no run may ask for more. */
  maxTimeoutMs: number;
}

export interface RunOptions {
  rowLimit: number;
  timeoutMs: number;
}

export interface ConsoleRunResult {
  runId: string;
  status: 'completed' | 'cancelled';
  mode: ConsoleMode;
  /** Read-only on SQL Server: the batch ran in a transaction that was rolled back. */
  rolledBack: boolean;
  resultSets: ConsoleResultSet[];
  messages: ConsoleMessage[];
  rowsAffected: number[];
  truncated: boolean;
  rowLimit: number;
  timeoutMs: number;
  elapsedMs: number;
}

/** What the audit row and the history keep of a run's text: never parameter values. */
export function sqlFingerprint(text: string): { sqlHash: string; sqlPreview: string } {
  return { sqlHash: createHash('sha256').update(text).digest('hex'), sqlPreview: text.slice(0, 200) };
}

/** Collects a run's output for the answer, dropping rows past the limit (counted, flagged). */
class CollectingSink implements ResultSink {
  readonly resultSets: ConsoleResultSet[] = [];
  readonly messages: ConsoleMessage[] = [];
  readonly affected: number[] = [];

  constructor(private readonly rowLimit: number) {}

  resultSet(columns: ConsoleResultSet['columns']): void {
    this.resultSets.push({ columns, rows: [], rowCount: 0, truncated: false });
  }

  row(values: ConsoleResultSet['rows'][number]): boolean {
    const set = this.resultSets.at(-1);
    if (!set) return true;
    set.rowCount++;
    if (set.rows.length < this.rowLimit) set.rows.push(values);
    else set.truncated = true;
    return true;
  }

  message(message: ConsoleMessage): void {
    this.messages.push(message);
  }

  rowsAffected(count: number): void {
    this.affected.push(count);
  }
}

/** mssql's own request timeout (ETIMEOUT) and pg's client-side query_timeout: the limit was reached. */
function isDriverTimeout(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  return e?.code === 'ETIMEOUT' || (typeof e?.message === 'string' && e.message === 'Query read timeout');
}

const HISTORY_CURSOR = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)\|([0-9a-f-]{36})$/;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function cursorOf(cursor: string | undefined): { at: Date; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const match = HISTORY_CURSOR.exec(cursor);
  const at = match ? new Date(match[1]!) : undefined;
  if (!match || !at || Number.isNaN(at.getTime()) || at.toISOString() !== match[1]) throw new InvalidInputError('cursor', 'cursor: not a cursor this list returned');
  return { at, id: match[2]! };
}

const savedColumns = {
  id: savedQueries.id,
  workspaceId: savedQueries.workspaceId,
  connectionId: savedQueries.connectionId,
  name: savedQueries.name,
  description: savedQueries.description,
  sql: savedQueries.sql,
  createdBy: savedQueries.createdBy,
  createdAt: savedQueries.createdAt,
  updatedAt: savedQueries.updatedAt,
};

/**
 * A download a procedure hands to its transport (REST, the web UI): nothing runs until `open()`,
 * so a download nobody reads never holds a connection.
 */
export class ConsoleDownload {
  constructor(
    readonly filename: string,
    readonly contentType: string,
    private readonly start: () => Readable,
  ) {}

  open(): Readable {
    return this.start();
  }
}

export class ConsoleService {
  #lastPrune = 0;
  /**
   * A run's record as named prepared statements (decision 030): parsed and planned once per
   * system-database connection instead of on every run, and built once by drizzle.
   */
  readonly #recordAudit;
  readonly #recordRunAndHistory;

  constructor(
    private readonly db: StudioDatabase,
    private readonly workspaceDatabases: WorkspaceDatabases,
    readonly runs: ConsoleRuns,
    /** The most rows one export may hold (EXPORT_MAX_ROWS). */
    readonly exportMaxRows: number = DEFAULT_EXPORT_MAX_ROWS,
  ) {
    const auditInsert = db.insert(auditLog).values(placeholdersOf<AuditInsert>('a_', RUN_AUDIT_KEYS));
    this.#recordAudit = auditInsert.prepare('console_run_audit');
    // One statement writes both rows: both or neither, with no transaction round trips around them.
    this.#recordRunAndHistory = db
      .with(db.$with('audit_row').as(auditInsert))
      .insert(consoleHistory)
      .values(placeholdersOf<HistoryInsert>('h_', RUN_HISTORY_KEYS))
      .prepare('console_run_record');
  }

  /** The connection as the console reaches it: settings vetted by the outbound policy, its console access. */
  async targetOf(workspaceId: string, connectionId: string): Promise<ConsoleTarget> {
    const database = await this.workspaceDatabases.targetOf(workspaceId, { connectionId });
    return {
      database,
      name: database.name,
      type: database.settings.type,
      access: database.consoleAccess,
      maxTimeoutMs: database.poolTarget.options?.requestTimeoutMs ?? DEFAULT_CONNECTION_MAX_TIMEOUT_MS,
    };
  }

  /** Light lookup for pages and checks that do not reach the database. */
  async accessOf(workspaceId: string, connectionId: string): Promise<{ name: string; type: DatabaseType; access: ConsoleAccess }> {
    const [row] = await this.db
      .select({ name: connections.name, type: connections.type, access: connections.consoleAccess })
      .from(connections)
      .where(and(eq(connections.workspaceId, workspaceId), eq(connections.id, connectionId)));
    if (!row) throw new NotFoundError('Connection', { field: 'connectionId' });
    return row;
  }

  async setAccess(workspaceId: string, connectionId: string, access: ConsoleAccess): Promise<{ connectionId: string; access: ConsoleAccess; previous: ConsoleAccess }> {
    const before = await this.accessOf(workspaceId, connectionId);
    await this.db.update(connections).set({ consoleAccess: access }).where(and(eq(connections.workspaceId, workspaceId), eq(connections.id, connectionId)));
    return { connectionId, access, previous: before.access };
  }

  /**
   * Refuses a mode the connection does not allow (`off` refuses everything), and, in read-only,
   * what would end or escape the read-only transaction.
   */
  checkMode(target: ConsoleTarget, mode: ConsoleMode, text: string): void {
    const refusal = modeRefusal(target.access, mode);
    if (refusal !== null) throw forbidden('console.run', refusal, { connectionName: target.name }, { field: refusal === 'console_off' ? 'connectionId' : 'mode' });
    if (mode !== 'read-only') return;
    let textRefusal;
    try {
      textRefusal = readOnlyRefusal(target.type, text);
    } catch (error) {
      if (error instanceof TsqlLexError || error instanceof UnterminatedTextError) throw new InvalidInputError('sql', `sql: ${error.message}`);
      throw error;
    }
    if (textRefusal) throw new InvalidInputError('sql', `sql: ${textRefusal.reason}`, { reason: 'read_only_refused', statement: textRefusal.statement });
  }

  /** The time limit a run gets: what it asked for, never more than the connection's maximum. */
  timeoutFor(target: ConsoleTarget, requested: number | undefined): number {
    return Math.min(requested ?? DEFAULT_CONSOLE_TIMEOUT_MS, target.maxTimeoutMs);
  }

  /**
   * Runs the text through the connection's pool. A cancel or the time limit stops the work on the
   * server; a cancelled run answers what arrived before, `status: 'cancelled'`.
   */
  async run(target: ConsoleTarget, request: RunRequest, options: RunOptions, running: { execution: RunningExecution<ConsoleRunSubject>; attach(cancel: () => void): void }): Promise<ConsoleRunResult> {
    const sink = new CollectingSink(options.rowLimit);
    const started = performance.now();
    const outcome = await this.#execute(target, request, sink, options.timeoutMs, running);
    return {
      runId: running.execution.id,
      status: outcome.cancelled ? 'cancelled' : 'completed',
      mode: request.mode,
      rolledBack: outcome.rolledBack,
      resultSets: sink.resultSets,
      messages: sink.messages,
      rowsAffected: sink.affected,
      truncated: sink.resultSets.some((s) => s.truncated),
      rowLimit: options.rowLimit,
      timeoutMs: options.timeoutMs,
      elapsedMs: Math.round((performance.now() - started) * 100) / 100,
    };
  }

  /**
   * The first result set of the text as a CSV or JSON stream, at most `exportMaxRows` rows, read
   * from the database as the client reads the stream. `done` is told how it ended (for the audit).
   */
  exportStream(
    target: ConsoleTarget,
    request: RunRequest,
    options: { format: ExportFormat; timeoutMs: number },
    running: { execution: RunningExecution<ConsoleRunSubject>; attach(cancel: () => void): void; finish(): void },
    done: (outcome: { progress: ExportProgress; error: unknown }) => Promise<void>,
  ): Readable {
    let capping = false;
    const channel = exportChannel(options.format, this.exportMaxRows, () => {
      capping = true;
      running.execution.cancel();
    });
    // A client that goes away stops the query on the server.
    channel.stream.once('close', () => running.execution.cancel());
    void this.#execute(target, request, channel.sink, options.timeoutMs, running).then(
      async (outcome) => {
        running.finish();
        if (outcome.cancelled && !capping) channel.fail(new Error('export cancelled'));
        else channel.finish();
        await done({ progress: channel.progress, error: outcome.cancelled && !capping ? new Error('cancelled') : null });
      },
      async (error: unknown) => {
        running.finish();
        channel.fail(error);
        await done({ progress: channel.progress, error });
      },
    );
    return channel.stream;
  }

  download(format: ExportFormat, name: string, start: () => Readable): ConsoleDownload {
    const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || 'export';
    // `Orders-2026-12-05-000900.csv`: the connection and when (UTC), sortable by name.
    const at = new Date().toISOString().slice(0, 19).replace('T', '-').replace(/:/g, '');
    return new ConsoleDownload(`${safe}-${at}.${format}`, EXPORT_CONTENT_TYPES[format], start);
  }

  /** The driver-specific run with cancel and the time limit wired; errors as QueryError / QueryTimeoutError. */
  async #execute(
    target: ConsoleTarget,
    request: RunRequest,
    sink: ResultSink,
    timeoutMs: number,
    running: { execution: RunningExecution<ConsoleRunSubject>; attach(cancel: () => void): void },
  ): Promise<{ cancelled: boolean; rolledBack: boolean }> {
    let timedOut = false;
    let stop: Promise<void> | undefined;
    let cancelOnServer: (() => Promise<void>) | undefined;
    // Once the run is over its connection may serve someone else: a late cancel must not reach it.
    let settled = false;
    const stopNow = () => {
      if (!cancelOnServer || settled) return;
      stop ??= cancelOnServer().catch(() => undefined);
    };
    const control = {
      onCancel: (cancel: () => Promise<void>) => {
        cancelOnServer = cancel;
        running.attach(stopNow);
      },
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stopNow();
    }, timeoutMs);
    timer.unref();
    try {
      const result = await this.workspaceDatabases.withConnection(
        target.database,
        (lease) => {
          if (target.type === 'mssql') return runOnSqlServer(lease.pool as mssql.ConnectionPool, request, sink, control);
          if (target.type === 'postgres') return runOnPostgres(lease.pool as pg.Pool, request, sink, control);
          return runOnMysql(lease.pool as mysql.Pool, request, sink, control);
        },
        { timeoutMs: ACQUIRE_TIMEOUT_MS, readOnly: request.mode === 'read-only' },
      );
      if (timedOut && !running.execution.cancelRequested) throw new QueryTimeoutError(timeoutMs, { runId: running.execution.id });
      return { cancelled: running.execution.cancelRequested, rolledBack: result.rolledBack };
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      if ((timedOut || isDriverTimeout(error)) && !running.execution.cancelRequested) {
        stopNow();
        await stop;
        throw new QueryTimeoutError(timeoutMs, { runId: running.execution.id });
      }
      if (running.execution.cancelRequested) return { cancelled: true, rolledBack: request.mode === 'read-only' };
      if (error instanceof DatabaseQueryError) {
        throw new QueryError(error.message, { databaseCode: error.databaseCode, database_type: target.type, line: error.position.line, statement: error.position.statement }, { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      // The server has acknowledged the cancel before the next caller gets this connection.
      await stop;
      settled = true;
    }
  }

  /** One history row per run by a person; pruned past the retention at most hourly. */
  async recordHistory(entry: HistoryEntry): Promise<void> {
    await this.db.insert(consoleHistory).values(historyRow(entry));
    await this.#pruneNow();
  }

  /**
   * What the system database keeps of one run: its audit row and, for a person, the history entry,
   * written by one statement (so both or neither, with no transaction round trips around them).
   */
  async recordRun(audit: AuditInsert, history: HistoryEntry | null): Promise<void> {
    if (inTransaction()) {
      // The prepared statements belong to the database itself, not to the scope's transaction.
      if (history === null) await this.db.insert(auditLog).values(audit);
      else await this.db.with(this.db.$with('audit_row').as(this.db.insert(auditLog).values(audit))).insert(consoleHistory).values(historyRow(history));
    } else {
      const values = placeholderValuesOf('a_', RUN_AUDIT_KEYS, audit, {});
      if (history === null) await this.#recordAudit.execute(values);
      else await this.#recordRunAndHistory.execute(placeholderValuesOf('h_', RUN_HISTORY_KEYS, historyRow(history), values));
    }
    if (history !== null) await this.#pruneNow();
  }

  async #pruneNow(): Promise<void> {
    if (Date.now() - this.#lastPrune > PRUNE_EVERY_MS) {
      this.#lastPrune = Date.now();
      await this.pruneHistory();
    }
  }

  /** Deletes history older than the retention (as of `now`); returns how many rows went. */
  async pruneHistory(now: Date = new Date()): Promise<number> {
    const before = new Date(now.getTime() - HISTORY_RETENTION_DAYS * 24 * 60 * 60 * 1000);
    const deleted = await this.db.delete(consoleHistory).where(lt(consoleHistory.ranAt, before)).returning({ id: consoleHistory.id });
    return deleted.length;
  }

  /** The person's runs on this connection, newest first; `search` matches the text. */
  async history(workspaceId: string, connectionId: string, userId: string, page: { search?: string | undefined; cursor?: string | undefined; limit: number }) {
    const after = cursorOf(page.cursor);
    const rows = await this.db
      .select({
        id: consoleHistory.id,
        connectionId: consoleHistory.connectionId,
        sql: consoleHistory.sql,
        outcome: consoleHistory.outcome,
        durationMs: consoleHistory.durationMs,
        rowCount: consoleHistory.rowCount,
        errorCode: consoleHistory.errorCode,
        ranAt: consoleHistory.ranAt,
      })
      .from(consoleHistory)
      .where(
        and(
          eq(consoleHistory.workspaceId, workspaceId),
          eq(consoleHistory.userId, userId),
          eq(consoleHistory.connectionId, connectionId),
          page.search ? ilike(consoleHistory.sql, `%${escapeLike(page.search)}%`) : undefined,
          after ? or(lt(consoleHistory.ranAt, after.at), and(eq(consoleHistory.ranAt, after.at), lt(consoleHistory.id, after.id))) : undefined,
        ),
      )
      .orderBy(desc(consoleHistory.ranAt), desc(consoleHistory.id))
      .limit(page.limit + 1);
    return keysetPage(rows, page.limit, (row) => `${row.ranAt.toISOString()}|${row.id}`);
  }

  async historyEntry(workspaceId: string, userId: string, historyId: string) {
    const [row] = await this.db
      .select({ id: consoleHistory.id, connectionId: consoleHistory.connectionId, sql: consoleHistory.sql })
      .from(consoleHistory)
      .where(and(eq(consoleHistory.workspaceId, workspaceId), eq(consoleHistory.userId, userId), eq(consoleHistory.id, historyId)));
    if (!row) throw new NotFoundError('History entry', { field: 'historyId' });
    return row;
  }

  /** Saved queries of the workspace, most recently changed first; `search` matches name and text. */
  async savedQueries(workspaceId: string, page: { connectionId?: string | undefined; search?: string | undefined; cursor?: string | undefined; limit: number }) {
    const after = cursorOf(page.cursor);
    const search = page.search ? `%${escapeLike(page.search)}%` : undefined;
    const rows = await this.db
      .select(savedColumns)
      .from(savedQueries)
      .where(
        and(
          eq(savedQueries.workspaceId, workspaceId),
          page.connectionId ? or(eq(savedQueries.connectionId, page.connectionId), dsql`${savedQueries.connectionId} is null`) : undefined,
          search ? or(ilike(savedQueries.name, search), ilike(savedQueries.sql, search)) : undefined,
          after ? or(lt(savedQueries.updatedAt, after.at), and(eq(savedQueries.updatedAt, after.at), lt(savedQueries.id, after.id))) : undefined,
        ),
      )
      .orderBy(desc(savedQueries.updatedAt), desc(savedQueries.id))
      .limit(page.limit + 1);
    return keysetPage(rows, page.limit, (row) => `${row.updatedAt.toISOString()}|${row.id}`);
  }

  async savedQuery(workspaceId: string, id: string) {
    const [row] = await this.db.select(savedColumns).from(savedQueries).where(and(eq(savedQueries.workspaceId, workspaceId), eq(savedQueries.id, id)));
    if (!row) throw new NotFoundError('Saved query', { field: 'savedQueryId' });
    return row;
  }

  async #nameFree(workspaceId: string, name: string, exceptId?: string) {
    const [clash] = await this.db
      .select({ id: savedQueries.id })
      .from(savedQueries)
      .where(and(eq(savedQueries.workspaceId, workspaceId), eq(savedQueries.name, name)));
    if (clash && clash.id !== exceptId) throw new ConflictError(`name: a saved query named '${name}' already exists in this workspace`, { field: 'name' });
  }

  async saveQuery(workspaceId: string, input: { name: string; sql: string; description?: string | null | undefined; connectionId?: string | null | undefined }, createdBy: string | null) {
    await this.#nameFree(workspaceId, input.name);
    if (input.connectionId) await this.accessOf(workspaceId, input.connectionId);
    const [row] = await this.db
      .insert(savedQueries)
      .values({ workspaceId, name: input.name, sql: input.sql, description: input.description ?? null, connectionId: input.connectionId ?? null, createdBy })
      .returning({ id: savedQueries.id });
    return this.savedQuery(workspaceId, row!.id);
  }

  async updateSavedQuery(workspaceId: string, id: string, input: { name?: string | undefined; sql?: string | undefined; description?: string | null | undefined; connectionId?: string | null | undefined }) {
    await this.savedQuery(workspaceId, id);
    if (input.name !== undefined) await this.#nameFree(workspaceId, input.name, id);
    if (input.connectionId) await this.accessOf(workspaceId, input.connectionId);
    await this.db
      .update(savedQueries)
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.sql !== undefined && { sql: input.sql }),
        ...(input.description !== undefined && { description: input.description }),
        ...(input.connectionId !== undefined && { connectionId: input.connectionId }),
      })
      .where(and(eq(savedQueries.workspaceId, workspaceId), eq(savedQueries.id, id)));
    return this.savedQuery(workspaceId, id);
  }

  async deleteSavedQuery(workspaceId: string, id: string) {
    const [row] = await this.db.delete(savedQueries).where(and(eq(savedQueries.workspaceId, workspaceId), eq(savedQueries.id, id))).returning({ id: savedQueries.id, name: savedQueries.name });
    if (!row) throw new NotFoundError('Saved query', { field: 'savedQueryId' });
    return row;
  }
}

/** Whether a connection's console access allows a run in `mode`: `off` refuses everything. */
export function modeRefusal(access: ConsoleAccess, mode: ConsoleMode): 'console_off' | 'read_only_connection' | null {
  if (access === 'off') return 'console_off';
  if (mode === 'read-write' && access !== 'read-write') return 'read_only_connection';
  return null;
}
