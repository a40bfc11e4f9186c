import type sql from 'mssql';
import type { DriftProblem } from './errors';
import type { Migration } from './loader';

export const HISTORY_TABLE = 'dbo.studio_schema_history';
export const LOCK_INFO_TABLE = 'dbo.studio_schema_lock';
/** sp_getapplock resource; applocks are per database, so workspaces never wait for each other. */
export const LOCK_RESOURCE = 'studio-workspace-migrations';

/**
 * Created by the runner (under the lock) before migration 1, not by a migration, so a database's
 * history can always be read with the same query. T-SQL kept to what SQL Server 2016+ and
 * @studio/mssql-emulator both accept.
 */
export const CREATE_HISTORY_TABLES = `IF OBJECT_ID(N'${HISTORY_TABLE}', N'U') IS NULL
BEGIN
  CREATE TABLE ${HISTORY_TABLE} (
    installed_rank INT IDENTITY(1,1) NOT NULL CONSTRAINT PK_studio_schema_history PRIMARY KEY,
    version INT NOT NULL,
    name NVARCHAR(200) NOT NULL,
    checksum CHAR(64) NOT NULL,
    operation NVARCHAR(10) NOT NULL CONSTRAINT DF_studio_schema_history_operation DEFAULT N'up',
    applied_at DATETIME2(3) NOT NULL CONSTRAINT DF_studio_schema_history_applied_at DEFAULT SYSUTCDATETIME(),
    applied_by NVARCHAR(256) NOT NULL,
    execution_ms INT NOT NULL,
    success BIT NOT NULL,
    error_number INT NULL,
    error_message NVARCHAR(2048) NULL
  );
  CREATE INDEX IX_studio_schema_history_version ON ${HISTORY_TABLE} (version);
END
IF OBJECT_ID(N'${LOCK_INFO_TABLE}', N'U') IS NULL
BEGIN
  CREATE TABLE ${LOCK_INFO_TABLE} (
    lock_id INT NOT NULL CONSTRAINT PK_studio_schema_lock PRIMARY KEY,
    holder NVARCHAR(400) NOT NULL,
    acquired_at DATETIME2(3) NOT NULL CONSTRAINT DF_studio_schema_lock_acquired_at DEFAULT SYSUTCDATETIME()
  );
END`;

/**
 * The whole history in one round trip, also on a database that has never been migrated
 * (deferred name resolution: the SELECT on the missing table is never compiled).
 */
export const READ_HISTORY = `IF OBJECT_ID(N'${HISTORY_TABLE}', N'U') IS NULL
  SELECT CAST(0 AS BIT) AS initialised;
ELSE
BEGIN
  SELECT CAST(1 AS BIT) AS initialised;
  SELECT installed_rank, version, name, checksum, operation, applied_at, applied_by, execution_ms, success,
         error_number, error_message
  FROM ${HISTORY_TABLE}
  ORDER BY installed_rank;
END`;

export interface HistoryRow {
  readonly installedRank: number;
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  /** `up` for applies; `down` only on a failed rollback (a successful rollback deletes the version's rows). */
  readonly operation: 'up' | 'down';
  readonly appliedAt: Date;
  readonly appliedBy: string;
  readonly executionMs: number;
  readonly success: boolean;
  readonly errorNumber: number | null;
  readonly errorMessage: string | null;
}

export interface History {
  /** False when the history table does not exist (the database was never migrated). */
  readonly initialised: boolean;
  readonly rows: readonly HistoryRow[];
}

interface RawHistoryRow {
  installed_rank: number;
  version: number;
  name: string;
  checksum: string;
  operation: string;
  applied_at: Date;
  applied_by: string;
  execution_ms: number;
  success: boolean;
  error_number: number | null;
  error_message: string | null;
}

export function historyFromResult(result: sql.IResult<unknown>): History {
  const recordsets = result.recordsets as unknown as Array<Array<Record<string, unknown>>>;
  const initialised = recordsets[0]?.[0]?.initialised === true;
  const raw = (initialised ? (recordsets[1] ?? []) : []) as unknown as RawHistoryRow[];
  return {
    initialised,
    rows: raw.map((row) => ({
      installedRank: row.installed_rank,
      version: row.version,
      name: row.name,
      checksum: row.checksum.trim(),
      operation: row.operation === 'down' ? 'down' : 'up',
      appliedAt: row.applied_at,
      appliedBy: row.applied_by,
      executionMs: row.execution_ms,
      success: row.success,
      errorNumber: row.error_number,
      errorMessage: row.error_message,
    })),
  };
}

export type SchemaStatus = 'current' | 'needs_migration' | 'drifted' | 'uninitialised';

