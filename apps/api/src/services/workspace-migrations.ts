// Workspace database migrations (MISSION F5) in the API: which database an environment points at,
// running @studio/workspace-migrations against it through the pool manager, the schema check when
// a pool is created, the cached status row per connection, the query gate, and the audit row of
// every run. No tRPC here: routers, the environment save and the ws:* CLI call this.
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { StudioDatabase } from '@studio/db';
import {
  connections,
  environments,
  roles,
  users,
  workspaces,
  workspaceSchemaStatus,
  type WorkspaceMigrationRun,
  type WorkspaceSchemaError,
} from '@studio/db/schema';
import { CircuitOpenError, PoolCreateError, WorkspacePoolError, type ConnectionTarget, type NativePools, type WorkspacePoolManager } from '@studio/mssql-pool';
import {
  migrateAll,
  MigrationConnectionError,
  MigrationDriftError,
  MigrationFailedError,
  MigrationLockedError,
  MigrationOptionsError,
  MigrationRollbackError,
  MigrationTargetError,
  WorkspaceMigrationError,
  WorkspaceMigrator,
  type MigrationEntry,
  type PlannedMigration,
  type SchemaStatus,
  type SchemaValidation,
} from '@studio/workspace-migrations';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { AuditActor, AuditService } from './audit';
import type { ConnectionService } from './connections';
import { InvalidInputError, NotFoundError, ServiceError } from './errors';
import { OutboundPolicyError, type OutboundPolicy } from './outbound-policy';
import { poolTargetOf } from './workspace-pools';

type MssqlPool = NativePools['mssql'];

export interface WorkspaceMigrationConfig {
  /** Refuse workspace queries (F10 `schema_needs_migration`) while a database is behind. Default: allowed. */
  refuseQueriesWhenBehind: boolean;
  /** Workspaces migrated at once by applyAll (default 4). */
  concurrency: number;
  /** How long a run waits for another run on the same database (sp_getapplock). */
  lockTimeoutMs: number;
  /** Longest the schema check on pool creation may hold up the pool's first callers. */
  validateTimeoutMs: number;
  /** Acquire timeout for the pool a run or status check uses. */
  acquireTimeoutMs: number;
  /** The T-SQL migrations folder; default: the one shipped with @studio/workspace-migrations. */
  migrationsDir?: string | undefined;
}

export const defaultWorkspaceMigrationConfig: WorkspaceMigrationConfig = {
  refuseQueriesWhenBehind: false,
  concurrency: 4,
  lockTimeoutMs: 30_000,
  validateTimeoutMs: 5_000,
  acquireTimeoutMs: 15_000,
};

/** Where a run came from: who is audited and what the workspace database's history records. */
export interface MigrationOrigin {
  actor: AuditActor | null;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
  /** Recorded in the workspace database's `applied_by` (a username and where it ran, never a secret). */
  appliedBy: string;
  trigger: 'api' | 'applyAll' | 'cli' | 'environment.save' | 'demo.start';
}

/** The environment (and so the database) a migration call acts on. */
export interface MigrationScope {
  workspaceId: string;
  workspaceSlug: string;
  environmentId: string;
  environmentName: string;
  connectionId: string;
}

export type MigrationRunOutcome = 'applied' | 'current' | 'rolled_back' | 'failed' | 'locked' | 'drifted';

/** Why a run failed, safe to show and audit: codes, SQL Server's number and message, never settings. */
export interface MigrationRunError {
  /** `MIGRATION_FAILED`, `MIGRATION_LOCKED`, `MIGRATION_DRIFT`, `MIGRATION_CONNECTION`, `POOL_CREATE`, `CIRCUIT_OPEN`, `outbound_refused`, … */
  code: string;
  number: number | null;
  message: string;
  /** The migration that failed, when one did. */
  version: number | null;
  /** Line in the migration file, when the server reported one. */
  line: number | null;
  problems?: { kind: string; version: number; message: string }[];
}

export interface MigrationRunReport extends MigrationScope {
  operation: 'apply' | 'rollback';
  ok: boolean;
  outcome: MigrationRunOutcome;
  from: number | null;
  to: number | null;
  /** Applied (or, for a rollback, rolled back) by this run; for a failure, those before it. */
  migrations: { version: number; name: string; executionMs: number }[];
  error: MigrationRunError | null;
  durationMs: number;
}

