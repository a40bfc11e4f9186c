// Checks each CSV field against its target column's SQL type, as the catalogue describes it, before
// anything is sent: a value that would fail (or, worse, be silently truncated by a lenient server)
// is rejected with a reason a person can act on. Accepted values are sent as canonical text.
import type { CsvSettings } from './project-config';

export type Dialect = 'postgres' | 'mysql' | 'mssql';

/** A column of the target table, from information_schema. */
export interface TargetColumn {
  name: string;
  /** information_schema `data_type`, lower case: `integer`, `character varying`, `datetime2`, … */
  dataType: string;
  /** MySQL's full `column_type` (`int(10) unsigned`, `tinyint(1)`); undefined elsewhere. */
  columnType?: string | undefined;
  nullable: boolean;
  /** Filled in by the database when left out: a default, identity or auto-increment. */
  hasDefault: boolean;
  /** Computed by the database: never written. */
  generated: boolean;
  /** Numbered by the database (IDENTITY, auto-increment, GENERATED … AS IDENTITY). */
  identity?: boolean | undefined;
  maxLength: number | null;
  precision: number | null;
  scale: number | null;
}

export type Conversion = { ok: true; value: string | null } | { ok: false; reason: string };

const ok = (value: string | null): Conversion => ({ ok: true, value });
const no = (reason: string): Conversion => ({ ok: false, reason });

const INTEGER_RANGES: Record<string, [bigint, bigint, bigint]> = {
  // [signed min, signed max, unsigned max]
  tinyint: [-128n, 127n, 255n],
  smallint: [-32_768n, 32_767n, 65_535n],
  mediumint: [-8_388_608n, 8_388_607n, 16_777_215n],
  int: [-2_147_483_648n, 2_147_483_647n, 4_294_967_295n],
  integer: [-2_147_483_648n, 2_147_483_647n, 4_294_967_295n],
  bigint: [-9_223_372_036_854_775_808n, 9_223_372_036_854_775_807n, 18_446_744_073_709_551_615n],
};

const TEXT_TYPES = new Set(['character varying', 'varchar', 'character', 'char', 'text', 'nvarchar', 'nchar', 'ntext', 'tinytext', 'mediumtext', 'longtext', 'citext', 'bpchar']);
const DECIMAL_TYPES = new Set(['numeric', 'decimal', 'money', 'smallmoney']);
const FLOAT_TYPES = new Set(['real', 'double precision', 'float', 'double', 'float4', 'float8']);
const TIMESTAMP_TYPES = new Set(['timestamp without time zone', 'timestamp with time zone', 'timestamp', 'datetime', 'datetime2', 'smalldatetime', 'datetimeoffset']);
const ZONED_TYPES = new Set(['timestamp with time zone', 'datetimeoffset', 'time with time zone']);
const UUID = /^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$/;
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+)(?:\.(\d*))?$|^[+-]?\.(\d+)$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface CompiledFormat {
  regex: RegExp;
}