export type SchemaProblem = DriftProblem;

export interface LastError {
  readonly version: number;
  readonly name: string;
  readonly operation: 'up' | 'down';
  readonly number: number | null;
  readonly message: string;
  readonly at: Date;
  readonly by: string;
}

export interface SchemaValidation {
  /**
   * `uninitialised`: nothing applied yet (fresh database); `needs_migration`: the applied
   * versions are a prefix of the folder; `current`: all applied; `drifted`: the database is
   * ahead of the folder, has a gap, or an applied migration's file changed.
   */
  readonly status: SchemaStatus;
  /** Highest applied version; null when none is. */
  readonly current: number | null;
  /** Highest version in the folder. */
  readonly latest: number;
  readonly pending: readonly { version: number; name: string }[];
  readonly problems: readonly SchemaProblem[];
  /** The most recent failure newer than the last success (cleared by the next successful apply). */
  readonly lastError: LastError | null;
}

export type EntryState = 'applied' | 'pending' | 'checksum_mismatch' | 'unknown' | 'missing';

export interface MigrationEntry {
  readonly version: number;
  readonly name: string;
  readonly state: EntryState;
  readonly checksum: string | undefined;
  readonly recordedChecksum: string | undefined;
  readonly appliedAt: Date | undefined;
  readonly appliedBy: string | undefined;
  readonly executionMs: number | undefined;
}

export interface MigrationStatus extends SchemaValidation {
  /** One entry per version in the folder or in the history, by version. */
  readonly entries: readonly MigrationEntry[];
  readonly history: readonly HistoryRow[];
}

/** Pure comparison of the folder with a history; every status/validate/migrate decision comes from here. */
export function compareHistory(migrations: readonly Migration[], history: History): MigrationStatus {
  const applied = new Map<number, HistoryRow>();
  for (const row of history.rows) {
    if (row.success && row.operation === 'up') applied.set(row.version, row);
  }
  const byVersion = new Map(migrations.map((migration) => [migration.version, migration]));
  const latest = migrations.at(-1)?.version ?? 0;
  const appliedVersions = [...applied.keys()].sort((a, b) => a - b);
  const current = appliedVersions.at(-1) ?? null;

  const problems: SchemaProblem[] = [];
  const entries: MigrationEntry[] = [];
  const versions = [...new Set([...byVersion.keys(), ...applied.keys()])].sort((a, b) => a - b);
  for (const version of versions) {
    const migration = byVersion.get(version);
    const row = applied.get(version);
    let state: EntryState;
    if (migration && row) {
      if (row.checksum === migration.checksum) {
        state = 'applied';
      } else {
        state = 'checksum_mismatch';
        problems.push({
          kind: 'checksum_mismatch',
          version,
          message: `V${version} ${migration.name} was edited after it was applied (checksum ${shortHash(row.checksum)} in the database, ${shortHash(migration.checksum)} in ${migration.fileName})`,
        });
      }
    } else if (row) {
      state = 'unknown';
      problems.push({
        kind: 'unknown_version',
        version,
        message: `V${version} ${row.name} is applied but not in the migrations folder (the database is ahead)`,
      });
    } else if (migration && current !== null && version < current) {
      state = 'missing';
      problems.push({
        kind: 'missing_version',
        version,
        message: `V${version} ${migration.name} is not applied but a later version (${current}) is`,
      });
    } else {
      state = 'pending';
    }
    entries.push({
      version,
      name: migration?.name ?? row?.name ?? '',
      state,
      checksum: migration?.checksum,
      recordedChecksum: row?.checksum,
      appliedAt: row?.appliedAt,
      appliedBy: row?.appliedBy,
      executionMs: row?.executionMs,
    });
  }

  const lastSuccessRank = Math.max(0, ...[...applied.values()].map((row) => row.installedRank));
  const lastFailure = [...history.rows].reverse().find((row) => !row.success && row.installedRank > lastSuccessRank);
  const lastError: LastError | null = lastFailure
    ? {
        version: lastFailure.version,
        name: lastFailure.name,
        operation: lastFailure.operation,
        number: lastFailure.errorNumber,
        message: lastFailure.errorMessage ?? '',
        at: lastFailure.appliedAt,
        by: lastFailure.appliedBy,
      }
    : null;

  const pending = entries.filter((entry) => entry.state === 'pending').map(({ version, name }) => ({ version, name }));
  const status: SchemaStatus =
    problems.length > 0 ? 'drifted' : current === null ? 'uninitialised' : pending.length > 0 ? 'needs_migration' : 'current';
  return { status, current, latest, pending, problems, lastError, entries, history: history.rows };
}

const shortHash = (hash: string) => hash.slice(0, 12);