/** `migration` in the environment save response. */
export interface SaveMigrationOutcome {
  status: 'applied' | 'current' | 'failed' | 'skipped';
  version: number | null;
  applied: { version: number; name: string; executionMs: number }[];
  /** Why nothing ran: `opted_out`, `not_configured`, `connection_unchanged`, `saved_untested`. */
  reason?: string;
  error?: MigrationRunError;
}

export interface ApplyAllReport {
  concurrency: number;
  ok: number;
  failed: number;
  skipped: number;
  durationMs: number;
  results: (MigrationRunReport | SkippedWorkspace)[];
}

export interface SkippedWorkspace {
  workspaceId: string;
  workspaceSlug: string;
  environmentId: string | null;
  environmentName: string | null;
  connectionId: null;
  operation: 'apply';
  ok: false;
  outcome: 'skipped';
  reason: 'no_default_environment' | 'environment_unconfigured';
}

export interface DryRunResult {
  direction: 'up' | 'down';
  from: number | null;
  to: number | null;
  plan: PlannedMigration[];
  script: string;
}

export type StoredSchemaStatus = 'unknown' | SchemaStatus;

/** The cached row as clients see it (environments.get/list, status when the database is unreachable). */
export interface SchemaStatusSummary {
  status: StoredSchemaStatus;
  currentVersion: number | null;
  latestVersion: number;
  pending: { version: number; name: string }[];
  problems: { kind: string; version: number; message: string }[];
  lastError: WorkspaceSchemaError | null;
  lastRun: WorkspaceMigrationRun | null;
  checkedAt: Date;
}

export interface WorkspaceMigrationStatus extends MigrationScope, SchemaStatusSummary {
  /** False when the database could not be reached: the rest is the last known state. */
  reachable: boolean;
  /** Why it could not be reached (or the check failed). */
  error: MigrationRunError | null;
  entries: MigrationEntry[];
}

/** A workspace query refused because its database is behind and the API is configured to refuse. */
export class SchemaNeedsMigrationError extends ServiceError {
  constructor(details: { workspaceId: string; connectionId: string; status: SchemaStatus; current: number | null; latest: number; pending: { version: number; name: string }[] }) {
    super(
      'schema_needs_migration',
      `The workspace database is at schema version ${details.current ?? 'none'} of ${details.latest}; apply the pending migrations before running queries`,
      { reason: details.status, connectionId: details.connectionId, current: details.current, latest: details.latest, pending: details.pending },
    );
    this.name = 'SchemaNeedsMigrationError';
  }
}

/** The cached schema status of a workspace database, as callers see it (environments show it too). */
export const schemaStatusColumns = {
  status: workspaceSchemaStatus.status,
  currentVersion: workspaceSchemaStatus.currentVersion,
  latestVersion: workspaceSchemaStatus.latestVersion,
  pending: workspaceSchemaStatus.pending,
  problems: workspaceSchemaStatus.problems,
  lastError: workspaceSchemaStatus.lastError,
  lastRun: workspaceSchemaStatus.lastRun,
  checkedAt: workspaceSchemaStatus.checkedAt,
};

const statusColumns = { connectionId: workspaceSchemaStatus.connectionId, ...schemaStatusColumns };

function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MigrationConnectionError(what, new Error(`no answer within ${ms} ms`))), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A failure as the API shows and audits it; driver messages of pool failures are not passed on. */
export function runErrorOf(error: unknown): MigrationRunError {
  if (error instanceof MigrationFailedError) {
    return { code: error.code, number: error.number ?? null, message: error.message, version: error.version, line: error.line ?? null };
  }
  if (error instanceof MigrationDriftError) {
    return { code: error.code, number: null, message: error.message, version: null, line: null, problems: error.problems.map((p) => ({ ...p })) };
  }
  if (error instanceof MigrationConnectionError) {
    return { code: error.code, number: error.number ?? null, message: error.message, version: null, line: null };
  }
  if (error instanceof WorkspaceMigrationError) return { code: error.code, number: null, message: error.message, version: null, line: null };
  if (error instanceof WorkspacePoolError) {
    const create = error instanceof PoolCreateError ? error : error instanceof CircuitOpenError && error.cause instanceof PoolCreateError ? error.cause : undefined;
    const number = create?.number ?? null;
    const reason = number === 18456 ? 'login failed' : number === 4060 ? 'cannot open the database' : error instanceof CircuitOpenError ? 'failing fast after repeated failures' : 'not available';
    return { code: error.code, number, message: `The workspace database refused the connection (${reason})`, version: null, line: null };
  }
  if (error instanceof OutboundPolicyError) return { code: error.code, number: null, message: error.message, version: null, line: null };
  if (error instanceof ServiceError) return { code: error.code, number: null, message: error.message, version: null, line: null };
  return { code: 'UNKNOWN', number: null, message: 'The migration run failed unexpectedly', version: null, line: null };
}

