import { hash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Database } from './client';
import { MigrationError } from './errors';
import { withSession, type DatabaseSession, type SqlRunner } from './session';

/** The committed migrations of this package. */
export const defaultMigrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));

/** History table; lives in `public` next to the tables it describes. */
export const MIGRATIONS_TABLE = 'migrations';

/**
 * Marker `db:generate` writes into a new down file. A down migration still
 * carrying it has not been reviewed, and `revert` refuses to run it.
 */
export const UNREVIEWED_DOWN_MARKER = '-- @studio/db: unreviewed down migration';

// Any fixed 64-bit number works; all studio migrators must agree on it.
const MIGRATION_LOCK_KEY = '8170217452301766001';

const MIGRATION_FILE = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

export interface MigrationFile {
  /** File name without `.sql`, e.g. `0000_initial`; the key in the history table. */
  readonly name: string;
  readonly upPath: string;
  readonly downPath: string | undefined;
  /** sha256 of the up SQL (line endings normalised). */
  readonly checksum: string;
  readonly upSql: string;
}

export interface AppliedMigration {
  readonly name: string;
  readonly checksum: string;
  readonly appliedAt: Date;
  readonly executionMs: number;
}

export type MigrationState =
  /** Recorded and the file still matches. */
  | 'applied'
  /** File present, not yet applied. */
  | 'pending'
  /** Recorded, but the file changed since: never re-run, needs a human. */
  | 'modified'
  /** Recorded, but the file is gone. */
  | 'missing';

export interface MigrationStatusEntry {
  readonly name: string;
  readonly state: MigrationState;
  readonly checksum: string | undefined;
  readonly recordedChecksum: string | undefined;
  readonly appliedAt: Date | undefined;
}

export interface MigrationStatus {
  readonly entries: readonly MigrationStatusEntry[];
  readonly pending: readonly string[];
  /** Modified or missing migrations; `migrate` refuses to run while there are any. */
  readonly problems: readonly MigrationStatusEntry[];
}

export interface MigrateResult {
  readonly applied: readonly { name: string; executionMs: number }[];
}

export const migratorOptionsSchema = z.strictObject({
  migrationsDir: z.string().min(1).default(defaultMigrationsDir),
  /** How long to wait for another process's migration lock before giving up. */
  lockTimeoutMs: z.number().int().min(0).default(120_000),
  log: z.custom<(line: string) => void>((value) => typeof value === 'function').optional(),
});

export type MigratorOptions = z.input<typeof migratorOptionsSchema>;

export function checksumOf(sql: string): string {
  return hash('sha256', sql.replace(/\r\n/g, '\n'));
}

/** Reads `NNNN_name.sql` files (not `*.down.sql`) in order, with their down siblings. */
export async function readMigrations(migrationsDir: string): Promise<MigrationFile[]> {
  const files = await readdir(migrationsDir);
  const ups = files.filter((file) => file.endsWith('.sql') && !file.endsWith('.down.sql'));
  const migrations: { order: number; file: MigrationFile }[] = [];
  for (const file of ups) {
    const match = MIGRATION_FILE.exec(file);
    if (!match?.[1]) {
      throw new MigrationError('migration_invalid_file', `${file} is not named NNNN_name.sql`, [file]);
    }
    const name = file.slice(0, -'.sql'.length);
    const upPath = path.join(migrationsDir, file);
    const downFile = `${name}.down.sql`;
    const upSql = await readFile(upPath, 'utf8');
    migrations.push({
      order: Number.parseInt(match[1], 10),
      file: {
        name,
        upPath,
        downPath: files.includes(downFile) ? path.join(migrationsDir, downFile) : undefined,
        checksum: checksumOf(upSql),
        upSql,
      },
    });
  }
  return migrations
    .sort((a, b) => a.order - b.order || a.file.name.localeCompare(b.file.name))
    .map((entry) => entry.file);
}

/** Serialises migrators sharing one client: a PGlite instance is one session, where advisory locks are re-entrant. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

const mutexes = new WeakMap<object, Mutex>();

function mutexFor(client: object): Mutex {
  let mutex = mutexes.get(client);
  if (!mutex) {
    mutex = new Mutex();
    mutexes.set(client, mutex);
  }
  return mutex;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Applies committed SQL migrations: each in its own transaction, in file
 * order, recorded with a sha256 checksum, under a PostgreSQL advisory lock
 * (plus an in-process mutex) so concurrent runs apply each one exactly once.
 */
export class Migrator {
  readonly #database: Database;
  readonly #options: z.output<typeof migratorOptionsSchema>;

  constructor(database: Database, options: MigratorOptions = {}) {
    this.#database = database;
    this.#options = migratorOptionsSchema.parse(options);
  }

  get migrationsDir(): string {
    return this.#options.migrationsDir;
  }

