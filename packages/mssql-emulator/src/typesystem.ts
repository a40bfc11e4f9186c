/**
 * SQL Server's type rules inside each database's PostgreSQL: the T-SQL types PostgreSQL lacks
 * (as domains), what a value of them becomes when it is converted or written into a column,
 * how values convert to and from character and binary data, and string comparison that ignores
 * trailing spaces. tsql/types.ts names these objects; tsql/conversions.ts calls the functions.
 *
 * Run on every open (persisted databases get what an older emulator did not create), so every
 * statement is idempotent. Errors meant for the client carry SQLSTATE EM000 and the SQL Server
 * error number in DETAIL (errors.ts).
 */

/** Table names that would shadow a PostgreSQL type the emulator's SQL uses (a table is also a type). */
export const SHADOWING_TABLE_NAMES = new Set(['text', 'date', 'bytea', 'uuid', 'name', 'json', 'jsonb', 'oid', 'regclass', 'regtype', 'regnamespace', 'record', 'xml', 'money']);

// Code page 1252's characters for bytes 0x80-0x9F (the rest of the code page is Latin-1).
const CP1252_HIGH = [
  8364, 129, 8218, 402, 8222, 8230, 8224, 8225, 710, 8240, 352, 8249, 338, 141, 381, 143, 144, 8216, 8217, 8220, 8221, 8226,
  8211, 8212, 732, 8482, 353, 8250, 339, 157, 382, 376,
];

function idempotent(statement: string, ...conditions: string[]): string {
  return `DO $$ BEGIN ${statement}; EXCEPTION WHEN ${conditions.join(' OR ')} THEN NULL; END $$;`;
}

const domains = `
CREATE OR REPLACE FUNCTION __emulator.sql_error(number integer, message text) RETURNS void LANGUAGE plpgsql IMMUTABLE AS $f$
  BEGIN RAISE EXCEPTION USING ERRCODE = 'EM000', MESSAGE = message, DETAIL = number::text; END $f$;
-- 220 names the value, as SQL Server does ("Arithmetic overflow error for data type tinyint, value = 300.").
CREATE OR REPLACE FUNCTION __emulator.in_range(v numeric, low numeric, high numeric, type_name text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
  IF v < low OR v > high THEN
    IF type_name = 'tinyint' THEN
      PERFORM __emulator.sql_error(220, format('Arithmetic overflow error for data type %s, value = %s.', type_name, v));
    END IF;
    PERFORM __emulator.sql_error(8115, format('Arithmetic overflow error converting expression to data type %s.', type_name));
  END IF;
  RETURN true;
END $f$;
${idempotent("CREATE DOMAIN __emulator.tinyint AS smallint CHECK (__emulator.in_range(VALUE, 0, 255, 'tinyint'))", 'duplicate_object')}
${idempotent("CREATE DOMAIN __emulator.money AS numeric(19,4) CHECK (__emulator.in_range(VALUE, -922337203685477.5808, 922337203685477.5807, 'money'))", 'duplicate_object')}
${idempotent("CREATE DOMAIN __emulator.smallmoney AS numeric(10,4) CHECK (__emulator.in_range(VALUE, -214748.3648, 214748.3647, 'smallmoney'))", 'duplicate_object')}
-- Both keep milliseconds: SMALLDATETIME rounds from the DATETIME value (write rules, to_smalldatetime).
${idempotent('CREATE DOMAIN __emulator.datetime AS timestamp(3)', 'duplicate_object')}
${idempotent('CREATE DOMAIN __emulator.smalldatetime AS timestamp(3)', 'duplicate_object')}
CREATE OR REPLACE FUNCTION __emulator.ensure_binary_domain(n integer) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = format('binary(%s)', n) AND typnamespace = '__emulator'::regnamespace) THEN
    EXECUTE format('CREATE DOMAIN __emulator.%I AS bytea', format('binary(%s)', n));
  END IF;
END $f$;
`;

