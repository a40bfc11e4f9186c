/**
 * Scalar conversions between the emulator's value shapes and their wire forms: day counts and
 * time units for dates, scaled integers for decimals, byte order for GUIDs.
 */
import { ProtocolError } from './buffer';
import type { SqlValue } from './types';

// ---------------------------------------------------------------------------------------------
// Dates: days are counted from 0001-01-01 (DATE, DATETIME2) or 1900-01-01 (DATETIME).

const DAYS_0001_TO_1970 = 719162;
export const DAYS_0001_TO_1900 = 693595;
const MS_PER_DAY = 86_400_000;

function daysSince0001(y: number, m: number, d: number): number {
  const date = new Date(Date.UTC(2000, m - 1, d));
  date.setUTCFullYear(y);
  return Math.round(date.getTime() / MS_PER_DAY) + DAYS_0001_TO_1970;
}

export function ymdFromDays(days: number): string {
  const date = new Date((days - DAYS_0001_TO_1970) * MS_PER_DAY);
  const y = String(date.getUTCFullYear()).padStart(4, '0');
  const m = String(date.getUTCMonth() + 1).padStart(2, '0');
  const d = String(date.getUTCDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

/** 100-nanosecond units since midnight, as text "HH:MM:SS.fffffff". */
export function timeText(units: bigint): string {
  const totalSeconds = units / 10_000_000n;
  const frac = units % 10_000_000n;
  const h = totalSeconds / 3600n;
  const m = (totalSeconds / 60n) % 60n;
  const s = totalSeconds % 60n;
  const two = (v: bigint) => String(v).padStart(2, '0');
  return `${two(h)}:${two(m)}:${two(s)}.${String(frac).padStart(7, '0')}`;
}

const DATE_TIME_RE =
  /^\s*(\d{1,4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$/i;
const TIME_RE = /^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*$/;

interface ParsedDateTime {
  days: number;
  units: bigint;
  offsetMinutes: number;
}

function fractionUnits(frac: string | undefined): bigint {
  if (!frac) return 0n;
  return BigInt((frac + '0000000').slice(0, 7));
}

export function parseDateTime(v: SqlValue): ParsedDateTime {
  if (typeof v !== 'string') throw new ProtocolError(`not a date/time value: ${String(v)}`);
  const m = DATE_TIME_RE.exec(v);
  if (!m) throw new ProtocolError(`not a date/time value: ${v}`);
  const days = daysSince0001(Number(m[1]), Number(m[2]), Number(m[3]));
  const units =
    ((BigInt(m[4] ?? 0) * 60n + BigInt(m[5] ?? 0)) * 60n + BigInt(m[6] ?? 0)) * 10_000_000n + fractionUnits(m[7]);
  let offsetMinutes = 0;
  const tz = m[8];
  if (tz && tz.toUpperCase() !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
  }
  return { days, units, offsetMinutes };
}

export function parseTime(v: SqlValue): bigint {
  if (typeof v !== 'string') throw new ProtocolError(`not a time value: ${String(v)}`);
  const m = TIME_RE.exec(v) ?? /(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?/.exec(v);
  if (!m) throw new ProtocolError(`not a time value: ${v}`);
  return ((BigInt(m[1] ?? 0) * 60n + BigInt(m[2] ?? 0)) * 60n + BigInt(m[3] ?? 0)) * 10_000_000n + fractionUnits(m[4]);
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** Splits a decimal text into a scaled integer at `scale` digits (rounding half away from zero). */
export function scaledDecimal(v: SqlValue, scale: number): bigint {
  const text = typeof v === 'string' ? v.trim() : typeof v === 'bigint' ? v.toString() : numberText(Number(v));
  const m = /^([+-])?(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!m) throw new ProtocolError(`not a decimal value: ${text}`);
  let digits = (m[2] ?? '') + (m[3] ?? '');
  let pointAt = (m[2] ?? '').length + Number(m[4] ?? 0);
  if (digits === '') digits = '0';
  while (pointAt < 0) {
    digits = '0' + digits;
    pointAt++;
  }
  const wantLength = pointAt + scale;
  let rounded: bigint;
  if (digits.length <= wantLength) {
    rounded = BigInt(digits.padEnd(wantLength, '0') || '0');
  } else {
    rounded = BigInt(digits.slice(0, wantLength) || '0');
    if (Number(digits[wantLength]) >= 5) rounded += 1n;
  }
  return m[1] === '-' ? -rounded : rounded;
}

function numberText(n: number): string {
  if (Number.isInteger(n)) return n.toFixed(0);
  return String(n);
}

/** Digits after the point in a decimal text, as PostgreSQL prints numeric values. */
export function decimalScaleOf(v: SqlValue): number {
  if (typeof v !== 'string') return 0;
  const dot = v.indexOf('.');
  return dot < 0 ? 0 : v.length - dot - 1;
}

export function decimalText(value: bigint, scale: number): string {
  const negative = value < 0n;
  let digits = (negative ? -value : value).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

export function toNumber(v: SqlValue): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Buffer.isBuffer(v)) throw new ProtocolError('binary value where a number was expected');
  return Number(v);
}

export function toBigInt(v: SqlValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'string') return BigInt(v.trim().split('.')[0] ?? '0');
  throw new ProtocolError('binary value where an integer was expected');
}

export function toBoolean(v: SqlValue): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v === 't' || v === 'true' || v === '1';
  return toNumber(v) !== 0;
}

export function toText(v: SqlValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  return String(v);
}

export function toBinary(v: SqlValue): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') {
    if (v.startsWith('\\x')) return Buffer.from(v.slice(2), 'hex');
    return Buffer.from(v, 'utf8');
  }
  throw new ProtocolError('value is not binary');
}

// ---------------------------------------------------------------------------------------------
// GUIDs: the first three groups travel little-endian.

const GUID_ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];

export function guidToBytes(v: SqlValue): Buffer {
  const hex = toText(v).replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new ProtocolError(`not a uniqueidentifier: ${toText(v)}`);
  const canonical = Buffer.from(hex, 'hex');
  const out = Buffer.alloc(16);
  GUID_ORDER.forEach((from, i) => {
    out[i] = canonical[from] as number;
  });
  return out;
}

export function guidFromBytes(b: Buffer): string {
  const canonical = Buffer.alloc(16);
  GUID_ORDER.forEach((from, i) => {
    canonical[from] = b[i] as number;
  });
  const h = canonical.toString('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
