import sql from 'mssql';
import { Connection, Request as TediousRequest, type ConnectionConfiguration } from 'tedious';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MssqlConfig } from '../src/index';
import { driverTargets, uniqueName, usePool, recordsets } from './helpers';

// Transactions, locks, #temp objects and compile errors are the backend's: this file runs on both.
const targets = driverTargets({}, { postgres: true });

async function openPool(config: MssqlConfig): Promise<sql.ConnectionPool> {
  return new sql.ConnectionPool({ ...config, pool: { min: 0, max: 1 } } as sql.config).connect();
}

describe.each(targets)('session state against $name', (target) => {
  // One connection, so every request below runs on the session the previous one left behind.
  const conn = usePool(target, { pool: { min: 0, max: 1 } });
  const table = uniqueName('state');

  beforeAll(async () => {
    await conn.pool.request().batch(`CREATE TABLE ${table} (id INT NOT NULL PRIMARY KEY)`);
  });

  afterAll(async () => {
    await conn.pool.request().batch(`DROP TABLE ${table}`);
  });

  it('restores SET NOCOUNT when the procedure that set it returns', async () => {
    const proc = uniqueName('usp_quiet');
    await conn.pool.request().batch(`CREATE PROCEDURE ${proc} AS BEGIN SET NOCOUNT ON; SELECT 1 AS x; END`);
    try {
      const quiet = await conn.pool.request().execute(proc);
      expect(quiet.recordset).toEqual([{ x: 1 }]);
      const insert = await conn.pool.request().query(`INSERT INTO ${table} (id) VALUES (1)`);
      expect(insert.rowsAffected).toEqual([1]);
    } finally {
      await conn.pool.request().batch(`DROP PROCEDURE ${proc}; DELETE FROM ${table}`);
    }
  });

  it('restores SET XACT_ABORT when the procedure returns: a duplicate key then ends only its statement', async () => {
    const proc = uniqueName('usp_abort');
    await conn.pool.request().batch(`CREATE PROCEDURE ${proc} AS BEGIN SET XACT_ABORT ON; SELECT 1 AS x; END`);
    try {
      await conn.pool.request().execute(proc);
      const r = await conn.pool.request().batch(`
        BEGIN TRAN
        INSERT INTO ${table} (id) VALUES (2)
        BEGIN TRY INSERT INTO ${table} (id) VALUES (2) END TRY BEGIN CATCH SELECT ERROR_NUMBER() AS number END CATCH
        COMMIT
        SELECT COUNT(*) AS n FROM ${table} WHERE id = 2`);
      expect(recordsets(r)).toEqual([[{ number: 2627 }], [{ n: 1 }]]);
    } finally {
      await conn.pool.request().batch(`DROP PROCEDURE ${proc}; DELETE FROM ${table}`);
    }
  });

  it('keeps a SET inside sp_executesql (request.query) to that call, and a SET in a batch for the session', async () => {
    try {
      await conn.pool.request().query('SET NOCOUNT ON');
      const counted = await conn.pool.request().query(`INSERT INTO ${table} (id) VALUES (3)`);
      expect(counted.rowsAffected).toEqual([1]);
      await conn.pool.request().batch('SET NOCOUNT ON');
      const quiet = await conn.pool.request().batch(`INSERT INTO ${table} (id) VALUES (4)`);
      expect(quiet.rowsAffected).toEqual([]);
    } finally {
      await conn.pool.request().batch(`SET NOCOUNT OFF; DELETE FROM ${table}`);
    }
  });

  it('keeps a #procedure private to its session and drops it when the session ends', async () => {
    const name = `#${uniqueName('tmp')}`;
    const owner = await openPool(target.config());
    const other = await openPool(target.config());
    try {
      await owner.request().batch(`CREATE PROCEDURE ${name} AS SELECT 1 AS n`);
      expect((await owner.request().execute(name)).recordset).toEqual([{ n: 1 }]);

      const missing = await other.request().batch(`EXEC ${name}`).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(sql.RequestError);
      expect((missing as sql.RequestError).number).toBe(2812);

      await other.request().batch(`CREATE PROCEDURE ${name} AS SELECT 2 AS n`);
      expect((await other.request().execute(name)).recordset).toEqual([{ n: 2 }]);
      expect((await owner.request().execute(name)).recordset).toEqual([{ n: 1 }]);

      await owner.close();
      const later = await openPool(target.config());
      try {
        await later.request().batch(`CREATE PROCEDURE ${name} AS SELECT 3 AS n`);
        expect((await later.request().execute(name)).recordset).toEqual([{ n: 3 }]);
      } finally {
        await later.close();
      }
    } finally {
      await owner.close();
      await other.close();
    }
  });
});

function tediousConfig(config: MssqlConfig): ConnectionConfiguration {
  return {
    server: config.server,
    authentication: { type: 'default', options: { userName: config.user, password: config.password } },
    options: { port: config.port, database: config.database, trustServerCertificate: true },
  };
}

function connect(config: MssqlConfig): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const connection = new Connection(tediousConfig(config));
    connection.connect((err) => (err ? reject(err) : resolve(connection)));
  });
}

function run(connection: Connection, text: string): Promise<unknown[][]> {
  return new Promise((resolve, reject) => {
    const rows: unknown[][] = [];
    const request = new TediousRequest(text, (err) => (err ? reject(err) : resolve(rows)));
    request.on('row', (columns: Array<{ value: unknown }>) => rows.push(columns.map((c) => c.value)));
    connection.execSqlBatch(request);
  });
}

describe.each(targets)('connection reset against $name (tedious)', (target) => {
  let connection: Connection | undefined;

  afterAll(() => {
    connection?.close();
  });

  it('tells the client that the reset rolled back its open transaction', async () => {
    connection = await connect(target.config());
    await run(connection, 'BEGIN TRAN');
    expect(connection.inTransaction).toBe(true);
    const open = connection;
    await new Promise<void>((resolve, reject) => open.reset((err) => (err ? reject(err) : resolve())));
    expect(connection.inTransaction).toBe(false);
    expect(await run(connection, 'SELECT @@TRANCOUNT')).toEqual([[0]]);
  });
});
