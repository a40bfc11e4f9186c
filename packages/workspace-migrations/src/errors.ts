/** Codes carried by every error this package throws; stable for callers (the API maps them) to switch on. */
export type MigrationErrorCode =
  | 'MIGRATION_OPTIONS'
  | 'MIGRATION_FILE'
  | 'MIGRATION_LOCKED'
  | 'MIGRATION_LOCK'
  | 'MIGRATION_DRIFT'
  | 'MIGRATION_FAILED'
  | 'MIGRATION_TARGET'
  | 'MIGRATION_ROLLBACK'
  | 'MIGRATION_CONNECTION';

/** Base class: `code` for programs, `cause` for the driver's original error. */
export class WorkspaceMigrationError extends Error {
  readonly code: MigrationErrorCode;

  constructor(code: MigrationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** A constructor or call option is invalid; `field` names the one at fault. */
export class MigrationOptionsError extends WorkspaceMigrationError {
  readonly field: string;

  constructor(field: string, message: string) {
    super('MIGRATION_OPTIONS', `invalid option \`${field}\`: ${message}`);
    this.field = field;
  }
}

/** The migrations folder is malformed (bad name, duplicate or missing version, missing `-- +up`). */
export class MigrationFileError extends WorkspaceMigrationError {
  /** The file at fault, or the folder when the problem is the set as a whole. */
  readonly file: string;
  readonly line: number | undefined;

  constructor(file: string, message: string, options?: { line?: number; cause?: unknown }) {
    super('MIGRATION_FILE', `${file}${options?.line === undefined ? '' : `:${options.line}`}: ${message}`, options);
    this.file = file;
    this.line = options?.line;
  }
}

/** Another run holds this database's migration lock and did not let go within `lockTimeoutMs`. */
export class MigrationLockedError extends WorkspaceMigrationError {
  /** Who holds it, as that run recorded itself (`appliedBy (pid … on host) since …`), when readable. */
  readonly holder: string | undefined;
  readonly waitedMs: number;

  constructor(holder: string | undefined, waitedMs: number) {
    super(
      'MIGRATION_LOCKED',
      holder === undefined
        ? `another migration run holds the lock on this database (waited ${waitedMs} ms)`
        : `locked by ${holder} (waited ${waitedMs} ms)`,
    );
    this.holder = holder;
    this.waitedMs = waitedMs;
  }
}

/** sp_getapplock answered something other than granted or timed out (cancelled, deadlock, error). */
export class MigrationLockError extends WorkspaceMigrationError {
  /** sp_getapplock's return code (-2 cancelled, -3 deadlock victim, -999 parameter/other error). */
  readonly returnCode: number;

  constructor(returnCode: number) {
    super('MIGRATION_LOCK', `sp_getapplock returned ${returnCode}`);
    this.returnCode = returnCode;
  }
}

/** A problem found when comparing the folder with a database's history (see `SchemaProblem`). */
export interface DriftProblem {
  readonly kind: 'checksum_mismatch' | 'unknown_version' | 'missing_version';
  readonly version: number;
  readonly message: string;
}

/** The database's history disagrees with the folder. Never repaired automatically: a human decides. */
export class MigrationDriftError extends WorkspaceMigrationError {
  readonly problems: readonly DriftProblem[];

  constructor(problems: readonly DriftProblem[]) {
    super('MIGRATION_DRIFT', `schema drifted: ${problems.map((p) => p.message).join('; ')}`);
    this.problems = problems;
  }
}

/** What the server said about a failed batch, in a driver-neutral shape. */
export interface SqlFailure {
  /** SQL Server error number (2714, 207, …); undefined when the failure was not a server error (lost connection). */
  readonly number: number | undefined;
  readonly message: string;
  /** Line in the migration file (not in the batch), when the server reported one. */
  readonly line: number | undefined;
}

/** A migration (or its down part) failed and was rolled back; the database is at the last good version. */
export class MigrationFailedError extends WorkspaceMigrationError implements SqlFailure {
  readonly version: number;
  readonly migrationName: string;
  readonly direction: 'up' | 'down';
  readonly number: number | undefined;
  readonly sqlMessage: string;
  readonly line: number | undefined;
  /** Migrations this run applied (or rolled back) before the failure; they stay applied (rolled back). */
  readonly completed: readonly { version: number; name: string; executionMs: number }[];

  constructor(
    details: {
      version: number;
      name: string;
      direction: 'up' | 'down';
      failure: SqlFailure;
      completed: readonly { version: number; name: string; executionMs: number }[];
    },
    cause: unknown,
  ) {
    const { version, name, direction, failure } = details;
    super(
      'MIGRATION_FAILED',
      `${direction === 'up' ? 'migration' : 'rollback of'} V${version} ${name} failed` +
        `${failure.number === undefined ? '' : ` with error ${failure.number}`}` +
        `${failure.line === undefined ? '' : ` at line ${failure.line}`}: ${failure.message}`,
      { cause },
    );
    this.version = version;
    this.migrationName = name;
    this.direction = direction;
    this.number = failure.number;
    this.sqlMessage = failure.message;
    this.line = failure.line;
    this.completed = details.completed;
  }
}

/** `migrate({ target })` / `rollback({ steps })` asked for something the folder or history cannot give. */
export class MigrationTargetError extends WorkspaceMigrationError {
  constructor(message: string) {
    super('MIGRATION_TARGET', message);
  }
}

/** A rollback cannot start: a migration to undo has no `-- +down` part. Nothing was changed. */
export class MigrationRollbackError extends WorkspaceMigrationError {
  readonly version: number;

  constructor(version: number, message: string) {
    super('MIGRATION_ROLLBACK', message);
    this.version = version;
  }
}

/** Talking to the database failed outside a migration (pinning a connection, reading history, the lock). */
export class MigrationConnectionError extends WorkspaceMigrationError {
  readonly number: number | undefined;

  constructor(message: string, cause: unknown) {
    const info = sqlFailureOf(cause);
    super('MIGRATION_CONNECTION', `${message}: ${info.message}`, { cause });
    this.number = info.number;
  }
}

/** Reads number/message/line from an mssql `RequestError` (or its tedious `originalError`). */
export function sqlFailureOf(error: unknown, lineOffset = 0): SqlFailure {
  const record = (value: unknown): Record<string, unknown> | undefined =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  const outer = record(error);
  const inner = record(outer?.originalError);
  const number = [outer?.number, inner?.number].find((n): n is number => typeof n === 'number');
  const lineNumber = [outer?.lineNumber, inner?.lineNumber].find((n): n is number => typeof n === 'number' && n > 0);
  const message =
    typeof outer?.message === 'string' && outer.message !== ''
      ? outer.message
      : typeof inner?.message === 'string'
        ? inner.message
        : String(error);
  return { number, message, line: lineNumber === undefined ? undefined : lineNumber + lineOffset };
}
