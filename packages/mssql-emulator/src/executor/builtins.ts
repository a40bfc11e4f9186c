/** What the @@ variables and the session's built-in functions return, and the type to bind them as. */
import { unsupported } from '../errors';
import type { SqlValue } from '../protocol/types';
import type { Tokens } from '../tsql/statements';
import type { ExecutionSession, Frame } from './frame';

export interface BoundValue {
  value: SqlValue;
  pgType: string;
}

/** `@@VERSION`, `@@TRANCOUNT`, …; `frame` gives `@@NESTLEVEL` and the line of an error. */
export function systemVariable(s: ExecutionSession, frame: Frame, name: string, line: number): BoundValue {
  switch (name) {
    case '@@VERSION':
      return { value: s.server.versionString, pgType: 'text' };
    case '@@SPID':
      return { value: s.spid, pgType: 'smallint' };
    case '@@TRANCOUNT':
      return { value: s.tranCount, pgType: 'integer' };
    case '@@ROWCOUNT':
      return { value: s.rowCount, pgType: 'integer' };
    case '@@ERROR':
      return { value: s.lastErrorNumber, pgType: 'integer' };
    case '@@IDENTITY':
      return { value: s.lastIdentity, pgType: 'numeric(38,0)' };
    case '@@SERVERNAME':
      return { value: s.server.serverName, pgType: 'varchar(128)' };
    case '@@SERVICENAME':
      return { value: 'MSSQLSERVER', pgType: 'varchar(128)' };
    case '@@LANGUAGE':
      return { value: 'us_english', pgType: 'varchar(128)' };
    case '@@LOCK_TIMEOUT':
      return { value: s.lockTimeoutMs, pgType: 'integer' };
    case '@@NESTLEVEL':
      return { value: frame.procName ? frame.depth : 0, pgType: 'integer' };
    case '@@DATEFIRST':
      return { value: 7, pgType: 'smallint' };
    case '@@MAX_CONNECTIONS':
      return { value: 32767, pgType: 'integer' };
    case '@@TEXTSIZE':
      return { value: 2147483647, pgType: 'integer' };
    case '@@OPTIONS':
      return { value: 5496, pgType: 'integer' };
    default:
      throw unsupported(name, line);
  }
}

/** SCOPE_IDENTITY(), ERROR_*() inside CATCH, SUSER_SNAME(), APP_NAME(), … */
export function sessionFunction(s: ExecutionSession, frame: Frame, name: string, line: number): BoundValue {
  const err = s.catchError;
  switch (name) {
    case 'SCOPE_IDENTITY':
      return { value: s.lastIdentity, pgType: 'numeric(38,0)' };
    case 'ERROR_MESSAGE':
      return { value: err ? err.message : null, pgType: 'varchar(4000)' };
    case 'ERROR_NUMBER':
      return { value: err ? err.number : null, pgType: 'integer' };
    case 'ERROR_SEVERITY':
      return { value: err ? err.class : null, pgType: 'integer' };
    case 'ERROR_STATE':
      return { value: err ? err.state : null, pgType: 'integer' };
    case 'ERROR_LINE':
      return { value: err ? err.line : null, pgType: 'integer' };
    case 'ERROR_PROCEDURE':
      return { value: err ? err.procName || null : null, pgType: 'varchar(128)' };
    case 'SUSER_NAME':
    case 'SUSER_SNAME':
    case 'ORIGINAL_LOGIN':
    case 'SYSTEM_USER':
      return { value: s.login, pgType: 'varchar(128)' };
    case 'USER_NAME':
    case 'CURRENT_USER':
    case 'SESSION_USER':
    case 'USER':
      return { value: 'dbo', pgType: 'varchar(128)' };
    case 'HOST_NAME':
      return { value: s.hostName, pgType: 'varchar(128)' };
    case 'APP_NAME':
      return { value: s.appName, pgType: 'varchar(128)' };
    default:
      throw unsupported(`${name}()`, line);
  }
}

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<>': (a, b) => a !== b,
  '!=': (a, b) => a !== b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '!<': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '!>': (a, b) => a <= b,
};

/**
 * `@@TRANCOUNT > 0` and its kin (`=`, `<>`, `<`, … against a whole number, in parentheses or not),
 * the guard before a ROLLBACK in CATCH blocks and in the API's read-only console batches: the
 * session holds the count, so the answer needs no PostgreSQL round trip (nor, outside a
 * transaction, the database's lock). Anything else: undefined, and PostgreSQL evaluates it.
 */
export function tranCountCondition(tokens: Tokens, tranCount: number): boolean | undefined {
  const bare = tokens.length === 5 && tokens[0]?.text === '(' && tokens[4]?.text === ')' ? tokens.slice(1, 4) : tokens;
  const [variable, op, literal] = bare;
  if (bare.length !== 3 || variable?.kind !== 'sysvar' || variable.text.toUpperCase() !== '@@TRANCOUNT' || op?.kind !== 'op' || literal?.kind !== 'number' || !/^\d{1,9}$/.test(literal.text)) {
    return undefined;
  }
  return COMPARISONS[op.text]?.(tranCount, Number(literal.text));
}
