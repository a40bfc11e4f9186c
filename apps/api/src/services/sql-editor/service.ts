// The SQL editor (MISSION F7): procedure records in the system database (seed 003's
// stored_procedures), published to and executed on the workspace's SQL Server through the
// WorkspacePoolManager. No tRPC here; authorisation and audit happen in the router.
import { performance } from 'node:perf_hooks';
import type { StudioDatabase } from '@studio/db';
import { storedProcedures } from '@studio/db/schema';
import { ConnectRefusedError, PoolOptionsError, WorkspacePoolError, type ConnectionTarget } from '@studio/mssql-pool';
import { structuredPatch } from 'diff';
import { and, desc, eq, ilike, lt, or, sql as dsql } from 'drizzle-orm';
import type sql from 'mssql';
import { ConflictError, ConnectionOperationError, InvalidInputError, isDriverTimeout, NotFoundError, QueryTimeoutError, ServiceError } from '../errors';
import { keysetPage } from '../pagination';
import type { WorkspaceDatabases } from '../workspace-databases';
import { ProcedureDeployments, sqlHashOf } from './deployments';
import { declaredParameters, deployableDefinition, renameInDraft } from './definition';
import { EnvironmentUnavailableError, ExecutionTimeoutError, serverMessageOf, SqlServerError, type SqlServerMessage } from './errors';
import type { ExecutionRegistry, RunningExecution } from './executions';
import { RunnableProcedures, type RunnableProcedure } from './runnable';
import { DEFAULT_SCHEMA, identifierProblem, procedureNameOf, quotedProcedureName, sameIdentifier, storedNameOf, type ProcedureName } from './identifiers';
import {
  coerceParameterValue,
  describeColumn,
  describeParameter,
  mssqlTypeOf,
  resultValue,
  type CatalogueParameter,
  type ProcedureParameter,
  type ResultColumn,
} from './types';

export const DEFAULT_ROW_LIMIT = 1_000;
export const DEFAULT_EXECUTION_TIMEOUT_MS = 30_000;
/** Waiting for a pooled connection is not part of the procedure's own timeout. */
const ACQUIRE_TIMEOUT_MS = 15_000;
/** mssql's request timeout when the connection sets none. */
const DRIVER_REQUEST_TIMEOUT_MS = 15_000;

const summaryColumns = {
  id: storedProcedures.id,
  workspaceId: storedProcedures.workspaceId,
  name: storedProcedures.name,
  status: storedProcedures.status,
  publishedAt: storedProcedures.publishedAt,
  createdBy: storedProcedures.createdBy,
  createdAt: storedProcedures.createdAt,
  updatedAt: storedProcedures.updatedAt,
  hasUnpublishedChanges: dsql<boolean>`(${storedProcedures.sqlPublished} is distinct from ${storedProcedures.sqlDraft})`.as('has_unpublished_changes'),
};

const runnableColumns = {
  id: storedProcedures.id,
  workspaceId: storedProcedures.workspaceId,
  name: storedProcedures.name,
  status: storedProcedures.status,
  publishedAt: storedProcedures.publishedAt,
  sqlPublished: storedProcedures.sqlPublished,
};

const detailColumns = { ...summaryColumns, sqlDraft: storedProcedures.sqlDraft, sqlPublished: storedProcedures.sqlPublished };

type SummaryRow = { [K in keyof typeof summaryColumns]: K extends 'hasUnpublishedChanges' ? boolean : (typeof storedProcedures.$inferSelect)[Exclude<K, 'hasUnpublishedChanges'>] };
type DetailRow = SummaryRow & { sqlDraft: string; sqlPublished: string | null };

function present<T extends SummaryRow>(row: T) {
  const { schema, name } = procedureNameOf(row.name);
  return { ...row, schema, procedureName: name, qualifiedName: row.name };
}

