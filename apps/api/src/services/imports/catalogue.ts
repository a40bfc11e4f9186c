// The target table as the workspace database's catalogue describes it (information_schema, which
// all three servers have): its columns with their SQL types, nullability and defaults, and its
// primary key. The name is matched exactly first, then case-insensitively when that is unambiguous.
import type { PoolLease } from '@studio/mssql-pool';
import { ImportRefusal } from '../errors';
import type { Dialect, TargetColumn } from './values';

export interface TargetTable {
  schema: string;
  name: string;
  /** `schema.table`, as the catalogue spells it. */
  qualified: string;
  columns: TargetColumn[];
  primaryKey: string[];
}

interface ColumnRow {
  table_schema: string;
  table_name: string;
  column_name: string;
  data_type: string;
  column_type: string | null;
  is_nullable: string;
  column_default: string | null;
  extra: string | null;
  character_maximum_length: number | string | null;
  numeric_precision: number | string | null;
  numeric_scale: number | string | null;
}

/** `schema.table` or `table`; quotes/brackets around either part are dropped. */
export function splitTableName(input: string): { schema: string | null; name: string } {
  const strip = (part: string) => part.trim().replace(/^["[`](.*)["\]`]$/, '$1');
  const dot = input.indexOf('.');
  return dot < 0 ? { schema: null, name: strip(input) } : { schema: strip(input.slice(0, dot)), name: strip(input.slice(dot + 1)) };
}

const num = (value: number | string | null): number | null => (value === null ? null : Number(value));

const SELECT_COLUMNS = `TABLE_SCHEMA AS table_schema, TABLE_NAME AS table_name, COLUMN_NAME AS column_name, LOWER(DATA_TYPE) AS data_type, IS_NULLABLE AS is_nullable, COLUMN_DEFAULT AS column_default,
    CHARACTER_MAXIMUM_LENGTH AS character_maximum_length, NUMERIC_PRECISION AS numeric_precision, NUMERIC_SCALE AS numeric_scale`;

function columnsSql(dialect: Dialect): string {
  if (dialect === 'postgres') {
    return `SELECT ${SELECT_COLUMNS}, NULL AS column_type, CASE WHEN is_identity = 'YES' THEN 'identity' WHEN is_generated = 'ALWAYS' THEN 'generated' ELSE '' END AS extra
      FROM information_schema.columns
      WHERE lower(table_schema) = lower(COALESCE($1, current_schema())) AND lower(table_name) = lower($2)
      ORDER BY table_schema, table_name, ordinal_position`;
  }
  if (dialect === 'mysql') {
    return `SELECT ${SELECT_COLUMNS}, COLUMN_TYPE AS column_type, EXTRA AS extra
      FROM INFORMATION_SCHEMA.COLUMNS
      WHERE LOWER(TABLE_SCHEMA) = LOWER(COALESCE(?, DATABASE())) AND LOWER(TABLE_NAME) = LOWER(?)
      ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`;
  }
  // SQL Server: identity and computed columns are in sys.columns; `dbo` is the default schema.
  return `SELECT ${SELECT_COLUMNS}, NULL AS column_type,
      CASE WHEN sc.is_identity = 1 THEN 'identity' WHEN sc.is_computed = 1 THEN 'generated' ELSE '' END AS extra
    FROM INFORMATION_SCHEMA.COLUMNS c
    JOIN sys.schemas s ON s.name = c.TABLE_SCHEMA
    JOIN sys.tables t ON t.schema_id = s.schema_id AND t.name = c.TABLE_NAME
    JOIN sys.columns sc ON sc.object_id = t.object_id AND sc.name = c.COLUMN_NAME
    WHERE LOWER(c.TABLE_SCHEMA) = LOWER(COALESCE(@p1, 'dbo')) AND LOWER(c.TABLE_NAME) = LOWER(@p2)
    ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION`;
}

function primaryKeySql(dialect: Dialect): string {
  if (dialect === 'mssql') {
    return `SELECT col.name AS column_name FROM sys.indexes i
      JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
      JOIN sys.columns col ON col.object_id = ic.object_id AND col.column_id = ic.column_id
      JOIN sys.tables t ON t.object_id = i.object_id
      JOIN sys.schemas s ON s.schema_id = t.schema_id
      WHERE i.is_primary_key = 1 AND s.name = @p1 AND t.name = @p2
      ORDER BY ic.key_ordinal`;
  }
  const param = (n: number) => (dialect === 'postgres' ? `$${n}` : '?');
  return `SELECT k.COLUMN_NAME AS column_name FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS c
    JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE k ON k.CONSTRAINT_NAME = c.CONSTRAINT_NAME AND k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
    WHERE c.CONSTRAINT_TYPE = 'PRIMARY KEY' AND c.TABLE_SCHEMA = ${param(1)} AND c.TABLE_NAME = ${param(2)}
    ORDER BY k.ORDINAL_POSITION`;
}

/** Reads the table; refuses with table_not_found (naming what was looked for) when there is none, or more than one. */
export async function readTargetTable(lease: PoolLease, dialect: Dialect, input: string): Promise<TargetTable> {
  const wanted = splitTableName(input);
  const { rows } = await lease.query<ColumnRow>(columnsSql(dialect), [wanted.schema, wanted.name]);
  const tables = new Map<string, ColumnRow[]>();
  for (const row of rows) {
    const key = `${row.table_schema}.${row.table_name}`;
    tables.set(key, [...(tables.get(key) ?? []), row]);
  }
  const exact = [...tables.entries()].filter(([, columns]) => columns[0]?.table_name === wanted.name && (wanted.schema === null || columns[0]?.table_schema === wanted.schema));
  const candidates = exact.length === 1 ? exact : [...tables.entries()];
  const [found] = candidates;
  if (candidates.length !== 1 || !found) {
    throw new ImportRefusal('table_not_found', `Table ${input} was not found on the project's connection`, { field: 'table', table: input, ...(candidates.length > 1 && { candidates: candidates.map(([key]) => key) }) });
  }
  const [, columnRows] = found;
  const first = columnRows[0]!;
  const columns = columnRows.map((row): TargetColumn => {
    const extra = (row.extra ?? '').toLowerCase();
    const generated = extra.includes('generated') && !extra.includes('default_generated');
    return {
      name: row.column_name,
      dataType: row.data_type,
      columnType: row.column_type ?? undefined,
      nullable: row.is_nullable.toUpperCase() === 'YES',
      hasDefault: row.column_default !== null || extra.includes('auto_increment') || extra.includes('identity') || generated,
      generated,
      identity: extra.includes('identity') || extra.includes('auto_increment'),
      maxLength: num(row.character_maximum_length),
      precision: num(row.numeric_precision),
      scale: num(row.numeric_scale),
    };
  });
  const keys = await lease.query<{ column_name: string }>(primaryKeySql(dialect), [first.table_schema, first.table_name]);
  return { schema: first.table_schema, name: first.table_name, qualified: `${first.table_schema}.${first.table_name}`, columns, primaryKey: keys.rows.map((row) => row.column_name) };
}
