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
  | 'restore_verification_failed';

/** Base class: every error this package throws on purpose has a `code` and, when wrapped, a `cause`. */
export class StudioDbError extends Error {
  readonly code: StudioDbErrorCode;

  constructor(code: StudioDbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StudioDbError';
    this.code = code;
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