const dateTimes = `
-- DATETIME counts 1/300 s: .999 becomes the next second, .998 becomes .997.
CREATE OR REPLACE FUNCTION __emulator.datetime_round(v timestamp) RETURNS timestamp LANGUAGE sql IMMUTABLE STRICT AS $f$
  SELECT date_trunc('second', v) + round(extract(epoch FROM v - date_trunc('second', v)) * 300)::double precision * interval '1 second' / 300 $f$;
-- SMALLDATETIME rounds the DATETIME value to the minute, from 29.999 s up.
CREATE OR REPLACE FUNCTION __emulator.smalldatetime_round(v timestamp) RETURNS timestamp LANGUAGE sql IMMUTABLE STRICT AS $f$
  SELECT date_trunc('minute', d) + CASE WHEN d - date_trunc('minute', d) >= interval '30 seconds' THEN interval '1 minute' ELSE interval '0' END
  FROM (SELECT __emulator.datetime_round(v) AS d) x $f$;
-- PostgreSQL keeps microseconds and rounds a seventh digit into the next second (and day); these
-- cut it instead, so 23:59:59.9999999 stays on its day.
CREATE OR REPLACE FUNCTION __emulator.cut_7th_digit(v text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $f$
  SELECT regexp_replace(v, '(\\.[0-9]{6})[0-9]+', '\\1') $f$;

CREATE OR REPLACE FUNCTION __emulator.to_datetime(v timestamp) RETURNS __emulator.datetime LANGUAGE sql IMMUTABLE AS $f$
  SELECT CAST(__emulator.datetime_round(v) AS __emulator.datetime) $f$;
CREATE OR REPLACE FUNCTION __emulator.to_datetime(v text) RETURNS __emulator.datetime LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.to_datetime(CAST(__emulator.cut_7th_digit(v) AS timestamp)) $f$;
CREATE OR REPLACE FUNCTION __emulator.to_datetime(v date) RETURNS __emulator.datetime LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.to_datetime(CAST(v AS timestamp)) $f$;
CREATE OR REPLACE FUNCTION __emulator.to_datetime(v timestamptz) RETURNS __emulator.datetime LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.to_datetime(CAST(v AS timestamp)) $f$;
CREATE OR REPLACE FUNCTION __emulator.to_smalldatetime(v timestamp) RETURNS __emulator.smalldatetime LANGUAGE sql IMMUTABLE AS $f$
  SELECT CAST(__emulator.smalldatetime_round(v) AS __emulator.smalldatetime) $f$;
CREATE OR REPLACE FUNCTION __emulator.to_smalldatetime(v text) RETURNS __emulator.smalldatetime LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.to_smalldatetime(CAST(__emulator.cut_7th_digit(v) AS timestamp)) $f$;
CREATE OR REPLACE FUNCTION __emulator.to_smalldatetime(v date) RETURNS __emulator.smalldatetime LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.to_smalldatetime(CAST(v AS timestamp)) $f$;
CREATE OR REPLACE FUNCTION __emulator.to_smalldatetime(v timestamptz) RETURNS __emulator.smalldatetime LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.to_smalldatetime(CAST(v AS timestamp)) $f$;
CREATE OR REPLACE FUNCTION __emulator.to_datetime2(v text) RETURNS timestamp LANGUAGE sql IMMUTABLE AS $f$
  SELECT CAST(__emulator.cut_7th_digit(v) AS timestamp) $f$;
CREATE OR REPLACE FUNCTION __emulator.to_datetime2(v timestamp) RETURNS timestamp LANGUAGE sql IMMUTABLE AS 'SELECT v';
CREATE OR REPLACE FUNCTION __emulator.to_datetime2(v date) RETURNS timestamp LANGUAGE sql IMMUTABLE AS 'SELECT CAST(v AS timestamp)';
CREATE OR REPLACE FUNCTION __emulator.to_datetime2(v timestamptz) RETURNS timestamp LANGUAGE sql IMMUTABLE AS 'SELECT CAST(v AS timestamp)';
CREATE OR REPLACE FUNCTION __emulator.to_time(v text) RETURNS time LANGUAGE sql IMMUTABLE AS $f$
  SELECT CAST(__emulator.cut_7th_digit(v) AS time) $f$;
CREATE OR REPLACE FUNCTION __emulator.to_time(v time) RETURNS time LANGUAGE sql IMMUTABLE AS 'SELECT v';
CREATE OR REPLACE FUNCTION __emulator.to_time(v timestamp) RETURNS time LANGUAGE sql IMMUTABLE AS 'SELECT CAST(v AS time)';
CREATE OR REPLACE FUNCTION __emulator.to_time(v timestamptz) RETURNS time LANGUAGE sql IMMUTABLE AS 'SELECT CAST(CAST(v AS timestamp) AS time)';
-- GETDATE() and CURRENT_TIMESTAMP are DATETIME.
CREATE OR REPLACE FUNCTION __emulator.current_datetime() RETURNS __emulator.datetime LANGUAGE sql VOLATILE AS $f$
  SELECT __emulator.to_datetime(CAST(clock_timestamp() AT TIME ZONE 'UTC' AS timestamp)) $f$;

-- CONVERT(character type, date/time value, style): SQL Server's styles. -1 is "no style given":
-- 0 for DATETIME and SMALLDATETIME, 121 for the others. Fractions: 3 digits for DATETIME and
-- SMALLDATETIME, 7 for DATETIME2, TIME and DATETIMEOFFSET (the emulator cannot tell their
-- declared scale from the value).
CREATE OR REPLACE FUNCTION __emulator.datetime_text(v timestamp, kind text, style integer) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
  s integer := CASE WHEN style = -1 THEN CASE WHEN kind IN ('datetime', 'smalldatetime') THEN 0 ELSE 121 END ELSE style END;
  us integer := (extract(microseconds FROM v)::integer) % 1000000;
  frac text := CASE WHEN kind IN ('datetime', 'smalldatetime') THEN lpad((us / 1000)::text, 3, '0') ELSE lpad((us * 10)::text, 7, '0') END;
  yyyy text := to_char(v, 'YYYY'); yy text := to_char(v, 'YY'); mm text := to_char(v, 'MM'); dd text := to_char(v, 'DD');
  mon text := to_char(v, 'Mon'); dsp text := lpad(to_char(v, 'FMDD'), 2, ' ');
  hms text := to_char(v, 'HH24:MI:SS'); h12 text := lpad(to_char(v, 'FMHH12'), 2, ' '); mi text := to_char(v, 'MI');
  ss text := to_char(v, 'SS'); ampm text := to_char(v, 'AM');
  d text; sep text := ' '; t text;
BEGIN
  IF v IS NULL OR style IS NULL THEN RETURN NULL; END IF;
  CASE s
    WHEN 0, 100 THEN d := mon || ' ' || dsp || ' ' || yyyy; t := h12 || ':' || mi || ampm;
    WHEN 1 THEN d := mm || '/' || dd || '/' || yy;
    WHEN 101 THEN d := mm || '/' || dd || '/' || yyyy;
    WHEN 2 THEN d := yy || '.' || mm || '.' || dd;
    WHEN 102 THEN d := yyyy || '.' || mm || '.' || dd;
    WHEN 3 THEN d := dd || '/' || mm || '/' || yy;
    WHEN 103 THEN d := dd || '/' || mm || '/' || yyyy;
    WHEN 4 THEN d := dd || '.' || mm || '.' || yy;
    WHEN 104 THEN d := dd || '.' || mm || '.' || yyyy;
    WHEN 5 THEN d := dd || '-' || mm || '-' || yy;
    WHEN 105 THEN d := dd || '-' || mm || '-' || yyyy;
    WHEN 6 THEN d := dd || ' ' || mon || ' ' || yy;
    WHEN 106 THEN d := dd || ' ' || mon || ' ' || yyyy;
    WHEN 7 THEN d := mon || ' ' || dd || ', ' || yy;
    WHEN 107 THEN d := mon || ' ' || dd || ', ' || yyyy;
    WHEN 8, 24, 108 THEN t := hms;
    WHEN 9, 109 THEN d := mon || ' ' || dsp || ' ' || yyyy; t := h12 || ':' || mi || ':' || ss || ':' || frac || ampm;
    WHEN 10 THEN d := mm || '-' || dd || '-' || yy;
    WHEN 110 THEN d := mm || '-' || dd || '-' || yyyy;
    WHEN 11 THEN d := yy || '/' || mm || '/' || dd;
    WHEN 111 THEN d := yyyy || '/' || mm || '/' || dd;
    WHEN 12 THEN d := yy || mm || dd;
    WHEN 112 THEN d := yyyy || mm || dd;
    WHEN 13, 113 THEN d := dd || ' ' || mon || ' ' || yyyy; t := hms || ':' || frac;
    WHEN 14, 114 THEN t := hms || ':' || frac;
    WHEN 20, 120 THEN d := yyyy || '-' || mm || '-' || dd; t := hms;
    WHEN 21, 25, 121 THEN d := yyyy || '-' || mm || '-' || dd; t := hms || '.' || frac;
    WHEN 22 THEN d := mm || '/' || dd || '/' || yy; t := h12 || ':' || mi || ':' || ss || ' ' || ampm;
    WHEN 23 THEN d := yyyy || '-' || mm || '-' || dd;
    WHEN 126, 127 THEN
      d := yyyy || '-' || mm || '-' || dd; sep := 'T';
      t := hms || CASE WHEN us = 0 THEN '' ELSE '.' || frac END || CASE WHEN kind = 'datetimeoffset' AND s = 127 THEN 'Z' ELSE '' END;
    ELSE
      PERFORM __emulator.sql_error(281, format('%s is not a valid style number when converting from %s to a character string.', s, kind));
  END CASE;
  IF kind = 'date' THEN t := NULL; END IF;
  IF kind = 'time' THEN d := NULL; END IF;
  IF d IS NULL AND t IS NULL THEN
    PERFORM __emulator.sql_error(281, format('%s is not a valid style number when converting from %s to a character string.', s, kind));
  END IF;
  IF kind = 'datetimeoffset' AND t IS NOT NULL AND s NOT IN (126, 127) THEN t := t || ' +00:00'; END IF;
  RETURN concat_ws(sep, d, t);
END $f$;
`;

