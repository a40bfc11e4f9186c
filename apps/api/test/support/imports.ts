// Shared setup for the import tests: the workspace databases an import lands in (the machine's
// PostgreSQL from PG_URL, MariaDB from MYSQL_URL, the TDS emulator), each with a table made fresh
// per test, a way to read it back as text, and uploads built from strings or slow streams.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import mssql from 'mssql';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, it } from 'vitest';
import type { ImportUpload } from '../../src/services/imports/service';
import type { Harness } from './harness';

export type ImportBackendName = 'postgres' | 'mysql' | 'mssql';

/** One row of the `people` table read back as text: id, name, note, amount, born, active, seen. */
export type PeopleRow = [number, string, string | null, string | null, string | null, string | null, string | null];

export interface ImportBackend {
  name: ImportBackendName;
  connection(): { type: ImportBackendName; host: string; port: number; database: string; user: string; password?: string };
  /** Creates a fresh `people` table (id primary key, name NOT NULL varchar(20), note, amount numeric(8,2), born date, active boolean, seen timestamp); answers its name as an import names it. */
  peopleTable(): Promise<string>;
  /** Runs a statement on the server directly (setup, seeding). */
  exec(sql: string): Promise<void>;
  /** The `people` rows, ordered by id, every value as text. */
  people(table: string): Promise<PeopleRow[]>;
  /** Drops what this file created. */
  cleanup(): Promise<void>;
}

const unique = () => randomBytes(4).toString('hex');

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

const EMULATOR_USER = 'import_app';
const EMULATOR_PASSWORD = 'Import-Workspace-Passw0rd';
const EMULATOR_DB = 'import_db';

const pad = (n: number) => String(n).padStart(2, '0');
const isoDate = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

