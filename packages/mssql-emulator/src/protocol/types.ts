/**
 * The TDS data types the emulator speaks and how they are described (TYPE_INFO), in result
 * metadata and in RPC parameters. values.ts writes and reads the values themselves, scalars.ts
 * converts them, pg-types.ts maps them to and from PostgreSQL.
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
  | { kind: 'nvarchar'; maxBytes: number; fixed?: boolean; legacy?: boolean }
  | { kind: 'varchar'; maxBytes: number; fixed?: boolean; legacy?: boolean }
  | { kind: 'varbinary'; maxBytes: number; fixed?: boolean; legacy?: boolean }
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

/**
 * TEXT, NTEXT and IMAGE parameters (`legacy`) arrive as NVARCHAR(MAX)-like values with a 4-byte
 * length in front instead of PLP chunks; the emulator reads them and answers in PLP.
 */
export function isPlp(t: TdsType): boolean {
  return (t.kind === 'nvarchar' || t.kind === 'varchar' || t.kind === 'varbinary') && t.maxBytes === MAX_LENGTH && !t.legacy;
}

export function decimalLength(precision: number): number {
  if (precision <= 9) return 5;
  if (precision <= 19) return 9;
  if (precision <= 28) return 13;
  return 17;
}

export function timeBytes(scale: number): number {
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
    case TypeCode.NTEXT: {
      r.u32();
      readCollation(r);
      return { kind: code === TypeCode.TEXT ? 'varchar' : 'nvarchar', maxBytes: MAX_LENGTH, legacy: true };
    }
    case TypeCode.IMAGE:
      r.u32();
      return { kind: 'varbinary', maxBytes: MAX_LENGTH, legacy: true };
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
