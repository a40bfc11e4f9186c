import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverTargets, uniqueName, usePool, recordsets } from './helpers';

const targets = driverTargets({}, { postgres: true });

const big = 'Ünïcødé ✓ 漢字 '.repeat(Math.ceil(102_400 / 14)).slice(0, 102_400);
const guid = '6F9619FF-8B86-D011-B42D-00C04FC964FF';
const when = new Date(Date.UTC(2024, 1, 29, 13, 45, 30, 123));
const day = new Date(Date.UTC(1999, 11, 31));
const tick = new Date(Date.UTC(2024, 1, 29, 13, 45, 30, 997));
const minute = new Date(Date.UTC(2024, 1, 29, 13, 45));

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
  { name: 'TINYINT', type: sql.TinyInt, column: 'TINYINT', value: 255 },
  { name: 'MONEY', type: sql.Money, column: 'MONEY', value: -1234.5678 },
  { name: 'SMALLMONEY', type: sql.SmallMoney, column: 'SMALLMONEY', value: 214748.3647 },
  { name: 'BINARY(4)', type: sql.Binary, column: 'BINARY(4)', value: Buffer.from([1, 2, 3, 4]) },
  { name: 'DATETIME', type: sql.DateTime, column: 'DATETIME', value: tick },
  { name: 'SMALLDATETIME', type: sql.SmallDateTime, column: 'SMALLDATETIME', value: minute },
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

  it('describes TINYINT, MONEY, SMALLMONEY, BINARY(n), DATETIME and SMALLDATETIME as themselves', async () => {
    const holder = uniqueName('declared');
    await conn.pool.request().batch(`CREATE TABLE ${holder} (t TINYINT, m MONEY, sm SMALLMONEY, b BINARY(4), d DATETIME, sd SMALLDATETIME)`);
    try {
      await conn.pool.request().batch(`INSERT INTO ${holder} VALUES (7, 1.5, 2.25, 0x41, '2024-01-01 10:00:00', '2024-01-01 10:00:00')`);
      const expected = { t: sql.TinyInt, m: sql.Money, sm: sql.SmallMoney, b: sql.Binary, d: sql.DateTime, sd: sql.SmallDateTime };
      const columns = await conn.pool.request().query(`SELECT * FROM ${holder}`);
      const casts = await conn.pool
        .request()
        .query("SELECT CAST(7 AS tinyint) AS t, CAST(1.5 AS money) AS m, CONVERT(smallmoney, 2.25) AS sm, CAST(0x41 AS binary(4)) AS b, GETDATE() AS d, CAST('2024-01-01' AS smalldatetime) AS sd");
      const params = await conn.pool
        .request()
        .input('t', sql.TinyInt, 7)
        .input('m', sql.Money, 1.5)
        .input('sm', sql.SmallMoney, 2.25)
        .input('b', sql.Binary, Buffer.from([0x41, 0, 0, 0]))
        .input('d', sql.DateTime, when)
        .input('sd', sql.SmallDateTime, minute)
        .query('SELECT @t AS t, @m AS m, @sm AS sm, @b AS b, @d AS d, @sd AS sd');
      for (const r of [columns, casts, params]) {
        for (const [name, type] of Object.entries(expected)) expect({ name, type: r.recordset.columns[name]?.type }).toEqual({ name, type });
        expect(r.recordset.columns.b?.length).toBe(4);
      }
      // BINARY(n) is padded with zeros, as SQL Server stores and converts it.
      expect(columns.recordset[0].b).toEqual(Buffer.from([0x41, 0, 0, 0]));
      expect(casts.recordset[0].b).toEqual(Buffer.from([0x41, 0, 0, 0]));
    } finally {
      await conn.pool.request().batch(`DROP TABLE ${holder}`);
    }
  });

  it('refuses a TINYINT outside 0-255 with 220 and a BINARY(n) value longer than n with 8152', async () => {
    const holder = uniqueName('ranges');
    await conn.pool.request().batch(`CREATE TABLE ${holder} (t TINYINT NULL, b BINARY(2) NULL)`);
    try {
      const overflow = await conn.pool.request().query('SELECT CAST(300 AS tinyint) AS t').catch((e: unknown) => e);
      expect(overflow).toMatchObject({ number: 220, message: 'Arithmetic overflow error for data type tinyint, value = 300.' });
      const stored = await conn.pool.request().query(`INSERT INTO ${holder} (t) VALUES (256)`).catch((e: unknown) => e);
      expect(stored).toMatchObject({ number: 220 });
      const truncated = await conn.pool.request().query(`INSERT INTO ${holder} (b) VALUES (0x010203)`).catch((e: unknown) => e);
      expect((truncated as sql.RequestError).message).toMatch(/^String or binary data would be truncated/);
    } finally {
      await conn.pool.request().batch(`DROP TABLE ${holder}`);
    }
  });

  it('rounds DATETIME to 1/300 s and SMALLDATETIME to the minute, in CAST and in columns', async () => {
    const r = await conn.pool.request().query(`SELECT
      CAST('2024-01-01 23:59:59.999' AS datetime) AS next_day,
      CAST('2024-01-01 23:59:59.998' AS datetime) AS down,
      CAST('2024-01-01 23:59:59.992' AS datetime) AS up,
      CAST('2024-01-01 12:35:29.998' AS smalldatetime) AS minute_down,
      CAST('2024-01-01 12:35:29.999' AS smalldatetime) AS minute_up`);
    expect(r.recordset[0]).toEqual({
      next_day: new Date(Date.UTC(2024, 0, 2)),
      down: new Date(Date.UTC(2024, 0, 1, 23, 59, 59, 997)),
      up: new Date(Date.UTC(2024, 0, 1, 23, 59, 59, 993)),
      minute_down: new Date(Date.UTC(2024, 0, 1, 12, 35)),
      minute_up: new Date(Date.UTC(2024, 0, 1, 12, 36)),
    });

    const holder = uniqueName('rounding');
    await conn.pool.request().batch(`CREATE TABLE ${holder} (id INT NOT NULL, d DATETIME NULL, sd SMALLDATETIME NULL)`);
    try {
      await conn.pool.request().batch(`INSERT INTO ${holder} VALUES (1, '2024-01-01 23:59:59.999', '2024-01-01 12:35:29.999'); INSERT INTO ${holder} VALUES (2, '2024-01-01 23:59:59.998', '2024-01-01 12:35:29.998')`);
      const stored = await conn.pool.request().query(`SELECT id, CONVERT(varchar(23), d, 121) AS d, CONVERT(varchar(16), sd, 120) AS sd FROM ${holder} ORDER BY id`);
      expect(stored.recordset).toEqual([
        { id: 1, d: '2024-01-02 00:00:00.000', sd: '2024-01-01 12:36' },
        { id: 2, d: '2024-01-01 23:59:59.997', sd: '2024-01-01 12:35' },
      ]);
      const found = await conn.pool.request().query(`SELECT id FROM ${holder} WHERE d = '2024-01-02T00:00:00'`);
      expect(found.recordset).toEqual([{ id: 1 }]);
    } finally {
      await conn.pool.request().batch(`DROP TABLE ${holder}`);
    }
  });

  it('keeps a DATETIME2(7) at 23:59:59.9999999 on its day', async () => {
    const r = await conn.pool
      .request()
      .input('p', sql.DateTime2(7), new Date(Date.UTC(2024, 0, 1, 23, 59, 59, 999)))
      .query(`SELECT CAST('2024-01-01 23:59:59.9999999' AS datetime2(7)) AS v,
        CONVERT(varchar(10), CAST('2024-01-01 23:59:59.9999999' AS datetime2(7)), 23) AS d,
        CONVERT(varchar(8), CAST('23:59:59.9999999' AS time(7)), 108) AS t,
        @p AS p`);
    expect(r.recordset[0]).toMatchObject({ d: '2024-01-01', t: '23:59:59' });
    expect((r.recordset[0].v as Date).toISOString()).toBe('2024-01-01T23:59:59.999Z');
    expect((r.recordset[0].p as Date).toISOString()).toBe('2024-01-01T23:59:59.999Z');
  });

  it('converts dates and times to text as SQL Server formats them', async () => {
    const r = await conn.pool.request().query(`SELECT
      CONVERT(varchar, CAST('12:34:56.1' AS time(7))) AS time7,
      CONVERT(varchar, CAST('2024-01-02 12:34:56.1' AS datetime2(7))) AS datetime2_7,
      CAST(CAST('2024-01-02' AS date) AS varchar(10)) AS date_text,
      CONVERT(varchar(30), CAST('2024-01-02 13:05:00' AS datetime)) AS datetime_default,
      CONVERT(varchar(30), CAST('2024-01-02 13:05:00.123' AS datetime), 121) AS odbc,
      CONVERT(varchar(30), CAST('2024-01-02 13:05:00' AS datetime2), 120) AS canonical,
      CONVERT(varchar(10), CAST('2024-01-02' AS date), 103) AS british,
      CONVERT(varchar(8), CAST('2024-01-02' AS date), 112) AS iso,
      CONVERT(varchar(30), CAST('2024-01-02 13:05:00' AS datetime), 126) AS iso8601`);
    expect(r.recordset[0]).toEqual({
      time7: '12:34:56.1000000',
      datetime2_7: '2024-01-02 12:34:56.1000000',
      date_text: '2024-01-02',
      datetime_default: 'Jan  2 2024  1:05PM',
      odbc: '2024-01-02 13:05:00.123',
      canonical: '2024-01-02 13:05:00',
      british: '02/01/2024',
      iso: '20240102',
      iso8601: '2024-01-02T13:05:00',
    });
  });

  it('takes TEXT, NTEXT and IMAGE parameters, NULL ones too', async () => {
    const holder = uniqueName('legacy');
    await conn.pool.request().batch(`CREATE TABLE ${holder} (id INT NOT NULL, t TEXT NULL, n NTEXT NULL, i IMAGE NULL)`);
    try {
      const insert = (id: number, t: string | null, n: string | null, i: Buffer | null) =>
        conn.pool.request().input('id', sql.Int, id).input('t', sql.Text, t).input('n', sql.NText, n).input('i', sql.Image, i).query(`INSERT INTO ${holder} (id, t, n, i) VALUES (@id, @t, @n, @i)`);
      await insert(1, 'plain text', 'ünïcode ✓ 漢字', Buffer.from([0, 1, 254, 255]));
      await insert(2, null, null, null);
      const echoed = await conn.pool.request().input('t', sql.Text, 'as a value').query('SELECT @t AS t');
      expect(echoed.recordset).toEqual([{ t: 'as a value' }]);
      const stored = await conn.pool.request().query(`SELECT id, t, n, i FROM ${holder} ORDER BY id`);
      expect(stored.recordset).toEqual([
        { id: 1, t: 'plain text', n: 'ünïcode ✓ 漢字', i: Buffer.from([0, 1, 254, 255]) },
        { id: 2, t: null, n: null, i: null },
      ]);
    } finally {
      await conn.pool.request().batch(`DROP TABLE ${holder}`);
    }
  });

  it('returns several result sets from one batch', async () => {
    const r = await conn.pool.request().query('SELECT 1 AS a; SELECT 2 AS b, 3 AS c');
    expect(recordsets(r)).toHaveLength(2);
    expect(recordsets(r)[0]).toEqual([{ a: 1 }]);
    expect(recordsets(r)[1]).toEqual([{ b: 2, c: 3 }]);
  });
});
