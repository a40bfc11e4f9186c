import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import sql from 'mssql';
import { afterAll, describe, expect, it } from 'vitest';
import { type MssqlConfig, startEmulator } from '../src/index';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

describe('dataDir persistence', () => {
  it('creates a nested data folder on first use and keeps tables and procedures across restarts', async () => {
    const root = await mkdtemp(join(tmpdir(), 'emulator-data-'));
    roots.push(root);
    const dataDir = join(root, 'not', 'yet', 'there');

    // The first login to a database under dataDir creates it on disk (PGlite) inside the login: a
    // few seconds, and past mssql's default 15 s connect timeout on a busy machine. The wait is
    // longer here; encryption and the other client options stay at the driver's defaults.
    const patient = (config: MssqlConfig) => ({ ...config, connectionTimeout: 60_000 }) as sql.config;
    const first = await startEmulator({ databases: ['app'], dataDir });
    const pool = await new sql.ConnectionPool(patient(first.config)).connect();
    await pool.request().batch("CREATE TABLE notes (id INT IDENTITY(1,1) PRIMARY KEY, body NVARCHAR(100)); INSERT INTO notes (body) VALUES (N'kept');");
    await pool.request().batch('CREATE PROCEDURE dbo.note_count AS SELECT COUNT(*) AS n FROM notes');
    await pool.close();
    await first.close();

    const second = await startEmulator({ databases: ['app'], dataDir });
    const again = await new sql.ConnectionPool(patient(second.config)).connect();
    try {
      const rows = await again.request().query<{ body: string }>('SELECT body FROM notes');
      expect(rows.recordset).toEqual([{ body: 'kept' }]);
      const counted = await again.request().execute<{ n: number }>('dbo.note_count');
      expect(counted.recordset).toEqual([{ n: 1 }]);
    } finally {
      await again.close();
      await second.close();
    }
  });

  it('opens a database whose catalogue views an older emulator made with other column types', async () => {
    const root = await mkdtemp(join(tmpdir(), 'emulator-data-'));
    roots.push(root);
    const patient = (config: MssqlConfig) => ({ ...config, connectionTimeout: 60_000 }) as sql.config;
    const first = await startEmulator({ databases: ['app'], dataDir: root, preload: true });
    await first.close();
    // As an emulator before sys.databases.state was a tinyint left it.
    const old = await PGlite.create({ dataDir: join(root, 'app') });
    await old.exec("DROP VIEW sys.databases; CREATE VIEW sys.databases AS SELECT 'app'::varchar(128) AS name, 1 AS database_id, 0::smallint AS state");
    await old.close();

    const second = await startEmulator({ databases: ['app'], dataDir: root });
    const pool = await new sql.ConnectionPool(patient(second.config)).connect();
    try {
      const r = await pool.request().query("SELECT name, state FROM sys.databases WHERE name = 'app'");
      expect(r.recordset).toEqual([{ name: 'app', state: 0 }]);
      expect(r.recordset.columns.state?.type).toBe(sql.TinyInt);
    } finally {
      await pool.close();
      await second.close();
    }
  });

  it('does not keep listening when preloading a database fails', async () => {
    const root = await mkdtemp(join(tmpdir(), 'emulator-data-'));
    roots.push(root);
    // A file where the data folder should be makes opening the database fail.
    const blocker = join(root, 'blocked');
    await writeFile(blocker, 'not a folder');
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const error = await startEmulator({ databases: ['app'], dataDir: blocker, preload: true, port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
