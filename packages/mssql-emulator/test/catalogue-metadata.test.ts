// The catalogue as the driver describes it (COLMETADATA: type and length of each column) and the
// values SQL Server spells its own way. The expected types are those of Microsoft's reference
// pages for each view (sys.columns, sys.types, sys.indexes, sys.index_columns, sys.partitions,
// sys.parameters, sys.procedures, sys.databases, INFORMATION_SCHEMA.TABLES / COLUMNS / ROUTINES /
// PARAMETERS); with MSSQL_URL set they are checked against a real server too. Lengths are bytes,
// as tedious reports them: sysname (nvarchar(128)) is 256, nvarchar(60) 120, (max) 65535.
// Not checked here, because the emulator stores both alike: columns SQL Server types varchar or
// char (INFORMATION_SCHEMA.TABLES.TABLE_TYPE, COLUMNS.IS_NULLABLE, sys.objects.type), which the
// emulator sends as nvarchar / nchar of the same length.
import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverTargets, uniqueName, usePool } from './helpers';

const targets = driverTargets({}, { postgres: true });

type Described = Record<string, [sql.ISqlTypeFactory, number]>;

/** Name → [mssql type, length in bytes] of each result column, as the driver decodes COLMETADATA. */
function described(columns: sql.IColumnMetadata): Described {
  const out: Described = {};
  for (const [name, c] of Object.entries(columns)) out[name] = [c.type as sql.ISqlTypeFactory, c.length];
  return out;
}

const SYSNAME: [sql.ISqlTypeFactory, number] = [sql.NVarChar, 256];
const NVARCHAR_60: [sql.ISqlTypeFactory, number] = [sql.NVarChar, 120];
const NVARCHAR_MAX: [sql.ISqlTypeFactory, number] = [sql.NVarChar, 65535];
const INT: [sql.ISqlTypeFactory, number] = [sql.Int, 4];
const BIGINT: [sql.ISqlTypeFactory, number] = [sql.BigInt, 8];
const SMALLINT: [sql.ISqlTypeFactory, number] = [sql.SmallInt, 2];
const TINYINT: [sql.ISqlTypeFactory, number] = [sql.TinyInt, 1];
const BIT: [sql.ISqlTypeFactory, number] = [sql.Bit, 1];
const DATETIME: [sql.ISqlTypeFactory, number] = [sql.DateTime, 8];

