/** Stable codes for every failure this package raises on purpose. */
export type StudioDbErrorCode =
  | 'invalid_database_options'
  | 'database_unreachable'
  | 'data_dir_in_use'
  | 'migration_checksum_mismatch'
  | 'migration_file_missing'
  | 'migration_invalid_file'
  | 'migration_failed'
  | 'migration_lock_timeout'
  | 'down_migration_missing'
  | 'down_migration_unfilled'
  | 'reset_refused'
  | 'seed_failed'
  | 'backup_not_a_backup'
  | 'backup_truncated'
  | 'backup_checksum_mismatch'
  | 'backup_manifest_invalid'
  | 'backup_unsupported'
  | 'backup_failed'
  | 'restore_target_not_empty'
  | 'restore_verification_failed'
  | 'pool_queue_full'
  | 'pool_queue_timeout';

/** Base class: every error this package throws on purpose has a `code` and, when wrapped, a `cause`. */
export class StudioDbError extends Error {
  readonly code: StudioDbErrorCode;

  constructor(code: StudioDbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StudioDbError';
    this.code = code;
  }
}

/**
 * Every pooled connection is busy and this caller could not be queued (the queue is at its cap) or
 * waited past the queue's deadline. The database is up: this is load, not an outage.
 */
export class PoolBusyError extends StudioDbError {
  constructor(code: 'pool_queue_full' | 'pool_queue_timeout', message: string) {
    super(code, message);
    this.name = 'PoolBusyError';
  }
}

/** The system database could not be reached or opened. The message names the host, never the password. */
export class DatabaseConnectionError extends StudioDbError {
  /** `host:port/database` or the PGlite data folder. */
  readonly target: string;

  constructor(code: 'database_unreachable' | 'data_dir_in_use' | 'invalid_database_options', target: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DatabaseConnectionError';
    this.target = target;
  }
}

export class MigrationError extends StudioDbError {
  /** Migrations the error is about (e.g. the tampered ones). */
  readonly migrations: readonly string[];

  constructor(
    code: Extract<
      StudioDbErrorCode,
      | 'migration_checksum_mismatch'
      | 'migration_file_missing'
      | 'migration_invalid_file'
      | 'migration_failed'
      | 'migration_lock_timeout'
      | 'down_migration_missing'
      | 'down_migration_unfilled'
    >,
    message: string,
    migrations: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'MigrationError';
    this.migrations = migrations;
  }
}

export class ResetRefusedError extends StudioDbError {
  constructor(message: string) {
    super('reset_refused', message);
    this.name = 'ResetRefusedError';
  }
}

/**
 * Why the system database did not answer, when the error says it is unreachable rather than that
 * the statement was wrong: `timeout`, `connection_refused`, `connection_lost`, `shutting_down`,
 * `too_many_connections`. undefined for anything else (constraint violations, syntax, ...).
 * Walks the cause chain: drizzle wraps the driver's error in a DrizzleQueryError.
 */
export function unavailableReasonOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if (e instanceof DatabaseConnectionError && e.code === 'database_unreachable') return 'connection_refused';
    const code = (e as { code?: unknown }).code;
    const reason = typeof code === 'string' ? UNAVAILABLE_CODES.get(code) ?? unavailableSqlState(code) : undefined;
    if (reason !== undefined) return reason;
    const byMessage = UNAVAILABLE_MESSAGES.find(([pattern]) => pattern.test(e.message));
    if (byMessage !== undefined) return byMessage[1];
  }
  return undefined;
}

const UNAVAILABLE_CODES = new Map([
  ['ECONNREFUSED', 'connection_refused'],
  ['ECONNRESET', 'connection_lost'],
  ['EPIPE', 'connection_lost'],
  ['ETIMEDOUT', 'timeout'],
  ['EHOSTUNREACH', 'connection_refused'],
  ['ENETUNREACH', 'connection_refused'],
  ['ENOTFOUND', 'connection_refused'],
  ['EAI_AGAIN', 'connection_refused'],
  // admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting down)
  ['57P01', 'shutting_down'],
  ['57P02', 'shutting_down'],
  ['57P03', 'shutting_down'],
  ['53300', 'too_many_connections'],
]);

/** Class 08: connection exception. */
function unavailableSqlState(code: string): string | undefined {
  return /^08[0-9A-Z]{3}$/.test(code) ? 'connection_lost' : undefined;
}

// node-postgres and pg-pool raise these without a code.
const UNAVAILABLE_MESSAGES: [RegExp, string][] = [
  [/^Query read timeout$/, 'timeout'],
  [/^timeout exceeded when trying to connect$/, 'timeout'],
  [/^Connection terminated due to connection timeout$/, 'timeout'],
  [/^Connection terminated( unexpectedly)?$/, 'connection_lost'],
  [/is not queryable$/, 'connection_lost'],
];

/** A backup file is unusable (not ours, cut short, altered) or a backup/restore could not be completed. */
export class BackupError extends StudioDbError {
  constructor(
    code: Extract<
      StudioDbErrorCode,
      | 'backup_not_a_backup'
      | 'backup_truncated'
      | 'backup_checksum_mismatch'
      | 'backup_manifest_invalid'
      | 'backup_unsupported'
      | 'backup_failed'
      | 'restore_target_not_empty'
      | 'restore_verification_failed'
    >,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'BackupError';
  }
}

export * from './constraint-errors';
