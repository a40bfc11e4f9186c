/**
 * The TDS data types the emulator speaks, how they are described (TYPE_INFO), written in ROW and
 * RETURNVALUE tokens, and read from RPC parameters.
 *
 * Inside the emulator a value is a `SqlValue` whose JS shape depends on the type:
 * int → number (bigint for BIGINT), bit → boolean, float → number, decimal → string
 * ("-12.50"), character types → string, binary → Buffer, datetime/datetime2 → "YYYY-MM-DD
 * HH:MM:SS.fffffff" (naive, UTC), date → "YYYY-MM-DD", time → "HH:MM:SS.fffffff",
 * datetimeoffset → "YYYY-MM-DD HH:MM:SS.fffffff+HH:MM", uniqueidentifier → canonical string.
 * Those are also the text forms PostgreSQL accepts and returns, so values pass through unchanged.
 */
import { ProtocolError, type TdsReader, type TdsWriter } from './buffer';

export type SqlValue = null | boolean | number | bigint | string | Buffer;

export type TdsType =
  | { kind: 'int'; size: 1 | 2 | 4 | 8 }
  | { kind: 'bit' }
  | { kind: 'float'; size: 4 | 8 }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'money'; size: 4 | 8 }
  | { kind: 'nvarchar'; maxBytes: number; fixed?: boolean }
  | { kind: 'varchar'; maxBytes: number; fixed?: boolean }
  | { kind: 'varbinary'; maxBytes: number; fixed?: boolean }
  | { kind: 'datetime'; size: 4 | 8 }
  | { kind: 'datetime2'; scale: number }
  | { kind: 'date' }
  | { kind: 'time'; scale: number }
  | { kind: 'datetimeoffset'; scale: number }
  | { kind: 'guid' };

/** MAX types (NVARCHAR(MAX), VARBINARY(MAX)) are announced with this length and sent as PLP. */
export const MAX_LENGTH = 0xffff;
/** SQL_Latin1_General_CP1_CI_AS, the collation every character column and the login announce. */
export const COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]);

const TypeCode = {
  NULL: 0x1f,
  INT1: 0x30,
  BIT: 0x32,
  INT2: 0x34,
  INT4: 0x38,
  DATETIM4: 0x3a,
  FLT4: 0x3b,
  MONEY: 0x3c,
  DATETIME: 0x3d,
  FLT8: 0x3e,
  MONEY4: 0x7a,
  INT8: 0x7f,
  GUID: 0x24,
  INTN: 0x26,
  DECIMALN: 0x6a,
  NUMERICN: 0x6c,
  BITN: 0x68,
  FLTN: 0x6d,
  MONEYN: 0x6e,
  DATETIMN: 0x6f,
  DATEN: 0x28,
  TIMEN: 0x29,
  DATETIME2N: 0x2a,
  DATETIMEOFFSETN: 0x2b,
  BIGVARBIN: 0xa5,
  BIGVARCHR: 0xa7,
  BIGBINARY: 0xad,
  BIGCHAR: 0xaf,
  NVARCHAR: 0xe7,
  NCHAR: 0xef,
  XML: 0xf1,
  TEXT: 0x23,
  NTEXT: 0x63,
  IMAGE: 0x22,
  TVP: 0xf3,
  UDT: 0xf0,
  SSVARIANT: 0x62,
} as const;

/** A client sent a type the emulator does not implement (TVP, UDT, sql_variant ...). */
export class UnsupportedTypeError extends Error {
  readonly code = 'EUNSUPPORTEDTYPE';
  constructor(readonly typeName: string) {
    super(`The data type ${typeName} is not supported by @studio/mssql-emulator.`);
    this.name = 'UnsupportedTypeError';
  }
}

export function isPlp(t: TdsType): boolean {
  return (t.kind === 'nvarchar' || t.kind === 'varchar' || t.kind === 'varbinary') && t.maxBytes === MAX_LENGTH;
}

function decimalLength(precision: number): number {
  if (precision <= 9) return 5;
  if (precision <= 19) return 9;
  if (precision <= 28) return 13;
  return 17;
}

