// The catalogue a schema browser reads (sys.* and INFORMATION_SCHEMA), through the real driver.
// Every query below is one a tool written for SQL Server runs; with MSSQL_URL set it runs against
// a real server too, so the assertions are SQL Server's answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverTargets, uniqueName, usePool } from './helpers';

const targets = driverTargets({}, { postgres: true });

describe.each(targets)('catalogue against $name', (target) => {
  const conn = usePool(target);
  const table = uniqueName('orders');
  const view = uniqueName('v_orders');
  const proc = uniqueName('usp_orders');

  beforeAll(async () => {
    await conn.pool.request().batch(`
      CREATE TABLE ${table} (
        id INT IDENTITY(1,1) PRIMARY KEY,
        customer NVARCHAR(80) NOT NULL,
        total DECIMAL(10,2) NULL DEFAULT 0,
        placed DATETIME NOT NULL,
        flag BIT NULL,
        ref UNIQUEIDENTIFIER NULL,
        note NVARCHAR(MAX) NULL)
      CREATE UNIQUE INDEX ix_${table}_customer ON ${table} (customer, placed DESC)
      INSERT INTO ${table} (customer, total, placed) VALUES (N'ann', 10.5, '2026-01-01'), (N'bob', 3, '2026-01-02')`);
    await conn.pool.request().batch(`CREATE VIEW ${view} AS SELECT id, customer FROM ${table}`);
    await conn.pool.request().batch(`CREATE PROCEDURE dbo.${proc} @customer NVARCHAR(80), @since DATETIME2 = NULL, @count INT OUTPUT AS SELECT @count = COUNT(*) FROM ${table} WHERE customer = @customer`);
  });

  afterAll(async () => {
    await conn.pool.request().batch(`DROP PROCEDURE IF EXISTS dbo.${proc}; DROP VIEW IF EXISTS ${view}; DROP TABLE IF EXISTS ${table}`);
  });

  it('lists tables and views in INFORMATION_SCHEMA.TABLES with the dbo schema', async () => {
    const r = await conn.pool
      .request()
      .input('t', table)
      .input('v', view)
      .query('SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME IN (@t, @v) ORDER BY TABLE_TYPE');
    expect(r.recordset).toEqual([
      { TABLE_SCHEMA: 'dbo', TABLE_NAME: table, TABLE_TYPE: 'BASE TABLE' },
      { TABLE_SCHEMA: 'dbo', TABLE_NAME: view, TABLE_TYPE: 'VIEW' },
    ]);
  });

  it('describes columns in INFORMATION_SCHEMA.COLUMNS with SQL Server type names', async () => {
    const r = await conn.pool
      .request()
      .input('t', table)
      .query(`SELECT COLUMN_NAME, ORDINAL_POSITION, IS_NULLABLE, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, COLUMN_DEFAULT
              FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'dbo' AND TABLE_NAME = @t ORDER BY ORDINAL_POSITION`);
    const rows = r.recordset.map((c: Record<string, unknown>) => [c.COLUMN_NAME, c.ORDINAL_POSITION, c.IS_NULLABLE, c.DATA_TYPE, c.CHARACTER_MAXIMUM_LENGTH, c.NUMERIC_PRECISION, c.NUMERIC_SCALE]);
    expect(rows).toEqual([
      ['id', 1, 'NO', 'int', null, 10, 0],
      ['customer', 2, 'NO', 'nvarchar', 80, null, null],
      ['total', 3, 'YES', 'decimal', null, 10, 2],
      ['placed', 4, 'NO', 'datetime', null, null, null],
      ['flag', 5, 'YES', 'bit', null, null, null],
      ['ref', 6, 'YES', 'uniqueidentifier', null, null, null],
      ['note', 7, 'YES', 'nvarchar', -1, null, null],
    ]);
    const total = r.recordset.find((c: Record<string, unknown>) => c.COLUMN_NAME === 'total') as { COLUMN_DEFAULT: string };
    expect(total.COLUMN_DEFAULT).toMatch(/^\(.*0.*\)$/);
    expect(r.recordset.find((c: Record<string, unknown>) => c.COLUMN_NAME === 'id')).toMatchObject({ COLUMN_DEFAULT: null });
  });

  it('joins sys.tables, sys.columns and sys.types by id, as SSMS does', async () => {
    const r = await conn.pool.request().input('t', table).query(`
      SELECT c.name, c.column_id, ty.name AS type_name, c.max_length, c.precision, c.scale, c.is_nullable, c.is_identity
      FROM sys.tables t JOIN sys.schemas s ON s.schema_id = t.schema_id
        JOIN sys.columns c ON c.object_id = t.object_id
        JOIN sys.types ty ON ty.user_type_id = c.user_type_id
      WHERE t.name = @t AND s.name = 'dbo' ORDER BY c.column_id`);
    expect(r.recordset.slice(0, 4)).toEqual([
      { name: 'id', column_id: 1, type_name: 'int', max_length: 4, precision: 10, scale: 0, is_nullable: false, is_identity: true },
      { name: 'customer', column_id: 2, type_name: 'nvarchar', max_length: 160, precision: 0, scale: 0, is_nullable: false, is_identity: false },
      { name: 'total', column_id: 3, type_name: 'decimal', max_length: 9, precision: 10, scale: 2, is_nullable: true, is_identity: false },
      { name: 'placed', column_id: 4, type_name: 'datetime', max_length: 8, precision: 23, scale: 3, is_nullable: false, is_identity: false },
    ]);
    expect(r.recordset.find((c: { name: string }) => c.name === 'note')).toMatchObject({ type_name: 'nvarchar', max_length: -1 });
  });

  it('lists the primary key and other indexes in sys.indexes with their key columns', async () => {
    const r = await conn.pool.request().input('t', table).query(`
      SELECT i.index_id, i.type_desc, i.is_primary_key, i.is_unique, c.name AS column_name, ic.key_ordinal, ic.is_descending_key
      FROM sys.indexes i JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
        JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
      WHERE i.object_id = OBJECT_ID(@t) ORDER BY i.index_id, ic.key_ordinal`);
    expect(r.recordset).toEqual([
      { index_id: 1, type_desc: 'CLUSTERED', is_primary_key: true, is_unique: true, column_name: 'id', key_ordinal: 1, is_descending_key: false },
      { index_id: 2, type_desc: 'NONCLUSTERED', is_primary_key: false, is_unique: true, column_name: 'customer', key_ordinal: 1, is_descending_key: false },
      { index_id: 2, type_desc: 'NONCLUSTERED', is_primary_key: false, is_unique: true, column_name: 'placed', key_ordinal: 2, is_descending_key: true },
    ]);
    const names = await conn.pool.request().input('t', table).query('SELECT name FROM sys.indexes WHERE object_id = OBJECT_ID(@t) AND index_id = 2');
    expect(names.recordset).toEqual([{ name: `ix_${table}_customer` }]);
  });

  it('counts rows in sys.partitions (the row estimate)', async () => {
    const r = await conn.pool.request().input('t', table).query('SELECT SUM(p.rows) AS row_count FROM sys.partitions p WHERE p.object_id = OBJECT_ID(@t) AND p.index_id IN (0, 1)');
    expect(Number(r.recordset[0].row_count)).toBe(2);
  });

  it('describes procedures in INFORMATION_SCHEMA.ROUTINES and their parameters in INFORMATION_SCHEMA.PARAMETERS', async () => {
    const routines = await conn.pool.request().input('p', proc).query("SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE FROM INFORMATION_SCHEMA.ROUTINES WHERE ROUTINE_NAME = @p");
    expect(routines.recordset).toEqual([{ ROUTINE_SCHEMA: 'dbo', ROUTINE_NAME: proc, ROUTINE_TYPE: 'PROCEDURE' }]);
    const params = await conn.pool
      .request()
      .input('p', proc)
      .query('SELECT ORDINAL_POSITION, PARAMETER_MODE, PARAMETER_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH FROM INFORMATION_SCHEMA.PARAMETERS WHERE SPECIFIC_NAME = @p ORDER BY ORDINAL_POSITION');
    expect(params.recordset).toEqual([
      { ORDINAL_POSITION: 1, PARAMETER_MODE: 'IN', PARAMETER_NAME: '@customer', DATA_TYPE: 'nvarchar', CHARACTER_MAXIMUM_LENGTH: 80 },
      { ORDINAL_POSITION: 2, PARAMETER_MODE: 'IN', PARAMETER_NAME: '@since', DATA_TYPE: 'datetime2', CHARACTER_MAXIMUM_LENGTH: null },
      { ORDINAL_POSITION: 3, PARAMETER_MODE: 'INOUT', PARAMETER_NAME: '@count', DATA_TYPE: 'int', CHARACTER_MAXIMUM_LENGTH: null },
    ]);
  });

  it('names the dbo, sys and INFORMATION_SCHEMA schemas in sys.schemas', async () => {
    const r = await conn.pool.request().query("SELECT name, schema_id FROM sys.schemas WHERE name IN ('dbo', 'sys', 'INFORMATION_SCHEMA') ORDER BY schema_id");
    expect(r.recordset).toEqual([
      { name: 'dbo', schema_id: 1 },
      { name: 'INFORMATION_SCHEMA', schema_id: 3 },
      { name: 'sys', schema_id: 4 },
    ]);
  });
});
