// One catalogue reader per database type: flat rows from the database's own catalogue
// (SQL Server sys.* and INFORMATION_SCHEMA, PostgreSQL pg_catalog, MySQL information_schema),
// grouped into schemas by `assemble`. Ordering happens here, not in SQL, so every type sorts alike.
import type { DatabaseType } from '@studio/mssql-pool';
import type { CatalogueRows } from './types';

export type CatalogueQuery = <Row>(sql: string) => Promise<Row[]>;

function modeOf(mode: string | null): 'in' | 'out' | 'inout' {
  const m = (mode ?? 'IN').toUpperCase();
  if (m === 'OUT') return 'out';
  if (m === 'INOUT') return 'inout';
  return 'in';
}

function estimateOf(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** SQL Server's spelling of a column or parameter type from INFORMATION_SCHEMA's parts. */
function mssqlType(dataType: string, length: number | null, precision: number | null, scale: number | null): string {
  const t = dataType.toLowerCase();
  if (['varchar', 'nvarchar', 'char', 'nchar', 'varbinary', 'binary'].includes(t) && length !== null) return `${t}(${length === -1 ? 'max' : length})`;
  if ((t === 'decimal' || t === 'numeric') && precision !== null) return `${t}(${precision},${scale ?? 0})`;
  return t;
}

const mssql = async (query: CatalogueQuery): Promise<CatalogueRows> => {
  type ColumnRow = { TABLE_SCHEMA: string; TABLE_NAME: string; COLUMN_NAME: string; DATA_TYPE: string; CHARACTER_MAXIMUM_LENGTH: number | null; NUMERIC_PRECISION: number | null; NUMERIC_SCALE: number | null; IS_NULLABLE: string; COLUMN_DEFAULT: string | null };
  type ParameterRow = { SPECIFIC_SCHEMA: string; SPECIFIC_NAME: string; PARAMETER_NAME: string; PARAMETER_MODE: string; DATA_TYPE: string; CHARACTER_MAXIMUM_LENGTH: number | null; NUMERIC_PRECISION: number | null; NUMERIC_SCALE: number | null };
  const tables = await query<{ schema_name: string; name: string; kind: string; row_estimate: string | number | null }>(`
    SELECT s.name AS schema_name, t.name, 'table' AS kind,
      (SELECT CAST(SUM(p.rows) AS BIGINT) FROM sys.partitions p WHERE p.object_id = t.object_id AND p.index_id IN (0, 1)) AS row_estimate
    FROM sys.tables t JOIN sys.schemas s ON s.schema_id = t.schema_id WHERE t.is_ms_shipped = 0
    UNION ALL
    SELECT s.name AS schema_name, v.name, 'view' AS kind, NULL AS row_estimate
    FROM sys.views v JOIN sys.schemas s ON s.schema_id = v.schema_id WHERE v.is_ms_shipped = 0`);
  const columns = await query<ColumnRow>(`
    SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, IS_NULLABLE, COLUMN_DEFAULT, ORDINAL_POSITION
    FROM INFORMATION_SCHEMA.COLUMNS ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`);
  const indexes = await query<{ schema_name: string; table_name: string; index_name: string; is_unique: boolean; is_primary_key: boolean; column_name: string }>(`
    SELECT s.name AS schema_name, t.name AS table_name, i.name AS index_name, i.is_unique, i.is_primary_key, c.name AS column_name
    FROM sys.indexes i JOIN sys.tables t ON t.object_id = i.object_id JOIN sys.schemas s ON s.schema_id = t.schema_id
      JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
      JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
    WHERE i.index_id > 0 AND ic.is_included_column = 0 AND t.is_ms_shipped = 0
    ORDER BY s.name, t.name, i.index_id, ic.key_ordinal`);
  const routines = await query<{ ROUTINE_SCHEMA: string; ROUTINE_NAME: string; ROUTINE_TYPE: string; SPECIFIC_NAME: string }>(
    'SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE, SPECIFIC_NAME FROM INFORMATION_SCHEMA.ROUTINES',
  );
  const parameters = await query<ParameterRow>(`
    SELECT SPECIFIC_SCHEMA, SPECIFIC_NAME, PARAMETER_NAME, PARAMETER_MODE, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE
    FROM INFORMATION_SCHEMA.PARAMETERS WHERE ORDINAL_POSITION > 0 ORDER BY SPECIFIC_SCHEMA, SPECIFIC_NAME, ORDINAL_POSITION`);
  return {
    tables: tables.map((t) => ({ schema: t.schema_name, name: t.name, kind: t.kind === 'view' ? 'view' : 'table', rowEstimate: estimateOf(t.row_estimate) })),
    columns: columns.map((c) => ({
      schema: c.TABLE_SCHEMA,
      table: c.TABLE_NAME,
      name: c.COLUMN_NAME,
      dataType: mssqlType(c.DATA_TYPE, c.CHARACTER_MAXIMUM_LENGTH, c.NUMERIC_PRECISION, c.NUMERIC_SCALE),
      nullable: c.IS_NULLABLE === 'YES',
      default: c.COLUMN_DEFAULT,
    })),
    indexes: indexes.map((i) => ({ schema: i.schema_name, table: i.table_name, name: i.index_name, unique: Boolean(i.is_unique), primary: Boolean(i.is_primary_key), column: i.column_name })),
    routines: routines.map((r) => ({ schema: r.ROUTINE_SCHEMA, name: r.ROUTINE_NAME, kind: r.ROUTINE_TYPE === 'FUNCTION' ? 'function' : 'procedure', specificName: r.SPECIFIC_NAME })),
    parameters: parameters.map((p) => ({
      schema: p.SPECIFIC_SCHEMA,
      specificName: p.SPECIFIC_NAME,
      name: p.PARAMETER_NAME,
      dataType: mssqlType(p.DATA_TYPE, p.CHARACTER_MAXIMUM_LENGTH, p.NUMERIC_PRECISION, p.NUMERIC_SCALE),
      mode: modeOf(p.PARAMETER_MODE),
    })),
  };
};

/** PostgreSQL: every schema the login can see except the system ones. */
const PG_USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;

const postgres = async (query: CatalogueQuery): Promise<CatalogueRows> => {
  const tables = await query<{ schema: string; name: string; relkind: string; estimate: string | number }>(`
    SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind, c.reltuples::bigint AS estimate
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${PG_USER_SCHEMAS} AND NOT c.relispartition`);
  const columns = await query<{ schema: string; table: string; name: string; data_type: string; nullable: boolean; default: string | null }>(`
    SELECT n.nspname AS schema, c.relname AS table, a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type,
      NOT a.attnotnull AS nullable, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default
    FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${PG_USER_SCHEMAS}
    ORDER BY n.nspname, c.relname, a.attnum`);
  const indexes = await query<{ schema: string; table: string; name: string; unique: boolean; primary: boolean; column: string }>(`
    SELECT n.nspname AS schema, c.relname AS table, ic.relname AS name, x.indisunique AS unique, x.indisprimary AS primary, a.attname AS column
    FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class c ON c.oid = x.indrelid JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
      JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
    WHERE ${PG_USER_SCHEMAS} AND k.ord <= x.indnkeyatts
    ORDER BY n.nspname, c.relname, x.indisprimary DESC, ic.relname, k.ord`);
  const routines = await query<{ schema: string; name: string; kind: string; specific_name: string }>(`
    SELECT p.pronamespace::regnamespace::text AS schema, p.proname AS name, p.prokind::text AS kind, p.oid::text AS specific_name
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE ${PG_USER_SCHEMAS} AND p.prokind IN ('f', 'p')
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`);
  const parameters = await query<{ specific_name: string; schema: string; name: string | null; data_type: string; mode: string }>(`
    SELECT p.oid::text AS specific_name, n.nspname AS schema, NULLIF(a.name, '') AS name, pg_catalog.format_type(a.type, NULL) AS data_type,
      CASE a.mode WHEN 'o' THEN 'OUT' WHEN 'b' THEN 'INOUT' ELSE 'IN' END AS mode
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      CROSS JOIN LATERAL unnest(COALESCE(p.proallargtypes, p.proargtypes::oid[]), COALESCE(p.proargmodes, array_fill('i'::"char", ARRAY[p.pronargs])), COALESCE(p.proargnames, array_fill(''::text, ARRAY[p.pronargs])))
        WITH ORDINALITY a(type, mode, name, ord)
    WHERE ${PG_USER_SCHEMAS} AND p.prokind IN ('f', 'p') AND a.mode IN ('i', 'o', 'b')
    ORDER BY p.oid, a.ord`);
  return {
    tables: tables.map((t) => ({ schema: t.schema, name: t.name, kind: t.relkind === 'v' || t.relkind === 'm' ? 'view' : 'table', rowEstimate: estimateOf(t.estimate) })),
    columns: columns.map((c) => ({ schema: c.schema, table: c.table, name: c.name, dataType: c.data_type, nullable: c.nullable, default: c.default })),
    indexes,
    routines: routines.map((r) => ({ schema: r.schema, name: r.name, kind: r.kind === 'p' ? 'procedure' : 'function', specificName: r.specific_name })),
    parameters: parameters.map((p) => ({ schema: p.schema, specificName: p.specific_name, name: p.name, dataType: p.data_type, mode: modeOf(p.mode) })),
  };
};

/** MySQL / MariaDB: the database the connection opens (one schema). */
const mysql = async (query: CatalogueQuery): Promise<CatalogueRows> => {
  const tables = await query<{ schema: string; name: string; type: string; estimate: number | null }>(`
    SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS name, TABLE_TYPE AS type, TABLE_ROWS AS estimate
    FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`);
  const columns = await query<{ schema: string; table: string; name: string; data_type: string; nullable: string; default: string | null }>(`
    SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS \`table\`, COLUMN_NAME AS name, COLUMN_TYPE AS data_type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS \`default\`
    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`);
  const indexes = await query<{ schema: string; table: string; name: string; non_unique: number | string; column: string }>(`
    SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS \`table\`, INDEX_NAME AS name, NON_UNIQUE AS non_unique, COLUMN_NAME AS \`column\`
    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`);
  const routines = await query<{ schema: string; name: string; type: string; specific_name: string }>(`
    SELECT ROUTINE_SCHEMA AS \`schema\`, ROUTINE_NAME AS name, ROUTINE_TYPE AS type, SPECIFIC_NAME AS specific_name
    FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()`);
  const parameters = await query<{ schema: string; specific_name: string; name: string | null; data_type: string; mode: string | null }>(`
    SELECT SPECIFIC_SCHEMA AS \`schema\`, SPECIFIC_NAME AS specific_name, PARAMETER_NAME AS name, DTD_IDENTIFIER AS data_type, PARAMETER_MODE AS mode
    FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = DATABASE() AND ORDINAL_POSITION > 0 ORDER BY SPECIFIC_NAME, ORDINAL_POSITION`);
  return {
    tables: tables.map((t) => ({ schema: t.schema, name: t.name, kind: t.type === 'VIEW' ? 'view' : 'table', rowEstimate: t.type === 'VIEW' ? null : estimateOf(t.estimate) })),
    columns: columns.map((c) => ({ schema: c.schema, table: c.table, name: c.name, dataType: c.data_type, nullable: c.nullable === 'YES', default: c.default })),
    indexes: indexes.map((i) => ({ schema: i.schema, table: i.table, name: i.name, unique: Number(i.non_unique) === 0, primary: i.name === 'PRIMARY', column: i.column })),
    routines: routines.map((r) => ({ schema: r.schema, name: r.name, kind: r.type === 'FUNCTION' ? 'function' : 'procedure', specificName: r.specific_name })),
    parameters: parameters.map((p) => ({ schema: p.schema, specificName: p.specific_name, name: p.name, dataType: p.data_type, mode: modeOf(p.mode) })),
  };
};

export const catalogueReaders: Record<DatabaseType, (query: CatalogueQuery) => Promise<CatalogueRows>> = { mssql, postgres, mysql };
