import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverTargets, uniqueName, usePool, recordsets } from './helpers';

const targets = driverTargets();

const big = 'Ünïcødé ✓ 漢字 '.repeat(Math.ceil(102_400 / 14)).slice(0, 102_400);
const guid = '6F9619FF-8B86-D011-B42D-00C04FC964FF';
const when = new Date(Date.UTC(2024, 1, 29, 13, 45, 30, 123));
const day = new Date(Date.UTC(1999, 11, 31));

interface Case {
  name: string;
  type: sql.ISqlType | (() => sql.ISqlType);
  column: string;
  value: unknown;
  expected?: unknown;
}

const cases: Case[] = [
  { name: 'INT', type: sql.Int, column: 'INT', value: -2147483648 },
  { name: 'BIGINT', type: sql.BigInt, column: 'BIGINT', value: '9007199254740993', expected: '9007199254740993' },
  { name: 'BIT true', type: sql.Bit, column: 'BIT', value: true },
  { name: 'BIT false', type: sql.Bit, column: 'BIT', value: false },
  { name: 'DECIMAL(18,4)', type: sql.Decimal(18, 4), column: 'DECIMAL(18,4)', value: -12345.6789 },
  { name: 'FLOAT', type: sql.Float, column: 'FLOAT', value: 3.141592653589793 },
  { name: 'NVARCHAR(50) unicode', type: sql.NVarChar(50), column: 'NVARCHAR(50)', value: 'héllo wörld ✓ 漢字' },
  { name: 'NVARCHAR(MAX) 100 KB', type: sql.NVarChar(sql.MAX), column: 'NVARCHAR(MAX)', value: big },
  { name: 'NVARCHAR empty', type: sql.NVarChar(10), column: 'NVARCHAR(10)', value: '' },
  { name: 'VARBINARY(MAX)', type: sql.VarBinary(sql.MAX), column: 'VARBINARY(MAX)', value: Buffer.from([0, 1, 2, 254, 255]) },
  { name: 'DATETIME2', type: sql.DateTime2(3), column: 'DATETIME2(3)', value: when },
  { name: 'DATE', type: sql.Date, column: 'DATE', value: day },
  { name: 'UNIQUEIDENTIFIER', type: sql.UniqueIdentifier, column: 'UNIQUEIDENTIFIER', value: guid },
];

describe.each(targets)('types against $name', (target) => {
  const conn = usePool(target);
  const table = uniqueName('types');

  beforeAll(async () => {
    const columns = cases.map((c, i) => `c${i} ${c.column} NULL`).join(', ');
    await conn.pool.request().batch(`CREATE TABLE ${table} (id INT NOT NULL PRIMARY KEY, ${columns})`);
  });

  afterAll(async () => {
    await conn.pool.request().batch(`DROP TABLE ${table}`);
  });

  it.each(cases)('$name round-trips as a parameter', async (c) => {
    const r = await conn.pool.request().input('p', c.type, c.value).query('SELECT @p AS v');
    expect(r.recordset[0].v).toEqual(c.expected ?? c.value);
  });

  it.each(cases)('$name round-trips as NULL', async (c) => {
    const r = await conn.pool.request().input('p', c.type, null).query('SELECT @p AS v');
    expect(r.recordset[0].v).toBeNull();
  });

  it.each(cases.map((c, i) => ({ ...c, i })))('$name is stored and read back from a column', async (c) => {
    const id = c.i + 1;
    await conn.pool.request().input('id', sql.Int, id).input('v', c.type, c.value).query(`INSERT INTO ${table} (id, c${c.i}) VALUES (@id, @v)`);
    const r = await conn.pool.request().input('id', sql.Int, id).query(`SELECT c${c.i} AS v FROM ${table} WHERE id = @id`);
    expect(r.recordset[0].v).toEqual(c.expected ?? c.value);
  });

  it('infers types from JS values the way mssql does', async () => {
    const r = await conn.pool
      .request()
      .input('i', 42)
      .input('f', 1.5)
      .input('s', 'text')
      .input('b', true)
      .input('buf', Buffer.from('ab'))
      .query('SELECT @i AS i, @f AS f, @s AS s, @b AS b, @buf AS buf');
    expect(r.recordset[0]).toEqual({ i: 42, f: 1.5, s: 'text', b: true, buf: Buffer.from('ab') });
  });

  it('returns literal types like SQL Server', async () => {
    const r = await conn.pool.request().query("SELECT 1 AS i, CAST(2 AS BIGINT) AS b, 1.25 AS d, N'x' AS s, CAST(1 AS BIT) AS t, NULL AS n, CAST('2020-01-02' AS DATE) AS dt");
    expect(r.recordset[0]).toEqual({ i: 1, b: '2', d: 1.25, s: 'x', t: true, n: null, dt: new Date(Date.UTC(2020, 0, 2)) });
  });

  it('returns several result sets from one batch', async () => {
    const r = await conn.pool.request().query('SELECT 1 AS a; SELECT 2 AS b, 3 AS c');
    expect(recordsets(r)).toHaveLength(2);
    expect(recordsets(r)[0]).toEqual([{ a: 1 }]);
    expect(recordsets(r)[1]).toEqual([{ b: 2, c: 3 }]);
  });
});
