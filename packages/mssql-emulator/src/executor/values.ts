/** Conversions between T-SQL values in JavaScript, PostgreSQL parameters and declared types. */
import { scaledDecimal } from '../protocol/scalars';
import type { SqlValue } from '../protocol/types';
import { type DeclaredType, formatType, normaliseType } from '../tsql/types';

/** A value as a PostgreSQL text parameter. */
export function toParam(v: SqlValue): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
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
  if (fromType && formatType(normaliseType(fromType)) === formatType(t)) return v;
  switch (t.name) {
    case 'int':
    case 'smallint':
    case 'tinyint':
    case 'bigint': {
      if (typeof v === 'boolean') return v ? 1 : 0;
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
    case 'binary':
      if (Buffer.isBuffer(v)) return v;
      return undefined;
    case 'uniqueidentifier':
      if (typeof v === 'string' && /^[{]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[}]?$/i.test(v.trim())) return v.trim();
      return undefined;
    default:
      return undefined;
  }
}
