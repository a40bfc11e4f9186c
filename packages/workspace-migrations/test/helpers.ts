/** Shared test setup: one emulator per test file with many workspace databases, temp migration folders. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sql from 'mssql';
import { afterAll, beforeAll } from 'vitest';
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';

export const workspaceNames = (count: number, prefix = 'ws'): string[] =>
  Array.from({ length: count }, (_, index) => `${prefix}${String(index + 1).padStart(2, '0')}`);

export interface WorkspaceServer {
  readonly emulator: RunningEmulator;
  /** A connected pool per database (the first login to each database opens its PGlite). */
  pool(database: string): sql.ConnectionPool;
  /** A second, independent pool (another "process") for the same database. */
  connect(database: string): Promise<sql.ConnectionPool>;
}

/** Starts one emulator for the calling file, with a connected pool per database, all opened at once. */
export function useWorkspaceServer(databases: readonly string[]): WorkspaceServer {
  let emulator: RunningEmulator | undefined;
  const pools = new Map<string, sql.ConnectionPool>();
  const extra: sql.ConnectionPool[] = [];
  const poolErrors: unknown[] = [];
  const connect = async (database: string) => {
    if (!emulator) throw new Error('emulator not started yet');
    // 'socket': no SELECT 1 per acquire, so request counts below are the migrator's own (as WorkspacePoolManager does).
    // Generous connect timeout: the first login to a database waits for its PGlite to start.
    const pool = new sql.ConnectionPool({
      ...emulator.configFor({ database }),
      connectionTimeout: 120_000,
      pool: { max: 4 },
      validateConnection: 'socket',
    } as sql.config);
    // tedious reports some lost-connection races as pool 'error' events; with no listener they
    // would crash the process. WorkspacePoolManager listens in production; tests do the same.
    pool.on('error', (error: unknown) => poolErrors.push(error));
    return pool.connect();
  };
  beforeAll(async () => {
    emulator = await startEmulator({ databases: [...databases] });
    // A few at a time: PGlite start-up is CPU-bound, so opening all at once only adds contention.
    const queue = [...databases];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let database = queue.shift(); database !== undefined; database = queue.shift()) {
          pools.set(database, await connect(database));
        }
      }),
    );
  }, 180_000);
  afterAll(async () => {
    await Promise.all([...pools.values(), ...extra].map((pool) => pool.close()));
    await emulator?.close();
  });
  return {
    get emulator() {
      if (!emulator) throw new Error('emulator not started yet');
      return emulator;
    },
    pool(database) {
      const pool = pools.get(database);
      if (!pool) throw new Error(`no pool for ${database}`);
      return pool;
    },
    async connect(database) {
      const pool = await connect(database);
      extra.push(pool);
      return pool;
    },
  };
}

/** A throwaway migrations folder; `files` maps file names to their text. */
export async function migrationsFolder(files: Record<string, string>): Promise<{ dir: string; write(name: string, text: string): Promise<void>; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'studio-workspace-migrations-'));
  const write = (name: string, text: string) => writeFile(path.join(dir, name), text);
  for (const [name, text] of Object.entries(files)) await write(name, text);
  return { dir, write, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Three small migrations used by most files: a table, a column-carrying table, an index. */
export const sampleMigrations: Record<string, string> = {
  'V0001__base.sql': `-- +up
CREATE TABLE dbo.widgets (
  widget_id INT IDENTITY(1,1) NOT NULL CONSTRAINT PK_widgets PRIMARY KEY,
  name NVARCHAR(100) NOT NULL
);
GO
INSERT INTO dbo.widgets (name) VALUES (N'first');
-- +down
DROP TABLE dbo.widgets;
`,
  'V0002__colours.sql': `-- +up
CREATE TABLE dbo.colours (
  colour_id INT NOT NULL CONSTRAINT PK_colours PRIMARY KEY,
  label NVARCHAR(50) NOT NULL
);
GO
INSERT INTO dbo.colours (colour_id, label) VALUES (1, N'red'), (2, N'blue');
-- +down
DROP TABLE dbo.colours;
`,
  'V0003__widget_index.sql': `-- +up
CREATE INDEX IX_widgets_name ON dbo.widgets (name);
-- +down
DROP INDEX IX_widgets_name ON dbo.widgets;
`,
};

export async function tableExists(pool: sql.ConnectionPool, name: string): Promise<boolean> {
  const result = await pool.request().input('name', sql.NVarChar(256), name).query<{ id: number | null }>('SELECT OBJECT_ID(@name, N\'U\') AS id');
  return result.recordset[0]?.id != null;
}

/** A temp migrations folder for the calling file, removed afterwards. */
export function useMigrationsFolder(files: Record<string, string>): { readonly dir: string } {
  let folder: Awaited<ReturnType<typeof migrationsFolder>> | undefined;
  beforeAll(async () => {
    folder = await migrationsFolder(files);
  });
  afterAll(async () => {
    await folder?.remove();
  });
  return {
    get dir() {
      if (!folder) throw new Error('migrations folder not created yet');
      return folder.dir;
    },
  };
}
