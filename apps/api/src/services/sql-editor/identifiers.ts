// SQL Server identifiers (sysname: up to 128 characters). A name is either a regular identifier or
// anything printable that we then always bracket-quote; it never reaches SQL text unquoted.

export const MAX_IDENTIFIER_LENGTH = 128;
export const DEFAULT_SCHEMA = 'dbo';

const REGULAR = /^[\p{L}_][\p{L}\p{N}_@#$]*$/u;
// Control characters cannot be typed in SSMS either; '.' would make the stored two-part name ambiguous.
const FORBIDDEN = /[\p{Cc}.]/u;

/** Why `name` cannot be a procedure or schema name, or null when it can. */
export function identifierProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_IDENTIFIER_LENGTH) return `must be at most ${MAX_IDENTIFIER_LENGTH} characters (SQL Server sysname)`;
  if (name !== name.trim()) return 'must not start or end with whitespace';
  if (FORBIDDEN.test(name)) return 'must not contain "." or control characters';
  if (name.startsWith('#') || name.startsWith('@')) return 'must not start with # (temporary procedure) or @ (variable)';
  return null;
}

export function isRegularIdentifier(name: string): boolean {
  return REGULAR.test(name);
}

/** `[name]` with `]` doubled: safe to splice into T-SQL whatever the name holds. */
export function quoteIdentifier(name: string): string {
  return `[${name.replaceAll(']', ']]')}]`;
}

export interface ProcedureName {
  schema: string;
  name: string;
}

/** How the record stores it (`stored_procedures.name`): always `schema.name`. */
export function storedNameOf(procedure: ProcedureName): string {
  return `${procedure.schema}.${procedure.name}`;
}

export function procedureNameOf(stored: string): ProcedureName {
  const dot = stored.indexOf('.');
  return dot < 0 ? { schema: DEFAULT_SCHEMA, name: stored } : { schema: stored.slice(0, dot), name: stored.slice(dot + 1) };
}

export function quotedProcedureName(procedure: ProcedureName): string {
  return `${quoteIdentifier(procedure.schema)}.${quoteIdentifier(procedure.name)}`;
}

/** SQL Server compares names case-insensitively under its default collation. */
export function sameIdentifier(a: string, b: string): boolean {
  return a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;
}