function outcomeOfFailure(error: unknown): MigrationRunOutcome {
  if (error instanceof MigrationLockedError) return 'locked';
  if (error instanceof MigrationDriftError) return 'drifted';
  return 'failed';
}

/** Refusals that mean "bad request", raised before anything ran. */
function inputErrorOf(error: unknown, field: 'target' | 'steps'): ServiceError | undefined {
  if (error instanceof MigrationOptionsError) return new InvalidInputError(error.field, `${error.field}: ${error.message}`);
  if (error instanceof MigrationTargetError) return new InvalidInputError(field, `${field}: ${error.message}`);
  if (error instanceof MigrationRollbackError) {
    return new ServiceError('precondition_failed', error.message, { reason: 'no_down_migration', version: error.version });
  }
  return undefined;
}

export class WorkspaceMigrationService {
  readonly config: WorkspaceMigrationConfig;
  /** Used for checks (status, validation on pool creation): never takes the lock or writes. */
  readonly #validator: WorkspaceMigrator;
  /** Schema status per `workspaceId:connectionId`, from the last check in this process (the query gate). */
  readonly #live = new Map<string, SchemaValidation>();
  #detach: (() => void) | undefined;

  constructor(
    private readonly deps: {
      db: StudioDatabase;
      connections: ConnectionService;
      pools: WorkspacePoolManager;
      outboundPolicy: OutboundPolicy;
      audit: AuditService;
      logger: Logger;
    },
    config: Partial<WorkspaceMigrationConfig> = {},
  ) {
    this.config = { ...defaultWorkspaceMigrationConfig, ...config };
    this.#validator = this.#migrator(`studio-api@${hostname()}`);
  }

