/** SET options: the ones a session keeps, the ones accepted and ignored, the unsupported rest. */
import { unsupported } from '../errors';
import type { Tokens } from '../tsql/statements';
import type { ExecutionSession } from './frame';

const SET_OPTIONS_IGNORED = new Set([
  'ANSI_NULLS', 'ANSI_NULL_DFLT_ON', 'ANSI_NULL_DFLT_OFF', 'ANSI_PADDING', 'ANSI_WARNINGS', 'ANSI_DEFAULTS', 'ARITHABORT',
  'ARITHIGNORE', 'CONCAT_NULL_YIELDS_NULL', 'DATEFIRST', 'DATEFORMAT', 'LANGUAGE', 'NUMERIC_ROUNDABORT',
  'QUOTED_IDENTIFIER', 'TEXTSIZE', 'TRANSACTION', 'DEADLOCK_PRIORITY', 'CURSOR_CLOSE_ON_COMMIT', 'FMTONLY',
  'NOEXEC', 'PARSEONLY', 'QUERY_GOVERNOR_COST_LIMIT', 'CONTEXT_INFO', 'STATISTICS', 'SHOWPLAN_ALL', 'SHOWPLAN_TEXT',
  'SHOWPLAN_XML', 'FORCEPLAN', 'NOCOUNT', 'XACT_ABORT', 'LOCK_TIMEOUT', 'IMPLICIT_TRANSACTIONS', 'ROWCOUNT',
]);

/** The initial-SQL batch tedious sends after login (only SET options). */
export function isSetOptionsOnly(text: string): boolean {
  return /^\s*(set\s+[a-z_]+(\s+[a-z_0-9-]+)*\s*;?\s*)+$/i.test(text);
}

/** Applies `SET <option> …` to the session. */
export function setOption(session: ExecutionSession, option: string, tokens: Tokens, line: number): void {
  const words = tokens.map((t) => t.upper);
  const value = words[1];
  switch (option) {
    case 'NOCOUNT':
      session.nocount = value === 'ON';
      return;
    case 'XACT_ABORT':
      session.xactAbort = value === 'ON';
      return;
    case 'LOCK_TIMEOUT': {
      const n = Number((words[1] === '-' ? '-' : '') + (words[words.length - 1] ?? '-1'));
      session.lockTimeoutMs = Number.isFinite(n) ? n : -1;
      return;
    }
    case 'IMPLICIT_TRANSACTIONS':
      if (value === 'ON') throw unsupported('SET IMPLICIT_TRANSACTIONS ON', line);
      return;
    case 'ROWCOUNT':
      if (value !== '0') throw unsupported('SET ROWCOUNT with a non-zero value', line);
      return;
    case 'IDENTITY_INSERT':
      throw unsupported('SET IDENTITY_INSERT', line);
    default:
      if (SET_OPTIONS_IGNORED.has(option)) return;
      throw unsupported(`SET ${option}`, line);
  }
}

/** The SET options a session keeps. */
type KeptOptions = Pick<ExecutionSession, 'nocount' | 'xactAbort' | 'lockTimeoutMs'>;

/**
 * Runs `body` (a procedure, or a dynamic batch of EXEC or sp_executesql) and then puts back the
 * SET options it changed, as SQL Server does when control returns to the caller: a procedure's
 * `SET NOCOUNT ON` or `SET XACT_ABORT ON` must not leak into later requests on a pooled connection.
 */
export async function withOptionsRestored<T>(session: ExecutionSession, body: () => Promise<T>): Promise<T> {
  const saved: KeptOptions = { nocount: session.nocount, xactAbort: session.xactAbort, lockTimeoutMs: session.lockTimeoutMs };
  try {
    return await body();
  } finally {
    session.nocount = saved.nocount;
    session.xactAbort = saved.xactAbort;
    session.lockTimeoutMs = saved.lockTimeoutMs;
  }
}
