// Environments (MISSION F3): named, per workspace, one default, each pointing at a SQL Server
// connection. An environment either references an existing connection or carries the connection
// parameters itself (the web form); saving is two-phase so the router can run the connection test
// between `prepareSave` (validate, merge) and `commitSave` (one transaction).
import type { StudioDatabase } from '@studio/db';
import { environments, workspaceSchemaStatus, type ConnectionOptions } from '@studio/db/schema';
import { and, asc, count, eq, gt, ne } from 'drizzle-orm';
import { connections as connectionsTable } from '@studio/db/schema';
import type { ConnectionTestResult, ConnectionTestTarget } from './connection-test';
import type { ConnectionService } from './connections';
import { assertEncryptionSettings } from './connection-tls';
import { patchStoredTarget } from './credential-target';
import { ConflictError, expectRow, InvalidInputError, NotFoundError } from './errors';
import { keysetPage } from './pagination';
import { schemaStatusColumns } from './workspace-migrations';

/** Connection parameters on the environment form. `password`: omitted = keep (refused when the target changes), null = clear. */
export interface EnvironmentConnectionParams {
  host?: string | undefined;
  port?: number | undefined;
  database?: string | undefined;
  user?: string | undefined;
  password?: string | null | undefined;
  options?: ConnectionOptions | undefined;
}

export interface EnvironmentSaveInput {
  name?: string | undefined;
  description?: string | null | undefined;
  isDefault?: boolean | undefined;
  /** Apply workspace migrations when the environment gets a new or changed connection (default true). */
  autoMigrate?: boolean | undefined;
  /** Point at an existing connection (null on update: unconfigure). Exclusive with `connection`. */
  connectionId?: string | null | undefined;
  connection?: EnvironmentConnectionParams | undefined;
}

/** What `commitSave` will write, and the settings to test first (null: nothing to test). */
export interface EnvironmentSavePlan {
  workspaceId: string;
  environmentId: string | null;
  input: EnvironmentSaveInput;
  /** The environment's autoMigrate before this save (null: a new environment). */
  previousAutoMigrate: boolean | null;
  connection:
    | { kind: 'keep' }
    | { kind: 'unlink'; previousConnectionId: string | null }
    | { kind: 'reference'; connectionId: string; previousConnectionId: string | null }
    | { kind: 'create'; params: Required<Pick<EnvironmentConnectionParams, 'host' | 'port' | 'database' | 'user'>> & EnvironmentConnectionParams; previousConnectionId: string | null }
    | { kind: 'update'; connectionId: string; params: EnvironmentConnectionParams };
  target: ConnectionTestTarget | null;
}

const DEFAULT_MSSQL_PORT = 1433;

export class EnvironmentService {
  constructor(
    private readonly db: StudioDatabase,
    private readonly connections: ConnectionService,
  ) {}

