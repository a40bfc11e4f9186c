import { hostname, userInfo } from 'node:os';
import { performance } from 'node:perf_hooks';
import sql from 'mssql';
import { z } from 'zod';
import {
  MigrationConnectionError,
  MigrationDriftError,
  MigrationFailedError,
  MigrationLockError,
  MigrationLockedError,
  MigrationOptionsError,
  MigrationRollbackError,
  MigrationTargetError,
  sqlFailureOf,
} from './errors';
import {
  compareHistory,
  CREATE_HISTORY_TABLES,
  HISTORY_TABLE,
  historyFromResult,
  LOCK_INFO_TABLE,
  LOCK_RESOURCE,
  READ_HISTORY,
  type MigrationStatus,
  type SchemaValidation,
} from './history';
import { defaultMigrationsDir, loadMigrations, type Migration, type MigrationSection } from './loader';
import { PinnedSession } from './session';

export type MigrationLogLevel = 'info' | 'warn';
/** Structured log sink (pino-compatible in spirit: `log.info(fields, message)` adapts in one line). */
export type MigrationLog = (level: MigrationLogLevel, message: string, fields: Record<string, unknown>) => void;

function defaultAppliedBy(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep "unknown".
  }
  return `${user}@${hostname()}`;
}

const optionsSchema = z.strictObject({
  /** Folder of `V<version>__<name>.sql` files; defaults to this package's `migrations/`. */
  migrationsDir: z.string().min(1).default(defaultMigrationsDir),
  /** Recorded in `applied_by` and shown to a run that finds the lock taken. */
  appliedBy: z.string().min(1).max(200).default(defaultAppliedBy),
  /** How long a run waits for another run on the same database (sp_getapplock @LockTimeout). 0 = fail at once. */
  lockTimeoutMs: z.number().int().min(0).max(2_147_483_647).default(60_000),
  /** Per-batch timeout for migration SQL; 0 = none (a long index build must not be cut off). */
  requestTimeoutMs: z.number().int().min(0).default(0),
  log: z.custom<MigrationLog>((value) => typeof value === 'function', 'expected a function').optional(),
});

export type WorkspaceMigratorOptions = z.input<typeof optionsSchema>;

export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly executionMs: number;
}

export interface PlannedMigration {
  readonly version: number;
  readonly name: string;
  readonly direction: 'up' | 'down';
  readonly transactional: boolean;
  readonly batches: readonly string[];
}

export interface MigrateOptions {
  /** Apply up to and including this version (default: the latest). */
  target?: number;
  /** Read the history and return the plan and its SQL; change nothing and take no lock. */
  dryRun?: boolean;
}

export interface RollbackOptions {
  /** How many applied migrations to undo, newest first (default 1). */
  steps?: number;
  dryRun?: boolean;
}

export interface MigrateResult {
  readonly dryRun: boolean;
  /** Version before the run (null: nothing applied). */
  readonly from: number | null;
  /** Version after the run (for a dry run: after the plan would have run). */
  readonly to: number | null;
  /** What this run applied (empty for a dry run). */
  readonly applied: readonly AppliedMigration[];
  readonly plan: readonly PlannedMigration[];
  /** The plan as one sqlcmd-style script (`GO` separated), history bookkeeping included. */
  readonly script: string;
}

export interface RollbackResult {
  readonly dryRun: boolean;
  readonly from: number | null;
  readonly to: number | null;
  readonly rolledBack: readonly AppliedMigration[];
  readonly plan: readonly PlannedMigration[];
  readonly script: string;
}

/**
 * Applies this package's (or a given folder's) T-SQL migrations to one workspace database,
 * keeping the history inside that database. Holds no connection between calls: each call
 * borrows one connection from the pool it is given and returns it.
 */
export class WorkspaceMigrator {
  readonly #options: z.output<typeof optionsSchema>;
  #migrations: Promise<Migration[]> | undefined;

