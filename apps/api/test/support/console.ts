// Shared setup for the console-*.test.ts files: the three kinds of workspace database the console
// runs on (the TDS emulator, the machine's PostgreSQL from PG_URL, MariaDB from MYSQL_URL), each
// with a way to see whether the server is still working on a session's statement.
import { randomBytes } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, it } from 'vitest';
import type { Harness, UserFixture } from './harness';

export type ConsoleBackendName = 'mssql' | 'postgres' | 'mysql';

export interface ConsoleBackend {
  name: ConsoleBackendName;
  /** Connection fields for connections.create. */
  connection(): { type: ConsoleBackendName; host: string; port: number; database: string; user: string; password?: string };
  /** A statement that runs for `seconds` on the server. */
  sleep(seconds: number): string;
  /** Statements still running on the server whose text contains `marker` (excluding this check's own). */
  busyWith(marker: string): Promise<number>;
  /** A parameter placeholder for position `n` (1-based). */
  param(n: number): string;
  /** Quote a table name. */
  table(name: string): string;
  /** Fresh table name, unique per call. */
  uniqueTable(): string;
}

const unique = () => randomBytes(4).toString('hex');

const SQL_USER = 'console_app';
const SQL_PASSWORD = 'Console-Workspace-Passw0rd';
const EMULATOR_DB = 'console_db';

function parsed(url: string, fallbackDb: string, port: number) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || port),
    database: decodeURIComponent(u.pathname.slice(1)) || fallbackDb,
    user: decodeURIComponent(u.username),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}

/**
 * The backends available here: the emulator always; PostgreSQL and MariaDB when PG_URL / MYSQL_URL
 * are set (in CI a missing one fails the file instead of shrinking it).
 */
export function useConsoleBackends(): { backends: ConsoleBackend[]; missing: string[] } {
  let emulator: RunningEmulator | undefined;
  let pgAdmin: pg.Pool | undefined;
  let myAdmin: mysql.Pool | undefined;
  const pgUrl = process.env.PG_URL;
  const mysqlUrl = process.env.MYSQL_URL;
  beforeAll(async () => {
    emulator = await startEmulator({ users: [{ user: SQL_USER, password: SQL_PASSWORD }], databases: [EMULATOR_DB], preload: true });
    if (pgUrl) pgAdmin = new pg.Pool({ connectionString: pgUrl, max: 2 });
    if (mysqlUrl) myAdmin = mysql.createPool({ uri: mysqlUrl, connectionLimit: 2 });
  }, 300_000);
  afterAll(async () => {
    await emulator?.close();
    await pgAdmin?.end();
    await myAdmin?.end();
  });
  const backends: ConsoleBackend[] = [
    {
      name: 'mssql',
      connection: () => ({ type: 'mssql', host: '127.0.0.1', port: emulator!.port, database: EMULATOR_DB, user: SQL_USER, password: SQL_PASSWORD }),
      sleep: (seconds) => `WAITFOR DELAY '00:00:${String(seconds).padStart(2, '0')}'`,
      // The emulator's live sessions: a session is `running` while the server works on its request.
      busyWith: async () => emulator!.control.sessions().filter((s) => s.status === 'running').length,
      param: (n) => `@p${n}`,
      table: (name) => `dbo.${name}`,
      uniqueTable: () => `console_t_${unique()}`,
    },
  ];
  const missing: string[] = [];
  if (pgUrl) {
    backends.push({
      name: 'postgres',
      connection: () => ({ type: 'postgres', ...parsed(pgUrl, 'postgres', 5432) }),
      sleep: (seconds) => `SELECT pg_sleep(${seconds})`,
      busyWith: async (marker) => {
        const result = await pgAdmin!.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%' || $1 || '%'", [marker]);
        return (result.rows[0] as { n: number }).n;
      },
      param: (n) => `$${n}`,
      table: (name) => name,
      uniqueTable: () => `console_t_${unique()}`,
    });
  } else missing.push('PG_URL');
  if (mysqlUrl) {
    backends.push({
      name: 'mysql',
      connection: () => ({ type: 'mysql', ...parsed(mysqlUrl, 'test', 3306) }),
      sleep: (seconds) => `SELECT SLEEP(${seconds})`,
      busyWith: async (marker) => {
        const [rows] = await myAdmin!.query('SHOW FULL PROCESSLIST');
        return (rows as { Info: string | null; Command: string }[]).filter((r) => r.Command === 'Query' && r.Info?.includes(marker) && !r.Info.includes('PROCESSLIST')).length;
      },
      param: () => '?',
      table: (name) => name,
      uniqueTable: () => `console_t_${unique()}`,
    });
  } else missing.push('MYSQL_URL');
  return { backends, missing };
}

/** In CI every backend must be there: a missing URL is a failing test, not a shorter run. */
export function requireBackendsInCi(missing: string[]): void {
  if (process.env.CI === 'true' && missing.length > 0) {
    it(`needs ${missing.join(', ')} in CI`, () => {
      throw new Error(`${missing.join(', ')} not set; CI must provide every console backend`);
    });
  }
}

export interface ConsoleWorkspace {
  ws: { id: string; slug: string };
  owner: UserFixture;
  connectionId: string;
  member(role: 'Admin' | 'Member' | 'Viewer'): Promise<{ user: UserFixture; caller: ReturnType<Harness['caller']> }>;
}

/** A workspace with one connection to `backend`, console access as given (default read-write for setup). */
export async function consoleWorkspace(h: Harness, backend: ConsoleBackend, options: { access?: 'off' | 'read-only' | 'read-write'; poolSize?: number; requestTimeoutMs?: number } = {}): Promise<ConsoleWorkspace> {
  const owner = await h.user('owner');
  const ws = await h.workspace(owner);
  const api = h.caller(owner.principal);
  const created = await api.connections.create({
    workspaceId: ws.id,
    name: `${backend.name}-${unique()}`,
    ...backend.connection(),
    options: { ...(options.poolSize !== undefined && { poolSize: options.poolSize }), ...(options.requestTimeoutMs !== undefined && { requestTimeoutMs: options.requestTimeoutMs }) },
  });
  await api.console.setAccess({ workspaceId: ws.id, connectionId: created.id, access: options.access ?? 'read-write' });
  return {
    ws,
    owner,
    connectionId: created.id,
    async member(role) {
      const user = await h.user(role.toLowerCase());
      await h.member(ws.id, user, role);
      return { user, caller: h.caller(user.principal) };
    },
  };
}

/** Polls until `check` holds (the server acknowledges a cancel asynchronously), up to `ms`. */
export async function eventually(check: () => Promise<boolean>, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
