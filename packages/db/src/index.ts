export * from './schema/index';
export {
  createDatabase,
  connectWithRetry,
  databaseOptionsSchema,
  connectRetrySchema,
  parseDatabaseOptions,
  redactError,
  QUERY_READ_TIMEOUT_MESSAGE,
  type Database,
  type PgDatabaseHandle,
  type PgliteDatabaseHandle,
  type DatabaseOptions,
  type DatabaseOptionsInput,
  type ConnectRetryOptions,
  type StudioDatabase,
} from './client';
export { databaseEnvSchema, databaseOptionsFromEnv, type DatabaseEnv } from './env';
export {
  Migrator,
  readMigrations,
  checksumOf,
  defaultMigrationsDir,
  MIGRATIONS_TABLE,
  type MigrationFile,
  type MigrationState,
  type MigrationStatus,
  type MigrationStatusEntry,
  type MigrateResult,
  type MigratorOptions,
} from './migrator';
export { seed, generatePassword, SEED, type SeedOptions, type SeedResult } from './seed';
export { resetDatabase, type ResetOptions } from './reset';
export { hashPassword, verifyPassword } from './password';
export {
  describeConstraintViolation,
  CONSTRAINT_MESSAGES,
  type ConstraintViolation,
  type ConstraintViolationKind,
} from './constraint-errors';
export {
  StudioDbError,
  DatabaseConnectionError,
  MigrationError,
  ResetRefusedError,
  PoolBusyError,
  unavailableReasonOf,
  BackupError,
  type StudioDbErrorCode,
} from './errors';
export * from './backup/index';
export { withSession, type DatabaseSession, type SqlRunner } from './session';