describe.each(targets)('catalogue metadata against $name', (target) => {
  const conn = usePool(target);
  const table = uniqueName('items');
  const proc = uniqueName('usp_items');

  beforeAll(async () => {
    await conn.pool.request().batch(`
      CREATE TABLE ${table} (
        id INT IDENTITY(1,1) PRIMARY KEY,
        dropped INT NULL,
        name NVARCHAR(50) NOT NULL DEFAULT N'',
        qty INT NOT NULL DEFAULT 0,
        delta INT NULL DEFAULT -1,
        price DECIMAL(9,2) NULL DEFAULT 1.5,
        added DATETIME NOT NULL DEFAULT GETDATE(),
        ref UNIQUEIDENTIFIER NULL DEFAULT NEWID(),
        note NVARCHAR(10) NULL DEFAULT NULL)
      CREATE INDEX ix_${table}_name ON ${table} (name)
      ALTER TABLE ${table} DROP COLUMN dropped`);
    await conn.pool.request().batch(`CREATE PROCEDURE dbo.${proc} @qty INT, @price DECIMAL(9,2) = NULL, @name NVARCHAR(50) OUTPUT, @at DATETIME2(3) = NULL, @when DATETIME = NULL, @cost MONEY = NULL AS SELECT @name = N'x'`);
  });

  afterAll(async () => {
    await conn.pool.request().batch(`DROP PROCEDURE IF EXISTS dbo.${proc}; DROP TABLE IF EXISTS ${table}`);
  });

  it('types sys.columns, sys.types and sys.schemas as SQL Server does (tinyint ids, sysname names)', async () => {
    const columns = await conn.pool
      .request()
      .input('t', table)
      .query(`SELECT object_id, name, column_id, system_type_id, user_type_id, max_length, precision, scale, collation_name, is_nullable, is_identity, is_computed, default_object_id
              FROM sys.columns WHERE object_id = OBJECT_ID(@t)`);
    expect(described(columns.recordset.columns)).toEqual({
      object_id: INT,
      name: SYSNAME,
      column_id: INT,
      system_type_id: TINYINT,
      user_type_id: INT,
      max_length: SMALLINT,
      precision: TINYINT,
      scale: TINYINT,
      collation_name: SYSNAME,
      is_nullable: BIT,
      is_identity: BIT,
      is_computed: BIT,
      default_object_id: INT,
    });
    const types = await conn.pool.request().query('SELECT name, system_type_id, user_type_id, schema_id, max_length, precision, scale, collation_name, is_nullable, is_user_defined FROM sys.types');
    expect(described(types.recordset.columns)).toEqual({
      name: SYSNAME,
      system_type_id: TINYINT,
      user_type_id: INT,
      schema_id: INT,
      max_length: SMALLINT,
      precision: TINYINT,
      scale: TINYINT,
      collation_name: SYSNAME,
      is_nullable: BIT,
      is_user_defined: BIT,
    });
    const schemas = await conn.pool.request().query('SELECT name, schema_id, principal_id FROM sys.schemas');
    expect(described(schemas.recordset.columns)).toEqual({ name: SYSNAME, schema_id: INT, principal_id: INT });
  });

  it('lists sysname in sys.types as an alias of nvarchar (user_type_id 256, max_length 256)', async () => {
    const r = await conn.pool.request().query('SELECT name, user_type_id, max_length, is_nullable FROM sys.types WHERE system_type_id = 231 ORDER BY user_type_id');
    expect(r.recordset).toEqual([
      { name: 'nvarchar', user_type_id: 231, max_length: 8000, is_nullable: true },
      { name: 'sysname', user_type_id: 256, max_length: 256, is_nullable: false },
    ]);
  });

  it('types sys.tables, sys.objects, sys.procedures and sys.databases as SQL Server does', async () => {
    const tables = await conn.pool.request().query('SELECT name, object_id, principal_id, schema_id, parent_object_id, type_desc, is_ms_shipped FROM sys.tables');
    const shape = { name: SYSNAME, object_id: INT, principal_id: INT, schema_id: INT, parent_object_id: INT, type_desc: NVARCHAR_60, is_ms_shipped: BIT };
    expect(described(tables.recordset.columns)).toEqual(shape);
    const objects = await conn.pool.request().query('SELECT name, object_id, principal_id, schema_id, parent_object_id, type_desc, is_ms_shipped FROM sys.objects');
    expect(described(objects.recordset.columns)).toEqual(shape);
    const procedures = await conn.pool.request().query('SELECT name, object_id, type_desc, create_date, modify_date FROM sys.procedures');
    expect(described(procedures.recordset.columns)).toEqual({ name: SYSNAME, object_id: INT, type_desc: NVARCHAR_60, create_date: DATETIME, modify_date: DATETIME });
    const modules = await conn.pool.request().query('SELECT object_id, definition FROM sys.sql_modules');
    expect(described(modules.recordset.columns)).toEqual({ object_id: INT, definition: NVARCHAR_MAX });
    const databases = await conn.pool.request().query('SELECT name, database_id, collation_name, state, state_desc FROM sys.databases');
    expect(described(databases.recordset.columns)).toEqual({ name: SYSNAME, database_id: INT, collation_name: SYSNAME, state: TINYINT, state_desc: NVARCHAR_60 });
  });

  it('types sys.indexes, sys.index_columns and sys.partitions as SQL Server does', async () => {
    const indexes = await conn.pool
      .request()
      .input('t', table)
      .query('SELECT object_id, name, index_id, type, type_desc, is_unique, is_primary_key, is_unique_constraint, is_disabled, has_filter, filter_definition FROM sys.indexes WHERE object_id = OBJECT_ID(@t)');
    expect(described(indexes.recordset.columns)).toEqual({
      object_id: INT,
      name: SYSNAME,
      index_id: INT,
      type: TINYINT,
      type_desc: NVARCHAR_60,
      is_unique: BIT,
      is_primary_key: BIT,
      is_unique_constraint: BIT,
      is_disabled: BIT,
      has_filter: BIT,
      filter_definition: NVARCHAR_MAX,
    });
    const heap = await conn.pool.request().query('SELECT object_id, name, index_id, type, type_desc, filter_definition FROM sys.indexes WHERE index_id = 0');
    expect(described(heap.recordset.columns)).toEqual({ object_id: INT, name: SYSNAME, index_id: INT, type: TINYINT, type_desc: NVARCHAR_60, filter_definition: NVARCHAR_MAX });
    const keys = await conn.pool
      .request()
      .input('t', table)
      .query('SELECT object_id, index_id, index_column_id, column_id, key_ordinal, partition_ordinal, is_descending_key, is_included_column FROM sys.index_columns WHERE object_id = OBJECT_ID(@t)');
    expect(described(keys.recordset.columns)).toEqual({
      object_id: INT,
      index_id: INT,
      index_column_id: INT,
      column_id: INT,
      key_ordinal: TINYINT,
      partition_ordinal: TINYINT,
      is_descending_key: BIT,
      is_included_column: BIT,
    });
    const partitions = await conn.pool
      .request()
      .input('t', table)
      .query('SELECT partition_id, object_id, index_id, partition_number, hobt_id, rows, data_compression, data_compression_desc FROM sys.partitions WHERE object_id = OBJECT_ID(@t)');
    expect(described(partitions.recordset.columns)).toEqual({
      partition_id: BIGINT,
      object_id: INT,
      index_id: INT,
      partition_number: INT,
      hobt_id: BIGINT,
      rows: BIGINT,
      data_compression: TINYINT,
      data_compression_desc: NVARCHAR_60,
    });
  });

  it('types sys.parameters as SQL Server does, with no columns of its own', async () => {
    const r = await conn.pool.request().input('p', proc).query('SELECT * FROM sys.parameters WHERE object_id = OBJECT_ID(@p) ORDER BY parameter_id');
    const columns = described(r.recordset.columns);
    expect(columns).toMatchObject({
      object_id: INT,
      name: SYSNAME,
      parameter_id: INT,
      system_type_id: TINYINT,
      user_type_id: INT,
      max_length: SMALLINT,
      precision: TINYINT,
      scale: TINYINT,
      is_output: BIT,
      is_cursor_ref: BIT,
      has_default_value: BIT,
      is_readonly: BIT,
    });
    expect(columns).not.toHaveProperty('type_name');
    type Parameter = { name: string; system_type_id: number; max_length: number; precision: number; scale: number; is_output: boolean };
    expect(r.recordset.map((p: Parameter) => [p.name, p.system_type_id, p.max_length, p.precision, p.scale, p.is_output])).toEqual([
      ['@qty', 56, 4, 10, 0, false],
      ['@price', 106, 5, 9, 2, false],
      ['@name', 231, 100, 0, 0, true],
      ['@at', 42, 7, 23, 3, false],
      ['@when', 61, 8, 23, 3, false],
      ['@cost', 60, 8, 19, 4, false],
    ]);
  });

  it('types INFORMATION_SCHEMA.TABLES and COLUMNS as SQL Server does', async () => {
    const tables = await conn.pool.request().input('t', table).query('SELECT TABLE_CATALOG, TABLE_SCHEMA, TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = @t');
    expect(described(tables.recordset.columns)).toEqual({ TABLE_CATALOG: SYSNAME, TABLE_SCHEMA: SYSNAME, TABLE_NAME: SYSNAME });
    const columns = await conn.pool
      .request()
      .input('t', table)
      .query(`SELECT TABLE_CATALOG, TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH,
                CHARACTER_OCTET_LENGTH, NUMERIC_PRECISION, NUMERIC_PRECISION_RADIX, NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_SET_CATALOG,
                CHARACTER_SET_SCHEMA, CHARACTER_SET_NAME, COLLATION_CATALOG, COLLATION_SCHEMA, COLLATION_NAME, DOMAIN_CATALOG, DOMAIN_SCHEMA, DOMAIN_NAME
              FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = @t`);
    expect(described(columns.recordset.columns)).toEqual({
      TABLE_CATALOG: SYSNAME,
      TABLE_SCHEMA: SYSNAME,
      TABLE_NAME: SYSNAME,
      COLUMN_NAME: SYSNAME,
      ORDINAL_POSITION: INT,
      COLUMN_DEFAULT: [sql.NVarChar, 8000],
      DATA_TYPE: SYSNAME,
      CHARACTER_MAXIMUM_LENGTH: INT,
      CHARACTER_OCTET_LENGTH: INT,
      NUMERIC_PRECISION: TINYINT,
      NUMERIC_PRECISION_RADIX: SMALLINT,
      NUMERIC_SCALE: INT,
      DATETIME_PRECISION: SMALLINT,
      CHARACTER_SET_CATALOG: SYSNAME,
      CHARACTER_SET_SCHEMA: SYSNAME,
      CHARACTER_SET_NAME: SYSNAME,
      COLLATION_CATALOG: SYSNAME,
      COLLATION_SCHEMA: SYSNAME,
      COLLATION_NAME: SYSNAME,
      DOMAIN_CATALOG: SYSNAME,
      DOMAIN_SCHEMA: SYSNAME,
      DOMAIN_NAME: SYSNAME,
    });
  });

  it('numbers INFORMATION_SCHEMA.COLUMNS without gaps and spells defaults as SQL Server stores them', async () => {
    const r = await conn.pool
      .request()
      .input('t', table)
      .query('SELECT COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = @t ORDER BY ORDINAL_POSITION');
    expect(r.recordset.map((c: { COLUMN_NAME: string; ORDINAL_POSITION: number; COLUMN_DEFAULT: string | null }) => [c.COLUMN_NAME, c.ORDINAL_POSITION, c.COLUMN_DEFAULT])).toEqual([
      ['id', 1, null],
      ['name', 2, target.emulated ? "('')" : "(N'')"],
      ['qty', 3, '((0))'],
      ['delta', 4, '((-1))'],
      ['price', 5, '((1.5))'],
      ['added', 6, '(getdate())'],
      ['ref', 7, '(newid())'],
      ['note', 8, '(NULL)'],
    ]);
    // column_id keeps the dropped column's place, as SQL Server's does.
    const ids = await conn.pool.request().input('t', table).query("SELECT column_id FROM sys.columns WHERE object_id = OBJECT_ID(@t) AND name = 'name'");
    expect(ids.recordset).toEqual([{ column_id: 3 }]);
  });

  it('types INFORMATION_SCHEMA.ROUTINES and PARAMETERS as SQL Server does', async () => {
    const routines = await conn.pool
      .request()
      .input('p', proc)
      .query('SELECT SPECIFIC_NAME, ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE, DATA_TYPE, ROUTINE_BODY, ROUTINE_DEFINITION, CREATED, LAST_ALTERED FROM INFORMATION_SCHEMA.ROUTINES WHERE ROUTINE_NAME = @p');
    expect(described(routines.recordset.columns)).toEqual({
      SPECIFIC_NAME: SYSNAME,
      ROUTINE_SCHEMA: SYSNAME,
      ROUTINE_NAME: SYSNAME,
      ROUTINE_TYPE: [sql.NVarChar, 40],
      DATA_TYPE: SYSNAME,
      ROUTINE_BODY: [sql.NVarChar, 60],
      ROUTINE_DEFINITION: [sql.NVarChar, 8000],
      CREATED: DATETIME,
      LAST_ALTERED: DATETIME,
    });
    const parameters = await conn.pool
      .request()
      .input('p', proc)
      .query(`SELECT SPECIFIC_NAME, ORDINAL_POSITION, PARAMETER_MODE, IS_RESULT, AS_LOCATOR, PARAMETER_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH,
                CHARACTER_OCTET_LENGTH, NUMERIC_PRECISION, NUMERIC_PRECISION_RADIX, NUMERIC_SCALE, DATETIME_PRECISION
              FROM INFORMATION_SCHEMA.PARAMETERS WHERE SPECIFIC_NAME = @p ORDER BY ORDINAL_POSITION`);
    const NVARCHAR_10: [sql.ISqlTypeFactory, number] = [sql.NVarChar, 20];
    expect(described(parameters.recordset.columns)).toEqual({
      SPECIFIC_NAME: SYSNAME,
      ORDINAL_POSITION: INT,
      PARAMETER_MODE: NVARCHAR_10,
      IS_RESULT: NVARCHAR_10,
      AS_LOCATOR: NVARCHAR_10,
      PARAMETER_NAME: SYSNAME,
      DATA_TYPE: SYSNAME,
      CHARACTER_MAXIMUM_LENGTH: INT,
      CHARACTER_OCTET_LENGTH: INT,
      NUMERIC_PRECISION: TINYINT,
      NUMERIC_PRECISION_RADIX: SMALLINT,
      NUMERIC_SCALE: TINYINT,
      DATETIME_PRECISION: SMALLINT,
    });
    expect(
      parameters.recordset.map((p: Record<string, unknown>) => [p.PARAMETER_NAME, p.PARAMETER_MODE, p.DATA_TYPE, p.CHARACTER_MAXIMUM_LENGTH, p.NUMERIC_PRECISION, p.NUMERIC_PRECISION_RADIX, p.NUMERIC_SCALE, p.DATETIME_PRECISION]),
    ).toEqual([
      ['@qty', 'IN', 'int', null, 10, 10, 0, null],
      ['@price', 'IN', 'decimal', null, 9, 10, 2, null],
      ['@name', 'INOUT', 'nvarchar', 50, null, null, null, null],
      ['@at', 'IN', 'datetime2', null, null, null, null, 3],
      ['@when', 'IN', 'datetime', null, null, null, null, 3],
      ['@cost', 'IN', 'money', null, 19, 10, 4, null],
    ]);
  });

  it('describes a declared NVARCHAR(n) table column with its length, as SQL Server does', async () => {
    const r = await conn.pool.request().query(`SELECT TOP 0 name, note FROM ${table}`);
    expect(described(r.recordset.columns)).toEqual({ name: [sql.NVarChar, 100], note: [sql.NVarChar, 20] });
  });
});
