/** T-SQL type names: how they are spelled, stored in PostgreSQL, and sent over TDS. */
import { unsupported } from '../errors';
import { MAX_LENGTH, type TdsType } from '../protocol/types';

export interface DeclaredType {
  /** Lower-case T-SQL name: int, nvarchar, decimal ... */
  name: string;
  /** Character or byte length; 'max' for (MAX). */
  length?: number | 'max';
  precision?: number;
  scale?: number;
}

interface TypeSpec {
  systemTypeId: number;
  /** Fixed storage size for sys.parameters.max_length; undefined for sized types. */
  fixedLength?: number;
  args: 'none' | 'length' | 'precision' | 'scale';
}

const SPECS: Record<string, TypeSpec> = {
  int: { systemTypeId: 56, fixedLength: 4, args: 'none' },
  integer: { systemTypeId: 56, fixedLength: 4, args: 'none' },
  bigint: { systemTypeId: 127, fixedLength: 8, args: 'none' },
  smallint: { systemTypeId: 52, fixedLength: 2, args: 'none' },
  tinyint: { systemTypeId: 48, fixedLength: 1, args: 'none' },
  bit: { systemTypeId: 104, fixedLength: 1, args: 'none' },
  decimal: { systemTypeId: 106, fixedLength: 17, args: 'precision' },
  dec: { systemTypeId: 106, fixedLength: 17, args: 'precision' },
  numeric: { systemTypeId: 108, fixedLength: 17, args: 'precision' },
  money: { systemTypeId: 60, fixedLength: 8, args: 'none' },
  smallmoney: { systemTypeId: 122, fixedLength: 4, args: 'none' },
  float: { systemTypeId: 62, fixedLength: 8, args: 'precision' },
  real: { systemTypeId: 59, fixedLength: 4, args: 'none' },
  nvarchar: { systemTypeId: 231, args: 'length' },
  varchar: { systemTypeId: 167, args: 'length' },
  nchar: { systemTypeId: 239, args: 'length' },
  char: { systemTypeId: 175, args: 'length' },
  ntext: { systemTypeId: 99, fixedLength: 16, args: 'none' },
  text: { systemTypeId: 35, fixedLength: 16, args: 'none' },
  varbinary: { systemTypeId: 165, args: 'length' },
  binary: { systemTypeId: 173, args: 'length' },
  image: { systemTypeId: 34, fixedLength: 16, args: 'none' },
  datetime: { systemTypeId: 61, fixedLength: 8, args: 'none' },
  smalldatetime: { systemTypeId: 58, fixedLength: 4, args: 'none' },
  datetime2: { systemTypeId: 42, fixedLength: 8, args: 'scale' },
  date: { systemTypeId: 40, fixedLength: 3, args: 'none' },
  time: { systemTypeId: 41, fixedLength: 5, args: 'scale' },
  datetimeoffset: { systemTypeId: 43, fixedLength: 10, args: 'scale' },
  uniqueidentifier: { systemTypeId: 36, fixedLength: 16, args: 'none' },
  sysname: { systemTypeId: 231, args: 'none' },
  xml: { systemTypeId: 241, args: 'none' },
};

/** The spec of a type name from SQL text: own keys only (`constructor` is not a data type). */
function specOf(name: string): TypeSpec | undefined {
  return Object.hasOwn(SPECS, name) ? SPECS[name] : undefined;
}

const UNSUPPORTED_TYPES = new Set(['sql_variant', 'cursor', 'table', 'hierarchyid', 'geography', 'geometry', 'rowversion', 'timestamp']);

export function isTypeName(upperOrLower: string): boolean {
  const n = upperOrLower.toLowerCase();
  return Object.hasOwn(SPECS, n) || UNSUPPORTED_TYPES.has(n);
}

export function typeTakesArguments(name: string): boolean {
  const spec = specOf(name.toLowerCase());
  return spec !== undefined && spec.args !== 'none';
}

/** Normalises a declared type, applying SQL Server's defaults for omitted arguments. */
export function normaliseType(t: DeclaredType, line = 0): DeclaredType {
  const name = t.name.toLowerCase();
  if (UNSUPPORTED_TYPES.has(name)) throw unsupported(`The data type ${name}`, line);
  const spec = specOf(name);
  if (!spec) {
    throw Object.assign(unsupported(`The data type '${t.name}'`, line), {});
  }
  switch (name) {
    case 'integer':
      return { name: 'int' };
    case 'dec':
      return normaliseType({ ...t, name: 'decimal' }, line);
    case 'decimal':
    case 'numeric':
      return { name, precision: t.precision ?? 18, scale: t.scale ?? 0 };
    case 'float': {
      const p = t.precision ?? 53;
      return p <= 24 ? { name: 'real' } : { name: 'float' };
    }
    case 'nvarchar':
    case 'varchar':
    case 'nchar':
    case 'char':
    case 'varbinary':
    case 'binary':
      return { name, length: t.length ?? 1 };
    case 'sysname':
      return { name: 'nvarchar', length: 128 };
    case 'ntext':
    case 'xml':
      return { name: 'nvarchar', length: 'max' };
    case 'text':
      return { name: 'varchar', length: 'max' };
    case 'image':
      return { name: 'varbinary', length: 'max' };
    case 'datetime2':
    case 'time':
    case 'datetimeoffset':
      return { name, scale: t.scale ?? 7 };
    default:
      return { name };
  }
}

