/** Conversions between T-SQL values in JavaScript, PostgreSQL parameters and declared types. */
import { scaledDecimal } from '../protocol/scalars';
import type { SqlValue } from '../protocol/types';
import { type DeclaredType, formatType, normaliseType } from '../tsql/types';

/**
 * A value as a PostgreSQL text parameter bound as `pgType`. Date/time text carries 7 fractional
 * digits; PostgreSQL would round the seventh into the next second (or day), so it is cut.
 */
export function toParam(v: SqlValue, pgType = ''): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string' && /^(timestamp|time\b|__emulator\.(small)?datetime)/.test(pgType)) return v.replace(/(\.\d{6})\d+/, '$1');
  return v;
}

export function asNumber(v: SqlValue): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number(v);
}

export function asText(v: SqlValue): string {
  if (v === null) return '';
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

/**
 * Converts a value to a declared type in JS where that is exact (numbers, strings, bits);
 * returns undefined when PostgreSQL should do the conversion (dates, odd strings).
 */
export function coerce(v: SqlValue, type: DeclaredType | undefined, fromType?: DeclaredType): SqlValue | undefined {
  if (v === null) return null;
  if (!type) return v;
  const t = normaliseType(type);
  // The same type needs no conversion, except that a BINARY(n) value is padded to n bytes.
  if (fromType && formatType(normaliseType(fromType)) === formatType(t) && t.name !== 'binary') return v;
  switch (t.name) {
    case 'int':
    case 'smallint':
    case 'tinyint':
    case 'bigint': {
      if (typeof v === 'boolean') return v ? 1 : 0;
      // Out of TINYINT's range: PostgreSQL raises SQL Server's overflow error.
      if (t.name === 'tinyint' && !(Number(v) >= 0 && Number(v) <= 255)) return undefined;
      if (typeof v === 'number' && Number.isInteger(v)) return t.name === 'bigint' ? BigInt(v) : v;
      if (typeof v === 'bigint') return t.name === 'bigint' ? v : Number(v);
      if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return t.name === 'bigint' ? BigInt(v.trim()) : Number(v);
      return undefined;
    }
    case 'bit':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number' || typeof v === 'bigint') return Number(v) !== 0;
      if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v) !== 0;
      if (typeof v === 'string' && /^\s*(true|false)\s*$/i.test(v)) return v.trim().toLowerCase() === 'true';
      return undefined;
    case 'float':
    case 'real':
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
      return undefined;
    case 'decimal':
    case 'numeric':
    case 'money':
    case 'smallmoney': {
      if (typeof v !== 'number' && typeof v !== 'bigint' && !(typeof v === 'string' && /^\s*[-+]?\d*\.?\d*(e[-+]?\d+)?\s*$/i.test(v))) return undefined;
      const scale = t.name === 'money' || t.name === 'smallmoney' ? 4 : (t.scale ?? 0);
      const scaled = scaledDecimal(v, scale);
      const negative = scaled < 0n;
      let digits = (negative ? -scaled : scaled).toString().padStart(scale + 1, '0');
      if (scale > 0) digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
      return negative ? `-${digits}` : digits;
    }
    case 'nvarchar':
    case 'varchar':
    case 'nchar':
    case 'char': {
      if (Buffer.isBuffer(v)) return undefined;
      let s = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
      if (t.length !== 'max' && t.length !== undefined && s.length > t.length) s = s.slice(0, t.length);
      if ((t.name === 'nchar' || t.name === 'char') && typeof t.length === 'number') s = s.padEnd(t.length, ' ');
      return s;
    }
    case 'varbinary':
    case 'binary': {
      if (!Buffer.isBuffer(v)) return undefined;
      if (typeof t.length !== 'number') return v;
      if (v.length > t.length) return v.subarray(0, t.length);
      return t.name === 'binary' && v.length < t.length ? Buffer.concat([v, Buffer.alloc(t.length - v.length)]) : v;
    }
    case 'uniqueidentifier':
      if (typeof v === 'string' && /^[{]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[}]?$/i.test(v.trim())) return v.trim();
      return undefined;
    default:
      return undefined;
  }
}