  /** Validate every new SQL Server pool's schema once, before its first callers (F5 "validated on connect"). */
  attach(): void {
    this.#detach ??= this.deps.pools.onPoolCreated(async (event, pool) => {
      if (event.type !== 'mssql') return;
      await this.#validateOnCreate(event.workspaceId, event.connectionId, pool as MssqlPool);
    });
  }

  detach(): void {
    this.#detach?.();
    this.#detach = undefined;
  }

  async #validateOnCreate(workspaceId: string, connectionId: string, pool: MssqlPool): Promise<void> {
    const fields = { workspaceId, connectionId };
    let validation: SchemaValidation;
    try {
      validation = await deadline(this.#validator.validate(pool), this.config.validateTimeoutMs, 'schema check on pool creation');
    } catch (error) {
      const runError = runErrorOf(error);
      this.deps.logger.warn({ ...fields, code: runError.code, number: runError.number }, 'workspace schema check on pool creation failed');
      await this.#store(workspaceId, connectionId, { error: runError }).catch((storeError: unknown) => this.#storeFailed(storeError, fields));
      return;
    }
    this.#live.set(`${workspaceId}:${connectionId}`, validation);
    if (validation.status === 'drifted') {
      this.deps.logger.warn({ ...fields, problems: validation.problems }, 'workspace schema drifted from the migrations; needs a human');
    } else if (validation.status !== 'current') {
      this.deps.logger.info({ ...fields, status: validation.status, current: validation.current, latest: validation.latest }, 'workspace schema is behind');
    }
    await this.#store(workspaceId, connectionId, { validation }).catch((storeError: unknown) => this.#storeFailed(storeError, fields));
  }

  #storeFailed(error: unknown, fields: Record<string, unknown>): void {
    // Pools for connections outside the registry (or a closing system database) have no row to keep.
    this.deps.logger.warn({ ...fields, err: error }, 'workspace schema status not stored');
  }

  #migrator(appliedBy: string): WorkspaceMigrator {
    return new WorkspaceMigrator({
      appliedBy: appliedBy.slice(0, 200),
      lockTimeoutMs: this.config.lockTimeoutMs,
      ...(this.config.migrationsDir !== undefined && { migrationsDir: this.config.migrationsDir }),
      log: (level, message, fields) => this.deps.logger[level](fields, message),
    });
  }

  /** The environment a call acts on: the chosen one, or the workspace's default. */
  async resolve(workspaceId: string, environmentId?: string): Promise<MigrationScope> {
    const [row] = await this.deps.db
      .select({
        environmentId: environments.id,
        environmentName: environments.name,
        connectionId: environments.connectionId,
        workspaceSlug: workspaces.slug,
        type: connections.type,
      })
      .from(environments)
      .innerJoin(workspaces, eq(workspaces.id, environments.workspaceId))
      .leftJoin(connections, eq(connections.id, environments.connectionId))
      .where(and(eq(environments.workspaceId, workspaceId), environmentId === undefined ? eq(environments.isDefault, true) : eq(environments.id, environmentId)));
    if (!row) {
      if (environmentId !== undefined) throw new NotFoundError('Environment', { field: 'environmentId' });
      throw new ServiceError('precondition_failed', 'This workspace has no default environment to migrate', { reason: 'no_default_environment' });
    }
    if (row.connectionId === null) {
      throw new ServiceError('precondition_failed', `Environment "${row.environmentName}" has no connection`, { reason: 'environment_unconfigured', field: 'environmentId' });
    }
    if (row.type !== 'mssql') {
      throw new ServiceError('precondition_failed', 'Workspace migrations run on SQL Server connections only', { reason: 'not_sql_server', field: 'environmentId' });
    }
    return { workspaceId, workspaceSlug: row.workspaceSlug, environmentId: row.environmentId, environmentName: row.environmentName, connectionId: row.connectionId };
  }

  async #poolTarget(scope: MigrationScope): Promise<ConnectionTarget> {
    const { id: _id, name: _name, ...settings } = await this.deps.connections.settingsOf(scope.workspaceId, scope.connectionId);
    const decision = await this.deps.outboundPolicy.check(settings.host);
    if (!decision.allowed) throw new OutboundPolicyError(decision);
    return poolTargetOf(scope.workspaceId, scope.connectionId, settings);
  }

  #withPool<R>(target: ConnectionTarget, fn: (pool: MssqlPool) => Promise<R>): Promise<R> {
    return this.deps.pools.withConnection(target, (lease) => fn(lease.pool as MssqlPool), { timeoutMs: this.config.acquireTimeoutMs });
  }

  /** Applies pending migrations (up to `target`) to the environment's database. Failures are reported, not thrown. */
  apply(scope: MigrationScope, options: { target?: number | undefined }, origin: MigrationOrigin): Promise<MigrationRunReport> {
    return this.#run(scope, 'apply', origin, async (migrator, pool) => {
      const result = await migrator.migrate(pool, options.target === undefined ? {} : { target: options.target });
      return { from: result.from, to: result.to, migrations: [...result.applied] };
    });
  }

  /** Runs the down parts of the last `steps` applied migrations. Failures are reported, not thrown. */
  rollback(scope: MigrationScope, options: { steps: number }, origin: MigrationOrigin): Promise<MigrationRunReport> {
    return this.#run(scope, 'rollback', origin, async (migrator, pool) => {
      const result = await migrator.rollback(pool, { steps: options.steps });
      return { from: result.from, to: result.to, migrations: [...result.rolledBack] };
    });
  }

  async #run(
    scope: MigrationScope,
    operation: 'apply' | 'rollback',
    origin: MigrationOrigin,
    fn: (migrator: WorkspaceMigrator, pool: MssqlPool) => Promise<{ from: number | null; to: number | null; migrations: MigrationRunReport['migrations'] }>,
  ): Promise<MigrationRunReport> {
    const started = performance.now();
    let report: MigrationRunReport;
    let target: ConnectionTarget | undefined;
    try {
      target = await this.#poolTarget(scope);
      const migrator = this.#migrator(origin.appliedBy);
      const pinned = target;
      const result = await this.#withPool(pinned, (pool) => fn(migrator, pool));
      const outcome: MigrationRunOutcome = result.migrations.length === 0 ? 'current' : operation === 'apply' ? 'applied' : 'rolled_back';
      report = { ...scope, operation, ok: true, outcome, ...result, error: null, durationMs: Math.round(performance.now() - started) };
    } catch (error) {
      const refusal = inputErrorOf(error, operation === 'apply' ? 'target' : 'steps');
      if (refusal) {
        await this.#audit(scope, origin, operation, 'failure', { error: { code: refusal.code, message: refusal.message } });
        throw refusal;
      }
      const failed = error instanceof MigrationFailedError ? error : undefined;
      report = {
        ...scope,
        operation,
        ok: false,
        outcome: outcomeOfFailure(error),
        from: null,
        to: failed && failed.direction === 'up' ? (failed.completed.at(-1)?.version ?? null) : null,
        migrations: failed ? [...failed.completed] : [],
        error: runErrorOf(error),
        durationMs: Math.round(performance.now() - started),
      };
    }
    await this.#afterRun(scope, target, report);
    await this.#audit(scope, origin, operation, report.ok ? 'success' : 'failure', {
      outcome: report.outcome,
      from: report.from,
      to: report.to,
      versions: report.migrations.map((m) => m.version),
      executionMs: report.migrations.reduce((sum, m) => sum + m.executionMs, 0),
      durationMs: report.durationMs,
      ...(report.error && { error: { code: report.error.code, number: report.error.number, version: report.error.version, message: report.error.message } }),
    });
    return report;
  }

  /** Re-reads the database's state (one round trip) so the stored status and the gate match the run. */
  async #afterRun(scope: MigrationScope, target: ConnectionTarget | undefined, report: MigrationRunReport): Promise<void> {
    let validation: SchemaValidation | undefined;
    if (target !== undefined && report.error?.code !== 'POOL_CREATE' && report.error?.code !== 'CIRCUIT_OPEN') {
      validation = await this.#withPool(target, (pool) => this.#validator.validate(pool)).catch(() => undefined);
    }
    if (validation) this.#live.set(`${scope.workspaceId}:${scope.connectionId}`, validation);
    const lastRun: WorkspaceMigrationRun = {
      operation: report.operation,
      outcome: report.ok ? (report.outcome === 'current' ? 'current' : report.operation === 'apply' ? 'applied' : 'rolled_back') : 'failed',
      from: report.from,
      to: report.to,
      at: new Date().toISOString(),
      durationMs: report.durationMs,
    };
    await this.#store(scope.workspaceId, scope.connectionId, {
      ...(validation && { validation }),
      error: report.error,
      lastRun,
    }).catch((error: unknown) => this.#storeFailed(error, { workspaceId: scope.workspaceId, connectionId: scope.connectionId }));
  }

  async #audit(scope: MigrationScope, origin: MigrationOrigin, operation: 'apply' | 'rollback', outcome: 'success' | 'failure', details: Record<string, unknown>): Promise<void> {
    await this.deps.audit.record({
      actor: origin.actor,
      workspaceId: scope.workspaceId,
      action: operation === 'apply' ? 'migration.apply' : 'migration.rollback',
      target: { type: 'environment', id: scope.environmentId },
      outcome,
      details: { trigger: origin.trigger, environment: scope.environmentName, connectionId: scope.connectionId, ...details },
      ip: origin.ip ?? null,
      userAgent: origin.userAgent ?? null,
    });
  }

  /** The SQL a run would send (history bookkeeping included); changes nothing, takes no lock. */
  async dryRun(scope: MigrationScope, options: { direction: 'up' | 'down'; target?: number | undefined; steps?: number | undefined }): Promise<DryRunResult> {
    const target = await this.#poolTarget(scope);
    try {
      return await this.#withPool(target, async (pool) => {
        if (options.direction === 'down') {
          const result = await this.#validator.rollback(pool, { steps: options.steps ?? 1, dryRun: true });
          return { direction: 'down' as const, from: result.from, to: result.to, plan: [...result.plan], script: result.script };
        }
        const result = await this.#validator.migrate(pool, { dryRun: true, ...(options.target !== undefined && { target: options.target }) });
        return { direction: 'up' as const, from: result.from, to: result.to, plan: [...result.plan], script: result.script };
      });
    } catch (error) {
      const refusal = inputErrorOf(error, options.direction === 'up' ? 'target' : 'steps');
      if (refusal) throw refusal;
      if (error instanceof MigrationDriftError) {
        throw new ServiceError('precondition_failed', error.message, { reason: 'schema_drifted', problems: error.problems.map((p) => ({ ...p })) });
      }
      throw error;
    }
  }

  /** Live status (one round trip to the database); the last known state when it cannot be reached. */
  async status(scope: MigrationScope): Promise<WorkspaceMigrationStatus> {
    try {
      const target = await this.#poolTarget(scope);
      const live = await this.#withPool(target, (pool) => this.#validator.status(pool));
      const { entries, history: _history, ...validation } = live;
      this.#live.set(`${scope.workspaceId}:${scope.connectionId}`, validation);
      await this.#store(scope.workspaceId, scope.connectionId, { validation }).catch((error: unknown) =>
        this.#storeFailed(error, { workspaceId: scope.workspaceId, connectionId: scope.connectionId }),
      );
      const stored = (await this.storedStatus([scope.connectionId])).get(scope.connectionId);
      return {
        ...scope,
        reachable: true,
        error: null,
        status: validation.status,
        currentVersion: validation.current,
        latestVersion: validation.latest,
        pending: [...validation.pending],
        problems: validation.problems.map((p) => ({ ...p })),
        lastError: validation.lastError
          ? { code: 'MIGRATION_FAILED', number: validation.lastError.number, message: validation.lastError.message, version: validation.lastError.version, at: validation.lastError.at.toISOString() }
          : (stored?.lastError ?? null),
        lastRun: stored?.lastRun ?? null,
        checkedAt: stored?.checkedAt ?? new Date(),
        entries: [...entries],
      };
    } catch (error) {
      // The registry's own refusals (no such connection) are errors; the database's are a status.
      if (error instanceof ServiceError) throw error;
      const stored = (await this.storedStatus([scope.connectionId])).get(scope.connectionId);
      const latest = (await this.#validator.migrations()).at(-1)?.version ?? 0;
      return {
        ...scope,
        reachable: false,
        error: runErrorOf(error),
        status: stored?.status ?? 'unknown',
        currentVersion: stored?.currentVersion ?? null,
        latestVersion: stored?.latestVersion ?? latest,
        pending: stored?.pending ?? [],
        problems: stored?.problems ?? [],
        lastError: stored?.lastError ?? null,
        lastRun: stored?.lastRun ?? null,
        checkedAt: stored?.checkedAt ?? new Date(0),
        entries: [],
      };
    }
  }

  /** The cached status rows of these connections (no round trip to any workspace database). */
  async storedStatus(connectionIds: readonly string[]): Promise<Map<string, SchemaStatusSummary>> {
    if (connectionIds.length === 0) return new Map();
    const rows = await this.deps.db.select(statusColumns).from(workspaceSchemaStatus).where(inArray(workspaceSchemaStatus.connectionId, [...connectionIds]));
    return new Map(rows.map(({ connectionId, status, ...rest }) => [connectionId, { status: status as StoredSchemaStatus, ...rest }]));
  }

  async #store(
    workspaceId: string,
    connectionId: string,
    patch: { validation?: SchemaValidation; error?: MigrationRunError | null; lastRun?: WorkspaceMigrationRun },
  ): Promise<void> {
    const now = new Date();
    const v = patch.validation;
    const fromValidation = v && {
      status: v.status,
      currentVersion: v.current,
      latestVersion: v.latest,
      pending: v.pending.map(({ version, name }) => ({ version, name })),
      problems: v.problems.map(({ kind, version, message }) => ({ kind, version, message })),
      checkedAt: now,
    };
    const lastError: WorkspaceSchemaError | null | undefined =
      patch.error === undefined
        ? v
          ? v.lastError
            ? { code: 'MIGRATION_FAILED', number: v.lastError.number, message: v.lastError.message, version: v.lastError.version, at: v.lastError.at.toISOString() }
            : null
          : undefined
        : patch.error === null
          ? null
          : { code: patch.error.code, number: patch.error.number, message: patch.error.message, version: patch.error.version, at: now.toISOString() };
    const update = {
      ...fromValidation,
      ...(lastError !== undefined && { lastError }),
      ...(patch.lastRun !== undefined && { lastRun: patch.lastRun }),
      updatedAt: now,
    };
    const latest = v?.latest ?? (await this.#validator.migrations()).at(-1)?.version ?? 0;
    await this.deps.db
      .insert(workspaceSchemaStatus)
      .values({
        connectionId,
        workspaceId,
        status: fromValidation?.status ?? 'unknown',
        currentVersion: fromValidation?.currentVersion ?? null,
        latestVersion: latest,
        pending: fromValidation?.pending ?? [],
        problems: fromValidation?.problems ?? [],
        lastError: lastError ?? null,
        lastRun: patch.lastRun ?? null,
        checkedAt: now,
      })
      .onConflictDoUpdate({ target: workspaceSchemaStatus.connectionId, set: update });
  }

  /**
   * Runs `fn` on the workspace connection's pool unless the database is behind and the API is
   * configured to refuse queries then (F10 `schema_needs_migration`). Acquiring first means a new
   * pool's schema check has already run; a refusal re-checks once, so a database migrated by
   * another instance is let through at the cost of one round trip.
   */
  async withCheckedConnection<R>(target: ConnectionTarget, fn: (pool: MssqlPool) => Promise<R>, options: { timeoutMs?: number } = {}): Promise<R> {
    return this.deps.pools.withConnection(
      target,
      async (lease) => {
        if (target.type === 'mssql' && this.config.refuseQueriesWhenBehind) {
          const key = `${target.workspaceId}:${target.connectionId}`;
          let known = this.#live.get(key);
          if (known !== undefined && (known.status === 'needs_migration' || known.status === 'uninitialised')) {
            known = await this.#validator.validate(lease.pool as MssqlPool);
            this.#live.set(key, known);
          }
          if (known !== undefined && (known.status === 'needs_migration' || known.status === 'uninitialised')) {
            throw new SchemaNeedsMigrationError({
              workspaceId: target.workspaceId,
              connectionId: target.connectionId,
              status: known.status,
              current: known.current,
              latest: known.latest,
              pending: [...known.pending],
            });
          }
        }
        return fn(lease.pool as MssqlPool);
      },
      options,
    );
  }

  /** Every workspace's default environment, by slug: the targets of applyAll. */
  async defaultEnvironments(): Promise<(MigrationScope | SkippedWorkspace)[]> {
    const rows = await this.deps.db
      .select({
        workspaceId: workspaces.id,
        workspaceSlug: workspaces.slug,
        environmentId: environments.id,
        environmentName: environments.name,
        connectionId: environments.connectionId,
        type: connections.type,
      })
      .from(workspaces)
      .leftJoin(environments, and(eq(environments.workspaceId, workspaces.id), eq(environments.isDefault, true)))
      .leftJoin(connections, eq(connections.id, environments.connectionId))
      .orderBy(asc(workspaces.slug));
    return rows.map((row): MigrationScope | SkippedWorkspace => {
      if (row.environmentId === null || row.connectionId === null || row.type !== 'mssql') {
        return {
          workspaceId: row.workspaceId,
          workspaceSlug: row.workspaceSlug,
          environmentId: row.environmentId,
          environmentName: row.environmentName,
          connectionId: null,
          operation: 'apply',
          ok: false,
          outcome: 'skipped',
          reason: row.environmentId === null ? 'no_default_environment' : 'environment_unconfigured',
        };
      }
      return {
        workspaceId: row.workspaceId,
        workspaceSlug: row.workspaceSlug,
        environmentId: row.environmentId,
        environmentName: row.environmentName ?? '',
        connectionId: row.connectionId,
      };
    });
  }

  /**
   * Applies pending migrations to every workspace's default environment, `concurrency` at a time,
   * carrying on past failures; one report per workspace (workspaces without a configured default
   * environment are `skipped`). Each run is audited in its workspace.
   */
  async applyAll(options: { concurrency?: number | undefined }, origin: MigrationOrigin): Promise<ApplyAllReport> {
    const concurrency = options.concurrency ?? this.config.concurrency;
    const started = performance.now();
    const all = await this.defaultEnvironments();
    const scopes = all.filter((entry): entry is MigrationScope => entry.connectionId !== null);
    const reports = new Map<string, MigrationRunReport>();
    const summary = await migrateAll(scopes, {
      concurrency,
      continueOnError: true,
      workspaceOf: (scope) => scope.workspaceId,
      run: async (scope) => {
        const report = await this.apply(scope, {}, origin);
        reports.set(scope.workspaceId, report);
        return { dryRun: false, from: report.from, to: report.to, applied: report.migrations, plan: [], script: '' };
      },
    });
    // `apply` reports run failures itself; anything it threw instead (the system database going
    // away mid-run) still gets a row, from migrateAll's own record of that workspace.
    const thrown = new Map(summary.results.map((result) => [result.workspace, result]));
    const results = all.map((entry): MigrationRunReport | SkippedWorkspace => {
      if (entry.connectionId === null) return entry;
      const report = reports.get(entry.workspaceId);
      if (report) return report;
      const failed = thrown.get(entry.workspaceId);
      return {
        ...entry,
        operation: 'apply',
        ok: false,
        outcome: 'failed',
        from: null,
        to: null,
        migrations: [],
        error: { code: failed?.error?.code ?? 'UNKNOWN', number: failed?.error?.number ?? null, message: failed?.error?.message ?? 'The run did not finish', version: null, line: null },
        durationMs: failed?.durationMs ?? 0,
      };
    });
    const ok = results.filter((r) => r.ok).length;
    const skipped = results.filter((r) => r.outcome === 'skipped').length;
    return { concurrency, ok, failed: results.length - ok - skipped, skipped, durationMs: Math.round(performance.now() - started), results };
  }

  /**
   * After an environment save: applies migrations when the environment was created with, or moved
   * to, a connection (or turned auto-migrate back on), unless it opted out. Never throws for the
   * run's failure: the save stands, the outcome is reported and stored.
   */
  async afterEnvironmentSave(
    input: { workspaceId: string; environmentId: string; connectionId: string | null; autoMigrate: boolean; trigger: 'created' | 'connection_changed' | 'auto_migrate_enabled' | null; savedUntested: boolean },
    origin: MigrationOrigin,
  ): Promise<SaveMigrationOutcome> {
    const skipped = (reason: string): SaveMigrationOutcome => ({ status: 'skipped', version: null, applied: [], reason });
    if (input.connectionId === null) return skipped('not_configured');
    if (input.trigger === null) return skipped('connection_unchanged');
    if (!input.autoMigrate) return skipped('opted_out');
    // An untested save may point at a server that does not answer: apply from the Migrations page once it does.
    if (input.savedUntested) return skipped('saved_untested');
    const scope = await this.resolve(input.workspaceId, input.environmentId);
    const report = await this.apply(scope, {}, origin);
    if (!report.ok) {
      return { status: 'failed', version: report.to, applied: report.migrations, ...(report.error && { error: report.error }) };
    }
    return { status: report.outcome === 'applied' ? 'applied' : 'current', version: report.to, applied: report.migrations };
  }

  /** System Admin (users.role 'Admin', seed 003): the only people who may migrate every workspace at once. */
  async isSystemAdmin(userId: string): Promise<boolean> {
    const [row] = await this.deps.db.select({ role: roles.name }).from(users).innerJoin(roles, eq(roles.id, users.roleId)).where(eq(users.id, userId));
    return row?.role === 'Admin';
  }
}

/** The WORKSPACE_MIGRATIONS_* variables (read by env.ts) as service settings. */
export function workspaceMigrationConfigOf(env: {
  WORKSPACE_MIGRATIONS_REFUSE_BEHIND: boolean;
  WORKSPACE_MIGRATIONS_CONCURRENCY: number;
  WORKSPACE_MIGRATIONS_LOCK_TIMEOUT_MS: number;
}): Partial<WorkspaceMigrationConfig> {
  return {
    refuseQueriesWhenBehind: env.WORKSPACE_MIGRATIONS_REFUSE_BEHIND,
    concurrency: env.WORKSPACE_MIGRATIONS_CONCURRENCY,
    lockTimeoutMs: env.WORKSPACE_MIGRATIONS_LOCK_TIMEOUT_MS,
  };
}