/**
 * T-SQL types PostgreSQL has no type of its own for, kept as domains in the emulator's schema
 * (see typesystem.ts): the domain is how a column or an expression of that type is recognised
 * again, and its check gives SQL Server's range errors.
 */
const DOMAIN_TYPES = new Set(['tinyint', 'money', 'smallmoney', 'datetime', 'smalldatetime']);

/** The domain a BINARY(n) column is stored as; one per length, made when a table first needs it. */
export function binaryDomainName(length: number): string {
  return `binary(${length})`;
}

/**
 * The PostgreSQL type a value of this declared type is held in: variables, parameters and
 * expressions. (Table columns: `pgColumnTypeOfDeclared`.)
 */
export function pgTypeOfDeclared(raw: DeclaredType): string {
  const t = normaliseType(raw);
  if (DOMAIN_TYPES.has(t.name)) return `__emulator.${t.name}`;
  switch (t.name) {
    case 'int':
      return 'integer';
    case 'bigint':
      return 'bigint';
    case 'smallint':
      return 'smallint';
    case 'bit':
      return 'boolean';
    case 'decimal':
    case 'numeric':
      return `numeric(${t.precision},${t.scale})`;
    case 'float':
      return 'double precision';
    case 'real':
      return 'real';
    case 'nvarchar':
    case 'varchar':
      return t.length === 'max' ? 'text' : `varchar(${t.length})`;
    case 'nchar':
    case 'char':
      return t.length === 'max' ? 'text' : `char(${t.length})`;
    case 'varbinary':
    case 'binary':
      return 'bytea';
    case 'datetime2':
      return `timestamp(${Math.min(6, t.scale ?? 7)})`;
    case 'date':
      return 'date';
    case 'time':
      return `time(${Math.min(6, t.scale ?? 7)})`;
    case 'datetimeoffset':
      return `timestamptz(${Math.min(6, t.scale ?? 7)})`;
    case 'uniqueidentifier':
      return 'uuid';
    default:
      return 'text';
  }
}

/** The PostgreSQL type of a table column of this declared type (CREATE/ALTER TABLE). */
export function pgColumnTypeOfDeclared(raw: DeclaredType): string {
  const t = normaliseType(raw);
  if (t.name === 'binary' && typeof t.length === 'number') return `__emulator."${binaryDomainName(t.length)}"`;
  return pgTypeOfDeclared(t);
}

/** The declared type a column stored as one of the emulator's domains was created with. */
export function declaredTypeOfDomain(domain: string): DeclaredType | undefined {
  if (DOMAIN_TYPES.has(domain)) return { name: domain };
  const binary = /^binary\((\d+)\)$/.exec(domain);
  return binary ? { name: 'binary', length: Number(binary[1]) } : undefined;
}

/** How a value of this declared type travels in RETURNVALUE tokens. */
export function tdsTypeOfDeclared(raw: DeclaredType): TdsType {
  const t = normaliseType(raw);
  const bytes = (perChar: number): number =>
    t.length === 'max' || t.length === undefined || t.length * perChar > 8000 ? MAX_LENGTH : t.length * perChar;
  switch (t.name) {
    case 'int':
      return { kind: 'int', size: 4 };
    case 'bigint':
      return { kind: 'int', size: 8 };
    case 'smallint':
      return { kind: 'int', size: 2 };
    case 'tinyint':
      return { kind: 'int', size: 1 };
    case 'bit':
      return { kind: 'bit' };
    case 'decimal':
    case 'numeric':
      return { kind: 'decimal', precision: t.precision ?? 18, scale: t.scale ?? 0 };
    case 'money':
      return { kind: 'money', size: 8 };
    case 'smallmoney':
      return { kind: 'money', size: 4 };
    case 'float':
      return { kind: 'float', size: 8 };
    case 'real':
      return { kind: 'float', size: 4 };
    case 'nvarchar':
    case 'nchar':
      return { kind: 'nvarchar', maxBytes: bytes(2) };
    case 'varchar':
    case 'char':
      return { kind: 'varchar', maxBytes: bytes(1) };
    case 'varbinary':
      return { kind: 'varbinary', maxBytes: bytes(1) };
    case 'binary':
      return { kind: 'varbinary', maxBytes: bytes(1), fixed: true };
    case 'datetime':
      return { kind: 'datetime', size: 8 };
    case 'smalldatetime':
      return { kind: 'datetime', size: 4 };
    case 'datetime2':
      return { kind: 'datetime2', scale: t.scale ?? 7 };
    case 'date':
      return { kind: 'date' };
    case 'time':
      return { kind: 'time', scale: t.scale ?? 7 };
    case 'datetimeoffset':
      return { kind: 'datetimeoffset', scale: t.scale ?? 7 };
    case 'uniqueidentifier':
      return { kind: 'guid' };
    default:
      return { kind: 'nvarchar', maxBytes: MAX_LENGTH };
  }
}

