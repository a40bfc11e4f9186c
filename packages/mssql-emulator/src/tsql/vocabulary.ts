/**
 * What the translator knows about T-SQL words: keywords that are never names, table hints it
 * drops, built-ins it refuses, session functions the executor answers, date parts; and the
 * token-run helpers (matching parentheses, top-level commas) it walks statements with.
 */
import { syntaxError } from '../errors';
import type { SqlToken } from './lexer';
import { RESERVED, type Tokens } from './statements';

export const KEYWORDS = new Set([
  ...RESERVED,
  'ACTION', 'AFTER', 'ALWAYS', 'ASC', 'AT', 'BY', 'CASCADE', 'CAST', 'COALESCE', 'CURRENT_DATE', 'DATA', 'DESC', 'FALSE', 'FETCH',
  'FIRST', 'FOLLOWING', 'GENERATED', 'ILIKE', 'INCLUDE', 'LAST', 'LATERAL', 'LIMIT', 'NEXT', 'NO', 'NOCHECK', 'NULLIF',
  'NULLS', 'OFFSET', 'ONLY', 'PARTITION', 'PRECEDING', 'RANGE', 'RESTRICT', 'ROW', 'ROWS', 'TEMP', 'TIES', 'TRUE',
  'UNBOUNDED', 'USING', 'WITHIN', 'ZONE', 'TYPE', 'COLUMN', 'EXTRACT', 'INTERVAL', 'RECURSIVE', 'MATERIALIZED',
]);

/**
 * Words of KEYWORDS that T-SQL does not reserve and PostgreSQL reads as a column when one stands
 * alone in a select list: `SELECT type FROM sys.objects` is a column named `type`.
 */
export const COLUMN_NAME_KEYWORDS = new Set([
  'ACTION', 'AFTER', 'ALWAYS', 'AT', 'DATA', 'FIRST', 'FOLLOWING', 'GENERATED', 'INCLUDE', 'LAST', 'NEXT', 'NO', 'NULLS',
  'PARTITION', 'PRECEDING', 'RANGE', 'RESTRICT', 'ROWS', 'TEMP', 'TIES', 'UNBOUNDED', 'WITHIN', 'ZONE', 'TYPE', 'RECURSIVE',
  'MATERIALIZED',
]);

/** Table hints and index options: meaningless when every request is serialised. */
export const HINTS = new Set([
  'NOLOCK', 'ROWLOCK', 'UPDLOCK', 'HOLDLOCK', 'READPAST', 'TABLOCK', 'TABLOCKX', 'PAGLOCK', 'XLOCK', 'NOWAIT',
  'READCOMMITTED', 'READCOMMITTEDLOCK', 'SERIALIZABLE', 'REPEATABLEREAD', 'READUNCOMMITTED', 'INDEX', 'FORCESEEK',
  'FORCESCAN', 'NOEXPAND', 'PAD_INDEX', 'FILLFACTOR', 'ONLINE', 'STATISTICS_NORECOMPUTE', 'IGNORE_DUP_KEY',
  'ALLOW_ROW_LOCKS', 'ALLOW_PAGE_LOCKS', 'DATA_COMPRESSION', 'SORT_IN_TEMPDB', 'DROP_EXISTING',
  'OPTIMIZE_FOR_SEQUENTIAL_KEY', 'SNAPSHOT',
]);

