/**
 * What every part of the executor shares: the session state it reads and changes, the frame of
 * one batch or procedure body, and the interpreter surface that procedures and RPC calls use.
 */
import type { DatabaseEngine } from '../engine';
import type { SqlError } from '../errors';
import type { ResponseBuilder, Token } from '../protocol/tokens';
import type { SqlValue } from '../protocol/types';
import { parseBatch } from '../tsql/parser';
import type { Statement, Tokens } from '../tsql/statements';
import type { DeclaredType } from '../tsql/types';
import type { PendingBulkLoad } from './bulk';

export interface ServerContext {
  readonly serverName: string;
  /** @@VERSION */
  readonly versionString: string;
  /** The engine session `spid` runs `database` on (its own connection with the PostgreSQL backend). */
  openEngine(database: string, spid: number): Promise<DatabaseEngine>;
  canAccess(login: string, database: string): boolean;
  /** `ALTER LOGIN … WITH PASSWORD` run by `caller`; throws SQL Server's refusal. */
  alterLoginPassword(caller: string, change: { login: string; password: string; oldPassword?: string | undefined }, line: number): void;
}

export interface PreparedStatement {
  params: string;
  statement: string;
}

/** The per-connection state the executor reads and changes. */
export interface ExecutionSession {
  readonly spid: number;
  readonly login: string;
  readonly hostName: string;
  readonly appName: string;
  readonly server: ServerContext;
  engine: DatabaseEngine;
  tranCount: number;
  txRelease: (() => void) | undefined;
  txDescriptor: Buffer;
  /** The engine's `schemaVersion` when the open transaction began. */
  txSchemaVersion: number | undefined;
  nocount: boolean;
  xactAbort: boolean;
  lockTimeoutMs: number;
  lastIdentity: SqlValue;
  rowCount: number;
  lastErrorNumber: number;
  catchError: SqlError | undefined;
  readonly tempTables: Map<string, DatabaseEngine>;
  /** #procedures this session created: catalogue key → the database holding it. */
  readonly tempProcedures: Map<string, DatabaseEngine>;
  readonly prepared: Map<number, PreparedStatement>;
  nextPreparedHandle: number;
  /** An accepted `INSERT BULK` whose rows (the next BULK_LOAD message) have not arrived yet. */
  pendingBulkLoad: PendingBulkLoad | undefined;
}

/** The request was cancelled by an ATTENTION. */
export class CancelledError extends Error {
  readonly code = 'ECANCEL';
  constructor() {
    super('request cancelled');
    this.name = 'CancelledError';
  }
}

export interface Variable {
  name: string;
  type: DeclaredType;
  pgType: string;
  value: SqlValue;
}

export type Flow = 'next' | 'break' | 'continue' | 'return';

export interface Frame {
  scope: Map<string, Variable>;
  doneToken: typeof Token.DONE | typeof Token.DONEINPROC;
  procName: string;
  lineOffset: number;
  depth: number;
  tryDepth: number;
  returnValue: number | undefined;
  /** True only for the statements of a SQL_BATCH itself (not inside EXEC or sp_executesql). */
  topLevelBatch: boolean;
}

export function newFrame(doneToken: Frame['doneToken'], procName: string, lineOffset: number, depth: number, topLevelBatch: boolean): Frame {
  return { scope: new Map(), doneToken, procName, lineOffset, depth, tryDepth: 0, returnValue: undefined, topLevelBatch };
}

const PARSE_CACHE_LIMIT = 2000;
const parseCache = new Map<string, Statement[]>();

export function parseCached(text: string): Statement[] {
  const hit = parseCache.get(text);
  if (hit) return hit;
  const parsed = parseBatch(text);
  if (parseCache.size >= PARSE_CACHE_LIMIT) {
    const oldest = parseCache.keys().next().value;
    if (oldest !== undefined) parseCache.delete(oldest);
  }
  parseCache.set(text, parsed);
  return parsed;
}

export function errorLine(frame: Frame, line: number): number {
  return frame.lineOffset + line;
}

export function lowerName(name: string): string {
  return name.toLowerCase();
}

/** The interpreter as procedures and RPC calls see it. */
export interface Interpreter {
  readonly session: ExecutionSession;
  readonly out: ResponseBuilder;
  readonly signal: AbortSignal;
  runStatements(frame: Frame, statements: Statement[]): Promise<Flow>;
  evaluate(frame: Frame, tokens: Tokens, type?: DeclaredType): Promise<SqlValue>;
  variable(frame: Frame, name: string, line: number): Variable;
  withEngine<T>(fn: (engine: DatabaseEngine) => Promise<T>): Promise<T>;
  /** `SELECT 1` and friends, answered without PostgreSQL; false when `text` is not one. */
  constantSelect(text: string, frame: Frame): boolean;
  asSqlError(e: unknown, frame: Frame, line: number): SqlError;
  reportError(err: SqlError): void;
}
