/** PostgreSQL's side of the type mapping: bind types for parameters, TDS types for result columns. */
import { decimalScaleOf } from './scalars';
import { type SqlValue, type TdsType, MAX_LENGTH } from './types';

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

/**
 * Chooses the TDS column type for a PostgreSQL result column, looking at its values where needed.
 * `typmod`: PostgreSQL's type modifier, -1 when the column has none.
 */
export function tdsTypeForPg(oid: number, values: readonly SqlValue[], typmod = -1): TdsType {
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
    case PgOid.BPCHAR: {
      // A declared length (a NVARCHAR(80) column, sysname in the catalogue) is told as declared;
      // past 4000 characters NVARCHAR has no length but MAX.
      const chars = typmod - 4;
      if (chars >= 1 && chars <= 4000) return { kind: 'nvarchar', maxBytes: chars * 2, ...(oid === PgOid.BPCHAR ? { fixed: true } : {}) };
      const long = values.some((v) => typeof v === 'string' && v.length > 4000);
      return { kind: 'nvarchar', maxBytes: long ? MAX_LENGTH : 8000 };
    }
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