export type ProcedureSummary = ReturnType<typeof present<SummaryRow>>;
/** `sqlDraftHash`: SHA-256 of the draft, to compare with what each environment runs (deployments). */
export type ProcedureDetail = ReturnType<typeof present<DetailRow>> & { sqlDraftHash: string };

/**
 * Every write sets updated_at explicitly, at millisecond precision (what a JS Date carries, so the
 * value a client read compares equal) and strictly later than before (two saves within one
 * millisecond still get different versions).
 */
const nextVersion = dsql`greatest(date_trunc('milliseconds', clock_timestamp()), ${storedProcedures.updatedAt} + interval '1 millisecond')`;
const firstVersion = dsql`date_trunc('milliseconds', clock_timestamp())`;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const CURSOR = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)\|([0-9a-f-]{36})$/;
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function defaultDraft(procedure: ProcedureName): string {
  return `CREATE OR ALTER PROCEDURE ${quotedProcedureName(procedure)}\nAS\nBEGIN\n  SET NOCOUNT ON;\n  SELECT 1 AS result;\nEND\n`;
}

function checkName(field: string, value: string): void {
  const problem = identifierProblem(value);
  if (problem) throw new InvalidInputError(field, `${field}: ${problem}`);
}

export interface PublishTarget {
  environmentId: string;
  environmentName: string;
  isDefault: boolean;
  connectionId: string;
  target: ConnectionTarget;
}

export interface ResultSet {
  columns: ResultColumn[];
  /** Values in column order; at most the row limit. */
  rows: unknown[][];
  /** Rows the server sent for this result set (more than `rows.length` when truncated). */
  rowCount: number;
  truncated: boolean;
}

export interface ExecutionResult {
  executionId: string;
  status: 'completed' | 'cancelled';
  returnValue: number | null;
  output: Record<string, unknown>;
  resultSets: ResultSet[];
  truncated: boolean;
  rowLimit: number;
  messages: SqlServerMessage[];
  rowsAffected: number[];
  elapsedMs: number;
}

export interface ExecuteOptions {
  parameters: Record<string, unknown>;
  rowLimit: number;
  timeoutMs: number;
}

interface DiscoveredProcedure {
  catalogue: CatalogueParameter[];
  parameters: ProcedureParameter[];
}

/**
 * Server errors that mean our parameter list no longer matches the procedure (201 missing, 8144
 * too many, 8145 unknown name): raised while binding, before the procedure runs.
 */
const PARAMETER_MISMATCH = new Set([201, 8144, 8145]);

const CATALOGUE_CACHE_ENTRIES = 1_000;

/**
 * Parameters of published procedures as last read from the server, so an execute does not pay a
 * catalogue round trip. Keyed by the server, database and publish time: publishing again, or
 * pointing the environment elsewhere, reads the catalogue afresh.
 */
export class ProcedureCatalogueCache {
  readonly #entries = new Map<string, DiscoveredProcedure>();

  get(key: string): DiscoveredProcedure | undefined {
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: DiscoveredProcedure): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > CATALOGUE_CACHE_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}

function catalogueKeyOf(target: PublishTarget, procedure: ProcedureName, publishedAt: Date | null): string {
  const t = target.target;
  return JSON.stringify([t.workspaceId, t.connectionId, t.host, t.port, t.database, procedure.schema.toLowerCase(), procedure.name.toLowerCase(), publishedAt?.getTime() ?? null]);
}

export class SqlEditorService {
  /** What each environment runs of a procedure. */
  readonly deployments: ProcedureDeployments;

  constructor(
    private readonly db: StudioDatabase,
    /** How the editor reaches a workspace's SQL Server: the pool, behind the schema-status gate. */
    private readonly workspaceDatabases: WorkspaceDatabases,
    readonly executions: ExecutionRegistry,
    private readonly catalogue: ProcedureCatalogueCache = new ProcedureCatalogueCache(),
    /** Records of procedures being run, per instance; without a channel nothing is kept. */
    private readonly runnables: RunnableProcedures = new RunnableProcedures(undefined),
  ) {
    this.deployments = new ProcedureDeployments(db);
  }

