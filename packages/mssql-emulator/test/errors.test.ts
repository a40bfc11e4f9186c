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

describe.each(targets)('errors against $name', (target) => {
  const conn = usePool(target, { pool: { max: 3 } });
  const parent = uniqueName('parent');
  const child = uniqueName('child');

  beforeAll(async () => {
    await conn.pool.request().batch(`
      CREATE TABLE ${parent} (id INT NOT NULL PRIMARY KEY, name NVARCHAR(5) NOT NULL)
      CREATE TABLE ${child} (id INT NOT NULL PRIMARY KEY, parent_id INT NOT NULL REFERENCES ${parent}(id))
      INSERT INTO ${parent} (id, name) VALUES (1, N'one')
    `);
  });

  afterAll(async () => {
    await conn.pool.request().batch(`DROP TABLE ${child}; DROP TABLE ${parent}`);
  });

  it('208 for an unknown table, with class, state and line', async () => {
    const e = await failure(conn.pool.request().batch('SELECT 1\nSELECT * FROM no_such_table_xyz'));
    expect(e.number).toBe(208);
    expect(e.message).toBe("Invalid object name 'no_such_table_xyz'.");
    expect(e.class).toBe(16);
    expect(e.lineNumber).toBe(2);
  });

  it('207 for an unknown column', async () => {
    const e = await failure(conn.pool.request().query(`SELECT nope FROM ${parent}`));
    expect(e.number).toBe(207);
    expect(e.message).toBe("Invalid column name 'nope'.");
  });

  it('102 and 156 for syntax errors', async () => {
    const e102 = await failure(conn.pool.request().query('SELECT 1 +'));
    expect(e102.number).toBe(102);
    expect(e102.message).toMatch(/^Incorrect syntax near/);
    const e156 = await failure(conn.pool.request().query('SELECT * FROM WHERE'));
    expect(e156.number).toBe(156);
    expect(e156.message).toBe("Incorrect syntax near the keyword 'WHERE'.");
  });

  it('2627 for a duplicate key', async () => {
    const e = await failure(conn.pool.request().query(`INSERT INTO ${parent} (id, name) VALUES (1, N'dup')`));
    expect(e.number).toBe(2627);
    expect(e.message).toMatch(/^Violation of PRIMARY KEY constraint '.+'\. Cannot insert duplicate key in object 'dbo\..+'\. The duplicate key value is \(1\)\.$/);
    expect(e.class).toBe(14);
  });

  it('515 for NULL in a NOT NULL column', async () => {
    const e = await failure(conn.pool.request().query(`INSERT INTO ${parent} (id, name) VALUES (2, NULL)`));
    expect(e.number).toBe(515);
    expect(e.message).toMatch(/^Cannot insert the value NULL into column 'name', table '.+'; column does not allow nulls\. INSERT fails\.$/);
  });

  it('547 for a foreign key violation', async () => {
    const e = await failure(conn.pool.request().query(`INSERT INTO ${child} (id, parent_id) VALUES (1, 99)`));
    expect(e.number).toBe(547);
    expect(e.message).toMatch(/^The INSERT statement conflicted with the FOREIGN KEY constraint/);
  });

  it('8134 for divide by zero', async () => {
    const e = await failure(conn.pool.request().query('SELECT 1 / 0 AS x'));
    expect(e.number).toBe(8134);
    expect(e.message).toBe('Divide by zero error encountered.');
  });

  it('8152 (2628 on SQL Server 2019+) for truncation', async () => {
    const e = await failure(conn.pool.request().query(`INSERT INTO ${parent} (id, name) VALUES (3, N'far too long')`));
    expect([8152, 2628]).toContain(e.number);
    expect(e.message).toMatch(/^String or binary data would be truncated/);
  });

  it('2714 for an object that already exists', async () => {
    const e = await failure(conn.pool.request().batch(`CREATE TABLE ${parent} (id INT)`));
    expect(e.number).toBe(2714);
    expect(e.message).toBe(`There is already an object named '${parent}' in the database.`);
  });

  it('1222 when SET LOCK_TIMEOUT expires behind another transaction', async () => {
    const tx = new sql.Transaction(conn.pool);
    await tx.begin();
    try {
      await new sql.Request(tx).query(`UPDATE ${parent} SET name = N'held' WHERE id = 1`);
      // PostgreSQL's reads never wait for writers (as READ_COMMITTED_SNAPSHOT ON), so on that
      // backend it is a write to the held row that waits.
      const waiting = target.backend === 'postgres' ? `UPDATE ${parent} SET name = N'other' WHERE id = 1` : `SELECT name FROM ${parent} WHERE id = 1`;
      const e = await failure(conn.pool.request().batch(`SET LOCK_TIMEOUT 100; ${waiting}`));
      expect(e.number).toBe(1222);
      expect(e.message).toBe('Lock request time out period exceeded.');
    } finally {
      await tx.rollback();
    }
  });

  it('THROW and RAISERROR carry number, state, class and line', async () => {
    const thrown = await failure(conn.pool.request().batch("SELECT 1\nTHROW 50001, N'custom failure', 3"));
    expect(thrown).toMatchObject({ number: 50001, state: 3, class: 16, lineNumber: 2, message: 'custom failure' });
    const raised = await failure(conn.pool.request().batch("RAISERROR(N'bad %s (%d)', 16, 2, N'thing', 7)"));
    expect(raised).toMatchObject({ number: 50000, state: 2, class: 16, message: 'bad thing (7)' });
  });

  it('RAISERROR below severity 11 is an info message, not an error', async () => {
    const request = conn.pool.request();
    const infos: Array<{ message: string; number: number }> = [];
    request.on('info', (info: { message: string; number: number }) => infos.push(info));
    const r = await request.batch("RAISERROR(N'just saying', 10, 1); PRINT N'printed'; SELECT 1 AS ok");
    expect(r.recordset).toEqual([{ ok: 1 }]);
    expect(infos.map((i) => i.message)).toEqual(['just saying', 'printed']);
  });

  it('TRY/CATCH exposes ERROR_NUMBER() and ERROR_MESSAGE()', async () => {
    const r = await conn.pool.request().batch(`
      BEGIN TRY
        SELECT 1 / 0 AS x
      END TRY
      BEGIN CATCH
        SELECT ERROR_NUMBER() AS number, ERROR_MESSAGE() AS message
      END CATCH`);
    expect(recordsets(r)[recordsets(r).length - 1]).toEqual([{ number: 8134, message: 'Divide by zero error encountered.' }]);
  });

  it('DECLARE/SET of local variables and IF/ELSE', async () => {
    const r = await conn.pool.request().batch(`
      DECLARE @n INT = 5, @label NVARCHAR(20)
      SET @n += 2
      IF @n > 6 SET @label = N'big' ELSE SET @label = N'small'
      SELECT @n AS n, @label AS label`);
    expect(r.recordset).toEqual([{ n: 7, label: 'big' }]);
  });
});

