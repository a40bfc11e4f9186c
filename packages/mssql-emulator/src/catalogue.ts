/**
 * The SQL Server catalogue the emulator shows: `sys.*` and `INFORMATION_SCHEMA` views over
 * PostgreSQL's own catalogue and the emulator's procedure table, with SQL Server's column names
 * and types, so a schema browser written for SQL Server reads the emulator unchanged.
 *
 * Everything lives in `dbo` (the emulator maps it to PostgreSQL's `public`). Column types are
 * recovered from how the emulator stores them (types.ts `pgColumnTypeOfDeclared`), which folds
 * some together: VARCHAR and NVARCHAR are both reported as NVARCHAR, CHAR and NCHAR as NCHAR,
 * VARBINARY(n) as VARBINARY(MAX), DATETIME2(6) as DATETIME2(7) (the README lists these).
 */

/** sys.types rows for the built-in types the emulator accepts: name, system_type_id, max_length, precision, scale (user_type_id is system_type_id, but 256 for sysname). */
const SYSTEM_TYPES: readonly [string, number, number, number, number][] = [
  ['image', 34, 16, 0, 0],
  ['text', 35, 16, 0, 0],
  ['uniqueidentifier', 36, 16, 0, 0],
  ['date', 40, 3, 10, 0],
  ['time', 41, 5, 16, 7],
  ['datetime2', 42, 8, 27, 7],
  ['datetimeoffset', 43, 10, 34, 7],
  ['tinyint', 48, 1, 3, 0],
  ['smallint', 52, 2, 5, 0],
  ['int', 56, 4, 10, 0],
  ['smalldatetime', 58, 4, 16, 0],
  ['real', 59, 4, 24, 0],
  ['money', 60, 8, 19, 4],
  ['datetime', 61, 8, 23, 3],
  ['float', 62, 8, 53, 0],
  ['ntext', 99, 16, 0, 0],
  ['bit', 104, 1, 1, 0],
  ['decimal', 106, 17, 38, 38],
  ['numeric', 108, 17, 38, 38],
  ['smallmoney', 122, 4, 10, 4],
  ['bigint', 127, 8, 19, 0],
  ['varbinary', 165, 8000, 0, 0],
  ['varchar', 167, 8000, 0, 0],
  ['binary', 173, 8000, 0, 0],
  ['char', 175, 8000, 0, 0],
  ['nvarchar', 231, 8000, 0, 0],
  ['nchar', 239, 8000, 0, 0],
  // An alias of nvarchar(128) (user_type_id 256), listed as SQL Server lists it: a join on
  // system_type_id alone finds two rows for nvarchar there too.
  ['sysname', 231, 256, 0, 0],
  ['xml', 241, -1, 0, 0],
];

const CHARACTER_TYPES = "('nvarchar', 'nchar', 'varchar', 'char')";

