/**
 * T-SQL conversions as PostgreSQL expressions: CAST, CONVERT and assignment to a declared type
 * (variables, parameters). PostgreSQL's own casts differ where SQL Server rounds (DATETIME to
 * 1/300 s), pads (BINARY(n)), formats (dates as text, styles) or reads bytes as characters;
 * those go through the functions in typesystem.ts.
 */
import type { Chunk } from './translate';
import { type DeclaredType, normaliseType, pgTypeOfDeclared } from './types';

/** Style -1: CAST, or CONVERT without a style (each source type has its own default). */
export const NO_STYLE: Chunk[] = ['-1'];

/** `expr` (chunks of a PostgreSQL expression) converted to `target`, CONVERT `style` given or not. */
export function convertTo(target: DeclaredType, expr: readonly Chunk[], style: readonly Chunk[] = NO_STYLE): Chunk[] {
  const t = normaliseType(target);
  const pgType = pgTypeOfDeclared(t);
  switch (t.name) {
    case 'varchar':
    case 'nvarchar':
    case 'char':
    case 'nchar': {
      const unicode = t.name === 'nvarchar' || t.name === 'nchar' ? 'true' : 'false';
      return ['CAST', '(', '__emulator.tsql_text', '(', ...expr, ',', 'CAST', '(', ...style, 'AS integer', ')', ',', unicode, ')', 'AS', pgType, ')'];
    }
    case 'binary':
    case 'varbinary': {
      const length = t.length === 'max' || t.length === undefined ? 'NULL' : String(t.length);
      return ['__emulator.tsql_binary', '(', ...expr, ',', length, ',', t.name === 'binary' ? 'true' : 'false', ')'];
    }
    case 'datetime':
      return ['__emulator.to_datetime', '(', ...expr, ')'];
    case 'smalldatetime':
      return ['__emulator.to_smalldatetime', '(', ...expr, ')'];
    case 'datetime2':
      return ['CAST', '(', '__emulator.to_datetime2', '(', ...expr, ')', 'AS', pgType, ')'];
    case 'time':
      return ['CAST', '(', '__emulator.to_time', '(', ...expr, ')', 'AS', pgType, ')'];
    default:
      return ['CAST', '(', ...expr, 'AS', pgType, ')'];
  }
}