const cp1252 = `ARRAY[${CP1252_HIGH.join(', ')}]`;

const characters = `
-- Binary data as characters, byte for byte: code page 1252 for VARCHAR, UTF-16LE for NVARCHAR.
CREATE OR REPLACE FUNCTION __emulator.cp1252_text(v bytea) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $f$
  SELECT COALESCE(string_agg(chr(CASE WHEN b BETWEEN 128 AND 159 THEN (${cp1252})[b - 127] ELSE b END), '' ORDER BY i), '')
  FROM (SELECT i, get_byte(v, i) AS b FROM generate_series(0, length(v) - 1) i) x $f$;
CREATE OR REPLACE FUNCTION __emulator.utf16le_text(v bytea) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $f$
DECLARE
  units integer[] := ARRAY(SELECT get_byte(v, i) + 256 * get_byte(v, i + 1) FROM generate_series(0, length(v) - 2, 2) i);
  codes integer[] := '{}';
  k integer := 1;
  u integer;
BEGIN
  WHILE k <= coalesce(array_length(units, 1), 0) LOOP
    u := units[k];
    IF u BETWEEN 55296 AND 56319 AND units[k + 1] BETWEEN 56320 AND 57343 THEN
      codes := codes || (65536 + (u - 55296) * 1024 + (units[k + 1] - 56320));
      k := k + 2;
    ELSE
      codes := codes || u;
      k := k + 1;
    END IF;
  END LOOP;
  RETURN COALESCE((SELECT string_agg(chr(c), '' ORDER BY n) FROM unnest(codes) WITH ORDINALITY AS x(c, n)), '');
END $f$;
-- Characters as code page 1252 bytes; characters outside it become '?', as SQL Server converts them.
CREATE OR REPLACE FUNCTION __emulator.cp1252_bytes(v text) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT AS $f$
  SELECT decode(COALESCE(string_agg(lpad(to_hex(CASE
      WHEN c < 128 OR c BETWEEN 160 AND 255 THEN c
      WHEN array_position(${cp1252}, c) IS NOT NULL THEN 127 + array_position(${cp1252}, c)
      ELSE 63 END), 2, '0'), '' ORDER BY n), ''), 'hex')
  FROM (SELECT n, ascii(substr(v, n, 1)) AS c FROM generate_series(1, length(v)) n) x $f$;

CREATE OR REPLACE FUNCTION __emulator.money_text(v numeric, style integer) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
  IF v IS NULL OR style IS NULL THEN RETURN NULL; END IF;
  CASE style
    WHEN -1, 0 THEN RETURN round(v, 2)::text;
    WHEN 1 THEN RETURN to_char(round(v, 2), 'FM999,999,999,999,990.00');
    WHEN 2, 126 THEN RETURN round(v, 4)::text;
    ELSE PERFORM __emulator.sql_error(281, format('%s is not a valid style number when converting from money to a character string.', style));
  END CASE;
  RETURN NULL;
END $f$;

-- CAST/CONVERT to a character type, by the type of the value (SQL Server's text for each).
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v text, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT v';
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v anyelement, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT CAST(v AS text)';
-- CHAR(n) keeps its padding (a cast to text would trim it).
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v bpchar, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS $f$ SELECT format('%s', v) $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v integer, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT CAST(v AS text)';
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v bigint, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT CAST(v AS text)';
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v smallint, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT CAST(v AS text)';
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v numeric, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT CAST(v AS text)';
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v double precision, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT CAST(v AS text)';
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v real, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT CAST(v AS text)';
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v boolean, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE WHEN v THEN '1' WHEN NOT v THEN '0' END $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v uuid, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT upper(CAST(v AS text))';
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v bytea, style integer, to_unicode boolean) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
  IF v IS NULL OR style IS NULL THEN RETURN NULL; END IF;
  CASE style
    WHEN -1, 0 THEN RETURN CASE WHEN to_unicode THEN __emulator.utf16le_text(v) ELSE __emulator.cp1252_text(v) END;
    WHEN 1 THEN RETURN '0x' || upper(encode(v, 'hex'));
    WHEN 2 THEN RETURN upper(encode(v, 'hex'));
    ELSE PERFORM __emulator.sql_error(281, format('%s is not a valid style number when converting from binary to a character string.', style));
  END CASE;
  RETURN NULL;
END $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v timestamp, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.datetime_text(v, 'datetime2', style) $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v __emulator.datetime, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.datetime_text(v, 'datetime', style) $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v __emulator.smalldatetime, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.datetime_text(v, 'smalldatetime', style) $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v date, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.datetime_text(CAST(v AS timestamp), 'date', style) $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v time, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.datetime_text(DATE '1900-01-01' + v, 'time', style) $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v timestamptz, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.datetime_text(CAST(v AS timestamp), 'datetimeoffset', style) $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v __emulator.money, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.money_text(v, style) $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_text(v __emulator.smallmoney, style integer, to_unicode boolean) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.money_text(v, style) $f$;
-- Binary data stored into a character column converts as CONVERT(varchar, …) does.
${idempotent('CREATE CAST (bytea AS text) WITH FUNCTION __emulator.cp1252_text(bytea) AS ASSIGNMENT', 'duplicate_object')}
${idempotent('CREATE CAST (bytea AS varchar) WITH FUNCTION __emulator.cp1252_text(bytea) AS ASSIGNMENT', 'duplicate_object')}
${idempotent('CREATE CAST (bytea AS bpchar) WITH FUNCTION __emulator.cp1252_text(bytea) AS ASSIGNMENT', 'duplicate_object')}
`;

