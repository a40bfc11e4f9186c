// The cached schema status of each workspace database (workspace_schema_status): what the last
// check or run found, shown by environments and by status when the database cannot be reached.
import type { StudioDatabase } from '@studio/db';
import { workspaceSchemaStatus, type WorkspaceMigrationRun, type WorkspaceSchemaError } from '@studio/db/schema';
import type { MigrationEntry, SchemaStatus, SchemaValidation } from '@studio/workspace-migrations';
import { inArray } from 'drizzle-orm';
import { ServiceError } from './errors';
import type { MigrationRunError, MigrationScope } from './workspace-migration-reports';

export type StoredSchemaStatus = 'unknown' | SchemaStatus;

/** The cached row as clients see it (environments.get/list, status when the database is unreachable). */
export interface SchemaStatusSummary {
  status: StoredSchemaStatus;
  currentVersion: number | null;
  latestVersion: number;
  pending: { version: number; name: string }[];
  problems: { kind: string; version: number; message: string }[];
  lastError: WorkspaceSchemaError | null;
  lastRun: WorkspaceMigrationRun | null;
  checkedAt: Date;
}

export interface WorkspaceMigrationStatus extends MigrationScope, SchemaStatusSummary {
  /** False when the database could not be reached: the rest is the last known state. */
  reachable: boolean;
  /** Why it could not be reached (or the check failed). */
  error: MigrationRunError | null;
  entries: MigrationEntry[];
}

/** A workspace query refused because its database is behind and the API is configured to refuse. */
export class SchemaNeedsMigrationError extends ServiceError {
  constructor(details: { workspaceId: string; connectionId: string; status: SchemaStatus; current: number | null; latest: number; pending: { version: number; name: string }[] }) {
    super(
      'schema_needs_migration',
      `The workspace database is at schema version ${details.current ?? 'none'} of ${details.latest}; apply the pending migrations before running queries`,
      { reason: details.status, connectionId: details.connectionId, current: details.current, latest: details.latest, pending: details.pending },
    );
    this.name = 'SchemaNeedsMigrationError';
  }
}

/** The cached schema status of a workspace database, as callers see it (environments show it too). */
export const schemaStatusColumns = {
  status: workspaceSchemaStatus.status,
  currentVersion: workspaceSchemaStatus.currentVersion,
  latestVersion: workspaceSchemaStatus.latestVersion,
  pending: workspaceSchemaStatus.pending,
  problems: workspaceSchemaStatus.problems,
  lastError: workspaceSchemaStatus.lastError,
  lastRun: workspaceSchemaStatus.lastRun,
  checkedAt: workspaceSchemaStatus.checkedAt,
};

const statusColumns = { connectionId: workspaceSchemaStatus.connectionId, ...schemaStatusColumns };


export class SchemaStatusStore {
  constructor(
    private readonly db: StudioDatabase,
    /** The newest version in the migrations folder, for a row written before any check. */
    private readonly latestVersion: () => Promise<number>,
  ) {}

  /** The cached status rows of these connections (no round trip to any workspace database). */
  async stored(connectionIds: readonly string[]): Promise<Map<string, SchemaStatusSummary>> {
    if (connectionIds.length === 0) return new Map();
    const rows = await this.db.select(statusColumns).from(workspaceSchemaStatus).where(inArray(workspaceSchemaStatus.connectionId, [...connectionIds]));
    return new Map(rows.map(({ connectionId, status, ...rest }) => [connectionId, { status: status as StoredSchemaStatus, ...rest }]));
  }

  async store(
    workspaceId: string,
    connectionId: string,
    patch: { validation?: SchemaValidation; error?: MigrationRunError | null; lastRun?: WorkspaceMigrationRun },
  ): Promise<void> {
    const now = new Date();
    const v = patch.validation;
    const fromValidation = v && {
      status: v.status,
      currentVersion: v.current,
      latestVersion: v.latest,
      pending: v.pending.map(({ version, name }) => ({ version, name })),
      problems: v.problems.map(({ kind, version, message }) => ({ kind, version, message })),
      checkedAt: now,
    };
    const lastError: WorkspaceSchemaError | null | undefined =
      patch.error === undefined
        ? v
          ? v.lastError
            ? { code: 'MIGRATION_FAILED', number: v.lastError.number, message: v.lastError.message, version: v.lastError.version, at: v.lastError.at.toISOString() }
            : null
          : undefined
        : patch.error === null
          ? null
          : { code: patch.error.code, number: patch.error.number, message: patch.error.message, version: patch.error.version, at: now.toISOString() };
    const update = {
      ...fromValidation,
      ...(lastError !== undefined && { lastError }),
      ...(patch.lastRun !== undefined && { lastRun: patch.lastRun }),
      updatedAt: now,
    };
    const latest = v?.latest ?? (await this.latestVersion());
    await this.db
      .insert(workspaceSchemaStatus)
      .values({
        connectionId,
        workspaceId,
        status: fromValidation?.status ?? 'unknown',
        currentVersion: fromValidation?.currentVersion ?? null,
        latestVersion: latest,
        pending: fromValidation?.pending ?? [],
        problems: fromValidation?.problems ?? [],
        lastError: lastError ?? null,
        lastRun: patch.lastRun ?? null,
        checkedAt: now,
      })
      .onConflictDoUpdate({ target: workspaceSchemaStatus.connectionId, set: update });
  }
}