  /** Most recently edited first; `search` matches the name (case-insensitive). */
  async list(workspaceId: string, page: { search?: string | undefined; cursor?: string | undefined; limit: number }) {
    let after: { at: Date; id: string } | undefined;
    if (page.cursor !== undefined) {
      const match = CURSOR.exec(page.cursor);
      const at = match ? new Date(match[1]!) : undefined;
      // The pattern alone lets through 2026-13-45 and 36 dashes, which the database would refuse with a 500.
      if (!match || !at || Number.isNaN(at.getTime()) || at.toISOString() !== match[1] || !UUID_TEXT.test(match[2]!)) {
        throw new InvalidInputError('cursor', 'cursor: not a cursor this list returned');
      }
      after = { at, id: match[2]! };
    }
    const rows = await this.db
      .select(summaryColumns)
      .from(storedProcedures)
      .where(
        and(
          eq(storedProcedures.workspaceId, workspaceId),
          page.search ? ilike(storedProcedures.name, `%${escapeLike(page.search)}%`) : undefined,
          after ? or(lt(storedProcedures.updatedAt, after.at), and(eq(storedProcedures.updatedAt, after.at), lt(storedProcedures.id, after.id))) : undefined,
        ),
      )
      .orderBy(desc(storedProcedures.updatedAt), desc(storedProcedures.id))
      .limit(page.limit + 1);
    const found = keysetPage(rows, page.limit, (row) => `${row.updatedAt.toISOString()}|${row.id}`);
    return { ...found, items: found.items.map((row) => present(row)) };
  }

  async get(workspaceId: string, procedureId: string): Promise<ProcedureDetail> {
    const [row] = await this.db
      .select(detailColumns)
      .from(storedProcedures)
      .where(and(eq(storedProcedures.workspaceId, workspaceId), eq(storedProcedures.id, procedureId)));
    if (!row) throw new NotFoundError('Procedure', { field: 'procedureId' });
    return { ...present(row), sqlDraftHash: sqlHashOf(row.sqlDraft) };
  }

  /**
   * What a run needs of the record (no draft, no hash), from the per-instance cache when the
   * invalidation channel listens.
   */
  async runnable(workspaceId: string, procedureId: string): Promise<RunnableProcedure> {
    return this.runnables.get(workspaceId, procedureId, async () => {
      const [row] = await this.db
        .select(runnableColumns)
        .from(storedProcedures)
        .where(and(eq(storedProcedures.workspaceId, workspaceId), eq(storedProcedures.id, procedureId)));
      if (!row) throw new NotFoundError('Procedure', { field: 'procedureId' });
      const { schema, name } = procedureNameOf(row.name);
      return { id: row.id, workspaceId: row.workspaceId, status: row.status, schema, procedureName: name, qualifiedName: row.name, sqlPublished: row.sqlPublished, publishedAt: row.publishedAt };
    });
  }

