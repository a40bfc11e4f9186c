// What a workspace migration run reports: its scope, origin, outcome and a failure as the API
// shows and audits it (codes, SQL Server's number and message, never settings).
import { loginReasonOf, CircuitOpenError, ConnectRefusedError, PoolCreateError, WorkspacePoolError } from '@studio/mssql-pool';
import {
  MigrationConnectionError,
  MigrationDriftError,
  MigrationFailedError,
  MigrationLockedError,
  MigrationOptionsError,
  MigrationRollbackError,
  MigrationTargetError,
  WorkspaceMigrationError,
  type PlannedMigration,
} from '@studio/workspace-migrations';
import type { AuditActor } from './audit';
import { InvalidInputError, ServiceError } from './errors';
import { OutboundPolicyError } from './outbound-policy';
import type { EnvironmentScope } from './workspace-databases';

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
export type MigrationScope = EnvironmentScope;

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

export function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
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
  if (error instanceof ConnectRefusedError && error.cause instanceof OutboundPolicyError) {
    return { code: error.cause.code, number: null, message: error.cause.message, version: null, line: null };
  }
  if (error instanceof WorkspacePoolError) {
    const create = error instanceof PoolCreateError ? error : error instanceof CircuitOpenError && error.cause instanceof PoolCreateError ? error.cause : undefined;
    const number = create?.number ?? null;
    const login = loginReasonOf(number);
    const reason =
      login === 'authentication_failed' ? 'login failed' : login === 'database_not_found' ? 'cannot open the database' : error instanceof CircuitOpenError ? 'failing fast after repeated failures' : 'not available';
    return { code: error.code, number, message: `The workspace database refused the connection (${reason})`, version: null, line: null };
  }
  if (error instanceof OutboundPolicyError) return { code: error.code, number: null, message: error.message, version: null, line: null };
  if (error instanceof ServiceError) return { code: error.code, number: null, message: error.message, version: null, line: null };
  return { code: 'UNKNOWN', number: null, message: 'The migration run failed unexpectedly', version: null, line: null };
}

export function outcomeOfFailure(error: unknown): MigrationRunOutcome {
  if (error instanceof MigrationLockedError) return 'locked';
  if (error instanceof MigrationDriftError) return 'drifted';
  return 'failed';
}

/** Refusals that mean "bad request", raised before anything ran. */
export function inputErrorOf(error: unknown, field: 'target' | 'steps'): ServiceError | undefined {
  if (error instanceof MigrationOptionsError) return new InvalidInputError(error.field, `${error.field}: ${error.message}`);
  if (error instanceof MigrationTargetError) return new InvalidInputError(field, `${field}: ${error.message}`);
  if (error instanceof MigrationRollbackError) {
    return new ServiceError('precondition_failed', error.message, { reason: 'no_down_migration', version: error.version });
  }
  return undefined;
}