/** YYYY MM DD HH mm ss and separators → a regex with named groups; timestamps take fractions and a zone. */
function compileFormat(format: string, kind: 'date' | 'time' | 'timestamp'): CompiledFormat {
  const groups: Record<string, string> = { YYYY: '(?<Y>\\d{4})', MM: '(?<M>\\d{1,2})', DD: '(?<D>\\d{1,2})', HH: '(?<h>\\d{1,2})', mm: '(?<m>\\d{2})', ss: '(?<s>\\d{2})(?:\\.(?<f>\\d{1,9}))?' };
  let source = '';
  for (const token of format.match(/YYYY|MM|DD|HH|mm|ss|./g) ?? []) {
    if (token in groups) source += groups[token];
    else if (token === ' ' && kind === 'timestamp') source += '[ T]';
    else source += token.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  if (kind !== 'date') source += '(?<z>Z|[+-]\\d{2}(?::?\\d{2})?)?';
  return { regex: new RegExp(`^${source}$`) };
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return MONTH_DAYS[month - 1] ?? 0;
}

/** Digits at `at`, `at + 1` as a number (the caller has checked they are digits). */
const two = (text: string, at: number) => (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;

// Files in the default formats write values that are already canonical (`2024-01-31`,
// `2024-01-31 12:00:00`): those are checked without the general reader's regex groups and
// strings, since an import converts every date of every row.
const CANONICAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const CANONICAL_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

function isCalendarDate(text: string): boolean {
  const year = two(text, 0) * 100 + two(text, 2);
  const month = two(text, 5);
  const day = two(text, 8);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
}

function isTimeOfDay(text: string, at: number): boolean {
  return two(text, at) <= 23 && two(text, at + 3) <= 59 && two(text, at + 6) <= 59;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** Fraction digits each type keeps; more are cut (the servers would round or refuse). */
function fractionDigits(dataType: string, dialect: Dialect): number {
  if (dataType === 'datetime') return dialect === 'mssql' ? 3 : 6;
  if (dataType === 'smalldatetime') return 0;
  if (dialect === 'mssql') return 7;
  return 6;
}

interface Moment {
  date?: string;
  time?: string;
  zone?: string;
}

function readMoment(raw: string, format: CompiledFormat, what: string, expected: string): Moment | string {
  const found = format.regex.exec(raw.trim());
  const g = found?.groups;
  if (!g) return `not a ${what} in the format ${expected}`;
  const moment: Moment = {};
  if (g.Y !== undefined && g.M !== undefined && g.D !== undefined) {
    const [year, month, day] = [Number(g.Y), Number(g.M), Number(g.D)];
    if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return `not a valid calendar date`;
    moment.date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  }
  if (g.h !== undefined) {
    const [hour, minute, second] = [Number(g.h), Number(g.m ?? 0), Number(g.s ?? 0)];
    if (hour > 23 || minute > 59 || second > 59) return 'not a valid time of day';
    moment.time = `${pad(hour)}:${pad(minute)}:${pad(second)}${g.f ? `.${g.f}` : ''}`;
  } else if (moment.date !== undefined && what === 'timestamp') {
    moment.time = '00:00:00';
  }
  if (g.z !== undefined) moment.zone = g.z;
  return moment;
}

function cutFraction(time: string, digits: number): string {
  const [whole, fraction] = time.split('.');
  if (fraction === undefined) return time;
  return digits === 0 ? (whole ?? time) : `${whole}.${fraction.slice(0, digits)}`;
}

/** Whether a mysql `tinyint(1)` (BOOLEAN) or a boolean/bit column. */
export function isBoolean(column: TargetColumn): boolean {
  return column.dataType === 'boolean' || column.dataType === 'bool' || (column.dataType === 'bit' && (column.precision ?? 1) <= 1) || column.columnType?.toLowerCase() === 'tinyint(1)';
}

const TRUE = new Set(['true', 't', 'yes', 'y', '1', 'on']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0', 'off']);

export type Converter = (raw: string | null) => Conversion;

/** The converter for one column: NULL rules, then the type's own. */
export function converterFor(column: TargetColumn, dialect: Dialect, csv: CsvSettings): Converter {
  const typed = typeConverter(column, dialect, csv);
  return (raw) => {
    if (raw === null) return column.nullable ? ok(null) : no('NULL in a NOT NULL column');
    return typed(raw);
  };
}

function typeConverter(column: TargetColumn, dialect: Dialect, csv: CsvSettings): (raw: string) => Conversion {
  const type = column.dataType;
  if (isBoolean(column)) {
    const [yes, nope] = dialect === 'postgres' ? ['true', 'false'] : ['1', '0'];
    return (raw) => {
      const word = raw.trim().toLowerCase();
      if (TRUE.has(word)) return ok(yes);
      if (FALSE.has(word)) return ok(nope);
      return no(`not a boolean (true/false, 1/0, yes/no)`);
    };
  }
  const range = INTEGER_RANGES[type];
  if (range) {
    const unsigned = column.columnType?.toLowerCase().includes('unsigned') === true || (dialect === 'mssql' && type === 'tinyint');
    const [min, max] = unsigned ? [0n, range[2]] : [range[0], range[1]];
    return (raw) => {
      const text = raw.trim();
      if (!INTEGER.test(text)) return no(`not an integer (${type})`);
      const value = BigInt(text);
      if (value < min || value > max) return no(`out of range for ${unsigned && dialect === 'mysql' ? `${type} unsigned` : type} (${min} to ${max})`);
      return ok(value.toString());
    };
  }
  if (DECIMAL_TYPES.has(type)) {
    const precision = column.precision ?? null;
    const scale = column.scale ?? 0;
    return (raw) => {
      const text = raw.trim();
      const found = DECIMAL.exec(text);
      if (!found) return no(`not a number (${type})`);
      const whole = (found[1] ?? '').replace(/^0+(?=\d)/, '');
      const wholeDigits = whole === '0' || whole === '' ? 0 : whole.length;
      if (precision !== null && wholeDigits > precision - scale) return no(`too many digits for ${type}(${precision},${scale}): at most ${precision - scale} before the decimal point`);
      return ok(text.startsWith('.') || text.startsWith('-.') || text.startsWith('+.') ? text.replace('.', '0.') : text);
    };
  }
  if (FLOAT_TYPES.has(type)) {
    return (raw) => {
      const text = raw.trim();
      if (dialect === 'postgres' && /^[+-]?(nan|infinity|inf)$/i.test(text)) return ok(text);
      if (!FLOAT.test(text) || !Number.isFinite(Number(text))) return no(`not a number (${type})`);
      return ok(text);
    };
  }
  if (TEXT_TYPES.has(type)) {
    const limit = column.maxLength !== null && column.maxLength > 0 ? column.maxLength : null;
    if (limit === null) return ok;
    return (raw) => {
      const length = dialect === 'mssql' ? raw.length : [...raw].length;
      return length > limit ? no(`longer than ${limit} characters (${length})`) : ok(raw);
    };
  }
  if (type === 'date') {
    const format = compileFormat(csv.date_format, 'date');
    const canonical = csv.date_format === 'YYYY-MM-DD';
    return (raw) => {
      if (canonical && CANONICAL_DATE.test(raw) && isCalendarDate(raw)) return ok(raw);
      const moment = readMoment(raw, format, 'date', csv.date_format);
      return typeof moment === 'string' ? no(moment) : ok(moment.date ?? null);
    };
  }
  if (type === 'time' || type === 'time without time zone' || type === 'time with time zone') {
    const format = compileFormat(csv.time_format, 'time');
    const digits = fractionDigits(type, dialect);
    return (raw) => {
      const moment = readMoment(raw, format, 'time', csv.time_format);
      if (typeof moment === 'string') return no(moment);
      if (moment.zone !== undefined && !ZONED_TYPES.has(type)) return no(`a time zone is not allowed in ${type}`);
      return ok(`${cutFraction(moment.time ?? '00:00:00', digits)}${moment.zone ?? ''}`);
    };
  }
  if (TIMESTAMP_TYPES.has(type)) {
    const format = compileFormat(csv.timestamp_format, 'timestamp');
    const digits = fractionDigits(type, dialect);
    const zoned = ZONED_TYPES.has(type);
    const canonical = csv.timestamp_format === 'YYYY-MM-DD HH:mm:ss';
    return (raw) => {
      if (canonical && CANONICAL_TIMESTAMP.test(raw) && isCalendarDate(raw) && isTimeOfDay(raw, 11)) return ok(raw);
      const moment = readMoment(raw, format, 'timestamp', csv.timestamp_format);
      if (typeof moment === 'string') return no(moment);
      if (moment.zone !== undefined && !zoned) return no(`a time zone is not allowed in ${type}`);
      const zone = moment.zone === 'Z' && dialect !== 'postgres' ? '+00:00' : moment.zone;
      return ok(`${moment.date} ${cutFraction(moment.time ?? '00:00:00', digits)}${zone === undefined ? '' : dialect === 'mssql' ? ` ${zone}` : zone}`);
    };
  }
  if (type === 'uuid' || type === 'uniqueidentifier') {
    return (raw) => (UUID.test(raw.trim()) ? ok(raw.trim().replace(/[{}]/g, '')) : no('not a UUID'));
  }
  if (type === 'json' || type === 'jsonb') {
    return (raw) => {
      try {
        JSON.parse(raw);
        return ok(raw);
      } catch {
        return no('not valid JSON');
      }
    };
  }
  if (type === 'year') {
    return (raw) => (/^\d{4}$/.test(raw.trim()) && Number(raw) >= 1901 && Number(raw) <= 2155 ? ok(raw.trim()) : no('not a year (1901 to 2155)'));
  }
  if (type === 'enum' && column.columnType !== undefined) {
    const allowed = [...column.columnType.matchAll(/'((?:[^']|'')*)'/g)].map((m) => (m[1] ?? '').replace(/''/g, "'"));
    return (raw) => (allowed.includes(raw) ? ok(raw) : no(`not one of ${allowed.join(', ')}`));
  }
  // Anything else (binary, xml, arrays, spatial, user types) goes as text; the server decides.
  return ok;
}

/** At most `max` characters of a value, for a reject's excerpt. */
export function excerpt(value: string | null, max = 100): string | null {
  if (value === null) return null;
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
