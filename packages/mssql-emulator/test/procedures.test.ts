import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverTargets, uniqueName, usePool, recordsets } from './helpers';

// Transactions, locks, #temp objects and compile errors are the backend's: this file runs on both.
const targets = driverTargets({}, { postgres: true });

async function failure(promise: Promise<unknown>): Promise<sql.RequestError> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(sql.RequestError);
  return e as sql.RequestError;
}

describe.each(targets)('procedures against $name', (target) => {
  const conn = usePool(target, { pool: { max: 4 } });
  const table = uniqueName('items');
  const proc = uniqueName('usp_items');

  beforeAll(async () => {
    await conn.pool.request().batch(`
      CREATE TABLE ${table} (id INT IDENTITY(1,1) PRIMARY KEY, name NVARCHAR(100) NOT NULL, price DECIMAL(10,2) NULL, created DATETIME2 NOT NULL DEFAULT GETDATE())
      INSERT INTO ${table} (name, price) VALUES (N'apple', 1.25), (N'pear', 2.50), (N'plum', NULL)`);
    await conn.pool.request().batch(`
      CREATE OR ALTER PROCEDURE dbo.${proc}
        @minPrice DECIMAL(10,2),
        @label NVARCHAR(20) = N'items',
        @total INT OUTPUT
      AS
      BEGIN
        SET NOCOUNT ON;
        SELECT @total = COUNT(*) FROM ${table} WHERE price >= @minPrice;
        SELECT id, name, price FROM ${table} WHERE price >= @minPrice ORDER BY id;
        SELECT @label AS label, @total AS total;
        RETURN 7;
      END`);
  });

  afterAll(async () => {
    await conn.pool.request().batch(`DROP PROCEDURE IF EXISTS ${proc}; DROP TABLE ${table}`);
  });

  it('executes by name over RPC with input, output, return status and two result sets', async () => {
    const r = await conn.pool.request().input('minPrice', sql.Decimal(10, 2), 2).output('total', sql.Int).execute(proc);
    expect(r.returnValue).toBe(7);
    expect(r.output).toEqual({ total: 1 });
    expect(recordsets(r)).toHaveLength(2);
    expect(recordsets(r)[0]).toEqual([{ id: 2, name: 'pear', price: 2.5 }]);
    expect(recordsets(r)[1]).toEqual([{ label: 'items', total: 1 }]);
  });

  it('executes with EXEC in a batch, output variables and the return code', async () => {
    const r = await conn.pool.request().batch(`
      DECLARE @t INT, @rc INT
      EXEC @rc = ${proc} @minPrice = 1, @label = N'cheap', @total = @t OUTPUT
      SELECT @t AS t, @rc AS rc`);
    expect(recordsets(r)[recordsets(r).length - 1]).toEqual([{ t: 2, rc: 7 }]);
    expect(recordsets(r)[1]).toEqual([{ label: 'cheap', total: 2 }]);
  });

  it('alters and drops procedures; lists them in sys.procedures and sys.parameters', async () => {
    const name = uniqueName('usp_tmp');
    await conn.pool.request().batch(`CREATE PROCEDURE ${name} @a INT AS SELECT @a * 2 AS doubled`);
    expect((await conn.pool.request().input('a', 4).execute(name)).recordset).toEqual([{ doubled: 8 }]);
    await conn.pool.request().batch(`ALTER PROCEDURE ${name} @a INT, @b INT = 10 OUTPUT AS SELECT @a * 3 AS tripled`);
    expect((await conn.pool.request().input('a', 4).execute(name)).recordset).toEqual([{ tripled: 12 }]);
    const listed = await conn.pool.request().input('n', name).query('SELECT name FROM sys.procedures WHERE name = @n');
    expect(listed.recordset).toEqual([{ name }]);
    const params = await conn.pool
      .request()
      .input('n', name)
      .query('SELECT p.name, p.parameter_id, p.is_output FROM sys.parameters p JOIN sys.procedures s ON s.object_id = p.object_id WHERE s.name = @n ORDER BY p.parameter_id');
    expect(params.recordset).toEqual([
      { name: '@a', parameter_id: 1, is_output: false },
      { name: '@b', parameter_id: 2, is_output: true },
    ]);
    const ids = await conn.pool.request().input('n', `dbo.${name}`).query("SELECT CASE WHEN OBJECT_ID(@n) IS NULL THEN 0 ELSE 1 END AS found, CASE WHEN OBJECT_ID(@n, 'P') IS NULL THEN 0 ELSE 1 END AS asProc");
    expect(ids.recordset).toEqual([{ found: 1, asProc: 1 }]);
    await conn.pool.request().batch(`DROP PROCEDURE ${name}`);
    const gone = await conn.pool.request().input('n', name).query('SELECT COUNT(*) AS n FROM sys.procedures WHERE name = @n');
    expect(gone.recordset).toEqual([{ n: 0 }]);
    await conn.pool.request().batch(`DROP PROCEDURE IF EXISTS ${name}`);
  });

  it('reports procedure errors: 2812, 3701, 2714, 201, 8144', async () => {
    const missing = uniqueName('usp_missing');
    expect((await failure(conn.pool.request().execute(missing))).number).toBe(2812);
    const e2812 = await failure(conn.pool.request().batch(`EXEC ${missing}`));
    expect(e2812.message).toBe(`Could not find stored procedure '${missing}'.`);
    const e3701 = await failure(conn.pool.request().batch(`DROP PROCEDURE ${missing}`));
    expect(e3701.number).toBe(3701);
    expect(e3701.class).toBe(11);
    const e2714 = await failure(conn.pool.request().batch(`CREATE PROCEDURE ${proc} AS SELECT 1`));
    expect(e2714.number).toBe(2714);
    const e201 = await failure(conn.pool.request().execute(proc));
    expect(e201.number).toBe(201);
    expect(e201.message).toBe(`Procedure or function '${proc}' expects parameter '@minPrice', which was not supplied.`);
    const e8144 = await failure(conn.pool.request().batch(`DECLARE @t INT; EXEC ${proc} 1, N'x', @t OUTPUT, 4`));
    expect(e8144.number).toBe(8144);
  });

  it('reports errors raised inside a procedure with its name and line', async () => {
    const name = uniqueName('usp_fail');
    await conn.pool.request().batch(`CREATE PROCEDURE ${name}
AS
BEGIN
  SELECT 1 AS first;
  THROW 50010, N'inside procedure', 1;
END`);
    const e = await failure(conn.pool.request().execute(name));
    expect(e).toMatchObject({ number: 50010, procName: name, lineNumber: 5, message: 'inside procedure' });
    await conn.pool.request().batch(`DROP PROCEDURE ${name}`);
  });

  it('refuses a CREATE PROCEDURE whose body has a syntax error (102, batch line) and creates nothing', async () => {
    const name = uniqueName('usp_typo');
    const e = await failure(
      conn.pool.request().batch(`CREATE OR ALTER PROCEDURE dbo.${name}
  @a INT
AS
BEGIN
  SELECT @a AS a
  SELEC 1
END`),
    );
    expect(e).toMatchObject({ number: 102, lineNumber: 6, message: "Incorrect syntax near 'SELEC'." });
    // Only a batch may start with a bare procedure name; a procedure body may not.
    const bare = await failure(conn.pool.request().batch(`CREATE PROCEDURE dbo.${name} AS SELEC 1`));
    expect(bare).toMatchObject({ number: 102, lineNumber: 1 });
    const listed = await conn.pool.request().input('n', name).query('SELECT COUNT(*) AS n FROM sys.procedures WHERE name = @n');
    expect(listed.recordset).toEqual([{ n: 0 }]);
  });

  it('executes by RPC under a bracket-quoted two-part name holding ]] and dots', async () => {
    const name = `${uniqueName('odd')} ]x.y`;
    const quoted = `[${name.replaceAll(']', ']]')}]`;
    await conn.pool.request().batch(`CREATE PROCEDURE [dbo].${quoted} @a INT AS SELECT @a + 1 AS next`);
    expect((await conn.pool.request().input('a', 1).execute(`[dbo].${quoted}`)).recordset).toEqual([{ next: 2 }]);
    await conn.pool.request().batch(`DROP PROCEDURE [dbo].${quoted}`);
  });

  it('drops a #temp table created inside a procedure when the procedure ends', async () => {
    const name = uniqueName('usp_temp');
    await conn.pool.request().batch(`CREATE PROCEDURE ${name} @n INT AS BEGIN CREATE TABLE #work (v INT); INSERT INTO #work VALUES (@n); SELECT v FROM #work; END`);
    const single = await new sql.ConnectionPool({ ...target.config(), pool: { min: 1, max: 1 } } as sql.config).connect();
    try {
      expect((await single.request().input('n', 1).execute(name)).recordset).toEqual([{ v: 1 }]);
      expect((await single.request().input('n', 2).execute(name)).recordset).toEqual([{ v: 2 }]);
      const gone = await failure(single.request().query('SELECT v FROM #work'));
      expect(gone.number).toBe(208);
    } finally {
      await single.close();
    }
    await conn.pool.request().batch(`DROP PROCEDURE ${name}`);
  });

  it('keeps T-SQL parameter defaults out of sys.parameters (has_default_value is for CLR procedures)', async () => {
    const name = uniqueName('usp_defaults');
    await conn.pool.request().batch(`CREATE PROCEDURE ${name} @a INT = 5, @b NVARCHAR(10) = N'x' OUTPUT AS SELECT @a AS a`);
    const params = await conn.pool
      .request()
      .input('n', name)
      .query('SELECT p.name, p.has_default_value, p.default_value FROM sys.parameters p JOIN sys.procedures s ON s.object_id = p.object_id WHERE s.name = @n ORDER BY p.parameter_id');
    expect(params.recordset).toEqual([
      { name: '@a', has_default_value: false, default_value: null },
      { name: '@b', has_default_value: false, default_value: null },
    ]);
    // The default still applies when the caller leaves the parameter out.
    expect((await conn.pool.request().execute(name)).recordset).toEqual([{ a: 5 }]);
    await conn.pool.request().batch(`DROP PROCEDURE ${name}`);
  });

  it('takes, contends for and releases session application locks like Flyway does', async () => {
    const resource = uniqueName('flyway');
    const a = await new sql.ConnectionPool({ ...target.config(), pool: { min: 1, max: 1 } } as sql.config).connect();
    const b = await new sql.ConnectionPool({ ...target.config(), pool: { min: 1, max: 1 } } as sql.config).connect();
    const take = (pool: sql.ConnectionPool, timeoutMs: number) =>
      pool
        .request()
        .batch(`DECLARE @r INT; EXEC @r = sp_getapplock @Resource = N'${resource}', @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = ${timeoutMs}; SELECT @r AS r`)
        .then((r) => r.recordset[0].r as number);
    try {
      expect(await take(a, 0)).toBe(0);
      expect(await take(b, 0)).toBe(-1);
      const waiting = take(b, 5000);
      await new Promise((r) => setTimeout(r, 100));
      const released = await a.request().input('Resource', resource).input('LockOwner', 'Session').execute('sp_releaseapplock');
      expect(released.returnValue).toBe(0);
      expect(await waiting).toBe(1);
      const e = await failure(a.request().input('Resource', resource).input('LockOwner', 'Session').execute('sp_releaseapplock'));
      expect(e.number).toBe(1223);
      const viaRpc = await a.request().input('Resource', resource).input('LockMode', 'Exclusive').input('LockOwner', 'Session').input('LockTimeout', 0).execute('sp_getapplock');
      expect(viaRpc.returnValue).toBe(-1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('application locks (emulator)', () => {
  const conn = usePool(targets[0]!, { pool: { min: 1, max: 1 } });

  it('releases transaction-owned locks at commit and session locks at disconnect', async () => {
    const resource = uniqueName('tx_lock');
    const tx = new sql.Transaction(conn.pool);
    await tx.begin();
    const r = await new sql.Request(tx).input('Resource', resource).input('LockMode', 'Exclusive').execute('sp_getapplock');
    expect(r.returnValue).toBe(0);
    await tx.commit();
    const other = await new sql.ConnectionPool({ ...targets[0]!.config(), pool: { min: 1, max: 1 } } as sql.config).connect();
    const again = await other.request().input('Resource', resource).input('LockMode', 'Exclusive').input('LockOwner', 'Session').input('LockTimeout', 0).execute('sp_getapplock');
    expect(again.returnValue).toBe(0);
    await other.close();
    const afterClose = await conn.pool.request().input('Resource', resource).input('LockMode', 'Exclusive').input('LockOwner', 'Session').input('LockTimeout', 1000).execute('sp_getapplock');
    expect(afterClose.returnValue).toBe(0);
  });
});
