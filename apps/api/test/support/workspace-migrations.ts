// Shared setup for the workspace-migrations-*.test.ts files: one TDS emulator per describe block
// with several workspace databases, a separate pool manager to look inside them (as a DBA would),
// and workspaces whose default environment points at one of them.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { WorkspacePoolManager, type ConnectionTargetOf } from '@studio/mssql-pool';
import { afterAll, beforeAll } from 'vitest';
import type { Harness, UserFixture } from './harness';

export const WS_USER = 'studio_app';
export const WS_PASSWORD = 'Workspace-Passw0rd-Secret';

export interface WorkspaceSqlServer {
  readonly emulator: RunningEmulator;
  /** Connection parameters of the environment form for `database`. */
  params(database: string): { host: string; port: number; database: string; user: string; password: string; options: { connectTimeoutMs: number } };
  /** Runs SQL in `database` outside the API (its own pool manager), returning the first result set. */
  query<Row = Record<string, unknown>>(database: string, sql: string): Promise<Row[]>;
  /** `[version, success]` of every history row, in order. */
  history(database: string): Promise<Array<[number, boolean]>>;
  tableExists(database: string, table: string): Promise<boolean>;
  /**
   * Drops what migrations and tests left in every database, so the next describe block (the other
   * system-database target) starts from fresh databases without opening new ones, which is the
   * slow part: the emulator starts a PGlite per database.
   */
  reset(): Promise<void>;
}


/** Starts an emulator for the calling file (or describe block) with these databases, all opened up front. */
export function useWorkspaceSqlServer(databases: readonly string[]): WorkspaceSqlServer {
  let emulator: RunningEmulator | undefined;
  const inspector = new WorkspacePoolManager({ defaultPoolSize: 2, connectTimeoutMs: 60_000, acquireTimeoutMs: 60_000 });
  beforeAll(async () => {
    emulator = await startEmulator({ users: [{ user: WS_USER, password: WS_PASSWORD }], databases: [...databases], preload: true });
  }, 300_000);
  afterAll(async () => {
    await inspector.close({ deadlineMs: 1_000 });
    await emulator?.close();
  });
  const running = () => {
    if (!emulator) throw new Error('emulator not started yet');
    return emulator;
  };
  const targetOf = (database: string): ConnectionTargetOf<'mssql'> => ({
    workspaceId: 'inspector',
    connectionId: database,
    type: 'mssql',
    host: '127.0.0.1',
    port: running().port,
    database,
    user: WS_USER,
    password: WS_PASSWORD,
    options: { connectTimeoutMs: 60_000 },
  });
  const server: WorkspaceSqlServer = {
    async reset() {
      for (const database of databases) {
        const tables = await server.query<{ name: string }>(database, 'SELECT name FROM sys.tables');
        for (const { name } of tables) await server.query(database, `DROP TABLE dbo.[${name}]`);
      }
    },
    get emulator() {
      return running();
    },
    params: (database) => ({ host: '127.0.0.1', port: running().port, database, user: WS_USER, password: WS_PASSWORD, options: { connectTimeoutMs: 60_000 } }),
    async query<Row>(database: string, sql: string) {
      return inspector.withConnection(targetOf(database), async (lease) => (await lease.pool.request().batch(sql)).recordset as unknown as Row[]);
    },
    async history(database) {
      if (!(await server.tableExists(database, 'dbo.studio_schema_history'))) return [];
      const rows = await server.query<{ version: number; success: boolean }>(database, 'SELECT version, success FROM dbo.studio_schema_history ORDER BY installed_rank');
      return rows.map((row) => [row.version, row.success]);
    },
    async tableExists(database, table) {
      const rows = await server.query<{ id: number | null }>(database, `SELECT OBJECT_ID(N'${table}', N'U') AS id`);
      return rows[0]?.id != null;
    },
  };
  return server;
}

/** A workspace with an Owner, an Admin, a Member and a Viewer, and tRPC callers for each. */
export async function workspaceWithRoles(h: Harness) {
  const owner = await h.user('owner');
  const ws = await h.workspace(owner);
  const people: Record<'admin' | 'member' | 'viewer', UserFixture> = {
    admin: await h.user('admin'),
    member: await h.user('member'),
    viewer: await h.user('viewer'),
  };
  await h.member(ws.id, people.admin, 'Admin');
  await h.member(ws.id, people.member, 'Member');
  await h.member(ws.id, people.viewer, 'Viewer');
  return {
    ws,
    owner: h.caller(owner.principal),
    admin: h.caller(people.admin.principal),
    member: h.caller(people.member.principal),
    viewer: h.caller(people.viewer.principal),
    people: { owner, ...people },
  };
}
