// Workspace database migrations (MISSION F5) in the API: running @studio/workspace-migrations
// against the database an environment points at (through workspace-databases.ts), the schema check
// when a pool is created, the query gate, and the audit row of every run. What a run reports is in
// workspace-migration-reports.ts, the cached status rows in workspace-schema-status.ts. No tRPC
// here: routers, the environment save and the ws:* CLI call this.
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { StudioDatabase } from '@studio/db';
import { connections, environments, workspaces, type WorkspaceMigrationRun } from '@studio/db/schema';
import type { ConnectionTarget, NativePools, PoolLease } from '@studio/mssql-pool';
import { migrateAll, MigrationDriftError, MigrationFailedError, WorkspaceMigrator, type SchemaValidation } from '@studio/workspace-migrations';
import { and, asc, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { AuditService } from './audit';
import { ServiceError } from './errors';
import type { SchemaGate, WorkspaceDatabases } from './workspace-databases';
import {
  deadline,
  inputErrorOf,
  outcomeOfFailure,
  runErrorOf,
  type ApplyAllReport,
  type DryRunResult,
  type MigrationOrigin,
  type MigrationRunOutcome,
  type MigrationRunReport,
  type MigrationScope,
  type SaveMigrationOutcome,
  type SkippedWorkspace,
} from './workspace-migration-reports';
import { SchemaNeedsMigrationError, SchemaStatusStore, type WorkspaceMigrationStatus } from './workspace-schema-status';

export * from './workspace-migration-reports';
export * from './workspace-schema-status';

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

export class WorkspaceMigrationService implements SchemaGate {
  readonly config: WorkspaceMigrationConfig;
  /** Used for checks (status, validation on pool creation): never takes the lock or writes. */
  readonly #validator: WorkspaceMigrator;
  /** Schema status per `workspaceId:connectionId`, from the last check in this process (the query gate). */
  readonly #live = new Map<string, SchemaValidation>();
  readonly #status: SchemaStatusStore;
  #detach: (() => void) | undefined;

  constructor(
    private readonly deps: {
      db: StudioDatabase;
      databases: WorkspaceDatabases;
      audit: AuditService;
      logger: Logger;
    },
    config: Partial<WorkspaceMigrationConfig> = {},
  ) {
    this.config = { ...defaultWorkspaceMigrationConfig, ...config };
    this.#validator = this.#migrator(`studio-api@${hostname()}`);
    this.#status = new SchemaStatusStore(deps.db, async () => (await this.#validator.migrations()).at(-1)?.version ?? 0);
  }

  /**
   * Validate every new SQL Server pool's schema once, before its first callers (F5 "validated on
   * connect"), and gate workspace queries on the result.
   */
  attach(): void {
    if (this.#detach !== undefined) return;
    const unhook = this.deps.databases.pools.onPoolCreated(async (event, pool) => {
      if (event.type !== 'mssql') return;
      await this.#validateOnCreate(event.workspaceId, event.connectionId, pool as MssqlPool);
    });
    const ungate = this.deps.databases.useSchemaGate(this);
    this.#detach = () => {
      unhook();
      ungate();
    };
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
      await this.#status.store(workspaceId, connectionId, { error: runError }).catch((storeError: unknown) => this.#storeFailed(storeError, fields));
      return;
    }
    this.#live.set(`${workspaceId}:${connectionId}`, validation);
    if (validation.status === 'drifted') {
      this.deps.logger.warn({ ...fields, problems: validation.problems }, 'workspace schema drifted from the migrations; needs a human');
    } else if (validation.status !== 'current') {
      this.deps.logger.info({ ...fields, status: validation.status, current: validation.current, latest: validation.latest }, 'workspace schema is behind');
    }
    await this.#status.store(workspaceId, connectionId, { validation }).catch((storeError: unknown) => this.#storeFailed(storeError, fields));
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
  resolve(workspaceId: string, environmentId?: string): Promise<MigrationScope> {
    return this.deps.databases.environmentOf(workspaceId, environmentId, { sqlServerOnly: true });
  }

  async #poolTarget(scope: MigrationScope): Promise<ConnectionTarget> {
    return (await this.deps.databases.targetOf(scope.workspaceId, { connectionId: scope.connectionId })).poolTarget;
  }

  /** Runs and checks must reach a database that is behind: they skip the schema gate. */
  #withPool<R>(target: ConnectionTarget, fn: (pool: MssqlPool) => Promise<R>): Promise<R> {
    return this.deps.databases.withConnection({ poolTarget: target }, (lease) => fn(lease.pool as MssqlPool), { timeoutMs: this.config.acquireTimeoutMs, skipSchemaGate: true });
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
    await this.#status.store(scope.workspaceId, scope.connectionId, {
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
      await this.#status.store(scope.workspaceId, scope.connectionId, { validation }).catch((error: unknown) =>
        this.#storeFailed(error, { workspaceId: scope.workspaceId, connectionId: scope.connectionId }),
      );
      const stored = (await this.#status.stored([scope.connectionId])).get(scope.connectionId);
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
      const stored = (await this.#status.stored([scope.connectionId])).get(scope.connectionId);
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

  /**
   * The query gate (F10 `schema_needs_migration`): with the lease held, refuses a database that is
   * behind when the API is configured to. Acquiring first means a new pool's schema check has
   * already run; a refusal re-checks once, so a database migrated by another instance is let
   * through at the cost of one round trip.
   */
  async admit(target: ConnectionTarget, lease: PoolLease): Promise<void> {
    if (target.type !== 'mssql' || !this.config.refuseQueriesWhenBehind) return;
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
        isDefault: true,
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
   * What `afterEnvironmentSave` will answer without running anything (no connection, unchanged,
   * opted out, saved untested), or null when it will run the migrations. Known before the save
   * commits, so the save's audit row (written in its transaction) can say it.
   */
  static skippedAfterSave(input: AfterSaveInput): SaveMigrationOutcome | null {
    const skipped = (reason: string): SaveMigrationOutcome => ({ status: 'skipped', version: null, applied: [], reason });
    if (input.connectionId === null) return skipped('not_configured');
    if (input.trigger === null) return skipped('connection_unchanged');
    if (!input.autoMigrate) return skipped('opted_out');
    // An untested save may point at a server that does not answer: apply from the Migrations page once it does.
    if (input.savedUntested) return skipped('saved_untested');
    return null;
  }

  /**
   * After an environment save: applies migrations when the environment was created with, or moved
   * to, a connection (or turned auto-migrate back on), unless it opted out. Never throws for the
   * run's failure: the save stands, the outcome is reported and stored.
   */
  async afterEnvironmentSave(input: AfterSaveInput, origin: MigrationOrigin): Promise<SaveMigrationOutcome> {
    const skipped = WorkspaceMigrationService.skippedAfterSave(input);
    if (skipped) return skipped;
    const scope = await this.resolve(input.workspaceId, input.environmentId);
    const report = await this.apply(scope, {}, origin);
    if (!report.ok) {
      return { status: 'failed', version: report.to, applied: report.migrations, ...(report.error && { error: report.error }) };
    }
    return { status: report.outcome === 'applied' ? 'applied' : 'current', version: report.to, applied: report.migrations };
  }

}

export interface AfterSaveInput {
  workspaceId: string;
  environmentId: string;
  connectionId: string | null;
  autoMigrate: boolean;
  trigger: 'created' | 'connection_changed' | 'auto_migrate_enabled' | null;
  savedUntested: boolean;
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