const binaries = `
-- CAST/CONVERT to BINARY(n)/VARBINARY(n): cut to n bytes, BINARY padded with zeros. Numbers keep
-- their low-order bytes and pad on the left, as SQL Server lays them out.
CREATE OR REPLACE FUNCTION __emulator.tsql_binary(v bytea, n integer, fixed boolean) RETURNS bytea LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE
    WHEN n IS NOT NULL AND length(v) > n THEN substring(v FROM 1 FOR n)
    WHEN fixed AND n IS NOT NULL AND length(v) < n THEN v || decode(repeat('00', n - length(v)), 'hex')
    ELSE v END $f$;
CREATE OR REPLACE FUNCTION __emulator.number_binary(v bytea, n integer, fixed boolean) RETURNS bytea LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE
    WHEN n IS NOT NULL AND length(v) > n THEN substring(v FROM length(v) - n + 1)
    WHEN fixed AND n IS NOT NULL AND length(v) < n THEN decode(repeat('00', n - length(v)), 'hex') || v
    ELSE v END $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_binary(v text, n integer, fixed boolean) RETURNS bytea LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.tsql_binary(__emulator.cp1252_bytes(v), n, fixed) $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_binary(v bigint, n integer, fixed boolean) RETURNS bytea LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.number_binary(int8send(v), n, fixed) $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_binary(v integer, n integer, fixed boolean) RETURNS bytea LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.number_binary(int4send(v), n, fixed) $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_binary(v smallint, n integer, fixed boolean) RETURNS bytea LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.number_binary(int2send(v), n, fixed) $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_binary(v __emulator.tinyint, n integer, fixed boolean) RETURNS bytea LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.number_binary(substring(int2send(v) FROM 2), n, fixed) $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_binary(v boolean, n integer, fixed boolean) RETURNS bytea LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.number_binary(CASE WHEN v THEN '\\x01'::bytea WHEN NOT v THEN '\\x00'::bytea END, n, fixed) $f$;
-- A uniqueidentifier's first three groups are stored little-endian.
CREATE OR REPLACE FUNCTION __emulator.tsql_binary(v uuid, n integer, fixed boolean) RETURNS bytea LANGUAGE sql IMMUTABLE AS $f$
  SELECT __emulator.tsql_binary(decode(substr(h, 7, 2) || substr(h, 5, 2) || substr(h, 3, 2) || substr(h, 1, 2) || substr(h, 11, 2) || substr(h, 9, 2)
    || substr(h, 15, 2) || substr(h, 13, 2) || substr(h, 17), 'hex'), n, fixed)
  FROM (SELECT encode(uuid_send(v), 'hex') AS h) x $f$;
CREATE OR REPLACE FUNCTION __emulator.tsql_binary(v anyelement, n integer, fixed boolean) RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
  RAISE EXCEPTION USING ERRCODE = '0A000', MESSAGE = format('Converting %s to binary', pg_typeof(v));
END $f$;
`;

