import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverTargets, recordsets, uniqueName, usePool } from './helpers';

const targets = driverTargets({}, { postgres: true });

describe.each(targets)('T-SQL spellings against $name', (target) => {
  const conn = usePool(target, { pool: { max: 2 } });
  const table = uniqueName('people');

  beforeAll(async () => {
    await conn.pool.request().batch(`
      CREATE TABLE [dbo].[${table}] (
        [Id] INT IDENTITY(1,1) NOT NULL,
        [Name] NVARCHAR(100) NOT NULL,
        [Team] NVARCHAR(20) NULL,
        [Joined] DATETIME2 NOT NULL CONSTRAINT DF_${table}_Joined DEFAULT GETDATE(),
        CONSTRAINT PK_${table} PRIMARY KEY CLUSTERED ([Id] ASC)
      )
      INSERT INTO ${table} (Name, Team) VALUES (N'Ada', N'core'), (N'Grace', N'core'), (N'Linus', NULL)`);
  });

  afterAll(async () => {
    await conn.pool.request().batch(`DROP TABLE ${table}`);
  });

  it('TOP, ISNULL, IIF, string concatenation and ORDER BY', async () => {
    const r = await conn.pool.request().query(`SELECT TOP 2 Name + N'!' AS shout, ISNULL(Team, N'none') AS team, IIF(Team IS NULL, 1, 0) AS solo FROM ${table} ORDER BY Id DESC`);
    expect(r.recordset).toEqual([
      { shout: 'Linus!', team: 'none', solo: 1 },
      { shout: 'Grace!', team: 'core', solo: 0 },
    ]);
  });

  it('OUTPUT INSERTED returns generated identities', async () => {
    const r = await conn.pool.request().query(`INSERT INTO ${table} (Name) OUTPUT INSERTED.Id, INSERTED.Name VALUES (N'Barbara')`);
    expect(r.recordset).toHaveLength(1);
    expect(r.recordset[0].Name).toBe('Barbara');
    expect(typeof r.recordset[0].Id).toBe('number');
  });

  it('columns named type, data, rows, first (not reserved in T-SQL) are created, read and named', async () => {
    const kinds = uniqueName('kinds');
    try {
      await conn.pool.request().batch(`CREATE TABLE ${kinds} (id INT NOT NULL, type NVARCHAR(10) NOT NULL, data INT NULL, rows INT NULL)
        ALTER TABLE ${kinds} ADD first INT NULL
        INSERT INTO ${kinds} (id, type, data, rows, first) VALUES (1, N'a', 2, 3, 4)`);
      const r = await conn.pool.request().query(`SELECT type, data, rows, first FROM ${kinds}; SELECT k.type FROM ${kinds} k`);
      expect(recordsets(r)[0]).toEqual([{ type: 'a', data: 2, rows: 3, first: 4 }]);
      expect(recordsets(r)[1]).toEqual([{ type: 'a' }]);
    } finally {
      await conn.pool.request().batch(`DROP TABLE IF EXISTS ${kinds}`);
    }
  });

  it('COUNT is an INT, @@ROWCOUNT follows the last statement', async () => {
    const r = await conn.pool.request().batch(`UPDATE ${table} SET Team = N'core' WHERE Team IS NULL; SELECT @@ROWCOUNT AS changed; SELECT COUNT(*) AS n FROM ${table} WHERE Team = N'core'`);
    expect(recordsets(r)[0]).toEqual([{ changed: 2 }]);
    expect(recordsets(r)[1]).toEqual([{ n: 4 }]);
    expect(r.rowsAffected[0]).toBe(2);
  });

  it('IF OBJECT_ID(...) IS NOT NULL, temp tables and WHILE', async () => {
    const r = await conn.pool.request().batch(`
      IF OBJECT_ID(N'dbo.${table}', N'U') IS NOT NULL SELECT 1 AS present ELSE SELECT 0 AS present
      CREATE TABLE #numbers (n INT NOT NULL)
      DECLARE @i INT = 1
      WHILE @i <= 5
      BEGIN
        INSERT INTO #numbers (n) VALUES (@i)
        SET @i = @i + 1
      END
      SELECT SUM(n) AS total FROM #numbers
      DROP TABLE #numbers`);
    expect(recordsets(r)[0]).toEqual([{ present: 1 }]);
    expect(Number((recordsets(r)[1]?.[0] as { total: number | string }).total)).toBe(15);
  });

  it('DATEADD / DATEDIFF / CONVERT', async () => {
    const r = await conn.pool
      .request()
      .input('d', sql.DateTime2(3), new Date(Date.UTC(2024, 0, 31, 12)))
      .query("SELECT DATEADD(day, 1, @d) AS next, DATEDIFF(month, @d, CONVERT(DATETIME2, '2024-03-01')) AS months, CONVERT(NVARCHAR(10), 42) AS text");
    expect(r.recordset[0]).toEqual({ next: new Date(Date.UTC(2024, 1, 1, 12)), months: 2, text: '42' });
  });

  it('prepared statements (sp_prepare / sp_execute)', async () => {
    const ps = new sql.PreparedStatement(conn.pool);
    ps.input('name', sql.NVarChar(100));
    await ps.prepare(`SELECT Id FROM ${table} WHERE Name = @name`);
    try {
      const a = await ps.execute({ name: 'Ada' });
      const g = await ps.execute({ name: 'Grace' });
      expect(a.recordset).toEqual([{ Id: 1 }]);
      expect(g.recordset).toEqual([{ Id: 2 }]);
    } finally {
      await ps.unprepare();
    }
  });

  it('sp_executesql from T-SQL with an OUTPUT parameter', async () => {
    const r = await conn.pool.request().batch(`
      DECLARE @count INT
      EXEC sp_executesql N'SELECT @c = COUNT(*) FROM ${table} WHERE Team = @team', N'@team NVARCHAR(20), @c INT OUTPUT', @team = N'core', @c = @count OUTPUT
      SELECT @count AS count`);
    expect(recordsets(r)[recordsets(r).length - 1]).toEqual([{ count: 4 }]);
  });
});