/** The backends; `options.mssql` adds the TDS emulator (started once per file). */
export function useImportBackends(options: { mssql?: boolean } = {}): { backends: ImportBackend[]; missing: string[] } {
  const pgUrl = process.env.PG_URL;
  const mysqlUrl = process.env.MYSQL_URL;
  let pgAdmin: pg.Pool | undefined;
  let myAdmin: mysql.Pool | undefined;
  const schema = `imp_${unique()}`;
  const mysqlTables: string[] = [];
  let emulator: RunningEmulator | undefined;
  let msAdmin: mssql.ConnectionPool | undefined;
  beforeAll(async () => {
    if (options.mssql) {
      emulator = await startEmulator({ users: [{ user: EMULATOR_USER, password: EMULATOR_PASSWORD }], databases: [EMULATOR_DB], preload: true });
      msAdmin = await new mssql.ConnectionPool({ server: '127.0.0.1', port: emulator.port, user: EMULATOR_USER, password: EMULATOR_PASSWORD, database: EMULATOR_DB, options: { encrypt: false, trustServerCertificate: true } }).connect();
    }
    if (pgUrl) {
      pgAdmin = new pg.Pool({ connectionString: pgUrl, max: 2 });
      await pgAdmin.query(`CREATE SCHEMA ${schema}`);
    }
    if (mysqlUrl) myAdmin = mysql.createPool({ uri: mysqlUrl, connectionLimit: 2 });
  });
  afterAll(async () => {
    await msAdmin?.close();
    await emulator?.close();
    await pgAdmin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    for (const table of mysqlTables) await myAdmin?.query(`DROP TABLE IF EXISTS ${table}`);
    await pgAdmin?.end();
    await myAdmin?.end();
  });
  const backends: ImportBackend[] = [];
  const missing: string[] = [];
  if (options.mssql) {
    backends.push({
      name: 'mssql',
      connection: () => ({ type: 'mssql', host: '127.0.0.1', port: emulator!.port, database: EMULATOR_DB, user: EMULATOR_USER, password: EMULATOR_PASSWORD }),
      async peopleTable() {
        const table = `dbo.people_${unique()}`;
        await msAdmin!.request().query(`CREATE TABLE ${table} (id int NOT NULL PRIMARY KEY, name nvarchar(20) NOT NULL, note nvarchar(max) NULL, amount decimal(8,2) NULL, born date NULL, active bit NULL, seen datetime2(0) NULL)`);
        return table;
      },
      exec: async (sql) => void (await msAdmin!.request().query(sql)),
      async people(table) {
        const result = await msAdmin!.request().query<{ id: number; name: string; note: string | null; amount: number | null; born: Date | null; active: boolean | null; seen: Date | null }>(
          `SELECT id, name, note, amount, born, active, seen FROM ${table} ORDER BY id`,
        );
        return result.recordset.map((r): PeopleRow => [
          r.id,
          r.name,
          r.note,
          r.amount === null ? null : r.amount.toFixed(2),
          r.born === null ? null : isoDate(r.born),
          r.active === null ? null : String(r.active),
          r.seen === null ? null : r.seen.toISOString().slice(0, 19).replace('T', ' '),
        ]);
      },
      cleanup: async () => undefined,
    });
  }
  if (pgUrl) {
    backends.push({
      name: 'postgres',
      connection: () => ({ type: 'postgres', ...parsed(pgUrl, 'postgres', 5432) }),
      async peopleTable() {
        const table = `${schema}.people_${unique()}`;
        await pgAdmin!.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, name varchar(20) NOT NULL, note text, amount numeric(8,2), born date, active boolean, seen timestamp)`);
        return table;
      },
      exec: async (sql) => void (await pgAdmin!.query(sql)),
      async people(table) {
        const result = await pgAdmin!.query({
          text: `SELECT id, name, note, amount::text AS amount, to_char(born, 'YYYY-MM-DD') AS born, CASE WHEN active IS NULL THEN NULL WHEN active THEN 'true' ELSE 'false' END AS active, to_char(seen, 'YYYY-MM-DD HH24:MI:SS') AS seen FROM ${table} ORDER BY id`,
          rowMode: 'array',
        });
        return result.rows as PeopleRow[];
      },
      cleanup: async () => undefined,
    });
  } else missing.push('PG_URL');
  if (mysqlUrl) {
    backends.push({
      name: 'mysql',
      connection: () => ({ type: 'mysql', ...parsed(mysqlUrl, 'test', 3306) }),
      async peopleTable() {
        const table = `people_${unique()}`;
        mysqlTables.push(table);
        await myAdmin!.query(`CREATE TABLE ${table} (id int PRIMARY KEY, name varchar(20) NOT NULL, note text, amount decimal(8,2), born date, active boolean, seen datetime) CHARACTER SET utf8mb4`);
        return table;
      },
      exec: async (sql) => void (await myAdmin!.query(sql)),
      async people(table) {
        const [rows] = await myAdmin!.query({
          sql: `SELECT id, name, note, CAST(amount AS CHAR) AS amount, DATE_FORMAT(born, '%Y-%m-%d') AS born, CASE WHEN active IS NULL THEN NULL WHEN active THEN 'true' ELSE 'false' END AS active, DATE_FORMAT(seen, '%Y-%m-%d %H:%i:%s') AS seen FROM ${table} ORDER BY id`,
          rowsAsArray: true,
        });
        return (rows as unknown[][]).map((row) => row.map((value) => (Buffer.isBuffer(value) ? value.toString('utf8') : value)) as PeopleRow);
      },
      cleanup: async () => undefined,
    });
  } else missing.push('MYSQL_URL');
  return { backends, missing };
}

/** In CI every backend must be there: a missing URL is a failing test, not a shorter run. */
export function requireImportBackendsInCi(missing: string[]): void {
  if (process.env.CI === 'true' && missing.length > 0) {
    it(`needs ${missing.join(', ')} in CI`, () => {
      throw new Error(`${missing.join(', ')} not set; CI must provide every import backend`);
    });
  }
}

/** An upload of `text` (a string is sent as UTF-8; a Buffer as it is). */
export function uploadOf(text: string | Buffer, fileName = 'people.csv'): ImportUpload {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return { stream: Readable.from([bytes]), fileName, declaredBytes: bytes.length };
}

/**
 * An upload that sends `header`, then rows from `row(n)` one by one with a pause, until `rows` are
 * sent or it is stopped: long enough to cancel or interrupt mid-run.
 */
export function slowUpload(header: string, row: (n: number) => string, options: { rows: number; pauseMs: number }): { upload: ImportUpload; sent: () => number } {
  let sent = 0;
  async function* lines() {
    yield Buffer.from(`${header}\n`);
    for (let n = 1; n <= options.rows; n++) {
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
      sent = n;
      yield Buffer.from(`${row(n)}\n`);
    }
  }
  return { upload: { stream: Readable.from(lines()), fileName: 'slow.csv' }, sent: () => sent };
}

export interface ImportWorkspace {
  ws: { id: string; slug: string };
  owner: Awaited<ReturnType<Harness['user']>>;
  connectionId: string;
}

/** A workspace with one connection to `backend`. */
export async function importWorkspace(h: Harness, backend: ImportBackend): Promise<ImportWorkspace> {
  const owner = await h.user('owner');
  const ws = await h.workspace(owner);
  const created = await h.caller(owner.principal).connections.create({ workspaceId: ws.id, name: `${backend.name}-${unique()}`, ...backend.connection() });
  return { ws, owner, connectionId: created.id };
}

/** Polls until `check` holds, up to `ms`. */
export async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
