// Shared setup for the sql-editor-*.test.ts files: one TDS emulator per file (the workspace's SQL
// Server), and workspaces whose default environment points at one of its databases.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import type { WorkspaceRole } from '@studio/db/schema';
import { afterAll, beforeAll } from 'vitest';
import type { Harness, UserFixture } from './harness';

export const SQL_USER = 'editor_app';
export const SQL_PASSWORD = 'Editor-Workspace-Passw0rd';

export interface EditorSqlServer {
  readonly emulator: RunningEmulator;
  params(database: string): { host: string; port: number; database: string; user: string; password: string };
}

export function useEditorSqlServer(databases: readonly string[]): EditorSqlServer {
  let emulator: RunningEmulator | undefined;
  beforeAll(async () => {
    emulator = await startEmulator({ users: [{ user: SQL_USER, password: SQL_PASSWORD }], databases: [...databases], preload: true });
  }, 300_000);
  afterAll(async () => {
    await emulator?.close();
  });
  const running = () => {
    if (!emulator) throw new Error('emulator not started yet');
    return emulator;
  };
  return {
    get emulator() {
      return running();
    },
    params: (database) => ({ host: '127.0.0.1', port: running().port, database, user: SQL_USER, password: SQL_PASSWORD }),
  };
}

export interface EditorWorkspace {
  ws: { id: string; slug: string };
  owner: UserFixture;
  environmentId: string;
  connectionId: string;
  /** A member of the workspace with `role`, and its caller. */
  member(role: WorkspaceRole): Promise<{ user: UserFixture; caller: ReturnType<Harness['caller']> }>;
}

/** A workspace whose default environment points at `database` (saved after a passing test, no migrations). */
export async function editorWorkspace(h: Harness, server: EditorSqlServer, database: string, options: { poolSize?: number } = {}): Promise<EditorWorkspace> {
  const owner = await h.user('owner');
  const ws = await h.workspace(owner);
  const saved = await h.caller(owner.principal).environments.create({ workspaceId: ws.id, name: 'Production', connection: { ...server.params(database), options }, autoMigrate: false });
  if (!saved.environment.connectionId) throw new Error('environment saved without a connection');
  return {
    ws,
    owner,
    environmentId: saved.environment.id,
    connectionId: saved.environment.connectionId,
    async member(role) {
      const user = await h.user(role.toLowerCase());
      await h.member(ws.id, user, role);
      return { user, caller: h.caller(user.principal) };
    },
  };
}
