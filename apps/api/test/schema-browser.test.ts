// The schema browser (connections.schema): each type's catalogue read through the connection's
// pool from the database itself: SQL Server on the TDS emulator through the real driver,
// PostgreSQL and MariaDB on the machine's servers (PG_URL, MYSQL_URL), in a schema or database
// of this test's own. Cached per pool, read again on refresh; only those who may use the
// connection see it.
import { randomBytes } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { testTargets } from '@studio/db/testing';
import sql from 'mssql';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, problemOf, type Harness } from './support/harness';
import { startTestApp } from './support/http-app';

const suffix = randomBytes(4).toString('hex');
const pgUrl = process.env.PG_URL;
const mysqlUrl = process.env.MYSQL_URL;
const inCi = process.env.CI === 'true';

let h: Harness;
beforeAll(async () => {
  h = await createHarness(testTargets[0]!);
}, 120_000);
afterAll(async () => {
  await h?.dispose();
});

async function ownerWorkspace() {
  const owner = await h.user('owner');
  const ws = await h.workspace(owner);
  return { owner, ws, api: h.caller(owner.principal) };
}

function settingsOf(url: string, type: 'postgres' | 'mysql', database: string) {
  const parsed = new URL(url);
  return {
    type,
    host: parsed.hostname,
    port: Number(parsed.port || (type === 'postgres' ? 5432 : 3306)),
    database,
    user: decodeURIComponent(parsed.username),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

describe('schema browser on SQL Server (the emulator)', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ databases: ['shop'], preload: true });
    const pool = await new sql.ConnectionPool(emulator.config).connect();
    await pool.request().batch(`
      CREATE TABLE orders (id INT IDENTITY(1,1) PRIMARY KEY, customer NVARCHAR(80) NOT NULL, total DECIMAL(10,2) NULL DEFAULT 0)
      CREATE INDEX ix_orders_customer ON orders (customer)
      INSERT INTO orders (customer, total) VALUES (N'ann', 1), (N'bob', 2), (N'cy', 3)`);
    await pool.request().batch('CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 1');
    await pool.request().batch('CREATE PROCEDURE dbo.orders_of @customer NVARCHAR(80), @count INT OUTPUT AS SELECT @count = COUNT(*) FROM orders WHERE customer = @customer');
    await pool.close();
  }, 120_000);
  afterAll(async () => {
    await emulator?.close();
  });

  it('shows dbo with the table (row count, columns, key, indexes), the view and the procedure with its parameters', async () => {
    const { ws, api } = await ownerWorkspace();
    const c = await api.connections.create({ workspaceId: ws.id, name: 'Shop', type: 'mssql', host: '127.0.0.1', port: emulator.port, database: 'shop', user: 'sa', password: 'Emulator-Passw0rd!' });
    const catalogue = await api.connections.schema({ workspaceId: ws.id, connectionId: c.id });
    expect(catalogue).toMatchObject({ connectionId: c.id, type: 'mssql', database: 'shop', truncated: false });
    const dbo = catalogue.schemas.find((s) => s.name === 'dbo')!;
    expect(dbo.tables.map((t) => [t.name, t.kind])).toEqual([
      ['big_orders', 'view'],
      ['orders', 'table'],
    ]);
    const orders = dbo.tables.find((t) => t.name === 'orders')!;
    expect(orders.rowEstimate).toBe(3);
    expect(orders.columns).toEqual([
      { name: 'id', dataType: 'int', nullable: false, default: null, primaryKey: true },
      { name: 'customer', dataType: 'nvarchar(80)', nullable: false, default: null, primaryKey: false },
      { name: 'total', dataType: 'decimal(10,2)', nullable: true, default: expect.stringContaining('0'), primaryKey: false },
    ]);
    expect(orders.indexes).toEqual([
      { name: expect.any(String), columns: ['id'], unique: true, primary: true },
      { name: 'ix_orders_customer', columns: ['customer'], unique: false, primary: false },
    ]);
    expect(dbo.routines).toEqual([
      {
        name: 'orders_of',
        kind: 'procedure',
        parameters: [
          { name: '@customer', dataType: 'nvarchar(80)', mode: 'in' },
          { name: '@count', dataType: 'int', mode: 'inout' },
        ],
      },
    ]);
  });
});

