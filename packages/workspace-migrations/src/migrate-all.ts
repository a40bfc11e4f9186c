import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import {
  MigrationDriftError,
  MigrationFailedError,
  MigrationLockedError,
  MigrationOptionsError,
  WorkspaceMigrationError,
  sqlFailureOf,
  type MigrationErrorCode,
} from './errors';
import type { AppliedMigration, MigrateResult } from './migrator';

export type WorkspaceOutcome = 'applied' | 'up_to_date' | 'failed' | 'locked' | 'drifted' | 'skipped';

export interface WorkspaceReport {
  readonly workspace: string;
  readonly ok: boolean;
  readonly outcome: WorkspaceOutcome;
  /** Applied by this run (for a failure: those before the failing one, which stay applied). */
  readonly applied: readonly AppliedMigration[];
  /** Version after the run; null when unknown (failed before reading history) or nothing applied. */
  readonly version: number | null;
  readonly error?: {
    /** This package's error code, or `UNKNOWN` for anything else `run` threw. */
    readonly code: MigrationErrorCode | 'UNKNOWN';
    /** SQL Server error number when the server reported one. */
    readonly number: number | null;
    readonly message: string;
    /** The migration that failed, when one did. */
    readonly version: number | null;
  };
  readonly durationMs: number;
}

export interface MigrateAllReport {
  readonly results: readonly WorkspaceReport[];
  readonly ok: number;
  readonly failed: number;
  readonly skipped: number;
  readonly durationMs: number;
}

export interface MigrateAllOptions<T> {
  /** Workspaces migrated at once (default 4). Each holds one connection of its own pool. */
  concurrency?: number;
  /** Keep going after a failure (default true); when false, workspaces not yet started are `skipped`. */
  continueOnError?: boolean;
  /** Migrates one target, e.g. `(t) => pools.withConnection(t, (lease) => migrator.migrate(lease.pool))`. */
  run: (target: T) => Promise<MigrateResult>;
  /** The report's `workspace` for a target (default: the target itself if a string, else its `workspace` or `workspaceId`). */
  workspaceOf?: (target: T) => string;
}

const optionsSchema = z.strictObject({
  concurrency: z.number().int().min(1).max(256).default(4),
  continueOnError: z.boolean().default(true),
  run: z.custom<(target: unknown) => Promise<MigrateResult>>((value) => typeof value === 'function', 'expected a function'),
  workspaceOf: z.custom<(target: unknown) => string>((value) => typeof value === 'function', 'expected a function').optional(),
});

function defaultWorkspaceOf(target: unknown): string {
  if (typeof target === 'string') return target;
  if (typeof target === 'object' && target !== null) {
    const record = target as Record<string, unknown>;
    for (const key of ['workspace', 'workspaceId', 'database']) {
      if (typeof record[key] === 'string') return record[key];
    }
  }
  throw new MigrationOptionsError('workspaceOf', 'targets are neither strings nor have a workspace/workspaceId; pass workspaceOf');
}

/**
 * Migrates many workspace databases with bounded concurrency and reports per workspace; one
 * failure never stops the others unless `continueOnError` is false. Never rejects for a
 * workspace's failure: read `results`.
 */
export async function migrateAll<T>(targets: readonly T[], options: MigrateAllOptions<T>): Promise<MigrateAllReport> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MigrationOptionsError(issue?.path.join('.') || 'options', issue?.message ?? 'invalid');
  }
  const { concurrency, continueOnError } = parsed.data;
  const workspaceOf = options.workspaceOf ?? defaultWorkspaceOf;
  const names = targets.map((target) => workspaceOf(target));
  const started = performance.now();
  const results: WorkspaceReport[] = new Array<WorkspaceReport>(targets.length);
  let next = 0;
  let stop = false;

  const worker = async () => {
    while (next < targets.length) {
      const index = next++;
      const target = targets[index] as T;
      const workspace = names[index] as string;
      if (stop) {
        results[index] = { workspace, ok: false, outcome: 'skipped', applied: [], version: null, durationMs: 0 };
        continue;
      }
      const begun = performance.now();
      try {
        const result = await options.run(target);
        results[index] = {
          workspace,
          ok: true,
          outcome: result.applied.length > 0 ? 'applied' : 'up_to_date',
          applied: result.applied,
          version: result.to,
          durationMs: Math.round(performance.now() - begun),
        };
      } catch (error) {
        if (!continueOnError) stop = true;
        results[index] = { ...failureReport(workspace, error), durationMs: Math.round(performance.now() - begun) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(targets.length, 1)) }, () => worker()));

  const ok = results.filter((result) => result.ok).length;
  const skipped = results.filter((result) => result.outcome === 'skipped').length;
  return { results, ok, failed: results.length - ok - skipped, skipped, durationMs: Math.round(performance.now() - started) };
}

function failureReport(workspace: string, error: unknown): Omit<WorkspaceReport, 'durationMs'> {
  const base = { workspace, ok: false } as const;
  if (error instanceof MigrationFailedError) {
    const last = error.completed.at(-1);
    return {
      ...base,
      outcome: 'failed',
      applied: error.completed,
      version: error.direction === 'up' ? (last?.version ?? error.version - 1) : null,
      error: { code: error.code, number: error.number ?? null, message: error.sqlMessage, version: error.version },
    };
  }
  const outcome: WorkspaceOutcome =
    error instanceof MigrationLockedError ? 'locked' : error instanceof MigrationDriftError ? 'drifted' : 'failed';
  const failure = sqlFailureOf(error);
  return {
    ...base,
    outcome,
    applied: [],
    version: null,
    error: {
      code: error instanceof WorkspaceMigrationError ? error.code : 'UNKNOWN',
      number: failure.number ?? null,
      message: error instanceof Error ? error.message : String(error),
      version: null,
    },
  };
}
