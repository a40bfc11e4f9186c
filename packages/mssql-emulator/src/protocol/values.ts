/** Values on the wire: written into ROW and RETURNVALUE tokens, read from RPC parameters. */
import type { TdsReader, TdsWriter } from './buffer';
import { DAYS_0001_TO_1900, decimalText, guidFromBytes, guidToBytes, parseDateTime, parseTime, scaledDecimal, timeText, toBigInt, toBinary, toBoolean, toNumber, toText, ymdFromDays } from './scalars';
import { MAX_LENGTH, type SqlValue, type TdsType, decimalLength, isPlp, timeBytes } from './types';

/** 100-nanosecond units in a day. */
const DAY_UNITS = 864_000_000_000n;

function writePlp(w: TdsWriter, data: Buffer): void {
  w.u64(BigInt(data.length));
  if (data.length > 0) w.u32(data.length).bytes(data);
  w.u32(0);
}

export function writeValue(w: TdsWriter, t: TdsType, v: SqlValue): void {
  if ((t.kind === 'nvarchar' || t.kind === 'varchar' || t.kind === 'varbinary') && t.legacy) {
    // An OUTPUT TEXT/NTEXT/IMAGE parameter goes back as its MAX type, in PLP.
    writeValue(w, { kind: t.kind, maxBytes: MAX_LENGTH }, v);
    return;
  }
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
      // DATETIME counts 1/300 s, SMALLDATETIME minutes; a value that rounds up to midnight
      // belongs to the next day.
      const p = parseDateTime(v);
      const perDay = t.size === 4 ? 1440n : 300n * 86_400n;
      let ticks = (p.units * perDay + DAY_UNITS / 2n) / DAY_UNITS;
      let days = p.days - DAYS_0001_TO_1900;
      if (ticks >= perDay) {
        ticks -= perDay;
        days += 1;
      }
      if (t.size === 4) w.u8(4).u16(days).u16(Number(ticks));
      else w.u8(8).i32(days).u32(Number(ticks));
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
      if (units < 0n) {
        units += DAY_UNITS;
        days -= 1;
      } else if (units >= DAY_UNITS) {
        units -= DAY_UNITS;
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
      if (t.legacy) {
        const n = r.u32();
        data = n === 0xffffffff ? null : r.bytes(n);
      } else if (isPlp(t)) {
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
      let days = r.i32() + DAYS_0001_TO_1900;
      // To the millisecond, as SQL Server shows 1/300 s (299 → .997).
      let units = BigInt(Math.round((r.u32() * 10) / 3)) * 10_000n;
      if (units >= DAY_UNITS) {
        units -= DAY_UNITS;
        days += 1;
      }
      return `${ymdFromDays(days)} ${timeText(units)}`;
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
