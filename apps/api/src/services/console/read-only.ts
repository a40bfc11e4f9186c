// What `read-only` refuses before anything is sent (docs/decisions/011). The database enforces
// read-only where it can (PostgreSQL `BEGIN READ ONLY`, MySQL `START TRANSACTION READ ONLY`); these
// rules only stop statements that would end or escape that transaction. On SQL Server the batch
// runs in a transaction that is always rolled back, so what cannot run inside one (or could commit
// it) is refused.
import type { DatabaseType } from '@studio/mssql-pool';
import { tokenize, type Token } from '../sql-editor/tsql';
import { splitStatements } from './statements';

export interface ReadOnlyRefusal {
  /** The words that were refused, e.g. `COMMIT`, `EXEC`, `CREATE DATABASE`. */
  statement: string;
  reason: string;
}

const TSQL_REFUSED = new Set(['COMMIT', 'ROLLBACK', 'SAVE', 'BACKUP', 'RESTORE', 'RECONFIGURE', 'SHUTDOWN', 'KILL', 'EXEC', 'EXECUTE', 'DBCC', 'CHECKPOINT']);
/** A batch whose first word is none of these calls a procedure by name (implicit EXEC). */
const TSQL_STATEMENT_WORDS = new Set([
  'SELECT', 'WITH', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'DECLARE', 'SET', 'IF', 'WHILE', 'BEGIN', 'PRINT', 'CREATE', 'ALTER', 'DROP',
  'TRUNCATE', 'USE', 'WAITFOR', 'RAISERROR', 'THROW', 'RETURN', 'OPEN', 'FETCH', 'CLOSE', 'DEALLOCATE', 'GRANT', 'DENY', 'REVOKE',
]);

function tsqlRefusal(text: string): ReadOnlyRefusal | null {
  const tokens = tokenize(text);
  const first = tokens.find((t) => t.kind !== 'op' || t.text !== ';');
  if (first !== undefined && (first.kind === 'qident' || (first.kind === 'word' && !TSQL_STATEMENT_WORDS.has(first.text.toUpperCase())))) {
    return { statement: first.text, reason: 'A batch starting with a name runs that procedure; procedures may commit, so they do not run in read-only mode' };
  }
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind !== 'word') continue;
    const word = token.text.toUpperCase();
    const next = wordAt(tokens, i + 1);
    if (TSQL_REFUSED.has(word)) {
      const why = word === 'EXEC' || word === 'EXECUTE' ? 'procedures and dynamic SQL may commit' : 'it cannot run inside the transaction that is rolled back, or would end it';
      return { statement: word, reason: `${word} is refused in read-only mode: ${why}` };
    }
    if (word === 'BEGIN' && (next === 'TRAN' || next === 'TRANSACTION' || next === 'DISTRIBUTED')) {
      return { statement: `BEGIN ${next}`, reason: 'Read-only mode already runs the batch in a transaction that is rolled back' };
    }
    if ((word === 'CREATE' || word === 'ALTER' || word === 'DROP') && next === 'DATABASE') {
      return { statement: `${word} DATABASE`, reason: `${word} DATABASE cannot run inside a transaction` };
    }
  }
  return null;
}

function wordAt(tokens: Token[], i: number): string | undefined {
  const token = tokens[i];
  return token?.kind === 'word' ? token.text.toUpperCase() : undefined;
}

const PG_ENDS_TRANSACTION = new Set(['BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT']);

function postgresRefusal(text: string): ReadOnlyRefusal | null {
  for (const statement of splitStatements(text, 'postgres')) {
    const [first = '', second = ''] = statement.head;
    if (PG_ENDS_TRANSACTION.has(first) || (first === 'PREPARE' && second === 'TRANSACTION')) {
      return { statement: statement.head.join(' '), reason: `${first} would end the read-only transaction the console runs in` };
    }
    if ((first === 'SET' || first === 'RESET') && /transaction|characteristics|read_only/i.test(statement.text)) {
      return { statement: statement.head.join(' '), reason: 'Changing the transaction mode is refused in read-only mode' };
    }
  }
  return null;
}

/** MySQL commits implicitly before DDL and many other statements, so read-only allows a list. */
const MYSQL_ALLOWED = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'TABLE', 'VALUES', '(', 'DO', 'INSERT', 'UPDATE', 'DELETE', 'REPLACE']);

/** The other statements MySQL and MariaDB know: each commits implicitly, changes the session or may commit (CALL). */
const MYSQL_STATEMENT_WORDS = new Set([
  'ALTER', 'ANALYZE', 'BEGIN', 'BINLOG', 'CACHE', 'CALL', 'CHANGE', 'CHECK', 'CHECKSUM', 'CLONE', 'COMMIT', 'CREATE', 'DEALLOCATE', 'DECLARE', 'DROP',
  'EXECUTE', 'FLUSH', 'GET', 'GRANT', 'HANDLER', 'HELP', 'IMPORT', 'INSTALL', 'KILL', 'LOAD', 'LOCK', 'OPTIMIZE', 'PREPARE', 'PURGE', 'RELEASE',
  'RENAME', 'REPAIR', 'RESET', 'RESIGNAL', 'RESTART', 'REVOKE', 'ROLLBACK', 'SAVEPOINT', 'SET', 'SHUTDOWN', 'SIGNAL', 'START', 'STOP', 'TRUNCATE',
  'UNINSTALL', 'UNLOCK', 'USE', 'XA',
]);

function mysqlRefusal(text: string): ReadOnlyRefusal | null {
  for (const statement of splitStatements(text, 'mysql')) {
    const [first = '', second = ''] = statement.head;
    if (MYSQL_ALLOWED.has(first)) continue;
    if (first === 'SET' && second.startsWith('@') && !second.startsWith('@@')) continue;
    // A misspelt SELECT is no statement at all: saying MySQL would commit before it misleads.
    if (!MYSQL_STATEMENT_WORDS.has(first)) {
      return {
        statement: statement.head.join(' '),
        reason: `${first} is not a statement read-only mode runs (check the spelling): it runs SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, TABLE, VALUES and DO`,
      };
    }
    return {
      statement: statement.head.join(' '),
      reason: `${first} is refused in read-only mode: MySQL commits implicitly before it (or it changes the session), which would end the read-only transaction`,
    };
  }
  return null;
}

/** Why `text` may not run in read-only mode on this type of database, or null. */
export function readOnlyRefusal(type: DatabaseType, text: string): ReadOnlyRefusal | null {
  if (type === 'mssql') return tsqlRefusal(text);
  if (type === 'postgres') return postgresRefusal(text);
  return mysqlRefusal(text);
}