function timeBytes(scale: number): number {
  if (scale <= 2) return 3;
  if (scale <= 4) return 4;
  return 5;
}

export function writeTypeInfo(w: TdsWriter, t: TdsType): void {
  switch (t.kind) {
    case 'int':
      w.u8(TypeCode.INTN).u8(t.size);
      return;
    case 'bit':
      w.u8(TypeCode.BITN).u8(1);
      return;
    case 'float':
      w.u8(TypeCode.FLTN).u8(t.size);
      return;
    case 'money':
      w.u8(TypeCode.MONEYN).u8(t.size);
      return;
    case 'decimal':
      w.u8(TypeCode.DECIMALN).u8(decimalLength(t.precision)).u8(t.precision).u8(t.scale);
      return;
    case 'nvarchar':
      w.u8(t.fixed ? TypeCode.NCHAR : TypeCode.NVARCHAR).u16(t.maxBytes).bytes(COLLATION);
      return;
    case 'varchar':
      w.u8(t.fixed ? TypeCode.BIGCHAR : TypeCode.BIGVARCHR).u16(t.maxBytes).bytes(COLLATION);
      return;
    case 'varbinary':
      w.u8(t.fixed ? TypeCode.BIGBINARY : TypeCode.BIGVARBIN).u16(t.maxBytes);
      return;
    case 'datetime':
      w.u8(TypeCode.DATETIMN).u8(t.size);
      return;
    case 'datetime2':
      w.u8(TypeCode.DATETIME2N).u8(t.scale);
      return;
    case 'date':
      w.u8(TypeCode.DATEN);
      return;
    case 'time':
      w.u8(TypeCode.TIMEN).u8(t.scale);
      return;
    case 'datetimeoffset':
      w.u8(TypeCode.DATETIMEOFFSETN).u8(t.scale);
      return;
    case 'guid':
      w.u8(TypeCode.GUID).u8(16);
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Dates: days are counted from 0001-01-01 (DATE, DATETIME2) or 1900-01-01 (DATETIME).

const DAYS_0001_TO_1970 = 719162;
const DAYS_0001_TO_1900 = 693595;
const MS_PER_DAY = 86_400_000;

function daysSince0001(y: number, m: number, d: number): number {
  const date = new Date(Date.UTC(2000, m - 1, d));
  date.setUTCFullYear(y);
  return Math.round(date.getTime() / MS_PER_DAY) + DAYS_0001_TO_1970;
}

function ymdFromDays(days: number): string {
  const date = new Date((days - DAYS_0001_TO_1970) * MS_PER_DAY);
  const y = String(date.getUTCFullYear()).padStart(4, '0');
  const m = String(date.getUTCMonth() + 1).padStart(2, '0');
  const d = String(date.getUTCDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

/** 100-nanosecond units since midnight, as text "HH:MM:SS.fffffff". */
function timeText(units: bigint): string {
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

function parseDateTime(v: SqlValue): ParsedDateTime {
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

function parseTime(v: SqlValue): bigint {
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

function decimalText(value: bigint, scale: number): string {
  const negative = value < 0n;
  let digits = (negative ? -value : value).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

function toNumber(v: SqlValue): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Buffer.isBuffer(v)) throw new ProtocolError('binary value where a number was expected');
  return Number(v);
}

function toBigInt(v: SqlValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'string') return BigInt(v.trim().split('.')[0] ?? '0');
  throw new ProtocolError('binary value where an integer was expected');
}

function toBoolean(v: SqlValue): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v === 't' || v === 'true' || v === '1';
  return toNumber(v) !== 0;
}

function toText(v: SqlValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  return String(v);
}

function toBinary(v: SqlValue): Buffer {
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

function guidToBytes(v: SqlValue): Buffer {
  const hex = toText(v).replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new ProtocolError(`not a uniqueidentifier: ${toText(v)}`);
  const canonical = Buffer.from(hex, 'hex');
  const out = Buffer.alloc(16);
  GUID_ORDER.forEach((from, i) => {
    out[i] = canonical[from] as number;
  });
  return out;
}

function guidFromBytes(b: Buffer): string {
  const canonical = Buffer.alloc(16);
  GUID_ORDER.forEach((from, i) => {
    canonical[from] = b[i] as number;
  });
  const h = canonical.toString('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---------------------------------------------------------------------------------------------
// Writing values

function writePlp(w: TdsWriter, data: Buffer): void {
  w.u64(BigInt(data.length));
  if (data.length > 0) w.u32(data.length).bytes(data);
  w.u32(0);
}

export function writeValue(w: TdsWriter, t: TdsType, v: SqlValue): void {
  if (v === null || v === undefined) {
    if (isPlp(t)) w.u64(0xffffffffffffffffn);
    else if (t.kind === 'nvarchar' || t.kind === 'varchar' || t.kind === 'varbinary') w.u16(0xffff);
    else w.u8(0);
    return;
  }
  switch (t.kind) {
    case 'int':
      w.u8(t.size);
      if (t.size === 8) w.i64(toBigInt(v));
      else if (t.size === 4) w.i32(Math.trunc(toNumber(v)));
      else if (t.size === 2) w.i16(Math.trunc(toNumber(v)));
      else w.u8(Math.trunc(toNumber(v)));
      return;
    case 'bit':
      w.u8(1).u8(toBoolean(v) ? 1 : 0);
      return;
    case 'float':
      if (t.size === 8) w.u8(8).f64(toNumber(v));
      else w.u8(4).f32(toNumber(v));
      return;
    case 'money': {
      const scaled = scaledDecimal(typeof v === 'string' ? v.replace(/[$,]/g, '') : v, 4);
      if (t.size === 4) {
        w.u8(4).i32(Number(scaled));
      } else {
        const u = BigInt.asUintN(64, scaled);
        w.u8(8)
          .u32(Number(u >> 32n))
          .u32(Number(u & 0xffffffffn));
      }
      return;
    }
    case 'decimal': {
      const scaled = scaledDecimal(v, t.scale);
      const length = decimalLength(t.precision);
      w.u8(length).u8(scaled < 0n ? 0 : 1);
      w.uintN(scaled < 0n ? -scaled : scaled, length - 1);
      return;
    }
    case 'nvarchar': {
      const s = toText(v);
      if (isPlp(t)) writePlp(w, Buffer.from(s, 'utf16le'));
      else w.u16(s.length * 2).ucs2(s);
      return;
    }
    case 'varchar': {
      const data = Buffer.from(toText(v), 'latin1');
      if (isPlp(t)) writePlp(w, data);
      else w.u16(data.length).bytes(data);
      return;
    }
    case 'varbinary': {
      const data = toBinary(v);
      if (isPlp(t)) writePlp(w, data);
      else w.u16(data.length).bytes(data);
      return;
    }
    case 'datetime': {
      const p = parseDateTime(v);
      const ms = Number(p.units / 10_000n);
      if (t.size === 4) {
        w.u8(4)
          .u16(p.days - DAYS_0001_TO_1900)
          .u16(Math.round(ms / 60_000));
      } else {
        w.u8(8)
          .i32(p.days - DAYS_0001_TO_1900)
          .u32(Math.round((ms * 3) / 10));
      }
      return;
    }
    case 'datetime2': {
      const p = parseDateTime(v);
      const n = timeBytes(t.scale);
      w.u8(n + 3);
      w.uintN(p.units / 10n ** BigInt(7 - t.scale), n);
      w.uintN(BigInt(p.days), 3);
      return;
    }
    case 'date': {
      const p = parseDateTime(v);
      w.u8(3).uintN(BigInt(p.days), 3);
      return;
    }
    case 'time': {
      const units = parseTime(v);
      const n = timeBytes(t.scale);
      w.u8(n).uintN(units / 10n ** BigInt(7 - t.scale), n);
      return;
    }
    case 'datetimeoffset': {
      const p = parseDateTime(v);
      // The wire carries UTC date and time plus the offset in minutes.
      let units = p.units - BigInt(p.offsetMinutes) * 600_000_000n;
      let days = p.days;
      const day = 864_000_000_000n;
      if (units < 0n) {
        units += day;
        days -= 1;
      } else if (units >= day) {
        units -= day;
        days += 1;
      }
      const n = timeBytes(t.scale);
      w.u8(n + 5);
      w.uintN(units / 10n ** BigInt(7 - t.scale), n);
      w.uintN(BigInt(days), 3);
      w.i16(p.offsetMinutes);
      return;
    }
    case 'guid':
      w.u8(16).bytes(guidToBytes(v));
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading RPC parameters

function readCollation(r: TdsReader): void {
  r.bytes(5);
}

export function readTypeInfo(r: TdsReader): TdsType {
  const code = r.u8();
  switch (code) {
    case TypeCode.NULL:
      return { kind: 'nvarchar', maxBytes: 8000 };
    case TypeCode.INT1:
      return { kind: 'int', size: 1 };
    case TypeCode.INT2:
      return { kind: 'int', size: 2 };
    case TypeCode.INT4:
      return { kind: 'int', size: 4 };
    case TypeCode.INT8:
      return { kind: 'int', size: 8 };
    case TypeCode.BIT:
      return { kind: 'bit' };
    case TypeCode.FLT4:
      return { kind: 'float', size: 4 };
    case TypeCode.FLT8:
      return { kind: 'float', size: 8 };
    case TypeCode.MONEY:
      return { kind: 'money', size: 8 };
    case TypeCode.MONEY4:
      return { kind: 'money', size: 4 };
    case TypeCode.DATETIME:
      return { kind: 'datetime', size: 8 };
    case TypeCode.DATETIM4:
      return { kind: 'datetime', size: 4 };
    case TypeCode.INTN: {
      const size = r.u8();
      if (size !== 1 && size !== 2 && size !== 4 && size !== 8) throw new ProtocolError(`bad INTN size ${size}`);
      return { kind: 'int', size };
    }
    case TypeCode.BITN:
      r.u8();
      return { kind: 'bit' };
    case TypeCode.FLTN:
      return { kind: 'float', size: r.u8() === 4 ? 4 : 8 };
    case TypeCode.MONEYN:
      return { kind: 'money', size: r.u8() === 4 ? 4 : 8 };
    case TypeCode.DATETIMN:
      return { kind: 'datetime', size: r.u8() === 4 ? 4 : 8 };
    case TypeCode.DECIMALN:
    case TypeCode.NUMERICN: {
      r.u8();
      const precision = r.u8();
      const scale = r.u8();
      return { kind: 'decimal', precision, scale };
    }
    case TypeCode.DATEN:
      return { kind: 'date' };
    case TypeCode.TIMEN:
      return { kind: 'time', scale: r.u8() };
    case TypeCode.DATETIME2N:
      return { kind: 'datetime2', scale: r.u8() };
    case TypeCode.DATETIMEOFFSETN:
      return { kind: 'datetimeoffset', scale: r.u8() };
    case TypeCode.GUID:
      r.u8();
      return { kind: 'guid' };
    case TypeCode.NVARCHAR:
    case TypeCode.NCHAR: {
      const maxBytes = r.u16();
      readCollation(r);
      return { kind: 'nvarchar', maxBytes, fixed: code === TypeCode.NCHAR };
    }
    case TypeCode.BIGVARCHR:
    case TypeCode.BIGCHAR: {
      const maxBytes = r.u16();
      readCollation(r);
      return { kind: 'varchar', maxBytes, fixed: code === TypeCode.BIGCHAR };
    }
    case TypeCode.BIGVARBIN:
    case TypeCode.BIGBINARY:
      return { kind: 'varbinary', maxBytes: r.u16(), fixed: code === TypeCode.BIGBINARY };
    case TypeCode.XML:
      if (r.u8() !== 0) throw new UnsupportedTypeError('xml with a schema collection');
      return { kind: 'nvarchar', maxBytes: MAX_LENGTH };
    case TypeCode.TEXT:
      throw new UnsupportedTypeError('text');
    case TypeCode.NTEXT:
      throw new UnsupportedTypeError('ntext');
    case TypeCode.IMAGE:
      throw new UnsupportedTypeError('image');
    case TypeCode.TVP:
      throw new UnsupportedTypeError('table-valued parameter');
    case TypeCode.UDT:
      throw new UnsupportedTypeError('CLR user-defined type');
    case TypeCode.SSVARIANT:
      throw new UnsupportedTypeError('sql_variant');
    default:
      throw new UnsupportedTypeError(`0x${code.toString(16)}`);
  }
}

function readPlp(r: TdsReader): Buffer | null {
  const total = r.u64();
  if (total === 0xffffffffffffffffn) return null;
  const chunks: Buffer[] = [];
  for (;;) {
    const n = r.u32();
    if (n === 0) break;
    chunks.push(r.bytes(n));
  }
  return Buffer.concat(chunks);
}

export function readValue(r: TdsReader, t: TdsType): SqlValue {
  switch (t.kind) {
    case 'nvarchar':
    case 'varchar':
    case 'varbinary': {
      let data: Buffer | null;
      if (isPlp(t)) {
        data = readPlp(r);
      } else {
        const n = r.u16();
        data = n === 0xffff ? null : r.bytes(n);
      }
      if (data === null) return null;
      if (t.kind === 'nvarchar') return data.toString('utf16le');
      if (t.kind === 'varchar') return data.toString('latin1');
      return Buffer.from(data);
    }
    default:
      break;
  }
  const n = r.u8();
  if (n === 0) return null;
  switch (t.kind) {
    case 'int':
      if (n === 8) return r.i64();
      if (n === 4) return r.i32();
      if (n === 2) return r.i16();
      return r.u8();
    case 'bit':
      return r.u8() !== 0;
    case 'float':
      return n === 4 ? r.f32() : r.f64();
    case 'money': {
      if (n === 4) return decimalText(BigInt(r.i32()), 4);
      const high = BigInt(r.i32());
      const low = BigInt(r.u32());
      return decimalText((high << 32n) | low, 4);
    }
    case 'decimal': {
      const sign = r.u8();
      const magnitude = r.uintN(n - 1);
      return decimalText(sign === 1 ? magnitude : -magnitude, t.scale);
    }
    case 'datetime': {
      if (n === 4) {
        const days = r.u16();
        const minutes = r.u16();
        return `${ymdFromDays(days + DAYS_0001_TO_1900)} ${timeText(BigInt(minutes) * 600_000_000n)}`;
      }
      const days = r.i32();
      const ticks = r.u32();
      const ms = Math.round((ticks * 10) / 3);
      return `${ymdFromDays(days + DAYS_0001_TO_1900)} ${timeText(BigInt(ms) * 10_000n)}`;
    }
    case 'datetime2': {
      const units = r.uintN(n - 3) * 10n ** BigInt(7 - t.scale);
      const days = Number(r.uintN(3));
      return `${ymdFromDays(days)} ${timeText(units)}`;
    }
    case 'date':
      return ymdFromDays(Number(r.uintN(3)));
    case 'time':
      return timeText(r.uintN(n) * 10n ** BigInt(7 - t.scale));
    case 'datetimeoffset': {
      const units = r.uintN(n - 5) * 10n ** BigInt(7 - t.scale);
      const days = Number(r.uintN(3));
      const offset = r.i16();
      // Shown in UTC with the offset that travelled; PostgreSQL normalises to UTC anyway.
      void offset;
      return `${ymdFromDays(days)} ${timeText(units)}+00:00`;
    }
    case 'guid':
      return guidFromBytes(r.bytes(16));
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL mapping

/** The PostgreSQL type a parameter of this TDS type is bound as. */
export function pgTypeOf(t: TdsType): string {
  switch (t.kind) {
    case 'int':
      return t.size === 8 ? 'bigint' : t.size === 4 ? 'integer' : 'smallint';
    case 'bit':
      return 'boolean';
    case 'float':
      return t.size === 8 ? 'double precision' : 'real';
    case 'money':
      return t.size === 8 ? 'numeric(19,4)' : 'numeric(10,4)';
    case 'decimal':
      return `numeric(${Math.max(1, t.precision)},${t.scale})`;
    case 'nvarchar':
    case 'varchar':
      return 'text';
    case 'varbinary':
      return 'bytea';
    case 'datetime':
      return 'timestamp(3)';
    case 'datetime2':
      return `timestamp(${Math.min(6, t.scale)})`;
    case 'date':
      return 'date';
    case 'time':
      return `time(${Math.min(6, t.scale)})`;
    case 'datetimeoffset':
      return `timestamptz(${Math.min(6, t.scale)})`;
    case 'guid':
      return 'uuid';
  }
}

export const PgOid = {
  BOOL: 16,
  BYTEA: 17,
  CHAR: 18,
  NAME: 19,
  INT8: 20,
  INT2: 21,
  INT4: 23,
  REGPROC: 24,
  TEXT: 25,
  OID: 26,
  JSON: 114,
  XML: 142,
  FLOAT4: 700,
  FLOAT8: 701,
  UNKNOWN: 705,
  MONEY: 790,
  BPCHAR: 1042,
  VARCHAR: 1043,
  DATE: 1082,
  TIME: 1083,
  TIMESTAMP: 1114,
  TIMESTAMPTZ: 1184,
  INTERVAL: 1186,
  NUMERIC: 1700,
  UUID: 2950,
  JSONB: 3802,
} as const;

/** Chooses the TDS column type for a PostgreSQL result column, looking at its values where needed. */
export function tdsTypeForPg(oid: number, values: readonly SqlValue[]): TdsType {
  switch (oid) {
    case PgOid.BOOL:
      return { kind: 'bit' };
    case PgOid.INT2:
      return { kind: 'int', size: 2 };
    case PgOid.INT4:
    case PgOid.OID:
      return { kind: 'int', size: 4 };
    case PgOid.INT8:
      return { kind: 'int', size: 8 };
    case PgOid.FLOAT4:
      return { kind: 'float', size: 4 };
    case PgOid.FLOAT8:
      return { kind: 'float', size: 8 };
    case PgOid.NUMERIC:
    case PgOid.MONEY: {
      let scale = 0;
      let integerDigits = 1;
      for (const v of values) {
        if (v === null) continue;
        scale = Math.max(scale, decimalScaleOf(v));
        const intPart = String(v).replace(/^-/, '').split('.')[0] ?? '';
        integerDigits = Math.max(integerDigits, intPart.replace(/^0+/, '').length);
      }
      scale = Math.min(scale, 38 - Math.min(integerDigits, 38));
      return { kind: 'decimal', precision: 38, scale };
    }
    case PgOid.VARCHAR:
    case PgOid.BPCHAR:
    case PgOid.NAME:
    case PgOid.CHAR: {
      const long = values.some((v) => typeof v === 'string' && v.length > 4000);
      return { kind: 'nvarchar', maxBytes: long ? MAX_LENGTH : 8000 };
    }
    case PgOid.BYTEA: {
      const long = values.some((v) => Buffer.isBuffer(v) && v.length > 8000);
      return { kind: 'varbinary', maxBytes: long ? MAX_LENGTH : 8000 };
    }
    case PgOid.TIMESTAMP:
      return { kind: 'datetime2', scale: 7 };
    case PgOid.TIMESTAMPTZ:
      return { kind: 'datetimeoffset', scale: 7 };
    case PgOid.DATE:
      return { kind: 'date' };
    case PgOid.TIME:
      return { kind: 'time', scale: 7 };
    case PgOid.UUID:
      return { kind: 'guid' };
    default:
      return { kind: 'nvarchar', maxBytes: MAX_LENGTH };
  }
}