const writeRules = `
-- What SQL Server does to a value written into a column of these types, applied by a row
-- trigger on every table that has such columns (refresh_write_rules keeps the triggers in step
-- with the columns after each CREATE/ALTER TABLE and SELECT INTO).
CREATE OR REPLACE FUNCTION __emulator.binary_fixed(v bytea, n integer) RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT AS $f$
BEGIN
  IF length(v) > n THEN RAISE EXCEPTION USING ERRCODE = '22001', MESSAGE = 'String or binary data would be truncated.'; END IF;
  RETURN __emulator.tsql_binary(v, n, true);
END $f$;
CREATE OR REPLACE FUNCTION __emulator.write_rule(typ oid) RETURNS text LANGUAGE sql STABLE AS $f$
  SELECT t.typname::text FROM pg_type t
  WHERE t.oid = typ AND t.typnamespace = '__emulator'::regnamespace AND (t.typname IN ('datetime', 'smalldatetime') OR t.typname LIKE 'binary(%)') $f$;
CREATE OR REPLACE FUNCTION __emulator.apply_write_rules() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE
  r jsonb := to_jsonb(NEW);
  changes jsonb := '{}';
  col text;
  rule text;
  k integer := 0;
BEGIN
  WHILE k < TG_NARGS LOOP
    col := TG_ARGV[k];
    rule := TG_ARGV[k + 1];
    IF jsonb_typeof(r -> col) = 'string' THEN
      changes := changes || jsonb_build_object(col, CASE
        WHEN rule = 'datetime' THEN to_jsonb(__emulator.datetime_round(CAST(r ->> col AS timestamp)))
        WHEN rule = 'smalldatetime' THEN to_jsonb(__emulator.smalldatetime_round(CAST(r ->> col AS timestamp)))
        ELSE to_jsonb(__emulator.binary_fixed(decode(substr(r ->> col, 3), 'hex'), CAST(substring(rule FROM '[0-9]+') AS integer))) END);
    END IF;
    k := k + 2;
  END LOOP;
  RETURN jsonb_populate_record(NEW, changes);
END $f$;
CREATE OR REPLACE FUNCTION __emulator.refresh_write_rules() RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
  t record;
  old record;
  wanted text;
BEGIN
  FOR t IN
    SELECT c.oid AS rel,
      (SELECT string_agg(quote_literal(a.attname) || ', ' || quote_literal(__emulator.write_rule(a.atttypid)), ', ' ORDER BY a.attnum)
        FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND __emulator.write_rule(a.atttypid) IS NOT NULL) AS args
    FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
    WHERE (s.nspname = 'public' OR s.oid = pg_my_temp_schema()) AND c.relkind IN ('r', 'p')
  LOOP
    wanted := CASE WHEN t.args IS NOT NULL THEN '__em_write_rules_' || left(md5(t.args), 12) END;
    CONTINUE WHEN wanted IS NOT NULL AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = t.rel AND tgname = wanted);
    FOR old IN SELECT tgname FROM pg_trigger WHERE tgrelid = t.rel AND tgname LIKE '\\_\\_em\\_write\\_rules\\_%' LOOP
      EXECUTE format('DROP TRIGGER %I ON %s', old.tgname, t.rel::regclass);
    END LOOP;
    IF wanted IS NOT NULL THEN
      EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION __emulator.apply_write_rules(%s)', wanted, t.rel::regclass, t.args);
    END IF;
  END LOOP;
END $f$;
`;