  /** Compares the folder with the history table. Takes no lock and changes nothing. */
  async status(): Promise<MigrationStatus> {
    const files = await readMigrations(this.#options.migrationsDir);
    const applied = await withSession(this.#database, (session) => readApplied(session));
    return compare(files, applied);
  }

  /** Applies every pending migration. Refuses when an applied migration was edited or deleted. */
  migrate(): Promise<MigrateResult> {
    return this.#locked((session) => this.#applyPending(session));
  }

  /** Runs the down file of the most recently applied migration. Resolves `undefined` when none is applied. */
  revert(): Promise<{ name: string; executionMs: number } | undefined> {
    return this.#locked(async (session) => {
      await ensureHistoryTable(session);
      const applied = await readApplied(session);
      const last = applied.at(-1);
      if (!last) return undefined;
      const files = await readMigrations(this.#options.migrationsDir);
      const file = files.find((candidate) => candidate.name === last.name);
      if (!file) {
        throw new MigrationError(
          'migration_file_missing',
          `cannot revert ${last.name}: its file is not in ${this.#options.migrationsDir}`,
          [last.name],
        );
      }
      if (file.checksum !== last.checksum) {
        throw new MigrationError(
          'migration_checksum_mismatch',
          `cannot revert ${last.name}: the file changed after it was applied, so its down migration may not match the database`,
          [last.name],
        );
      }
      if (!file.downPath) {
        throw new MigrationError('down_migration_missing', `cannot revert ${last.name}: ${last.name}.down.sql does not exist`, [
          last.name,
        ]);
      }
      const downSql = await readFile(file.downPath, 'utf8');
      if (downSql.includes(UNREVIEWED_DOWN_MARKER)) {
        throw new MigrationError(
          'down_migration_unfilled',
          `cannot revert ${last.name}: ${path.basename(file.downPath)} was generated as a template and not reviewed ` +
            `(remove the "${UNREVIEWED_DOWN_MARKER}" line once it really reverses the up migration)`,
          [last.name],
        );
      }
      const started = performance.now();
      await session.transaction(async (tx) => {
        await tx.exec('SET LOCAL statement_timeout = 0');
        await execMigrationSql(tx, downSql, `${last.name}.down.sql`, last.name);
        await tx.query(`DELETE FROM "${MIGRATIONS_TABLE}" WHERE name = $1`, [last.name]);
      });
      const executionMs = Math.round(performance.now() - started);
      this.#options.log?.(`reverted ${last.name} (${executionMs} ms)`);
      return { name: last.name, executionMs };
    });
  }

  /**
   * Drops every object in the `public` schema (tables, types, the history
   * table) and applies all migrations again, under the migration lock.
   * Callers guard against production; see `resetDatabase`.
   */
  dropAndMigrate(): Promise<MigrateResult> {
    return this.#locked(async (session) => {
      await session.transaction(async (tx) => {
        await tx.exec(
          `DROP TABLE IF EXISTS "${MIGRATIONS_TABLE}"; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public; GRANT USAGE ON SCHEMA public TO PUBLIC;`,
        );
      });
      this.#options.log?.(`dropped schema public of ${this.#database.describe}`);
      return this.#applyPending(session);
    });
  }

  /**
   * In ONE transaction under the migration lock: drops `public`, applies the migrations up to and
   * including `through`, then runs `fn` (a restore loads its rows there). When anything fails,
   * including `fn`, the transaction rolls back and the database is as it was.
   */
  rebuildThen<T>(through: string, fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#locked(async (session) => {
      const files = await readMigrations(this.#options.migrationsDir);
      const last = files.findIndex((file) => file.name === through);
      if (last < 0) throw new MigrationError('migration_file_missing', `there is no migration ${through} to rebuild the schema at`, [through]);
      return session.transaction(async (tx) => {
        await tx.exec('SET LOCAL statement_timeout = 0');
        await tx.exec(
          `DROP TABLE IF EXISTS "${MIGRATIONS_TABLE}"; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public; GRANT USAGE ON SCHEMA public TO PUBLIC;`,
        );
        await ensureHistoryTable(tx);
        for (const file of files.slice(0, last + 1)) {
          await execMigrationSql(tx, file.upSql, `${file.name}.sql`, file.name);
          await tx.query(`INSERT INTO "${MIGRATIONS_TABLE}" (name, checksum, execution_ms) VALUES ($1, $2, 0)`, [file.name, file.checksum]);
        }
        return fn(tx);
      });
    });
  }

  async #applyPending(session: DatabaseSession): Promise<MigrateResult> {
    await ensureHistoryTable(session);
    const files = await readMigrations(this.#options.migrationsDir);
    const status = compare(files, await readApplied(session));
    if (status.problems.length > 0) throw problemsError(status.problems);
    const applied: { name: string; executionMs: number }[] = [];
    for (const name of status.pending) {
      const file = files.find((candidate) => candidate.name === name);
      if (!file) continue;
      const started = performance.now();
      await session.transaction(async (tx) => {
        // Migrations may legitimately outlast the pool's statement timeout (index builds).
        await tx.exec('SET LOCAL statement_timeout = 0');
        await execMigrationSql(tx, file.upSql, `${file.name}.sql`, file.name);
        const executionMs = Math.round(performance.now() - started);
        await tx.query(`INSERT INTO "${MIGRATIONS_TABLE}" (name, checksum, execution_ms) VALUES ($1, $2, $3)`, [
          file.name,
          file.checksum,
          executionMs,
        ]);
      });
      const executionMs = Math.round(performance.now() - started);
      applied.push({ name: file.name, executionMs });
      this.#options.log?.(`applied ${file.name} (${executionMs} ms)`);
    }
    return { applied };
  }

  #locked<T>(fn: (session: DatabaseSession) => Promise<T>): Promise<T> {
    return mutexFor(this.#database.client).run(() =>
      withSession(this.#database, async (session) => {
        await this.#acquireLock(session);
        const unlock = () => session.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
        let result: T;
        try {
          result = await fn(session);
        } catch (error) {
          // A pooled session is discarded after a failure, which also releases the lock.
          await unlock().catch(() => undefined);
          throw error;
        }
        await unlock();
        return result;
      }),
    );
  }

  async #acquireLock(session: SqlRunner): Promise<void> {
    const deadline = Date.now() + this.#options.lockTimeoutMs;
    let announced = false;
    for (;;) {
      const [row] = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [
        MIGRATION_LOCK_KEY,
      ]);
      if (row?.locked) return;
      if (Date.now() >= deadline) {
        throw new MigrationError(
          'migration_lock_timeout',
          `another process held the migration lock for more than ${this.#options.lockTimeoutMs} ms`,
        );
      }
      if (!announced) {
        this.#options.log?.('waiting for another process to finish migrating…');
        announced = true;
      }
      await sleep(100 + Math.random() * 150);
    }
  }
}

