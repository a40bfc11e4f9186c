/**
 * How each result column is described to the client: as the T-SQL type it was declared with
 * where PostgreSQL cannot tell it apart (a TINYINT column, a CAST to MONEY, a DATETIME variable
 * are smallint, numeric and timestamp there), else by PostgreSQL's type and the values.
 */
import type { PgField } from '../engine';
import { PgOid, tdsTypeForPg } from '../protocol/pg-types';
import type { SqlValue, TdsType } from '../protocol/types';
import type { ColumnSource } from '../tsql/select-list';
import { type DeclaredType, normaliseType, tdsTypeOfDeclared } from '../tsql/types';
import { type Frame, lowerName } from './frame';

/** The T-SQL types that need their declaration to be described, and the PostgreSQL type each is held in. */
const HELD_AS: Record<string, number> = {
  tinyint: PgOid.INT2,
  money: PgOid.NUMERIC,
  smallmoney: PgOid.NUMERIC,
  datetime: PgOid.TIMESTAMP,
  smalldatetime: PgOid.TIMESTAMP,
  binary: PgOid.BYTEA,
};

/** The declared type a select-list expression states (a variable, CAST/CONVERT, GETDATE()). */
export function sourceType(frame: Frame, source: ColumnSource | undefined): DeclaredType | undefined {
  if (!source) return undefined;
  if ('type' in source) return source.type;
  return frame.scope.get(lowerName(source.var))?.type;
}

/**
 * `declared`: the column's declared type if known (table column or select-list expression). It
 * is used only when the values really are of that type: a UNION of a TINYINT and an INT is INT.
 */
export function resultColumnType(field: PgField, declared: DeclaredType | undefined, values: readonly SqlValue[]): TdsType {
  if (declared) {
    const t = normaliseType(declared);
    if (Object.hasOwn(HELD_AS, t.name) && HELD_AS[t.name] === field.dataTypeID) {
      const type = tdsTypeOfDeclared(t);
      const fits = type.kind !== 'varbinary' || values.every((v) => !Buffer.isBuffer(v) || v.length <= type.maxBytes);
      if (fits) return type;
    }
  }
  return tdsTypeForPg(field.dataTypeID, values, field.typmod);
}