  async #assertNameFree(workspaceId: string, stored: string, exceptId?: string) {
    // SQL Server names are case-insensitive: `dbo.GetOrders` and `dbo.getorders` are one procedure.
    const [clash] = await this.db
      .select({ id: storedProcedures.id, name: storedProcedures.name })
      .from(storedProcedures)
      .where(and(eq(storedProcedures.workspaceId, workspaceId), dsql`lower(${storedProcedures.name}) = lower(${stored})`));
    if (clash && clash.id !== exceptId) throw new ConflictError(`name: a procedure named '${clash.name}' already exists in this workspace`, { field: 'name' });
  }

  async create(workspaceId: string, input: { name: string; schema?: string | undefined; sqlDraft?: string | undefined }, createdBy: string | null): Promise<ProcedureDetail> {
    checkName('name', input.name);
    const schema = input.schema ?? DEFAULT_SCHEMA;
    checkName('schema', schema);
    const procedure = { schema, name: input.name };
    const stored = storedNameOf(procedure);
    if (stored.length > 128) throw new InvalidInputError('name', 'name: schema and name together must be at most 127 characters (stored as schema.name)');
    await this.#assertNameFree(workspaceId, stored);
    const [row] = await this.db
      .insert(storedProcedures)
      .values({ workspaceId, name: stored, status: 'draft', sqlDraft: input.sqlDraft ?? defaultDraft(procedure), createdBy, updatedAt: firstVersion })
      .returning({ id: storedProcedures.id });
    return this.get(workspaceId, row!.id);
  }

  /** Optimistic concurrency: only when the row is still at `expectedUpdatedAt`; else CONFLICT. */
  async saveDraft(workspaceId: string, procedureId: string, sqlDraft: string, expectedUpdatedAt: Date): Promise<ProcedureDetail> {
    const [row] = await this.db
      .update(storedProcedures)
      .set({ sqlDraft, updatedAt: nextVersion })
      .where(and(eq(storedProcedures.workspaceId, workspaceId), eq(storedProcedures.id, procedureId), eq(storedProcedures.updatedAt, expectedUpdatedAt)))
      .returning({ id: storedProcedures.id });
    if (!row) await this.#staleOrMissing(workspaceId, procedureId, expectedUpdatedAt);
    return this.get(workspaceId, procedureId);
  }

  async #staleOrMissing(workspaceId: string, procedureId: string, expected: Date): Promise<never> {
    const current = await this.get(workspaceId, procedureId);
    throw new ConflictError('The procedure was changed since you loaded it; reload it and reapply your edit', {
      field: 'expectedUpdatedAt',
      reason: 'stale_version',
      expectedUpdatedAt: expected,
      currentUpdatedAt: current.updatedAt,
    });
  }

  /**
   * Renames the record and the name in the draft's header. A published procedure keeps its name:
   * the server copy would otherwise be orphaned under the old name.
   */
  async rename(workspaceId: string, procedureId: string, input: { name: string; schema?: string | undefined; expectedUpdatedAt: Date }): Promise<ProcedureDetail> {
    checkName('name', input.name);
    const current = await this.get(workspaceId, procedureId);
    const schema = input.schema ?? current.schema;
    checkName('schema', schema);
    if (current.status === 'published') {
      throw new ServiceError('precondition_failed', 'A published procedure cannot be renamed; create a new one and delete this one (dropping it from the server)', {
        field: 'procedureId',
        reason: 'published',
      });
    }
    const to = { schema, name: input.name };
    const stored = storedNameOf(to);
    if (stored.length > 128) throw new InvalidInputError('name', 'name: schema and name together must be at most 127 characters (stored as schema.name)');
    await this.#assertNameFree(workspaceId, stored, procedureId);
    const sqlDraft = renameInDraft(current.sqlDraft, { schema: current.schema, name: current.procedureName }, to);
    const [row] = await this.db
      .update(storedProcedures)
      .set({ name: stored, sqlDraft, updatedAt: nextVersion })
      .where(and(eq(storedProcedures.workspaceId, workspaceId), eq(storedProcedures.id, procedureId), eq(storedProcedures.updatedAt, input.expectedUpdatedAt)))
      .returning({ id: storedProcedures.id });
    if (!row) await this.#staleOrMissing(workspaceId, procedureId, input.expectedUpdatedAt);
    await this.runnables.announce(workspaceId, procedureId);
    return this.get(workspaceId, procedureId);
  }

  async delete(workspaceId: string, procedureId: string) {
    const [row] = await this.db
      .delete(storedProcedures)
      .where(and(eq(storedProcedures.workspaceId, workspaceId), eq(storedProcedures.id, procedureId)))
      .returning({ id: storedProcedures.id, name: storedProcedures.name });
    if (!row) throw new NotFoundError('Procedure', { field: 'procedureId' });
    await this.runnables.announce(workspaceId, procedureId);
    return row;
  }

  /** Unified diff, published (old) → draft (new); `identical` when nothing is unpublished. */
  async diff(workspaceId: string, procedureId: string) {
    const row = await this.get(workspaceId, procedureId);
    const published = row.sqlPublished ?? '';
    const patch = structuredPatch('published', 'draft', withNewline(published), withNewline(row.sqlDraft), '', '', { context: 3 });
    return {
      procedureId: row.id,
      status: row.status,
      publishedAt: row.publishedAt,
      identical: row.sqlPublished === row.sqlDraft,
      hunks: patch.hunks.map((h) => ({ oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines, lines: h.lines })),
    };
  }

  /**
   * The environment to publish to / run on: the one named, else the workspace's default. Its
   * connection must be a SQL Server connection.
   */
  async targetOf(workspaceId: string, environmentId?: string): Promise<PublishTarget> {
    const database = await this.workspaceDatabases.targetOf(workspaceId, { environmentId }, { sqlServerOnly: true });
    const { environment } = database;
    return { environmentId: environment.environmentId, environmentName: environment.environmentName, isDefault: environment.isDefault, connectionId: database.connectionId, target: database.poolTarget };
  }

  /** A server that cannot be reached is reported naming the environment and its host. */
  async #withPool<R>(target: PublishTarget, fn: (pool: sql.ConnectionPool) => Promise<R>): Promise<R> {
    try {
      return await this.workspaceDatabases.withConnection({ poolTarget: target.target }, (lease) => fn(lease.pool as sql.ConnectionPool), { timeoutMs: ACQUIRE_TIMEOUT_MS });
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      throw new EnvironmentUnavailableError({ id: target.environmentId, name: target.environmentName, host: target.target.host, port: target.target.port ?? null }, error);
    }
  }

  /**
   * Deploys the draft as `CREATE OR ALTER PROCEDURE` on the workspace server; nothing is written to
   * the system database (that is `markPublished`, in the caller's transaction with its audit row).
   * Answers the draft text that was deployed. A SQL Server error comes back as SqlServerError with
   * the line mapped to the editor.
   */
  async deploy(workspaceId: string, procedureId: string, target: PublishTarget, expectedUpdatedAt?: Date): Promise<{ sqlDeployed: string }> {
    const record = await this.get(workspaceId, procedureId);
    if (expectedUpdatedAt !== undefined && record.updatedAt.getTime() !== expectedUpdatedAt.getTime()) {
      await this.#staleOrMissing(workspaceId, procedureId, expectedUpdatedAt);
    }
    const procedure = { schema: record.schema, name: record.procedureName };
    const deployable = deployableDefinition(record.sqlDraft, procedure);
    await this.#withPool(target, async (pool) => {
      try {
        await pool.request().batch(deployable.sql);
      } catch (error) {
        const server = serverMessageOf(error, deployable.startLine);
        if (server) throw new SqlServerError(server, { environmentId: target.environmentId }, { cause: error });
        throw error;
      }
    });
    return { sqlDeployed: record.sqlDraft };
  }

  /** After a successful `deploy`: copies the deployed text to sql_published. */
  async markPublished(workspaceId: string, procedureId: string, sqlDeployed: string): Promise<ProcedureDetail> {
    // Publishing does not change the draft: updated_at (the draft's version) stays as it was.
    const [row] = await this.db
      .update(storedProcedures)
      .set({ sqlPublished: sqlDeployed, status: 'published', publishedAt: new Date(), updatedAt: dsql`${storedProcedures.updatedAt}` })
      .where(and(eq(storedProcedures.workspaceId, workspaceId), eq(storedProcedures.id, procedureId)))
      .returning({ id: storedProcedures.id });
    if (!row) throw new NotFoundError('Procedure', { field: 'procedureId' });
    await this.runnables.announce(workspaceId, procedureId);
    return this.get(workspaceId, procedureId);
  }

  /** `DROP PROCEDURE IF EXISTS [schema].[name]`, names quoted from the record. */
  async dropFromServer(target: PublishTarget, procedure: ProcedureName): Promise<void> {
    await this.#withPool(target, async (pool) => {
      try {
        await pool.request().batch(`DROP PROCEDURE IF EXISTS ${quotedProcedureName(procedure)}`);
      } catch (error) {
        const server = serverMessageOf(error, null);
        if (server) throw new SqlServerError(server, { environmentId: target.environmentId }, { cause: error });
        throw error;
      }
    });
  }

  /** Parameters of the published procedure as the server's catalogue has them. */
  async parameters(target: PublishTarget, procedure: ProcedureName, publishedAt: Date | null): Promise<ProcedureParameter[]> {
    return this.#withPool(target, async (pool) => {
      const discovered = await this.#discover(pool, procedure);
      this.catalogue.set(catalogueKeyOf(target, procedure, publishedAt), discovered);
      return discovered.parameters;
    });
  }

  async #discover(pool: sql.ConnectionPool, procedure: ProcedureName): Promise<DiscoveredProcedure> {
    const request = pool.request();
    request.input('schema', procedure.schema);
    request.input('name', procedure.name);
    const result = await request.query<Record<string, unknown>>(
      `SELECT m.definition FROM sys.procedures s JOIN sys.schemas sc ON sc.schema_id = s.schema_id JOIN sys.sql_modules m ON m.object_id = s.object_id WHERE s.name = @name AND sc.name = @schema;
SELECT p.name, p.parameter_id, p.system_type_id, p.max_length, p.precision, p.scale, p.is_output FROM sys.parameters p JOIN sys.procedures s ON s.object_id = p.object_id JOIN sys.schemas sc ON sc.schema_id = s.schema_id WHERE s.name = @name AND sc.name = @schema ORDER BY p.parameter_id;`,
    );
    const sets = result.recordsets as unknown as Record<string, unknown>[][];
    const definition = sets[0]?.[0]?.definition;
    if (typeof definition !== 'string') {
      throw new SqlServerError({
        number: 2812,
        message: `Could not find stored procedure '${procedure.schema}.${procedure.name}'.`,
        severity: 16,
        state: 62,
        line: null,
        serverLine: null,
        procedure: null,
      });
    }
    const defaults = new Map(declaredParameters(definition).map((p) => [p.name.toLowerCase(), p.hasDefault]));
    const catalogue = (sets[1] ?? []).map(
      (r): CatalogueParameter => ({
        name: String(r.name),
        systemTypeId: Number(r.system_type_id),
        maxLength: Number(r.max_length),
        precision: Number(r.precision),
        scale: Number(r.scale),
        isOutput: Boolean(r.is_output),
      }),
    );
    return { catalogue, parameters: catalogue.map((p) => describeParameter(p, defaults.get(p.name.replace(/^@/, '').toLowerCase()) ?? false)) };
  }

  /**
   * Runs the published procedure by RPC (`request.execute`), never as EXEC text. Parameters are
   * typed from the catalogue; rows beyond `rowLimit` per result set are read and dropped
   * (`truncated`); a cancel or the timeout sends a TDS attention and the connection stays usable.
   */
  async execute(
    target: PublishTarget,
    record: { schema: string; procedureName: string; sqlPublished: string | null; publishedAt: Date | null },
    options: ExecuteOptions,
    running: { execution: RunningExecution; attach(cancel: () => void): void },
  ): Promise<ExecutionResult> {
    const procedure = { schema: record.schema, name: record.procedureName };
    // Errors inside the procedure carry lines of its CREATE batch: map them to the published text.
    const lineOffset = publishedLineOffset(record.sqlPublished, procedure);
    return this.#withPool(target, async (pool) => {
      const key = catalogueKeyOf(target, procedure, record.publishedAt);
      const cached = this.catalogue.get(key);
      const discovered = cached ?? (await this.#discover(pool, procedure));
      if (!cached) this.catalogue.set(key, discovered);
      try {
        return await this.#run(pool, procedure, discovered, lineOffset, options, running);
      } catch (error) {
        // The procedure may have changed on the server since it was cached (altered outside the
        // editor): a parameter the cache does not know, or the server's binding errors. Both come
        // before the procedure runs, so reading the catalogue again and retrying is safe.
        const mismatch = error instanceof InvalidInputError || (error instanceof SqlServerError && PARAMETER_MISMATCH.has(error.server.number));
        const stale = cached !== undefined && mismatch && !running.execution.cancelRequested;
        if (!stale) throw error;
        this.catalogue.delete(key);
        const fresh = await this.#discover(pool, procedure);
        this.catalogue.set(key, fresh);
        return this.#run(pool, procedure, fresh, lineOffset, options, running);
      }
    });
  }

  async #run(
    pool: sql.ConnectionPool,
    procedure: ProcedureName,
    discovered: DiscoveredProcedure,
    lineOffset: number | null,
    options: ExecuteOptions,
    running: { execution: RunningExecution; attach(cancel: () => void): void },
  ): Promise<ExecutionResult> {
    const request = pool.request();
    bindParameters(request, discovered, options.parameters);
    request.stream = true;
    request.arrayRowMode = true;

    const resultSets: ResultSet[] = [];
    const messages: SqlServerMessage[] = [];
    const errors: unknown[] = [];
    request.on('recordset', (columns: Parameters<typeof describeColumn>[0][]) => {
      resultSets.push({ columns: columns.map(describeColumn), rows: [], rowCount: 0, truncated: false });
    });
    request.on('row', (row: unknown[]) => {
      const set = resultSets.at(-1);
      if (!set) return;
      set.rowCount++;
      if (set.rows.length >= options.rowLimit) {
        set.truncated = true;
        return;
      }
      set.rows.push(row.map((value, i) => resultValue(value, set.columns[i]?.type ?? 'unknown', set.columns[i]?.scale ?? null)));
    });
    request.on('info', (info: unknown) => {
      const message = serverMessageOf(info, null);
      if (message) messages.push(withProcedureLine(message, procedure, lineOffset));
    });
    request.on('error', (error: unknown) => errors.push(error));

    let timedOut = false;
    const started = performance.now();
    const done = new Promise<{ output?: Record<string, unknown>; rowsAffected?: number[]; returnValue?: number }>((resolve) => request.once('done', resolve));
    void request.execute(quotedProcedureName(procedure));
    // After execute(): mssql resets its cancel flag when a request starts.
    running.attach(() => request.cancel());
    const timer = setTimeout(() => {
      timedOut = true;
      request.cancel();
    }, options.timeoutMs);
    timer.unref();
    try {
      const finished = await done;
      const elapsedMs = performance.now() - started;
      const error = errors.at(-1);
      const cancelled = running.execution.cancelRequested || timedOut;
      if (error !== undefined && !cancelled) {
        const server = serverMessageOf(error, null);
        // The connection's request timeout fired before the run's own: the same answer, naming that limit.
        if (!server && isDriverTimeout(error)) throw new QueryTimeoutError(requestTimeoutOf(pool), { executionId: running.execution.id, limit: 'connection' });
        if (!server) throw error;
        throw new SqlServerError(withProcedureLine(server, procedure, lineOffset), { messages, elapsedMs }, { cause: error });
      }
      if (timedOut && !running.execution.cancelRequested) throw new ExecutionTimeoutError(options.timeoutMs, running.execution.id);
      const output: Record<string, unknown> = {};
      for (const p of discovered.parameters.filter((x) => x.direction === 'inout')) {
        const raw = finished.output?.[p.name];
        output[p.name] = resultValue(raw ?? null, p.type, p.scale);
      }
      return {
        executionId: running.execution.id,
        status: cancelled ? ('cancelled' as const) : ('completed' as const),
        returnValue: cancelled ? null : (finished.returnValue ?? null),
        output: cancelled ? {} : output,
        resultSets,
        truncated: resultSets.some((s) => s.truncated),
        rowLimit: options.rowLimit,
        messages,
        rowsAffected: finished.rowsAffected ?? [],
        elapsedMs: Math.round(elapsedMs * 100) / 100,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The pool could not give a connection, or the connection broke: not a refusal by policy or a bad setting. */
function isUnavailable(error: unknown): boolean {
  if (error instanceof ConnectionOperationError) return error.transient;
  return error instanceof WorkspacePoolError && !(error instanceof PoolOptionsError) && !(error instanceof ConnectRefusedError);
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** Published texts already parsed for their line offset: every run of a procedure needs it, the text rarely changes. */
const lineOffsets = new Map<string, { schema: string; name: string; offset: number | null }>();
const LINE_OFFSETS_KEPT = 1_000;

function publishedLineOffset(sqlPublished: string | null, procedure: ProcedureName): number | null {
  if (sqlPublished === null) return null;
  const known = lineOffsets.get(sqlPublished);
  if (known && known.schema === procedure.schema && known.name === procedure.name) return known.offset;
  let offset: number | null;
  try {
    offset = deployableDefinition(sqlPublished, procedure).startLine;
  } catch {
    offset = null;
  }
  if (lineOffsets.size >= LINE_OFFSETS_KEPT) lineOffsets.delete(lineOffsets.keys().next().value!);
  lineOffsets.set(sqlPublished, { schema: procedure.schema, name: procedure.name, offset });
  return offset;
}

/** A message raised inside this procedure gets its editor line; others keep the server's. */
function withProcedureLine(message: SqlServerMessage, procedure: ProcedureName, lineOffset: number | null): SqlServerMessage {
  const inside = message.procedure !== null && sameIdentifier(message.procedure.replace(/^.*\./, ''), procedure.name);
  if (!inside || lineOffset === null || message.serverLine === null) return { ...message, line: inside ? message.serverLine : null };
  return { ...message, line: lineOffset + message.serverLine - 1 };
}

/** The pool's driver request timeout (mssql keeps its config untyped). */
function requestTimeoutOf(pool: sql.ConnectionPool): number {
  const configured = (pool as unknown as { config?: { requestTimeout?: unknown } }).config?.requestTimeout;
  return typeof configured === 'number' ? configured : DRIVER_REQUEST_TIMEOUT_MS;
}

function bindParameters(request: sql.Request, discovered: DiscoveredProcedure, provided: Record<string, unknown>): void {
  const byName = new Map(discovered.parameters.map((p, i) => [p.name.toLowerCase(), i]));
  for (const key of Object.keys(provided)) {
    if (!byName.has(key.replace(/^@/, '').toLowerCase())) {
      throw new InvalidInputError(`parameters.${key}`, `parameters.${key}: the procedure has no parameter @${key.replace(/^@/, '')}`);
    }
  }
  const given = new Map(Object.entries(provided).map(([k, v]) => [k.replace(/^@/, '').toLowerCase(), v]));
  discovered.parameters.forEach((p, i) => {
    const catalogue = discovered.catalogue[i]!;
    const supplied = given.has(p.name.toLowerCase());
    const value = given.get(p.name.toLowerCase());
    if (p.direction === 'inout') {
      // Bound even when not given, so SQL Server returns its value (RETURNVALUE).
      request.output(p.name, mssqlTypeOf(catalogue), coerceParameterValue(p, value));
      return;
    }
    if (!supplied) {
      if (!p.hasDefault) throw new InvalidInputError(`parameters.${p.name}`, `parameters.${p.name}: required (the procedure declares no default)`);
      return;
    }
    request.input(p.name, mssqlTypeOf(catalogue), coerceParameterValue(p, value));
  });
}
