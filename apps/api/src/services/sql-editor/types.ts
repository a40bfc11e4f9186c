// SQL Server types as the editor sees them: parameters discovered from sys.parameters become
// typed mssql parameters, and result values keep their SQL Server meaning through superjson
// (bigint as bigint, exact decimals as strings, binary as Uint8Array, dates as Date, NULL as null).
import sql from 'mssql';
import { InvalidInputError } from '../errors';

/** What a UI needs to build an input for a parameter. */
export type ValueKind = 'integer' | 'bigint' | 'decimal' | 'float' | 'boolean' | 'string' | 'date' | 'datetime' | 'time' | 'binary' | 'uuid' | 'unsupported';

interface TypeEntry {
  name: string;
  kind: ValueKind;
  /** Builds the mssql parameter type from the catalogue's size columns. */
  mssql?: (p: CatalogueSize) => MssqlType;
}

/** What mssql's input()/output() take: a type, or a type factory called without arguments. */
type MssqlType = sql.ISqlType | (() => sql.ISqlType);

interface CatalogueSize {
  maxLength: number;
  precision: number;
  scale: number;
}

const chars = (max: number, bytesPerChar: number) => (max === -1 ? sql.MAX : Math.max(1, Math.floor(max / bytesPerChar)));

/** sys.types system_type_id → name, kind and mssql type (user alias types share their base's id). */
const BY_SYSTEM_TYPE_ID: Record<number, TypeEntry> = {
  34: { name: 'image', kind: 'binary', mssql: () => sql.Image },
  35: { name: 'text', kind: 'string', mssql: () => sql.Text },
  36: { name: 'uniqueidentifier', kind: 'uuid', mssql: () => sql.UniqueIdentifier },
  40: { name: 'date', kind: 'date', mssql: () => sql.Date },
  41: { name: 'time', kind: 'time', mssql: (p) => sql.Time(p.scale) },
  42: { name: 'datetime2', kind: 'datetime', mssql: (p) => sql.DateTime2(p.scale) },
  43: { name: 'datetimeoffset', kind: 'datetime', mssql: (p) => sql.DateTimeOffset(p.scale) },
  48: { name: 'tinyint', kind: 'integer', mssql: () => sql.TinyInt },
  52: { name: 'smallint', kind: 'integer', mssql: () => sql.SmallInt },
  56: { name: 'int', kind: 'integer', mssql: () => sql.Int },
  58: { name: 'smalldatetime', kind: 'datetime', mssql: () => sql.SmallDateTime },
  59: { name: 'real', kind: 'float', mssql: () => sql.Real },
  60: { name: 'money', kind: 'decimal', mssql: () => sql.Money },
  61: { name: 'datetime', kind: 'datetime', mssql: () => sql.DateTime },
  62: { name: 'float', kind: 'float', mssql: () => sql.Float },
  99: { name: 'ntext', kind: 'string', mssql: () => sql.NText },
  104: { name: 'bit', kind: 'boolean', mssql: () => sql.Bit },
  106: { name: 'decimal', kind: 'decimal', mssql: (p) => sql.Decimal(p.precision, p.scale) },
  108: { name: 'numeric', kind: 'decimal', mssql: (p) => sql.Numeric(p.precision, p.scale) },
  122: { name: 'smallmoney', kind: 'decimal', mssql: () => sql.SmallMoney },
  127: { name: 'bigint', kind: 'bigint', mssql: () => sql.BigInt },
  165: { name: 'varbinary', kind: 'binary', mssql: (p) => sql.VarBinary(chars(p.maxLength, 1)) },
  167: { name: 'varchar', kind: 'string', mssql: (p) => sql.VarChar(chars(p.maxLength, 1)) },
  // @types/mssql declares Binary without a length; mssql's Binary(length) takes one.
  173: { name: 'binary', kind: 'binary', mssql: (p) => (sql.Binary as unknown as (length: number) => sql.ISqlType)(chars(p.maxLength, 1)) },
  175: { name: 'char', kind: 'string', mssql: (p) => sql.Char(chars(p.maxLength, 1)) },
  231: { name: 'nvarchar', kind: 'string', mssql: (p) => sql.NVarChar(chars(p.maxLength, 2)) },
  239: { name: 'nchar', kind: 'string', mssql: (p) => sql.NChar(chars(p.maxLength, 2)) },
  241: { name: 'xml', kind: 'string', mssql: () => sql.Xml },
  // rowversion, sql_variant, CLR types and table types cannot be bound from the editor.
  189: { name: 'timestamp', kind: 'unsupported' },
  98: { name: 'sql_variant', kind: 'unsupported' },
  240: { name: 'clr', kind: 'unsupported' },
  243: { name: 'table type', kind: 'unsupported' },
};