async function ensureHistoryTable(session: SqlRunner): Promise<void> {
  await session.exec(`CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CONSTRAINT migrations_name_key UNIQUE,
    checksum char(64) NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    execution_ms integer NOT NULL
  )`);
}

async function readApplied(session: SqlRunner): Promise<AppliedMigration[]> {
  const [exists] = await session.query<{ present: boolean }>(
    `SELECT to_regclass('public."${MIGRATIONS_TABLE}"') IS NOT NULL AS present`,
  );
  if (!exists?.present) return [];
  const rows = await session.query<{ name: string; checksum: string; applied_at: Date | string; execution_ms: number }>(
    `SELECT name, checksum, applied_at, execution_ms FROM "${MIGRATIONS_TABLE}" ORDER BY id`,
  );
  return rows.map((row) => ({
    name: row.name,
    checksum: row.checksum.trim(),
    appliedAt: new Date(row.applied_at),
    executionMs: row.execution_ms,
  }));
}

function compare(files: readonly MigrationFile[], applied: readonly AppliedMigration[]): MigrationStatus {
  const byName = new Map(files.map((file) => [file.name, file]));
  const appliedNames = new Set(applied.map((row) => row.name));
  const entries: MigrationStatusEntry[] = applied.map((row) => {
    const file = byName.get(row.name);
    return {
      name: row.name,
      state: !file ? 'missing' : file.checksum === row.checksum ? 'applied' : 'modified',
      checksum: file?.checksum,
      recordedChecksum: row.checksum,
      appliedAt: row.appliedAt,
    };
  });
  for (const file of files) {
    if (appliedNames.has(file.name)) continue;
    entries.push({ name: file.name, state: 'pending', checksum: file.checksum, recordedChecksum: undefined, appliedAt: undefined });
  }
  return {
    entries,
    pending: entries.filter((entry) => entry.state === 'pending').map((entry) => entry.name),
    problems: entries.filter((entry) => entry.state === 'modified' || entry.state === 'missing'),
  };
}

function problemsError(problems: readonly MigrationStatusEntry[]): MigrationError {
  const modified = problems.filter((entry) => entry.state === 'modified').map((entry) => entry.name);
  const missing = problems.filter((entry) => entry.state === 'missing').map((entry) => entry.name);
  const parts = [
    modified.length > 0 ? `changed after being applied: ${modified.join(', ')}` : '',
    missing.length > 0 ? `applied but missing from the migrations folder: ${missing.join(', ')}` : '',
  ].filter(Boolean);
  return new MigrationError(
    modified.length > 0 ? 'migration_checksum_mismatch' : 'migration_file_missing',
    `refusing to migrate; migrations ${parts.join('; ')}. Restore the original files (write a new migration for new changes).`,
    [...modified, ...missing],
  );
}

async function execMigrationSql(tx: SqlRunner, sql: string, fileName: string, name: string): Promise<void> {
  try {
    await tx.exec(sql);
  } catch (error) {
    const position = Number((error as { position?: unknown }).position);
    const line = Number.isFinite(position) && position > 0 ? sql.slice(0, position).split('\n').length : undefined;
    const where = line ? `${fileName}:${line}` : fileName;
    throw new MigrationError('migration_failed', `${where}: ${(error as Error).message}`, [name], { cause: error });
  }
}