  #columns = {
    id: environments.id,
    workspaceId: environments.workspaceId,
    name: environments.name,
    description: environments.description,
    isDefault: environments.isDefault,
    connectionId: environments.connectionId,
    autoMigrate: environments.autoMigrate,
    createdAt: environments.createdAt,
    updatedAt: environments.updatedAt,
  };

  async #present(row: EnvironmentRow, db: StudioDatabase = this.db) {
    const connection = row.connectionId === null ? null : await this.connections.get(row.workspaceId, row.connectionId, { revealUser: true }, db);
    return { ...row, connection, migration: row.connectionId === null ? null : await this.#schemaStatus(row.connectionId, db) };
  }

  /** The workspace database's last known schema status (F5), cached by the migration service; null before the first check. */
  async #schemaStatus(connectionId: string, db: StudioDatabase) {
    const [status] = await db
      .select(schemaStatusColumns)
      .from(workspaceSchemaStatus)
      .where(eq(workspaceSchemaStatus.connectionId, connectionId));
    return status ?? null;
  }

  /**
   * Why this save should apply workspace migrations (F5): the environment was created with a
   * connection, its connection changed, or auto-migrate was turned back on; null otherwise.
   */
  migrationTriggerOf(plan: EnvironmentSavePlan, saved: { connectionId: string | null }): 'created' | 'connection_changed' | 'auto_migrate_enabled' | null {
    if (saved.connectionId === null) return null;
    if (plan.environmentId === null) return 'created';
    const c = plan.connection;
    if (c.kind === 'create' || c.kind === 'update' || (c.kind === 'reference' && c.previousConnectionId !== c.connectionId)) return 'connection_changed';
    if (plan.input.autoMigrate === true && plan.previousAutoMigrate === false) return 'auto_migrate_enabled';
    return null;
  }

  async #row(workspaceId: string, environmentId: string, db: StudioDatabase = this.db) {
    const [row] = await db
      .select(this.#columns)
      .from(environments)
      .where(and(eq(environments.workspaceId, workspaceId), eq(environments.id, environmentId)));
    if (!row) throw new NotFoundError('Environment', { field: 'environmentId' });
    return row;
  }

  /** Full settings (Owners/Admins). Ordered by name; the cursor is the last name. */
  async list(workspaceId: string, page: { afterName?: string | undefined; limit: number }) {
    const rows = await this.db
      .select(this.#columns)
      .from(environments)
      .where(and(eq(environments.workspaceId, workspaceId), page.afterName === undefined ? undefined : gt(environments.name, page.afterName)))
      .orderBy(asc(environments.name))
      .limit(page.limit + 1);
    const found = keysetPage(rows, page.limit, (row) => row.name);
    return { ...found, items: await Promise.all(found.items.map((row) => this.#present(row))) };
  }

  /** What every member may see to pick an environment: no host, database or user. */
  async choices(workspaceId: string, page: { afterName?: string | undefined; limit: number }) {
    const rows = await this.db
      .select({ id: environments.id, name: environments.name, isDefault: environments.isDefault, connectionId: environments.connectionId, status: connectionsTable.status })
      .from(environments)
      .leftJoin(connectionsTable, eq(connectionsTable.id, environments.connectionId))
      .where(and(eq(environments.workspaceId, workspaceId), page.afterName === undefined ? undefined : gt(environments.name, page.afterName)))
      .orderBy(asc(environments.name))
      .limit(page.limit + 1);
    const found = keysetPage(rows, page.limit, (row) => row.name);
    return { ...found, items: found.items.map((r) => ({ id: r.id, name: r.name, isDefault: r.isDefault, configured: r.connectionId !== null, status: r.status ?? null })) };
  }

  async get(workspaceId: string, environmentId: string) {
    return this.#present(await this.#row(workspaceId, environmentId));
  }

  /** Validates and merges; loads (decrypts) the settings the save must test. Writes nothing. */
  async prepareSave(workspaceId: string, environmentId: string | null, input: EnvironmentSaveInput): Promise<EnvironmentSavePlan> {
    const current = environmentId === null ? null : await this.#row(workspaceId, environmentId);
    const previousConnectionId = current?.connectionId ?? null;
    const plan = (connection: EnvironmentSavePlan['connection'], target: ConnectionTestTarget | null): EnvironmentSavePlan => ({
      workspaceId,
      environmentId,
      input,
      previousAutoMigrate: current?.autoMigrate ?? null,
      connection,
      target,
    });

    if (input.connection !== undefined) {
      const params = input.connection;
      if (previousConnectionId !== null) {
        const stored = await this.connections.settingsOf(workspaceId, previousConnectionId);
        assertEncryptionSettings(stored.type, params.options ?? stored.options, 'connection.options');
        // Before the test: the test itself would send the stored password to the new target.
        const target: ConnectionTestTarget = patchStoredTarget(stored, { ...params, type: stored.type }, 'connection.password');
        return plan({ kind: 'update', connectionId: previousConnectionId, params }, target);
      }
      const { host, database, user } = params;
      if (host === undefined || database === undefined || user === undefined) {
        const missing = host === undefined ? 'host' : database === undefined ? 'database' : 'user';
        throw new InvalidInputError(`connection.${missing}`, `connection.${missing}: required for an environment without a connection`);
      }
      const port = params.port ?? DEFAULT_MSSQL_PORT;
      assertEncryptionSettings('mssql', params.options ?? {}, 'connection.options');
      return plan(
        { kind: 'create', params: { ...params, host, port, database, user }, previousConnectionId },
        { type: 'mssql', host, port, database, user, password: params.password ?? null, options: params.options ?? {} },
      );
    }
    if (input.connectionId === null) return plan({ kind: 'unlink', previousConnectionId }, null);
    if (input.connectionId !== undefined) {
      const stored = await this.connections.settingsOf(workspaceId, input.connectionId).catch((error: unknown) => {
        if (error instanceof NotFoundError) throw new InvalidInputError('connectionId', 'connectionId: no such connection in this workspace');
        throw error;
      });
      if (stored.type !== 'mssql') throw new InvalidInputError('connectionId', 'connectionId: environments point at SQL Server (mssql) connections');
      return plan({ kind: 'reference', connectionId: input.connectionId, previousConnectionId }, stored);
    }
    if (environmentId === null) throw new InvalidInputError('connectionId', 'connectionId or connection is required');
    return plan({ kind: 'keep' }, null);
  }

  /**
   * Writes the environment (and its connection) in one transaction. `test` is the result the save
   * ran (null when saved untested): it becomes the connection's status.
   * Returns the environment and the connection ids whose pools must be invalidated.
   */
  async commitSave(plan: EnvironmentSavePlan, test: ConnectionTestResult | null, createdBy: string | null) {
    const { workspaceId, input } = plan;
    return this.db.transaction(async (tx) => {
      let connectionId: string | null | undefined;
      const changed = new Set<string>();
      const c = plan.connection;
      if (c.kind === 'create') {
        const created = await this.connections.create(
          workspaceId,
          {
            name: `${(input.name ?? 'environment').slice(0, 80)} (environment)`,
            type: 'mssql',
            host: c.params.host,
            port: c.params.port,
            database: c.params.database,
            user: c.params.user,
            password: c.params.password ?? null,
            options: c.params.options,
          },
          createdBy,
          tx,
        );
        connectionId = created.id;
        if (c.previousConnectionId) changed.add(c.previousConnectionId);
      } else if (c.kind === 'update') {
        const { password, ...rest } = c.params;
        await this.connections.update(workspaceId, c.connectionId, { ...rest, ...(password !== undefined && { password }) }, tx);
        connectionId = c.connectionId;
        changed.add(c.connectionId);
      } else if (c.kind === 'reference') {
        connectionId = c.connectionId;
        if (c.previousConnectionId && c.previousConnectionId !== c.connectionId) changed.add(c.previousConnectionId);
      } else if (c.kind === 'unlink') {
        connectionId = null;
        if (c.previousConnectionId) changed.add(c.previousConnectionId);
      }
      if (connectionId && plan.target) {
        await this.connections.setTestedStatus(workspaceId, connectionId, test, tx);
      }

      let environmentId = plan.environmentId;
      if (environmentId === null) {
        const [defaults] = await tx
          .select({ n: count() })
          .from(environments)
          .where(and(eq(environments.workspaceId, workspaceId), eq(environments.isDefault, true)));
        // "At least one default": the first environment of a workspace is its default.
        const isDefault = input.isDefault === true || (defaults?.n ?? 0) === 0;
        if (isDefault) await tx.update(environments).set({ isDefault: false }).where(and(eq(environments.workspaceId, workspaceId), eq(environments.isDefault, true)));
        const [row] = await tx
          .insert(environments)
          .values({
            workspaceId,
            name: input.name ?? '',
            description: input.description ?? null,
            isDefault,
            connectionId: connectionId ?? null,
            autoMigrate: input.autoMigrate ?? true,
            createdBy,
          })
          .returning({ id: environments.id });
        environmentId = expectRow(row, 'environment insert').id;
      } else {
        if (input.isDefault === true) {
          await tx
            .update(environments)
            .set({ isDefault: false })
            .where(and(eq(environments.workspaceId, workspaceId), eq(environments.isDefault, true), ne(environments.id, environmentId)));
        }
        if (input.isDefault === false) {
          const current = await this.#row(workspaceId, environmentId, tx);
          if (current.isDefault) throw new ConflictError('Make another environment the default instead', { field: 'isDefault', reason: 'default_required' });
        }
        await tx
          .update(environments)
          .set({
            ...(input.name !== undefined && { name: input.name }),
            ...(input.description !== undefined && { description: input.description }),
            ...(input.isDefault === true && { isDefault: true }),
            ...(input.autoMigrate !== undefined && { autoMigrate: input.autoMigrate }),
            ...(connectionId !== undefined && { connectionId }),
            updatedAt: new Date(),
          })
          .where(and(eq(environments.workspaceId, workspaceId), eq(environments.id, environmentId)));
      }
      const environment = await this.#present(await this.#row(workspaceId, environmentId, tx), tx);
      return { environment, invalidate: [...changed] };
    });
  }

  async setDefault(workspaceId: string, environmentId: string) {
    return this.db.transaction(async (tx) => {
      await this.#row(workspaceId, environmentId, tx);
      await tx
        .update(environments)
        .set({ isDefault: false })
        .where(and(eq(environments.workspaceId, workspaceId), eq(environments.isDefault, true), ne(environments.id, environmentId)));
      await tx.update(environments).set({ isDefault: true, updatedAt: new Date() }).where(eq(environments.id, environmentId));
      return this.#present(await this.#row(workspaceId, environmentId, tx), tx);
    });
  }

  /** The default cannot be deleted while other environments exist (set another default first). */
  /**
   * Deletes an environment; with `deleteConnection`, also the connection it owns, unless another
   * environment still points at it (then the connection stays and `deletedConnection` is null).
   */
  async delete(workspaceId: string, environmentId: string, options: { deleteConnection?: boolean } = {}) {
    return this.db.transaction(async (tx) => {
      const row = await this.#row(workspaceId, environmentId, tx);
      if (row.isDefault) {
        const [others] = await tx
          .select({ n: count() })
          .from(environments)
          .where(and(eq(environments.workspaceId, workspaceId), ne(environments.id, environmentId)));
        if ((others?.n ?? 0) > 0) throw new ConflictError('Make another environment the default before deleting this one', { field: 'environmentId', reason: 'default_required' });
      }
      await tx.delete(environments).where(eq(environments.id, environmentId));
      let deletedConnection: { id: string; name: string } | null = null;
      if (options.deleteConnection && row.connectionId !== null) {
        const [shared] = await tx
          .select({ n: count() })
          .from(environments)
          .where(and(eq(environments.workspaceId, workspaceId), eq(environments.connectionId, row.connectionId)));
        if ((shared?.n ?? 0) === 0) {
          [deletedConnection = null] = await tx
            .delete(connectionsTable)
            .where(and(eq(connectionsTable.workspaceId, workspaceId), eq(connectionsTable.id, row.connectionId)))
            .returning({ id: connectionsTable.id, name: connectionsTable.name });
          if (deletedConnection) await this.connections.listChanged(workspaceId);
        }
      }
      return { id: row.id, name: row.name, connectionId: row.connectionId, deletedConnection };
    });
  }
}

interface EnvironmentRow {
  id: string;
  workspaceId: string;
  name: string;
  description: string | null;
  isDefault: boolean;
  connectionId: string | null;
  autoMigrate: boolean;
  createdAt: Date;
  updatedAt: Date;
}