export interface CatalogueParameter extends CatalogueSize {
  /** With the `@`, as sys.parameters has it. */
  name: string;
  systemTypeId: number;
  isOutput: boolean;
}

export interface ProcedureParameter {
  /** Without the `@`: the key of `parameters` in execute's input. */
  name: string;
  type: string;
  /** `decimal(18, 4)`, `nvarchar(50)`, `varbinary(max)`: how the definition spells it. */
  declaration: string;
  kind: ValueKind;
  /** `inout`: an OUTPUT parameter (SQL Server's OUTPUT parameters also take a value in). */
  direction: 'in' | 'inout';
  hasDefault: boolean;
  maxLength: number | null;
  precision: number | null;
  scale: number | null;
}

function declarationOf(entry: TypeEntry, p: CatalogueSize): string {
  switch (entry.name) {
    case 'decimal':
    case 'numeric':
      return `${entry.name}(${p.precision}, ${p.scale})`;
    case 'varchar':
    case 'char':
    case 'varbinary':
    case 'binary':
      return `${entry.name}(${p.maxLength === -1 ? 'max' : p.maxLength})`;
    case 'nvarchar':
    case 'nchar':
      return `${entry.name}(${p.maxLength === -1 ? 'max' : p.maxLength / 2})`;
    case 'time':
    case 'datetime2':
    case 'datetimeoffset':
      return `${entry.name}(${p.scale})`;
    default:
      return entry.name;
  }
}

export function describeParameter(p: CatalogueParameter, hasDefault: boolean): ProcedureParameter {
  const entry = BY_SYSTEM_TYPE_ID[p.systemTypeId] ?? { name: `type ${p.systemTypeId}`, kind: 'unsupported' as const };
  const sized = ['varchar', 'char', 'varbinary', 'binary', 'nvarchar', 'nchar'].includes(entry.name);
  const exact = entry.kind === 'decimal' || entry.kind === 'time' || entry.kind === 'datetime';
  return {
    name: p.name.replace(/^@/, ''),
    type: entry.name,
    declaration: declarationOf(entry, p),
    kind: entry.kind,
    direction: p.isOutput ? 'inout' : 'in',
    hasDefault,
    maxLength: sized ? (p.maxLength === -1 ? -1 : entry.name.startsWith('n') ? p.maxLength / 2 : p.maxLength) : null,
    precision: entry.kind === 'decimal' ? p.precision : null,
    scale: exact ? p.scale : null,
  };
}