export const UNSUPPORTED_WORDS: Record<string, string> = {
  PIVOT: 'PIVOT',
  UNPIVOT: 'UNPIVOT',
  OPENJSON: 'OPENJSON',
  OPENQUERY: 'OPENQUERY',
  OPENROWSET: 'OPENROWSET',
  OPENXML: 'OPENXML',
  CONTAINS: 'Full-text CONTAINS',
  FREETEXT: 'Full-text FREETEXT',
  CONTAINSTABLE: 'CONTAINSTABLE',
  TRY_CONVERT: 'TRY_CONVERT',
  TRY_CAST: 'TRY_CAST',
  TRY_PARSE: 'TRY_PARSE',
  PARSE: 'PARSE',
  FORMAT: 'FORMAT',
  STUFF: 'STUFF',
  CHOOSE: 'CHOOSE',
  OBJECT_DEFINITION: 'OBJECT_DEFINITION',
  COLUMNPROPERTY: 'COLUMNPROPERTY',
  OBJECTPROPERTY: 'OBJECTPROPERTY',
  TYPE_NAME: 'TYPE_NAME',
  SCHEMA_NAME: 'SCHEMA_NAME',
  RAND: 'RAND',
  CHECKSUM: 'CHECKSUM',
  HASHBYTES: 'HASHBYTES',
  APPLOCK_MODE: 'APPLOCK_MODE',
  APPLOCK_TEST: 'APPLOCK_TEST',
  XACT_STATE: 'XACT_STATE',
};

/** Built-ins whose value comes from the session rather than from PostgreSQL. */
export const SESSION_FUNCTIONS = new Set([
  'SCOPE_IDENTITY', 'IDENT_CURRENT', 'ERROR_MESSAGE', 'ERROR_NUMBER', 'ERROR_SEVERITY', 'ERROR_STATE', 'ERROR_LINE',
  'ERROR_PROCEDURE', 'SUSER_NAME', 'SUSER_SNAME', 'USER_NAME', 'ORIGINAL_LOGIN', 'HOST_NAME', 'APP_NAME', 'CURRENT_USER',
  'SESSION_USER', 'SYSTEM_USER', 'USER',
]);
export const NILADIC_SESSION = new Set(['CURRENT_USER', 'SESSION_USER', 'SYSTEM_USER', 'USER']);

export const DATE_PARTS: Record<string, string> = {
  YEAR: 'year', YY: 'year', YYYY: 'year', QUARTER: 'quarter', QQ: 'quarter', Q: 'quarter', MONTH: 'month', MM: 'month',
  M: 'month', DAYOFYEAR: 'dayofyear', DY: 'dayofyear', Y: 'dayofyear', DAY: 'day', DD: 'day', D: 'day', WEEK: 'week',
  WK: 'week', WW: 'week', WEEKDAY: 'weekday', DW: 'weekday', HOUR: 'hour', HH: 'hour', MINUTE: 'minute', MI: 'minute',
  N: 'minute', SECOND: 'second', SS: 'second', S: 'second', MILLISECOND: 'millisecond', MS: 'millisecond',
  MICROSECOND: 'microsecond', MCS: 'microsecond', NANOSECOND: 'nanosecond', NS: 'nanosecond',
};

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function isOp(tok: SqlToken | undefined, op: string): boolean {
  return tok !== undefined && tok.kind === 'op' && tok.text === op;
}

export function isWord(tok: SqlToken | undefined, ...words: string[]): boolean {
  return tok !== undefined && tok.kind === 'word' && words.includes(tok.upper);
}

export function isName(tok: SqlToken | undefined): boolean {
  return tok !== undefined && (tok.kind === 'qident' || (tok.kind === 'word' && !KEYWORDS.has(tok.upper)));
}

/** Index of the ')' matching the '(' at `open`. */
export function matching(tokens: Tokens, open: number, end: number): number {
  let depth = 0;
  for (let j = open; j < end; j++) {
    const tok = tokens[j] as SqlToken;
    if (isOp(tok, '(')) depth++;
    else if (isOp(tok, ')')) {
      depth--;
      if (depth === 0) return j;
    }
  }
  throw syntaxError('(', tokens[open]?.line ?? 0);
}

/** Splits [from, to) at top-level commas (parens and CASE ... END nest). */
export function splitArgs(tokens: Tokens, from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let depth = 0;
  let start = from;
  for (let j = from; j < to; j++) {
    const tok = tokens[j] as SqlToken;
    if (isOp(tok, '(') || isWord(tok, 'CASE')) depth++;
    else if (isOp(tok, ')') || (isWord(tok, 'END') && depth > 0)) depth--;
    else if (depth === 0 && isOp(tok, ',')) {
      out.push([start, j]);
      start = j + 1;
    }
  }
  if (to > from) out.push([start, to]);
  return out;
}