/** `db`: the database name as a quoted SQL literal. */
export function catalogueSql(db: string): string {
  const types = SYSTEM_TYPES.map(([name, id, len, p, s]) => `('${name}', ${id}, ${name === 'sysname' ? 256 : id}, ${len}, ${p}, ${s})`).join(',\n    ');
  return `
-- Rebuilt on every open: a database persisted by an older emulator has views of another shape,
-- which CREATE OR REPLACE VIEW cannot change.
DROP VIEW IF EXISTS sys.objects, sys.tables, sys.views, sys.procedures, sys.parameters, sys.sql_modules, sys.columns,
  sys.types, sys.schemas, sys.indexes, sys.index_columns, sys.partitions, __emulator.user_columns, __emulator.user_indexes,
  "INFORMATION_SCHEMA"."TABLES", "INFORMATION_SCHEMA"."COLUMNS", "INFORMATION_SCHEMA"."ROUTINES", "INFORMATION_SCHEMA"."PARAMETERS" CASCADE;
-- SQL Server's view of a stored PostgreSQL type (see pgTypeOfDeclared for the other direction).
CREATE OR REPLACE FUNCTION __emulator.mssql_type(typ oid, typmod integer,
  OUT type_name text, OUT system_type_id integer, OUT max_length integer, OUT "precision" integer, OUT scale integer)
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
  n integer := CASE WHEN typmod >= 4 THEN typmod - 4 END;
  ts integer := CASE WHEN typmod BETWEEN 0 AND 6 THEN typmod ELSE 6 END;
  domain text := (SELECT typname FROM pg_type WHERE oid = typ AND typnamespace = '__emulator'::regnamespace);
BEGIN
  "precision" := 0; scale := 0;
  -- The types kept as the emulator's domains (typesystem.ts).
  CASE
    WHEN domain = 'tinyint' THEN type_name := 'tinyint'; system_type_id := 48; max_length := 1; "precision" := 3; RETURN;
    WHEN domain = 'money' THEN type_name := 'money'; system_type_id := 60; max_length := 8; "precision" := 19; scale := 4; RETURN;
    WHEN domain = 'smallmoney' THEN type_name := 'smallmoney'; system_type_id := 122; max_length := 4; "precision" := 10; scale := 4; RETURN;
    WHEN domain = 'datetime' THEN type_name := 'datetime'; system_type_id := 61; max_length := 8; "precision" := 23; scale := 3; RETURN;
    WHEN domain = 'smalldatetime' THEN type_name := 'smalldatetime'; system_type_id := 58; max_length := 4; "precision" := 16; RETURN;
    WHEN domain LIKE 'binary(%)' THEN type_name := 'binary'; system_type_id := 173; max_length := substring(domain FROM '[0-9]+')::integer; RETURN;
    ELSE NULL;
  END CASE;
  CASE format_type(typ, NULL)
    WHEN 'integer' THEN type_name := 'int'; system_type_id := 56; max_length := 4; "precision" := 10;
    WHEN 'bigint' THEN type_name := 'bigint'; system_type_id := 127; max_length := 8; "precision" := 19;
    WHEN 'smallint' THEN type_name := 'smallint'; system_type_id := 52; max_length := 2; "precision" := 5;
    WHEN 'boolean' THEN type_name := 'bit'; system_type_id := 104; max_length := 1; "precision" := 1;
    WHEN 'numeric' THEN
      type_name := 'decimal'; system_type_id := 106;
      "precision" := COALESCE(n >> 16, 18); scale := COALESCE(n & 65535, 0);
      max_length := CASE WHEN "precision" <= 9 THEN 5 WHEN "precision" <= 19 THEN 9 WHEN "precision" <= 28 THEN 13 ELSE 17 END;
    WHEN 'double precision' THEN type_name := 'float'; system_type_id := 62; max_length := 8; "precision" := 53;
    WHEN 'real' THEN type_name := 'real'; system_type_id := 59; max_length := 4; "precision" := 24;
    WHEN 'character varying' THEN type_name := 'nvarchar'; system_type_id := 231; max_length := COALESCE(n * 2, -1);
    WHEN 'text' THEN type_name := 'nvarchar'; system_type_id := 231; max_length := -1;
    WHEN 'character' THEN type_name := 'nchar'; system_type_id := 239; max_length := COALESCE(n * 2, 2);
    WHEN 'bytea' THEN type_name := 'varbinary'; system_type_id := 165; max_length := -1;
    WHEN 'timestamp without time zone' THEN
      -- DATETIME2(7), the default, is stored with PostgreSQL's 6 digits.
      type_name := 'datetime2'; system_type_id := 42; scale := CASE WHEN ts = 6 THEN 7 ELSE ts END;
      max_length := CASE WHEN scale <= 2 THEN 6 WHEN scale <= 4 THEN 7 ELSE 8 END; "precision" := CASE WHEN scale = 0 THEN 19 ELSE 20 + scale END;
    WHEN 'date' THEN type_name := 'date'; system_type_id := 40; max_length := 3; "precision" := 10;
    WHEN 'time without time zone' THEN
      type_name := 'time'; system_type_id := 41; scale := CASE WHEN ts = 6 THEN 7 ELSE ts END;
      max_length := CASE WHEN scale <= 2 THEN 3 WHEN scale <= 4 THEN 4 ELSE 5 END; "precision" := CASE WHEN scale = 0 THEN 8 ELSE 9 + scale END;
    WHEN 'timestamp with time zone' THEN
      type_name := 'datetimeoffset'; system_type_id := 43; scale := CASE WHEN ts = 6 THEN 7 ELSE ts END;
      max_length := CASE WHEN scale <= 2 THEN 8 WHEN scale <= 4 THEN 9 ELSE 10 END; "precision" := CASE WHEN scale = 0 THEN 26 ELSE 27 + scale END;
    WHEN 'uuid' THEN type_name := 'uniqueidentifier'; system_type_id := 36; max_length := 16;
    ELSE type_name := format_type(typ, typmod); system_type_id := 0; max_length := -1;
  END CASE;
END $f$;

-- A column default as SQL Server spells it from the PostgreSQL expression the emulator stored:
-- constants in two pairs of parentheses (((0)), ((-1))), strings and functions in one ('x',
-- (getdate())). The N of an N'…' literal is not kept (the emulator stores both alike).
CREATE OR REPLACE FUNCTION __emulator.mssql_default(expr text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
  m text[];
BEGIN
  IF expr IS NULL THEN RETURN NULL; END IF;
  m := regexp_match(expr, $r$^'?(-?[0-9]+(\\.[0-9]+)?)'?(::[a-z ]+)?$$r$);
  IF m IS NOT NULL THEN RETURN '((' || m[1] || '))'; END IF;
  m := regexp_match(expr, $r$^('(?:[^']|'')*')(::[a-z ]+(\\([0-9]+\\))?)?$$r$);
  IF m IS NOT NULL THEN RETURN '(' || m[1] || ')'; END IF;
  IF expr ~ '^NULL(::[a-z ]+(\\([0-9]+\\))?)?$' THEN RETURN '(NULL)'; END IF;
  IF expr = 'current_datetime()' THEN RETURN '(getdate())'; END IF;
  RETURN '(' || expr || ')';
END $f$;

-- Exact, which SQL Server's sys.partitions.rows is too outside of concurrent writes.
CREATE OR REPLACE FUNCTION __emulator.row_count(rel regclass) RETURNS bigint LANGUAGE plpgsql STABLE AS $f$
  DECLARE n bigint; BEGIN EXECUTE format('SELECT count(*) FROM %s', rel) INTO n; RETURN n; END $f$;

CREATE OR REPLACE VIEW __emulator.user_columns AS
  SELECT c.oid::integer AS object_id, c.relname AS table_name, c.relkind, a.attname AS name, a.attnum::integer AS column_id,
    row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)::integer AS ordinal_position,
    t.type_name, t.system_type_id, t.max_length, t."precision", t.scale, NOT a.attnotnull AS is_nullable,
    a.attidentity <> '' AS is_identity, a.attgenerated <> '' AS is_computed, pg_get_expr(d.adbin, d.adrelid) AS default_definition
  FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum AND a.attgenerated = ''
    CROSS JOIN LATERAL __emulator.mssql_type(a.atttypid, a.atttypmod) t
  WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p', 'v');

CREATE OR REPLACE VIEW sys.procedures AS
  SELECT name::varchar(128) AS name, object_id, NULL::integer AS principal_id, 1 AS schema_id, 0 AS parent_object_id,
    'P '::char(2) AS type, 'SQL_STORED_PROCEDURE'::varchar(60) AS type_desc,
    create_date::__emulator.datetime AS create_date, modify_date::__emulator.datetime AS modify_date,
    false AS is_ms_shipped, false AS is_published, false AS is_schema_published
  FROM __emulator.procedures;
CREATE OR REPLACE VIEW sys.parameters AS
  SELECT p.object_id, (x->>'name')::varchar(128) AS name, (x->>'parameter_id')::integer AS parameter_id,
    (x->>'system_type_id')::integer::__emulator.tinyint AS system_type_id, (x->>'system_type_id')::integer AS user_type_id,
    (x->>'max_length')::smallint AS max_length, (x->>'precision')::integer::__emulator.tinyint AS precision,
    (x->>'scale')::integer::__emulator.tinyint AS scale,
    (x->>'is_output')::boolean AS is_output, false AS is_cursor_ref, false AS has_default_value,
    false AS is_readonly, NULL::varchar(4000) AS default_value
  FROM __emulator.procedures p, jsonb_array_elements(p.params) x;
CREATE OR REPLACE VIEW sys.sql_modules AS SELECT object_id, definition FROM __emulator.procedures;
CREATE OR REPLACE VIEW sys.tables AS
  SELECT c.relname::varchar(128) AS name, c.oid::integer AS object_id, NULL::integer AS principal_id, 1 AS schema_id,
    0 AS parent_object_id, 'U '::char(2) AS type, 'USER_TABLE'::varchar(60) AS type_desc, false AS is_ms_shipped
  FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p');
CREATE OR REPLACE VIEW sys.views AS
  SELECT c.relname::varchar(128) AS name, c.oid::integer AS object_id, NULL::integer AS principal_id, 1 AS schema_id,
    0 AS parent_object_id, 'V '::char(2) AS type, 'VIEW'::varchar(60) AS type_desc, false AS is_ms_shipped
  FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND c.relkind = 'v';
CREATE OR REPLACE VIEW sys.objects AS
  SELECT name, object_id, principal_id, schema_id, parent_object_id, type, type_desc, is_ms_shipped FROM sys.tables
  UNION ALL SELECT name, object_id, principal_id, schema_id, parent_object_id, type, type_desc, is_ms_shipped FROM sys.views
  UNION ALL SELECT name, object_id, principal_id, schema_id, parent_object_id, type, type_desc, is_ms_shipped FROM sys.procedures;
CREATE OR REPLACE VIEW sys.columns AS
  SELECT object_id, name::varchar(128) AS name, column_id, system_type_id::__emulator.tinyint AS system_type_id,
    system_type_id AS user_type_id, max_length::smallint AS max_length, "precision"::__emulator.tinyint AS precision,
    scale::__emulator.tinyint AS scale,
    (CASE WHEN system_type_id IN (167, 175, 231, 239) THEN 'SQL_Latin1_General_CP1_CI_AS' END)::varchar(128) AS collation_name,
    is_nullable, is_identity, is_computed, 0 AS default_object_id
  FROM __emulator.user_columns;
CREATE OR REPLACE VIEW sys.types AS
  SELECT name::varchar(128) AS name, system_type_id::__emulator.tinyint AS system_type_id, user_type_id, 4 AS schema_id,
    NULL::integer AS principal_id, max_length::smallint AS max_length, "precision"::__emulator.tinyint AS precision,
    scale::__emulator.tinyint AS scale,
    (CASE WHEN name IN ${CHARACTER_TYPES} OR name IN ('text', 'ntext', 'sysname') THEN 'SQL_Latin1_General_CP1_CI_AS' END)::varchar(128) AS collation_name,
    name <> 'sysname' AS is_nullable, false AS is_user_defined, false AS is_assembly_type, false AS is_table_type
  FROM (VALUES
    ${types}
  ) v(name, system_type_id, user_type_id, max_length, "precision", scale);
CREATE OR REPLACE VIEW sys.schemas AS
  SELECT CASE nspname WHEN 'public' THEN 'dbo' ELSE nspname END::varchar(128) AS name,
    CASE nspname WHEN 'public' THEN 1 WHEN 'sys' THEN 4 WHEN 'INFORMATION_SCHEMA' THEN 3 ELSE oid::integer END AS schema_id,
    1 AS principal_id
  FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', '__emulator');
-- Index ids as SQL Server numbers them: 0 a heap (a table without a primary key), 1 the
-- clustered index (the primary key: SQL Server's default, and the emulator drops CLUSTERED /
-- NONCLUSTERED), 2 and up the others.
CREATE OR REPLACE VIEW __emulator.user_indexes AS
  SELECT c.oid::integer AS object_id, i.indexrelid, ic.relname AS name, i.indisprimary AS is_primary_key, i.indisunique AS is_unique,
    EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype = 'u') AS is_unique_constraint,
    i.indpred IS NOT NULL AS has_filter, pg_get_expr(i.indpred, i.indrelid) AS filter_definition,
    CASE WHEN i.indisprimary THEN 1
      ELSE 1 + row_number() OVER (PARTITION BY c.oid, i.indisprimary ORDER BY i.indexrelid)::integer END AS index_id,
    i.indkey, i.indnkeyatts, i.indoption
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_namespace s ON s.oid = c.relnamespace
  WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p');
CREATE OR REPLACE VIEW sys.indexes AS
  SELECT object_id, name::varchar(128) AS name, index_id, (CASE WHEN is_primary_key THEN 1 ELSE 2 END)::__emulator.tinyint AS type,
    (CASE WHEN is_primary_key THEN 'CLUSTERED' ELSE 'NONCLUSTERED' END)::varchar(60) AS type_desc,
    is_unique, is_primary_key, is_unique_constraint, false AS is_disabled, has_filter, filter_definition::text AS filter_definition
  FROM __emulator.user_indexes
  UNION ALL
  SELECT t.object_id, NULL::varchar(128), 0, 0::__emulator.tinyint, 'HEAP'::varchar(60), false, false, false, false, false, NULL::text
  FROM sys.tables t WHERE NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = t.object_id AND i.indisprimary);
CREATE OR REPLACE VIEW sys.index_columns AS
  SELECT x.object_id, x.index_id, k.ord::integer AS index_column_id, k.attnum::integer AS column_id,
    (CASE WHEN k.ord <= x.indnkeyatts THEN k.ord ELSE 0 END)::integer::__emulator.tinyint AS key_ordinal,
    0::__emulator.tinyint AS partition_ordinal,
    COALESCE((x.indoption[k.ord - 1] & 1) = 1, false) AS is_descending_key, k.ord > x.indnkeyatts AS is_included_column
  FROM __emulator.user_indexes x, unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
  WHERE k.attnum > 0;
CREATE OR REPLACE VIEW sys.partitions AS
  SELECT (t.object_id::bigint << 16) + i.index_id AS partition_id, t.object_id, i.index_id, 1 AS partition_number,
    (t.object_id::bigint << 16) + i.index_id AS hobt_id, __emulator.row_count(t.object_id::oid::regclass) AS rows,
    0::__emulator.tinyint AS data_compression, 'NONE'::varchar(60) AS data_compression_desc
  FROM sys.tables t JOIN sys.indexes i ON i.object_id = t.object_id AND i.index_id <= 1;
CREATE OR REPLACE VIEW "INFORMATION_SCHEMA"."TABLES" AS
  SELECT ${db}::varchar(128) AS "TABLE_CATALOG", 'dbo'::varchar(128) AS "TABLE_SCHEMA", c.relname::varchar(128) AS "TABLE_NAME",
    (CASE c.relkind WHEN 'v' THEN 'VIEW' ELSE 'BASE TABLE' END)::varchar(10) AS "TABLE_TYPE"
  FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND c.relkind IN ('r', 'v', 'p');
CREATE OR REPLACE VIEW "INFORMATION_SCHEMA"."COLUMNS" AS
  SELECT ${db}::varchar(128) AS "TABLE_CATALOG", 'dbo'::varchar(128) AS "TABLE_SCHEMA", table_name::varchar(128) AS "TABLE_NAME",
    name::varchar(128) AS "COLUMN_NAME", ordinal_position AS "ORDINAL_POSITION",
    __emulator.mssql_default(default_definition)::varchar(4000) AS "COLUMN_DEFAULT",
    (CASE WHEN is_nullable THEN 'YES' ELSE 'NO' END)::varchar(3) AS "IS_NULLABLE",
    type_name::varchar(128) AS "DATA_TYPE",
    (CASE WHEN type_name IN ${CHARACTER_TYPES} THEN CASE WHEN max_length = -1 THEN -1 ELSE max_length / 2 END
      WHEN type_name IN ('varbinary', 'binary') THEN max_length END) AS "CHARACTER_MAXIMUM_LENGTH",
    (CASE WHEN type_name IN ${CHARACTER_TYPES} OR type_name IN ('varbinary', 'binary') THEN max_length END) AS "CHARACTER_OCTET_LENGTH",
    (CASE WHEN system_type_id IN (48, 52, 56, 127, 106, 108, 59, 62, 60, 122) THEN "precision" END)::__emulator.tinyint AS "NUMERIC_PRECISION",
    (CASE WHEN system_type_id IN (48, 52, 56, 127, 106, 108, 60, 122) THEN 10 WHEN system_type_id IN (59, 62) THEN 2 END)::smallint AS "NUMERIC_PRECISION_RADIX",
    (CASE WHEN system_type_id IN (48, 52, 56, 127, 106, 108, 60, 122) THEN scale END) AS "NUMERIC_SCALE",
    (CASE WHEN system_type_id IN (40, 41, 42, 43, 58, 61) THEN scale END)::smallint AS "DATETIME_PRECISION",
    NULL::varchar(128) AS "CHARACTER_SET_CATALOG", NULL::varchar(128) AS "CHARACTER_SET_SCHEMA",
    (CASE WHEN type_name IN ${CHARACTER_TYPES} THEN 'UNICODE' END)::varchar(128) AS "CHARACTER_SET_NAME",
    NULL::varchar(128) AS "COLLATION_CATALOG", NULL::varchar(128) AS "COLLATION_SCHEMA",
    (CASE WHEN type_name IN ${CHARACTER_TYPES} THEN 'SQL_Latin1_General_CP1_CI_AS' END)::varchar(128) AS "COLLATION_NAME",
    NULL::varchar(128) AS "DOMAIN_CATALOG", NULL::varchar(128) AS "DOMAIN_SCHEMA", NULL::varchar(128) AS "DOMAIN_NAME"
  FROM __emulator.user_columns;
CREATE OR REPLACE VIEW "INFORMATION_SCHEMA"."ROUTINES" AS
  SELECT ${db}::varchar(128) AS "SPECIFIC_CATALOG", 'dbo'::varchar(128) AS "SPECIFIC_SCHEMA", name::varchar(128) AS "SPECIFIC_NAME",
    ${db}::varchar(128) AS "ROUTINE_CATALOG", 'dbo'::varchar(128) AS "ROUTINE_SCHEMA", name::varchar(128) AS "ROUTINE_NAME",
    'PROCEDURE'::varchar(20) AS "ROUTINE_TYPE", NULL::varchar(128) AS "DATA_TYPE", 'SQL'::varchar(30) AS "ROUTINE_BODY",
    left(definition, 4000)::varchar(4000) AS "ROUTINE_DEFINITION", create_date::__emulator.datetime AS "CREATED",
    modify_date::__emulator.datetime AS "LAST_ALTERED"
  FROM __emulator.procedures;
CREATE OR REPLACE VIEW "INFORMATION_SCHEMA"."PARAMETERS" AS
  SELECT ${db}::varchar(128) AS "SPECIFIC_CATALOG", 'dbo'::varchar(128) AS "SPECIFIC_SCHEMA", p.name::varchar(128) AS "SPECIFIC_NAME",
    (x->>'parameter_id')::integer AS "ORDINAL_POSITION",
    (CASE WHEN (x->>'is_output')::boolean THEN 'INOUT' ELSE 'IN' END)::varchar(10) AS "PARAMETER_MODE",
    'NO'::varchar(10) AS "IS_RESULT", 'NO'::varchar(10) AS "AS_LOCATOR", (x->>'name')::varchar(128) AS "PARAMETER_NAME",
    split_part(x->>'type_name', '(', 1)::varchar(128) AS "DATA_TYPE",
    (CASE WHEN (x->>'system_type_id')::integer IN (231, 239) THEN CASE WHEN (x->>'max_length')::integer = -1 THEN -1 ELSE (x->>'max_length')::integer / 2 END
      WHEN (x->>'system_type_id')::integer IN (165, 167, 173, 175) THEN (x->>'max_length')::integer END) AS "CHARACTER_MAXIMUM_LENGTH",
    (CASE WHEN (x->>'system_type_id')::integer IN (165, 167, 173, 175, 231, 239) THEN (x->>'max_length')::integer END) AS "CHARACTER_OCTET_LENGTH",
    (CASE WHEN (x->>'system_type_id')::integer IN (48, 52, 56, 127, 106, 108, 59, 62, 60, 122) THEN (x->>'precision')::integer END)::__emulator.tinyint AS "NUMERIC_PRECISION",
    (CASE WHEN (x->>'system_type_id')::integer IN (48, 52, 56, 127, 106, 108, 60, 122) THEN 10 WHEN (x->>'system_type_id')::integer IN (59, 62) THEN 2 END)::smallint AS "NUMERIC_PRECISION_RADIX",
    (CASE WHEN (x->>'system_type_id')::integer IN (48, 52, 56, 127, 106, 108, 60, 122) THEN (x->>'scale')::integer END)::__emulator.tinyint AS "NUMERIC_SCALE",
    (CASE WHEN (x->>'system_type_id')::integer IN (40, 41, 42, 43, 58, 61) THEN (x->>'scale')::smallint END) AS "DATETIME_PRECISION"
  FROM __emulator.procedures p, jsonb_array_elements(p.params) x;
`;
}