describe('errors: unsupported T-SQL (emulator)', () => {
  const conn = usePool(targets[0]!);

  it.each([
    ['MERGE outside its subset', 'MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED BY SOURCE THEN DELETE;'],
    ['CREATE FUNCTION', 'CREATE FUNCTION dbo.f() RETURNS INT AS BEGIN RETURN 1 END'],
    ['cursors', 'DECLARE c CURSOR FOR SELECT 1'],
    ['FOR XML', 'SELECT 1 AS a FOR XML PATH'],
    ['PIVOT', 'SELECT * FROM (SELECT 1 AS a) s PIVOT (SUM(a) FOR a IN ([1])) p'],
  ])('%s fails with 40517 and says the emulator does not support it', async (_name, text) => {
    const e = await failure(conn.pool.request().batch(text));
    expect(e.number).toBe(40517);
    expect(e.message).toMatch(/not supported by @studio\/mssql-emulator/);
  });
  // Constructs the parser used to stumble over (102/156), or PostgreSQL refused in its own words
  // (50000) or as a missing object (208): each is named, so a user knows it is the emulator's gap.
  it.each([
    ['CLR type methods', 'SELECT geography::Point(1, 2, 4326) AS p', /^CLR type methods \(geography::Point\) are not supported/],
    ['computed columns', 'CREATE TABLE t_computed (a INT, b AS a + 1)', /^Computed columns \(b\) are not supported/],
    ['persisted computed columns', 'CREATE TABLE t_computed2 (a INT NOT NULL, [total] AS (a * 2) PERSISTED)', /^Computed columns \(total\) are not supported/],
    ['table options', 'CREATE TABLE t_temporal (a INT) WITH (SYSTEM_VERSIONING = ON)', /^Table option SYSTEM_VERSIONING is not supported/],
    ['system views outside the emulated catalogue', 'SELECT * FROM sys.dm_exec_sessions', /^The system view sys\.dm_exec_sessions is not supported/],
    ['xml data type methods', "DECLARE @x XML = '<a>1</a>'; SELECT @x.value('(/a)[1]', 'int') AS v", /^xml data type methods \(\.value\) are not supported/],
    ['sequences', 'SELECT NEXT VALUE FOR dbo.s1 AS n', /^Sequences \(NEXT VALUE FOR\) are not supported/],
    ['a table named as a PostgreSQL type', 'CREATE TABLE date (a INT)', /^A table or view named 'date' \(the name of a PostgreSQL type the emulator uses\) is not supported/],
  ])('%s fail with 40517 naming the construct', async (_name, text, message) => {
    const e = await failure(conn.pool.request().batch(text));
    expect({ number: e.number, message: e.message }).toEqual({ number: 40517, message: expect.stringMatching(message) });
    expect(e.message).toMatch(/by @studio\/mssql-emulator \(see its README/);
  });

  it('still runs what only looks like those constructs: AS aliases, WITH hints, a column named value', async () => {
    await conn.pool.request().batch('CREATE TABLE t_lookalike (id INT, [value] INT) WITH (DATA_COMPRESSION = PAGE)');
    await conn.pool.request().batch('INSERT INTO t_lookalike (id, [value]) VALUES (1, 10)');
    const r = await conn.pool.request().batch('SELECT id AS a, t.[value] AS v FROM t_lookalike AS t WITH (NOLOCK)');
    expect(r.recordset).toEqual([{ a: 1, v: 10 }]);
  });
});