const comparisons = ['=', '<>', '<', '<=', '>', '>='];
const comparisonNames: Record<string, string> = { '=': 'eq', '<>': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' };
const commutators: Record<string, string> = { '=': '=', '<>': '<>', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
const negators: Record<string, string> = { '=': '<>', '<>': '=', '<': '>=', '<=': '>', '>': '<=', '>=': '<' };
const selectivity: Record<string, string> = { '=': 'eqsel', '<>': 'neqsel', '<': 'scalarltsel', '<=': 'scalarlesel', '>': 'scalargtsel', '>=': 'scalargesel' };
const joinSelectivity: Record<string, string> = { '=': 'eqjoinsel', '<>': 'neqjoinsel', '<': 'scalarltjoinsel', '<=': 'scalarlejoinsel', '>': 'scalargtjoinsel', '>=': 'scalargejoinsel' };

/**
 * String comparison pads the shorter string with spaces, as SQL Server does ('x ' = 'x'). The
 * operators shadow PostgreSQL's text operators because the search path puts `__emulator`
 * before `pg_catalog` (engine.ts); ordering, grouping and unique indexes keep PostgreSQL's.
 */
const stringComparisons = comparisons
  .map((op) => {
    const name = `text_${comparisonNames[op]}`;
    return `CREATE OR REPLACE FUNCTION __emulator.${name}(a text, b text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$
  SELECT rtrim(a) OPERATOR(pg_catalog.${op}) rtrim(b) $f$;
${idempotent(
  `CREATE OPERATOR __emulator.${op} (LEFTARG = text, RIGHTARG = text, FUNCTION = __emulator.${name}, COMMUTATOR = OPERATOR(__emulator.${commutators[op]}), NEGATOR = OPERATOR(__emulator.${negators[op]}), RESTRICT = ${selectivity[op]}, JOIN = ${joinSelectivity[op]})`,
  'duplicate_function',
  'duplicate_object',
)}`;
  })
  .join('\n');

export function typeSystemSql(): string {
  return [domains, dateTimes, characters, binaries, writeRules, stringComparisons].join('\n');
}