/** The declared type matching an RPC parameter's TYPE_INFO. */
export function declaredTypeOfTds(t: TdsType): DeclaredType {
  switch (t.kind) {
    case 'int':
      return { name: t.size === 8 ? 'bigint' : t.size === 4 ? 'int' : t.size === 2 ? 'smallint' : 'tinyint' };
    case 'bit':
      return { name: 'bit' };
    case 'float':
      return { name: t.size === 8 ? 'float' : 'real' };
    case 'decimal':
      return { name: 'decimal', precision: t.precision, scale: t.scale };
    case 'money':
      return { name: t.size === 8 ? 'money' : 'smallmoney' };
    case 'nvarchar':
      return { name: t.fixed ? 'nchar' : 'nvarchar', length: t.maxBytes === MAX_LENGTH ? 'max' : Math.max(1, t.maxBytes / 2) };
    case 'varchar':
      return { name: t.fixed ? 'char' : 'varchar', length: t.maxBytes === MAX_LENGTH ? 'max' : Math.max(1, t.maxBytes) };
    case 'varbinary':
      return { name: t.fixed ? 'binary' : 'varbinary', length: t.maxBytes === MAX_LENGTH ? 'max' : Math.max(1, t.maxBytes) };
    case 'datetime':
      return { name: t.size === 8 ? 'datetime' : 'smalldatetime' };
    case 'datetime2':
      return { name: 'datetime2', scale: t.scale };
    case 'date':
      return { name: 'date' };
    case 'time':
      return { name: 'time', scale: t.scale };
    case 'datetimeoffset':
      return { name: 'datetimeoffset', scale: t.scale };
    case 'guid':
      return { name: 'uniqueidentifier' };
  }
}

/** Precision and scale SQL Server's catalogue gives the types that have them implicitly. */
const IMPLIED_PRECISION: Record<string, [number, number]> = {
  int: [10, 0],
  bigint: [19, 0],
  smallint: [5, 0],
  tinyint: [3, 0],
  bit: [1, 0],
  float: [53, 0],
  real: [24, 0],
  money: [19, 4],
  smallmoney: [10, 4],
  datetime: [23, 3],
  smalldatetime: [16, 0],
  date: [10, 0],
};

/** The bytes a fractional-seconds scale takes in a time value: 3, 4 or 5. */
function timeBytes(scale: number): number {
  return scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
}

/** Values for sys.parameters: system_type_id, max_length (storage bytes), precision, scale, as SQL Server gives them. */
export function catalogueShape(raw: DeclaredType): { systemTypeId: number; maxLength: number; precision: number; scale: number } {
  const t = normaliseType(raw);
  const spec = specOf(t.name) ?? { systemTypeId: 231, args: 'length' as const };
  const scale = t.scale ?? 0;
  switch (t.name) {
    case 'decimal':
    case 'numeric': {
      const p = t.precision ?? 18;
      return { systemTypeId: spec.systemTypeId, maxLength: p <= 9 ? 5 : p <= 19 ? 9 : p <= 28 ? 13 : 17, precision: p, scale };
    }
    case 'time':
      return { systemTypeId: spec.systemTypeId, maxLength: timeBytes(scale), precision: scale === 0 ? 8 : 9 + scale, scale };
    case 'datetime2':
      return { systemTypeId: spec.systemTypeId, maxLength: timeBytes(scale) + 3, precision: scale === 0 ? 19 : 20 + scale, scale };
    case 'datetimeoffset':
      return { systemTypeId: spec.systemTypeId, maxLength: timeBytes(scale) + 5, precision: scale === 0 ? 26 : 27 + scale, scale };
    default:
      break;
  }
  let maxLength = spec.fixedLength ?? 0;
  if (t.length !== undefined) {
    const perChar = t.name === 'nvarchar' || t.name === 'nchar' ? 2 : 1;
    maxLength = t.length === 'max' ? -1 : t.length * perChar;
  }
  const [precision, impliedScale] = Object.hasOwn(IMPLIED_PRECISION, t.name) ? (IMPLIED_PRECISION[t.name] as [number, number]) : [0, 0];
  return { systemTypeId: spec.systemTypeId, maxLength, precision, scale: impliedScale };
}

/** T-SQL spelling of a declared type, e.g. for error messages and sp_executesql signatures. */
export function formatType(t: DeclaredType): string {
  if (t.length !== undefined) return `${t.name}(${t.length})`;
  if (t.precision !== undefined && (t.name === 'decimal' || t.name === 'numeric')) return `${t.name}(${t.precision},${t.scale ?? 0})`;
  if (t.scale !== undefined && t.name !== 'decimal' && t.name !== 'numeric') return `${t.name}(${t.scale})`;
  return t.name;
}