/** The mssql parameter type for a catalogue row (sizes in bytes, as sys.parameters has them). */
export function mssqlTypeOf(p: CatalogueParameter): MssqlType {
  const entry = BY_SYSTEM_TYPE_ID[p.systemTypeId];
  const name = p.name.replace(/^@/, '');
  if (!entry?.mssql) {
    throw new InvalidInputError(`parameters.${name}`, `parameters.${name}: parameters of type ${entry?.name ?? p.systemTypeId} cannot be set from the editor`);
  }
  return entry.mssql(p);
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(\d+(\.\d*)?|\.\d+)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$/;

/** What each integer type holds: a value outside is the caller's mistake, not a driver failure. */
const INTEGER_RANGE: ReadonlyMap<string, readonly [bigint, bigint]> = new Map([
  ['tinyint', [0n, 255n]],
  ['smallint', [-32_768n, 32_767n]],
  ['int', [-2_147_483_648n, 2_147_483_647n]],
  ['bigint', [-9_223_372_036_854_775_808n, 9_223_372_036_854_775_807n]],
]);

/** Years each date type holds (datetime from 1753, smalldatetime 1900–2079). */
const YEAR_RANGE: ReadonlyMap<string, readonly [number, number]> = new Map([
  ['datetime', [1753, 9999]],
  ['smalldatetime', [1900, 2079]],
]);

function inIntegerRange(p: ProcedureParameter, value: bigint): boolean {
  const range = INTEGER_RANGE.get(p.type);
  return range === undefined || (value >= range[0] && value <= range[1]);
}

/** Digits before the point must fit precision − scale (the fraction is rounded by the server). */
function fitsDecimal(p: ProcedureParameter, text: string): boolean {
  if (p.precision === null) return true;
  const whole = text.replace(/^-/, '').split('.')[0]!.replace(/^0+/, '');
  return whole.length <= p.precision - (p.scale ?? 0);
}

/** Strings and bytes against the declared length (`max` = -1 takes anything the body limit lets in). */
function fitsLength(p: ProcedureParameter, length: number): boolean {
  return p.maxLength === null || p.maxLength === -1 || length <= p.maxLength;
}

/** The caller's value for `p` as the mssql driver wants it; a bad value names `parameters.<name>`. */
export function coerceParameterValue(p: ProcedureParameter, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const field = `parameters.${p.name}`;
  const bad = (expected: string) => new InvalidInputError(field, `${field}: expected ${expected} for ${p.declaration}`);
  switch (p.kind) {
    case 'integer': {
      const integer = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : typeof value === 'string' && INTEGER.test(value.trim()) ? BigInt(value.trim()) : null;
      if (integer === null) throw bad('an integer');
      if (!inIntegerRange(p, integer)) throw bad(`an integer in ${INTEGER_RANGE.get(p.type)!.join('..')}`);
      return Number(integer);
    }
    case 'bigint': {
      const integer =
        typeof value === 'bigint' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : typeof value === 'string' && INTEGER.test(value.trim()) ? BigInt(value.trim()) : null;
      if (integer === null) throw bad('an integer (bigint, or a string of digits)');
      if (!inIntegerRange(p, integer)) throw bad(`an integer in ${INTEGER_RANGE.get('bigint')!.join('..')}`);
      return integer;
    }
    case 'decimal': {
      const digits = `a number with at most ${(p.precision ?? 0) - (p.scale ?? 0)} digits before the point`;
      if (typeof value === 'number' && Number.isFinite(value)) {
        if (p.precision !== null && Math.abs(value) >= 10 ** (p.precision - (p.scale ?? 0))) throw bad(digits);
        return value;
      }
      if (typeof value !== 'string' || !DECIMAL.test(value.trim())) throw bad('a decimal number (a string keeps every digit)');
      if (!fitsDecimal(p, value.trim())) throw bad(digits);
      return value.trim();
    }
    case 'float':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
      throw bad('a number');
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 0 || value === 1) return value === 1;
      if (value === 'true' || value === 'false') return value === 'true';
      throw bad('true or false');
    case 'string': {
      const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? String(value) : null;
      if (text === null) throw bad('a string');
      if (!fitsLength(p, text.length)) throw bad(`at most ${p.maxLength} characters`);
      return text;
    }
    case 'uuid':
      if (typeof value === 'string' && UUID.test(value)) return value;
      throw bad('a uniqueidentifier (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)');
    case 'date':
    case 'datetime': {
      const date = value instanceof Date ? value : typeof value === 'string' ? new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value) : null;
      if (!date || Number.isNaN(date.getTime())) throw bad('a date (Date or ISO 8601 text)');
      const [from, to] = YEAR_RANGE.get(p.type) ?? [1, 9999];
      const year = date.getUTCFullYear();
      if (year < from || year > to) throw bad(`a date in the years ${from}–${to}`);
      return date;
    }
    case 'time': {
      if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
      const match = typeof value === 'string' ? TIME.exec(value.trim()) : null;
      if (match) {
        const [, h, m, s, fraction] = match;
        const ms = Math.round(Number(`0.${fraction ?? '0'}`) * 1000);
        return new Date(Date.UTC(1970, 0, 1, Number(h), Number(m), Number(s ?? 0), ms));
      }
      throw bad('a time (hh:mm[:ss[.fffffff]])');
    }
    case 'binary': {
      const bytes =
        value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? Buffer.from(value, 'base64') : null;
      if (bytes === null) throw bad('bytes (Uint8Array, or base64 text)');
      if (!fitsLength(p, bytes.length)) throw bad(`at most ${p.maxLength} bytes`);
      return bytes;
    }
    case 'unsupported':
      throw bad('nothing: this type cannot be set from the editor');
  }
}

