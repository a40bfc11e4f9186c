/** The statements the parser produces, and the keywords that start or end them. */
import type { SqlToken } from './lexer';
import type { DeclaredType } from './types';

export type Tokens = SqlToken[];

export interface ProcParam {
  name: string;
  type: DeclaredType;
  defaultValue?: Tokens;
  output: boolean;
}

export interface ExecArg {
  name?: string;
  value: Tokens;
  output: boolean;
  isDefault: boolean;
}

export type Statement = { line: number } & (
  | { kind: 'sql'; tokens: Tokens; verb: string }
  | { kind: 'selectAssign'; tokens: Tokens }
  | { kind: 'declare'; vars: Array<{ name: string; type: DeclaredType; init?: Tokens }> }
  | { kind: 'set'; name: string; op: string; expr: Tokens }
  | { kind: 'setOption'; option: string; tokens: Tokens }
  | { kind: 'if'; cond: Tokens; then: Statement; otherwise?: Statement }
  | { kind: 'while'; cond: Tokens; body: Statement }
  | { kind: 'block'; body: Statement[] }
  | { kind: 'try'; body: Statement[]; handler: Statement[] }
  | { kind: 'beginTran' }
  | { kind: 'commitTran' }
  | { kind: 'rollbackTran' }
  | { kind: 'exec'; returnVar?: string; procName: string; args: ExecArg[] }
  | { kind: 'execString'; expr: Tokens }
  | { kind: 'return'; expr?: Tokens }
  | { kind: 'throw'; args?: Tokens[] }
  | { kind: 'raiserror'; args: Tokens[]; options: string[] }
  | { kind: 'print'; expr: Tokens }
  | { kind: 'waitfor'; delay: Tokens }
  | { kind: 'use'; database: string }
  | { kind: 'createProc'; name: string; schema?: string; orAlter: boolean; alter: boolean; params: ProcParam[]; body: string; bodyLine: number; definition: string }
  | { kind: 'dropProc'; names: string[]; ifExists: boolean }
  | { kind: 'alterLogin'; login: string; password: string; oldPassword?: string }
  | { kind: 'break' }
  | { kind: 'continue' }
);

/** Keywords that begin a statement; at paren depth 0 they end the statement before them. */
export const STATEMENT_START = new Set([
  'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'DECLARE', 'SET', 'IF', 'ELSE', 'WHILE', 'BEGIN', 'END', 'COMMIT', 'ROLLBACK',
  'SAVE', 'EXEC', 'EXECUTE', 'RETURN', 'THROW', 'RAISERROR', 'PRINT', 'WAITFOR', 'CREATE', 'ALTER', 'DROP', 'TRUNCATE',
  'USE', 'WITH', 'MERGE', 'GRANT', 'DENY', 'REVOKE', 'BREAK', 'CONTINUE', 'GO', 'OPEN', 'FETCH', 'CLOSE', 'DEALLOCATE',
  'GOTO', 'DBCC', 'BACKUP', 'RESTORE', 'KILL', 'CHECKPOINT', 'RECONFIGURE', 'SHUTDOWN', 'BULK', 'READTEXT', 'WRITETEXT',
  'UPDATETEXT', 'ENABLE', 'DISABLE',
]);

export const UNSUPPORTED_STATEMENTS = new Set([
  'GRANT', 'DENY', 'REVOKE', 'OPEN', 'FETCH', 'CLOSE', 'DEALLOCATE', 'GOTO', 'DBCC', 'BACKUP', 'RESTORE', 'KILL',
  'CHECKPOINT', 'RECONFIGURE', 'SHUTDOWN', 'BULK', 'READTEXT', 'WRITETEXT', 'UPDATETEXT', 'ENABLE', 'DISABLE', 'SAVE',
]);

/** Reserved words that can never be a bare identifier (used to tell names from keywords). */
export const RESERVED = new Set([
  ...STATEMENT_START,
  'ADD', 'ALL', 'AND', 'ANY', 'AS', 'ASC', 'AUTHORIZATION', 'BETWEEN', 'BY', 'CASCADE', 'CASE', 'CHECK', 'CLUSTERED',
  'COLLATE', 'COLUMN', 'CONSTRAINT', 'CROSS', 'CURRENT', 'DEFAULT', 'DESC', 'DISTINCT', 'ESCAPE', 'EXCEPT', 'EXISTS',
  'EXTERNAL', 'FOR', 'FOREIGN', 'FROM', 'FULL', 'FUNCTION', 'GROUP', 'HAVING', 'IDENTITY', 'IN', 'INDEX', 'INNER',
  'INTERSECT', 'INTO', 'IS', 'JOIN', 'KEY', 'LEFT', 'LIKE', 'NONCLUSTERED', 'NOT', 'NULL', 'OF', 'OFF', 'ON', 'OPTION',
  'OR', 'ORDER', 'OUTER', 'OVER', 'PERCENT', 'PIVOT', 'PRIMARY', 'PROC', 'PROCEDURE', 'REFERENCES', 'RIGHT', 'SCHEMA',
  'SOME', 'TABLE', 'THEN', 'TO', 'TOP', 'TRAN', 'TRANSACTION', 'TRIGGER', 'UNION', 'UNIQUE', 'UNPIVOT', 'VALUES', 'VIEW',
  'WHEN', 'WHERE', 'APPLY', 'OUTPUT',
]);