describe.each([
  { type: 'postgres' as const, url: pgUrl, variable: 'PG_URL' },
  { type: 'mysql' as const, url: mysqlUrl, variable: 'MYSQL_URL' },
])('schema browser on $type', ({ type, url, variable }) => {
  if (!url && inCi) {
    it(`needs ${variable} in CI`, () => {
      expect.fail(`${variable} is not set; CI must provide the server`);
    });
    return;
  }
  const maybe = url ? it : it.skip;
  // PostgreSQL: a schema of our own in PG_URL's database; MariaDB: a database of our own.
  const space = `studio_sb_${suffix}`;
  let run: (statement: string) => Promise<void> = async () => undefined;
  let close: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    if (!url) return;
    if (type === 'postgres') {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      run = async (s) => void (await client.query(s));
      close = async () => {
        await client.query(`DROP SCHEMA IF EXISTS ${space} CASCADE`);
        await client.end();
      };
      await run(`CREATE SCHEMA ${space}`);
      await run(`CREATE TABLE ${space}.orders (id serial PRIMARY KEY, customer varchar(80) NOT NULL, total numeric(10,2) DEFAULT 0, placed timestamptz)`);
      await run(`CREATE UNIQUE INDEX orders_customer_placed ON ${space}.orders (customer, placed)`);
      await run(`INSERT INTO ${space}.orders (customer, total) VALUES ('ann', 1), ('bob', 2)`);
      await run(`ANALYZE ${space}.orders`);
      await run(`CREATE VIEW ${space}.big_orders AS SELECT id, total FROM ${space}.orders WHERE total > 1`);
      await run(`CREATE FUNCTION ${space}.order_count(who text) RETURNS bigint LANGUAGE sql AS 'SELECT 1::bigint'`);
      await run(`CREATE PROCEDURE ${space}.close_order(IN order_id integer, INOUT closed boolean) LANGUAGE sql AS 'SELECT true'`);
    } else {
      const conn = await mysql.createConnection({ uri: url, multipleStatements: false });
      run = async (s) => void (await conn.query(s));
      close = async () => {
        await conn.query(`DROP DATABASE IF EXISTS ${space}`);
        await conn.end();
      };
      await run(`CREATE DATABASE ${space}`);
      await run(`CREATE TABLE ${space}.orders (id INT AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(80) NOT NULL, total DECIMAL(10,2) DEFAULT 0, placed DATETIME NULL, UNIQUE KEY orders_customer_placed (customer, placed)) ENGINE=InnoDB`);
      await run(`INSERT INTO ${space}.orders (customer, total) VALUES ('ann', 1), ('bob', 2)`);
      await run(`ANALYZE TABLE ${space}.orders`);
      await run(`CREATE VIEW ${space}.big_orders AS SELECT id, total FROM ${space}.orders WHERE total > 1`);
      await run(`CREATE FUNCTION ${space}.order_count(who VARCHAR(80)) RETURNS BIGINT DETERMINISTIC RETURN 1`);
      await run(`CREATE PROCEDURE ${space}.close_order(IN order_id INT, INOUT closed TINYINT) SET closed = 1`);
    }
  }, 60_000);
  afterAll(async () => {
    await close();
  });

  async function connection() {
    const context = await ownerWorkspace();
    const database = type === 'postgres' ? new URL(url!).pathname.slice(1) || 'postgres' : space;
    const c = await context.api.connections.create({ workspaceId: context.ws.id, name: `${type} ${suffix}`, ...settingsOf(url!, type, database) });
    return { ...context, connectionId: c.id };
  }

  maybe(`reads tables, views, columns, keys, indexes and routines from the catalogue (skipped without ${variable})`, async () => {
    const { ws, api, connectionId } = await connection();
    const catalogue = await api.connections.schema({ workspaceId: ws.id, connectionId });
    expect(catalogue.type).toBe(type);
    const schema = catalogue.schemas.find((s) => s.name === space)!;
    expect(schema).toBeDefined();
    expect(schema.tables.map((t) => [t.name, t.kind])).toEqual([
      ['big_orders', 'view'],
      ['orders', 'table'],
    ]);
    const orders = schema.tables.find((t) => t.name === 'orders')!;
    expect(orders.rowEstimate).toBe(2);
    expect(orders.columns.map((c) => [c.name, c.dataType, c.nullable, c.primaryKey])).toEqual(
      type === 'postgres'
        ? [
            ['id', 'integer', false, true],
            ['customer', 'character varying(80)', false, false],
            ['total', 'numeric(10,2)', true, false],
            ['placed', 'timestamp with time zone', true, false],
          ]
        : [
            ['id', 'int(11)', false, true],
            ['customer', 'varchar(80)', false, false],
            ['total', 'decimal(10,2)', true, false],
            ['placed', 'datetime', true, false],
          ],
    );
    expect(orders.columns.find((c) => c.name === 'total')!.default).toMatch(/0/);
    const unique = orders.indexes.find((i) => i.name === 'orders_customer_placed');
    expect(unique).toEqual({ name: 'orders_customer_placed', columns: ['customer', 'placed'], unique: true, primary: false });
    expect(orders.indexes[0]).toMatchObject({ columns: ['id'], unique: true, primary: true });
    expect(schema.routines).toEqual([
      { name: 'close_order', kind: 'procedure', parameters: [{ name: 'order_id', dataType: type === 'postgres' ? 'integer' : 'int(11)', mode: 'in' }, { name: 'closed', dataType: type === 'postgres' ? 'boolean' : 'tinyint(4)', mode: 'inout' }] },
      { name: 'order_count', kind: 'function', parameters: [{ name: 'who', dataType: type === 'postgres' ? 'text' : 'varchar(80)', mode: 'in' }] },
    ]);
  });

  maybe(`answers from the cache until refreshed (skipped without ${variable})`, async () => {
    const { ws, api, connectionId } = await connection();
    const first = await api.connections.schema({ workspaceId: ws.id, connectionId });
    const table = `added_${randomBytes(3).toString('hex')}`;
    await run(`CREATE TABLE ${space}.${table} (id INT PRIMARY KEY)`);
    const cached = await api.connections.schema({ workspaceId: ws.id, connectionId });
    expect(cached.loadedAt).toEqual(first.loadedAt);
    expect(cached.schemas.find((s) => s.name === space)!.tables.map((t) => t.name)).not.toContain(table);
    const refreshed = await api.connections.schema({ workspaceId: ws.id, connectionId, refresh: true });
    expect(refreshed.schemas.find((s) => s.name === space)!.tables.map((t) => t.name)).toContain(table);
    expect(refreshed.loadedAt.getTime()).toBeGreaterThanOrEqual(first.loadedAt.getTime());
  });

  maybe(`is refused to a Member without a grant and allowed with a use grant (skipped without ${variable})`, async () => {
    const { ws, api, connectionId } = await connection();
    const member = await h.user('member');
    await h.member(ws.id, member, 'Member');
    const asMember = h.caller(member.principal);
    expect(await problemOf(asMember.connections.schema({ workspaceId: ws.id, connectionId }))).toMatchObject({ code: 'FORBIDDEN' });
    const audit = await h.auditRows(ws.id);
    expect(audit.some((r) => r.action === 'connection.schema' && r.outcome === 'denied')).toBe(true);
    await api.access.grant({ workspaceId: ws.id, connectionId, userId: member.id, level: 'use' });
    const granted = await asMember.connections.schema({ workspaceId: ws.id, connectionId });
    expect(granted.schemas.some((s) => s.name === space)).toBe(true);
  });

  // The REST layer does not depend on the database type: one type proves the route (an API process per run is slow).
  const restCheck = type === 'postgres' ? maybe : it.skip;
  restCheck(`is served over REST at GET …/connections/{id}/schema with refresh=true (PostgreSQL only; skipped without ${variable})`, async () => {
    const app = await startTestApp(testTargets[0]!);
    try {
      const token = await app.token('Admin');
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const base = `${app.app.url}/api/v1/workspaces/twsbp/connections`;
      const database = type === 'postgres' ? new URL(url!).pathname.slice(1) || 'postgres' : space;
      const created = await fetch(base, { method: 'POST', headers, body: JSON.stringify({ name: `rest ${type}`, ...settingsOf(url!, type, database) }) });
      expect(created.status).toBe(200);
      const { id } = (await created.json()) as { id: string };
      const answer = await fetch(`${base}/${id}/schema?refresh=true`, { headers });
      expect(answer.status).toBe(200);
      const body = (await answer.json()) as { type: string; loadedAt: string; schemas: { name: string; tables: { name: string }[] }[] };
      expect(body.type).toBe(type);
      expect(body.loadedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(body.schemas.find((s) => s.name === space)?.tables.map((t) => t.name)).toContain('orders');
      const bad = await fetch(`${base}/${id}/schema?refresh=maybe`, { headers });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: 'invalid_input', details: { fields: [{ path: 'refresh' }] } });
    } finally {
      await app.close();
    }
  }, 120_000);
});