/** A column of a result set as clients see it. */
export interface ResultColumn {
  name: string;
  /** SQL Server type name, lower case (`int`, `decimal`, `datetime2`, `varbinary`, …). */
  type: string;
  nullable: boolean;
  length: number | null;
  precision: number | null;
  scale: number | null;
}

interface DriverColumn {
  name: string;
  length?: number;
  precision?: number;
  scale?: number;
  nullable: boolean;
  type?: { declaration?: string };
}

const EXACT_DECIMAL = new Set(['decimal', 'numeric', 'money', 'smallmoney']);
const BINARY = new Set(['binary', 'varbinary', 'image', 'udt']);

export function describeColumn(column: DriverColumn): ResultColumn {
  const type = column.type?.declaration ?? 'unknown';
  return {
    name: column.name,
    type,
    nullable: column.nullable,
    length: column.length ?? null,
    precision: EXACT_DECIMAL.has(type) ? (column.precision ?? null) : null,
    scale: EXACT_DECIMAL.has(type) || ['time', 'datetime2', 'datetimeoffset'].includes(type) ? (column.scale ?? null) : null,
  };
}

/**
 * A decimal as text with `scale` fraction digits. tedious hands decimals over as doubles, so digits
 * beyond double precision (about 15 significant) are already gone; this shows what arrived without
 * adding binary noise (shortest round-trip text, padded to the scale).
 */
export function decimalText(value: number, scale: number | null): string {
  let text = String(value);
  // String(number) writes exponents with a lower-case `e` only.
  if (text.includes('e')) text = value.toFixed(Math.min(scale ?? 0, 100));
  if (scale === null || scale === 0) return text;
  // Padded without splitting and re-joining: it runs once per decimal cell (10,000 per console page).
  const dot = text.indexOf('.');
  const digits = dot === -1 ? 0 : text.length - dot - 1;
  if (digits >= scale) return text;
  return `${text}${dot === -1 ? '.' : ''}${'0'.repeat(scale - digits)}`;
}

function timeText(value: Date, scale: number | null): string {
  const iso = value.toISOString().slice(11, 23);
  return scale === null || scale >= 3 ? iso : iso.slice(0, scale === 0 ? 8 : 9 + scale);
}

/** One value from the driver, as the API returns it for a column/parameter of `type`. */
export function resultValue(value: unknown, type: string, scale: number | null): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'bigint' && (typeof value === 'string' || typeof value === 'number')) return BigInt(value);
  if (EXACT_DECIMAL.has(type) && typeof value === 'number') return decimalText(value, scale);
  if (type === 'time' && value instanceof Date) return timeText(value, scale);
  if ((BINARY.has(type) || Buffer.isBuffer(value)) && value instanceof Uint8Array) return new Uint8Array(value);
  return value;
}