  constructor(options: WorkspaceMigratorOptions = {}) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.length ? issue.path.join('.') : (issue && 'keys' in issue ? String(issue.keys) : 'options');
      throw new MigrationOptionsError(field, issue?.message ?? 'invalid');
    }
    this.#options = parsed.data;
  }

  get migrationsDir(): string {
    return this.#options.migrationsDir;
  }

  get appliedBy(): string {
    return this.#options.appliedBy;
  }

  /** The folder's migrations, read and checked once (a malformed folder fails every call). */
  migrations(): Promise<Migration[]> {
    this.#migrations ??= loadMigrations(this.#options.migrationsDir);
    const loading = this.#migrations;
    void loading.catch(() => {
      // Let a fixed folder be read again on the next call.
      if (this.#migrations === loading) this.#migrations = undefined;
    });
    return loading;
  }

  /** Schema version check in one round trip; changes nothing. Meant for pool creation. */
  async validate(pool: sql.ConnectionPool): Promise<SchemaValidation> {
    const { status, current, latest, pending, problems, lastError } = await this.status(pool);
    return { status, current, latest, pending, problems, lastError };
  }

  /** Validation plus one entry per version and the raw history. One round trip, no lock. */
  async status(pool: sql.ConnectionPool): Promise<MigrationStatus> {
    const migrations = await this.migrations();
    let result: sql.IResult<unknown>;
    try {
      result = await pool.request().batch(READ_HISTORY);
    } catch (error) {
      throw new MigrationConnectionError('cannot read the migration history', error);
    }
    return compareHistory(migrations, historyFromResult(result));
  }

  /** Applies pending migrations in order, each in its own transaction, under the database's migration lock. */
  async migrate(pool: sql.ConnectionPool, options: MigrateOptions = {}): Promise<MigrateResult> {
    const migrations = await this.migrations();
    const target = options.target ?? migrations.at(-1)?.version ?? 0;
    if (!Number.isInteger(target) || target < 0 || target > (migrations.at(-1)?.version ?? 0)) {
      throw new MigrationOptionsError('target', `expected a version between 0 and ${migrations.at(-1)?.version ?? 0}`);
    }
    const planFrom = (status: MigrationStatus) => {
      if (status.problems.length > 0) throw new MigrationDriftError(status.problems);
      if (status.current !== null && target < status.current) {
        throw new MigrationTargetError(`the database is at version ${status.current}, above target ${target}; use rollback`);
      }
      return migrations.filter((migration) => migration.version > (status.current ?? 0) && migration.version <= target);
    };

    if (options.dryRun) {
      const status = await this.status(pool);
      const todo = planFrom(status);
      const plan = todo.map((migration) => planned(migration, 'up', migration.up));
      return {
        dryRun: true,
        from: status.current,
        to: todo.at(-1)?.version ?? status.current,
        applied: [],
        plan,
        script: this.#script(todo, 'up', status.history.length === 0),
      };
    }

    return this.#locked(pool, async (session) => {
      const status = compareHistory(migrations, historyFromResult(await session.batch(READ_HISTORY)));
      const todo = planFrom(status);
      const applied: AppliedMigration[] = [];
      for (const migration of todo) {
        applied.push(await this.#run(session, migration, 'up', applied));
      }
      if (todo.length === 0) this.#log('info', 'workspace schema is up to date', { version: status.current });
      return {
        dryRun: false,
        from: status.current,
        to: applied.at(-1)?.version ?? status.current,
        applied,
        plan: todo.map((migration) => planned(migration, 'up', migration.up)),
        script: this.#script(todo, 'up', false),
      };
    });
  }

  /** Runs the `-- +down` parts of the last `steps` applied migrations, newest first. */
  async rollback(pool: sql.ConnectionPool, options: RollbackOptions = {}): Promise<RollbackResult> {
    const steps = options.steps ?? 1;
    if (!Number.isInteger(steps) || steps < 1) throw new MigrationOptionsError('steps', 'expected a whole number ≥ 1');
    const migrations = await this.migrations();
    const planFrom = (status: MigrationStatus) => {
      if (status.problems.length > 0) throw new MigrationDriftError(status.problems);
      const appliedVersions = status.entries.filter((entry) => entry.state === 'applied').map((entry) => entry.version);
      if (steps > appliedVersions.length) {
        throw new MigrationTargetError(`cannot roll back ${steps} steps: ${appliedVersions.length} migrations are applied`);
      }
      const todo = appliedVersions
        .slice(-steps)
        .reverse()
        .map((version) => migrations.find((migration) => migration.version === version))
        .filter((migration): migration is Migration => migration !== undefined);
      const withoutDown = todo.find((migration) => migration.down === undefined);
      if (withoutDown) {
        throw new MigrationRollbackError(
          withoutDown.version,
          `V${withoutDown.version} ${withoutDown.name} has no -- +down section, so it cannot be rolled back`,
        );
      }
      const remaining = appliedVersions.slice(0, appliedVersions.length - steps);
      return { todo, to: remaining.at(-1) ?? null };
    };
    const sections = (todo: Migration[]) =>
      todo.map((migration) => planned(migration, 'down', migration.down as MigrationSection));

    if (options.dryRun) {
      const status = await this.status(pool);
      const { todo, to } = planFrom(status);
      return { dryRun: true, from: status.current, to, rolledBack: [], plan: sections(todo), script: this.#script(todo, 'down', false) };
    }

    return this.#locked(pool, async (session) => {
      const status = compareHistory(migrations, historyFromResult(await session.batch(READ_HISTORY)));
      const { todo, to } = planFrom(status);
      const rolledBack: AppliedMigration[] = [];
      for (const migration of todo) {
        rolledBack.push(await this.#run(session, migration, 'down', rolledBack));
      }
      return {
        dryRun: false,
        from: status.current,
        to,
        rolledBack,
        plan: sections(todo),
        script: this.#script(todo, 'down', false),
      };
    });
  }

  /**
   * Pins one connection, takes the database's exclusive session applock (waiting up to
   * `lockTimeoutMs`), makes sure the history tables exist, runs `fn`, and always lets go.
   */
  async #locked<T>(pool: sql.ConnectionPool, fn: (session: PinnedSession) => Promise<T>): Promise<T> {
    const session = await PinnedSession.open(pool, this.#options.requestTimeoutMs);
    let locked = false;
    try {
      try {
        // Without XACT_ABORT some errors leave the transaction open with part of a batch done.
        await session.batch('SET XACT_ABORT ON;');
      } catch (error) {
        throw new MigrationConnectionError('cannot prepare the migration connection', error);
      }
      await this.#acquireLock(session);
      locked = true;
      try {
        await session.batch(CREATE_HISTORY_TABLES);
        const holder = `${this.#options.appliedBy} (pid ${process.pid} on ${hostname()})`;
        await session
          .request()
          .input('holder', sql.NVarChar(400), holder)
          .query(
            `DELETE FROM ${LOCK_INFO_TABLE} WHERE lock_id = 1; INSERT INTO ${LOCK_INFO_TABLE} (lock_id, holder) VALUES (1, @holder);`,
          );
      } catch (error) {
        throw new MigrationConnectionError('cannot create the migration history tables', error);
      }
      return await fn(session);
    } finally {
      await this.#cleanUp(session, locked);
    }
  }

  async #acquireLock(session: PinnedSession): Promise<void> {
    const started = performance.now();
    let code = await this.#getAppLock(session, 0);
    if (code === -1 && this.#options.lockTimeoutMs > 0) {
      this.#log('warn', 'waiting for the workspace migration lock', {
        holder: await this.#lockHolder(session),
        lockTimeoutMs: this.#options.lockTimeoutMs,
      });
      code = await this.#getAppLock(session, this.#options.lockTimeoutMs);
    }
    if (code === 0 || code === 1) return;
    if (code === -1) {
      throw new MigrationLockedError(await this.#lockHolder(session), Math.round(performance.now() - started));
    }
    throw new MigrationLockError(code);
  }

  async #getAppLock(session: PinnedSession, timeoutMs: number): Promise<number> {
    try {
      // The request must outlive the lock wait; requestTimeoutMs 0 already means no limit.
      const requestTimeout = this.#options.requestTimeoutMs === 0 ? 0 : this.#options.requestTimeoutMs + timeoutMs;
      const result = await session
        .request(requestTimeout)
        .input('Resource', sql.NVarChar(255), LOCK_RESOURCE)
        .input('LockMode', sql.VarChar(32), 'Exclusive')
        .input('LockOwner', sql.VarChar(32), 'Session')
        .input('LockTimeout', sql.Int, timeoutMs)
        .execute('sp_getapplock');
      return result.returnValue as number;
    } catch (error) {
      throw new MigrationConnectionError('sp_getapplock failed', error);
    }
  }

  /** Best effort: the row the holder wrote after taking the lock. Never waits long or throws. */
  async #lockHolder(session: PinnedSession): Promise<string | undefined> {
    try {
      await session.batch('SET LOCK_TIMEOUT 1000;');
      const result = await session.batch(
        `IF OBJECT_ID(N'${LOCK_INFO_TABLE}', N'U') IS NOT NULL
  SELECT holder, acquired_at FROM ${LOCK_INFO_TABLE} WITH (NOLOCK) WHERE lock_id = 1;`,
      );
      const row = (result.recordset as unknown as Array<{ holder: string; acquired_at: Date }> | undefined)?.[0];
      return row ? `${row.holder} since ${row.acquired_at.toISOString()}` : undefined;
    } catch {
      return undefined;
    } finally {
      await session.batch('SET LOCK_TIMEOUT -1;').catch(() => undefined);
    }
  }

  async #cleanUp(session: PinnedSession, locked: boolean): Promise<void> {
    try {
      if (locked) {
        await session.batch(
          `IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION;
DELETE FROM ${LOCK_INFO_TABLE} WHERE lock_id = 1;
EXEC sp_releaseapplock @Resource = N'${LOCK_RESOURCE}', @LockOwner = 'Session';`,
        );
      }
      await session.batch('SET XACT_ABORT OFF;');
    } catch (error) {
      // The connection is probably gone; with it the session lock is released by the server.
      this.#log('warn', 'could not release the workspace migration lock cleanly', { error: sqlFailureOf(error).message });
    } finally {
      await session.close();
    }
  }

  /** One migration (or its down part): its batches and its history row commit or roll back together. */
  async #run(
    session: PinnedSession,
    migration: Migration,
    direction: 'up' | 'down',
    completed: readonly AppliedMigration[],
  ): Promise<AppliedMigration> {
    const section = direction === 'up' ? migration.up : (migration.down as MigrationSection);
    const started = performance.now();
    this.#log('info', `${direction === 'up' ? 'applying' : 'rolling back'} V${migration.version} ${migration.name}`, {
      version: migration.version,
      direction,
    });
    let lineOffset = 0;
    try {
      if (section.transactional) await session.batch('BEGIN TRANSACTION;');
      for (const batch of section.batches) {
        lineOffset = batch.startLine - 1;
        await session.batch(batch.sql);
      }
      lineOffset = 0;
      const executionMs = Math.round(performance.now() - started);
      const request = session.request().input('version', sql.Int, migration.version);
      if (direction === 'up') {
        await request
          .input('name', sql.NVarChar(200), migration.name)
          .input('checksum', sql.Char(64), migration.checksum)
          .input('appliedBy', sql.NVarChar(256), this.#options.appliedBy)
          .input('executionMs', sql.Int, executionMs)
          .query(
            `INSERT INTO ${HISTORY_TABLE} (version, name, checksum, operation, applied_by, execution_ms, success)
VALUES (@version, @name, @checksum, N'up', @appliedBy, @executionMs, 1);`,
          );
      } else {
        await request.query(`DELETE FROM ${HISTORY_TABLE} WHERE version = @version;`);
      }
      if (section.transactional) await session.batch('COMMIT TRANSACTION;');
      this.#log('info', `${direction === 'up' ? 'applied' : 'rolled back'} V${migration.version} ${migration.name}`, {
        version: migration.version,
        direction,
        executionMs,
      });
      return { version: migration.version, name: migration.name, executionMs };
    } catch (error) {
      const failure = sqlFailureOf(error, lineOffset);
      const executionMs = Math.round(performance.now() - started);
      await this.#recordFailure(session, migration, direction, executionMs, failure.number, failure.message);
      throw new MigrationFailedError({ version: migration.version, name: migration.name, direction, failure, completed }, error);
    }
  }

  /** Outside the failed transaction, so the failure is kept while the migration's work is not. */
  async #recordFailure(
    session: PinnedSession,
    migration: Migration,
    direction: 'up' | 'down',
    executionMs: number,
    errorNumber: number | undefined,
    errorMessage: string,
  ): Promise<void> {
    try {
      await session.batch('IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION;');
      await session
        .request()
        .input('version', sql.Int, migration.version)
        .input('name', sql.NVarChar(200), migration.name)
        .input('checksum', sql.Char(64), migration.checksum)
        .input('operation', sql.NVarChar(10), direction)
        .input('appliedBy', sql.NVarChar(256), this.#options.appliedBy)
        .input('executionMs', sql.Int, executionMs)
        .input('errorNumber', sql.Int, errorNumber ?? null)
        .input('errorMessage', sql.NVarChar(2048), errorMessage.slice(0, 2048))
        .query(
          `INSERT INTO ${HISTORY_TABLE} (version, name, checksum, operation, applied_by, execution_ms, success, error_number, error_message)
VALUES (@version, @name, @checksum, @operation, @appliedBy, @executionMs, 0, @errorNumber, @errorMessage);`,
        );
    } catch (error) {
      this.#log('warn', 'could not record the failed migration in the history table', {
        version: migration.version,
        error: sqlFailureOf(error).message,
      });
    }
  }

  /** What `migrate`/`rollback` would send, as a script a DBA could read or run with sqlcmd. */
  #script(todo: readonly Migration[], direction: 'up' | 'down', includeBootstrap: boolean): string {
    const parts: string[] = [];
    if (includeBootstrap) parts.push(`-- history tables (created once, by the runner)\n${CREATE_HISTORY_TABLES}\nGO`);
    for (const migration of todo) {
      const section = direction === 'up' ? migration.up : (migration.down as MigrationSection);
      const header = `-- V${migration.version} ${migration.name} (${direction})${section.transactional ? '' : ' [no-transaction]'}`;
      const bookkeeping =
        direction === 'up'
          ? `INSERT INTO ${HISTORY_TABLE} (version, name, checksum, operation, applied_by, execution_ms, success)\nVALUES (${migration.version}, N'${migration.name}', '${migration.checksum}', N'up', N'${this.#options.appliedBy.replace(/'/g, "''")}', 0, 1);`
          : `DELETE FROM ${HISTORY_TABLE} WHERE version = ${migration.version};`;
      const body = section.batches.map((batch) => `${batch.sql.replace(/^\n+/, '')}\nGO`).join('\n');
      parts.push(
        section.transactional
          ? `${header}\nBEGIN TRANSACTION;\nGO\n${body}\n${bookkeeping}\nCOMMIT TRANSACTION;\nGO`
          : `${header}\n${body}\n${bookkeeping}\nGO`,
      );
    }
    return parts.length === 0 ? '-- nothing to do\n' : `${parts.join('\n\n')}\n`;
  }

  #log(level: MigrationLogLevel, message: string, fields: Record<string, unknown>): void {
    this.#options.log?.(level, message, fields);
  }
}

function planned(migration: Migration, direction: 'up' | 'down', section: MigrationSection): PlannedMigration {
  return {
    version: migration.version,
    name: migration.name,
    direction,
    transactional: section.transactional,
    batches: section.batches.map((batch) => batch.sql.replace(/^\n+/, '')),
  };
}

/**
 * The pool-creation check (`validateSchema(pool)`): one round trip, no lock, nothing changed.
 * Uses this package's migrations unless a migrator for another folder is given.
 */
export function validateSchema(
  pool: sql.ConnectionPool,
  migrator: WorkspaceMigrator = defaultMigrator(),
): Promise<SchemaValidation> {
  return migrator.validate(pool);
}

let shared: WorkspaceMigrator | undefined;
function defaultMigrator(): WorkspaceMigrator {
  shared ??= new WorkspaceMigrator();
  return shared;
}
