/**
 * Runs T-SQL for one request: interprets control flow, variables, transactions, EXEC and
 * procedures itself, and sends every other statement, translated, to the database's PGlite.
 * Results are written as TDS tokens into the request's ResponseBuilder.
 */
import { AppLockResult, type AppLockOwnerKind } from './applocks';
import type { DatabaseEngine, PgResult, ProcedureDef } from './engine';
import { SqlError, fromPgError, unsupported } from './errors';
import { LockAbortedError, LockTimeoutError } from './mutex';
import type { RpcParam, RpcRequest } from './protocol/rpc';
import { type Column, DoneStatus, EnvChange, type ResponseBuilder, Token } from './protocol/tokens';
import { type SqlValue, type TdsType, scaledDecimal, tdsTypeForPg } from './protocol/types';
import type { SqlToken } from './tsql/lexer';
import { type ExecArg, type Statement, type Tokens, parseBatch, parseParamDeclarations, splitTopLevel } from './tsql/parser';
import { type Chunk, type TranslatedSql, UNNAMED_COLUMN, quoteIdent, translateExpression, translateStatement } from './tsql/translate';
import { type DeclaredType, catalogueShape, declaredTypeOfTds, formatType, normaliseType, pgTypeOfDeclared } from './tsql/types';

export interface ServerContext {
  readonly serverName: string;
  /** @@VERSION */
  readonly versionString: string;
  openEngine(database: string): Promise<DatabaseEngine>;
  canAccess(login: string, database: string): boolean;
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
  nocount: boolean;
  xactAbort: boolean;
  lockTimeoutMs: number;
  lastIdentity: SqlValue;
  rowCount: number;
  lastErrorNumber: number;
  catchError: SqlError | undefined;
  readonly tempTables: Map<string, DatabaseEngine>;
  readonly prepared: Map<number, PreparedStatement>;
  nextPreparedHandle: number;
}

/** The request was cancelled by an ATTENTION. */
export class CancelledError extends Error {
  readonly code = 'ECANCEL';
  constructor() {
    super('request cancelled');
    this.name = 'CancelledError';
  }
}

interface Variable {
  name: string;
  type: DeclaredType;
  pgType: string;
  value: SqlValue;
}

type Flow = 'next' | 'break' | 'continue' | 'return';

interface Frame {
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

const MAX_NESTING = 32;
const PARSE_CACHE_LIMIT = 2000;
const parseCache = new Map<string, Statement[]>();
const translateCache = new WeakMap<Statement, TranslatedSql>();

function parseCached(text: string): Statement[] {
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

function translateCached(s: Statement & { kind: 'sql' }): TranslatedSql {
  let t = translateCache.get(s);
  if (!t) {
    t = translateStatement(s.tokens);
    translateCache.set(s, t);
  }
  return t;
}

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

const CONSTANT_SELECT = /^\s*select\s+(-?\d{1,9})\s*;?\s*$/i;

function errorLine(frame: Frame, line: number): number {
  return frame.lineOffset + line;
}

function lowerName(name: string): string {
  return name.toLowerCase();
}

function toParam(v: SqlValue): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return v;
}

function asNumber(v: SqlValue): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number(v);
}

function asText(v: SqlValue): string {
  if (v === null) return '';
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

/** Parses WAITFOR DELAY 'hh:mm[:ss[.mmm]]' into milliseconds. */
function delayMs(text: string, line: number): number {
  const m = /^\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,3}))?)?\s*$/.exec(text);
  if (!m) throw new SqlError({ number: 148, class: 15, message: "Incorrect time syntax in time string used with WAITFOR.", line });
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 1000 + Number((m[4] ?? '0').padEnd(3, '0'));
}

/** printf-style substitution as RAISERROR does it (%s %d %i %u %x, width and precision ignored). */
function formatRaiserror(format: string, args: SqlValue[]): string {
  let k = 0;
  return format.replace(/%([-+ 0#]*)(\d+|\*)?(?:\.(\d+|\*))?(h|l|I64)?([sdiuxXo%])/g, (_m, _flags, _w, _p, _len, conv: string) => {
    if (conv === '%') return '%';
    const v = args[k++];
    if (v === undefined) return '(null)';
    if (v === null) return '(null)';
    if (conv === 's') return asText(v);
    const n = Math.trunc(asNumber(v));
    if (conv === 'x') return n.toString(16);
    if (conv === 'X') return n.toString(16).toUpperCase();
    if (conv === 'o') return n.toString(8);
    return String(n);
  });
}

export class Executor {
  constructor(
    private readonly session: ExecutionSession,
    private readonly out: ResponseBuilder,
    private readonly signal: AbortSignal,
  ) {}

  private checkCancelled(): void {
    if (this.signal.aborted) throw new CancelledError();
  }

  // -------------------------------------------------------------------------------------------
  // Entry points

  async sqlBatch(text: string): Promise<void> {
    const frame = this.newFrame(Token.DONE, '', 0, 0, true);
    try {
      if (this.constantSelect(text, frame)) return;
      const statements = parseCached(text);
      await this.runStatements(frame, statements);
    } catch (e) {
      this.handleTopLevelError(e, frame);
    }
  }

  async rpc(request: RpcRequest): Promise<void> {
    const name = request.procName === undefined ? undefined : lowerName(stripSchema(request.procName));
    const id = request.procId;
    try {
      if (id === 10 || name === 'sp_executesql') return await this.rpcExecuteSql(request.params);
      if (id === 11 || name === 'sp_prepare') return await this.rpcPrepare(request.params, false);
      if (id === 13 || name === 'sp_prepexec') return await this.rpcPrepare(request.params, true);
      if (id === 12 || name === 'sp_execute') return await this.rpcExecutePrepared(request.params);
      if (id === 15 || name === 'sp_unprepare') {
        const handle = request.params[0]?.value;
        this.session.prepared.delete(asNumber(handle ?? null));
        this.finishProc(0, []);
        return;
      }
      if (id !== undefined) throw unsupported(`RPC procedure id ${id}`);
      await this.rpcProcedure(request.procName ?? '', request.params);
    } catch (e) {
      this.handleRpcError(e);
    }
  }

  private handleRpcError(e: unknown): void {
    if (e instanceof CancelledError) {
      this.out.done(Token.DONEPROC, 0);
      return;
    }
    const err = this.asSqlError(e, this.newFrame(Token.DONEINPROC, '', 0, 1, false), 0);
    this.reportError(err);
    this.out.done(Token.DONEPROC, DoneStatus.ERROR);
  }

  private newFrame(doneToken: Frame['doneToken'], procName: string, lineOffset: number, depth: number, topLevelBatch: boolean): Frame {
    return { scope: new Map(), doneToken, procName, lineOffset, depth, tryDepth: 0, returnValue: undefined, topLevelBatch };
  }

  /** `SELECT 1` and friends answer without touching PostgreSQL: the pool health-check path. */
  private constantSelect(text: string, frame: Frame): boolean {
    const m = CONSTANT_SELECT.exec(text);
    if (!m) return false;
    this.out.resultSet([{ name: '', type: { kind: 'int', size: 4 } }], [[Number(m[1])]]);
    this.out.done(frame.doneToken, 0, this.session.nocount ? undefined : 1);
    this.session.rowCount = 1;
    this.session.lastErrorNumber = 0;
    return true;
  }

  private handleTopLevelError(e: unknown, frame: Frame): void {
    if (e instanceof CancelledError) return;
    const err = this.asSqlError(e, frame, 0);
    this.reportError(err);
    this.out.done(frame.doneToken, DoneStatus.ERROR);
  }

  private reportError(err: SqlError): void {
    this.session.lastErrorNumber = err.number;
    const m = { number: err.number, state: err.state, class: err.class, message: err.message, procName: err.procName, lineNumber: err.line };
    if (err.class <= 10) this.out.info(m);
    else this.out.error(m);
  }

  private asSqlError(e: unknown, frame: Frame, line: number): SqlError {
    let err: SqlError;
    if (e instanceof SqlError) err = e;
    else if (e instanceof LockTimeoutError) err = new SqlError({ number: 1222, class: 16, message: 'Lock request time out period exceeded.' });
    else err = fromPgError(e, { database: this.session.engine.name, statement: '', line: 0 });
    if (!err.located) {
      if (err.line === 0) err.line = errorLine(frame, line || 1);
      else if (frame.lineOffset > 0) err.line = errorLine(frame, err.line);
      if (!err.procName) err.procName = frame.procName;
      err.located = true;
    }
    return err;
  }

  // -------------------------------------------------------------------------------------------
  // Statements

  private async runStatements(frame: Frame, statements: Statement[]): Promise<Flow> {
    for (const s of statements) {
      this.checkCancelled();
      try {
        const flow = await this.statement(frame, s);
        if (flow !== 'next') return flow;
      } catch (e) {
        if (e instanceof CancelledError || e instanceof LockAbortedError) throw new CancelledError();
        const err = this.asSqlError(e, frame, s.line);
        if (this.session.xactAbort && this.session.tranCount > 0 && err.class >= 11) {
          await this.rollbackTransaction(false);
          throw Object.assign(err, { abortsBatch: true });
        }
        if (frame.tryDepth > 0 || err.abortsBatch) throw err;
        this.reportError(err);
        this.out.done(frame.doneToken, DoneStatus.ERROR);
      }
    }
    return 'next';
  }

  private async statement(frame: Frame, s: Statement): Promise<Flow> {
    switch (s.kind) {
      case 'sql':
        await this.sqlStatement(frame, s);
        return 'next';
      case 'selectAssign':
        await this.selectAssign(frame, s.tokens, s.line);
        return 'next';
      case 'declare':
        for (const v of s.vars) {
          const key = lowerName(v.name);
          if (frame.scope.has(key)) {
            throw new SqlError({ number: 134, class: 15, message: `The variable name '${v.name}' has already been declared. Variable names must be unique within a query batch or stored procedure.`, line: errorLine(frame, s.line) });
          }
          const variable: Variable = { name: v.name, type: v.type, pgType: pgTypeOfDeclared(v.type), value: null };
          frame.scope.set(key, variable);
          if (v.init) variable.value = await this.evaluate(frame, v.init, variable.type);
        }
        return 'next';
      case 'set': {
        const variable = this.variable(frame, s.name, s.line);
        let expr = s.expr;
        if (s.op !== '=') {
          const opTok: SqlToken = { kind: 'op', text: s.op[0] as string, upper: s.op[0] as string, line: s.line, start: 0, end: 0, spaceBefore: true };
          const varTok: SqlToken = { kind: 'var', text: s.name, upper: s.name, line: s.line, start: 0, end: 0, spaceBefore: true };
          const open: SqlToken = { ...opTok, text: '(', upper: '(' };
          const close: SqlToken = { ...opTok, text: ')', upper: ')' };
          expr = [varTok, opTok, open, ...s.expr, close];
        }
        variable.value = await this.evaluate(frame, expr, variable.type);
        return 'next';
      }
      case 'setOption':
        this.setOption(s.option, s.tokens, errorLine(frame, s.line));
        return 'next';
      case 'if': {
        const cond = await this.condition(frame, s.cond);
        if (cond) return this.statement(frame, s.then);
        if (s.otherwise) return this.statement(frame, s.otherwise);
        return 'next';
      }
      case 'while':
        for (;;) {
          this.checkCancelled();
          if (!(await this.condition(frame, s.cond))) return 'next';
          const flow = await this.statement(frame, s.body);
          if (flow === 'break') return 'next';
          if (flow === 'return') return flow;
        }
      case 'block':
        return this.runStatements(frame, s.body);
      case 'try':
        return this.tryCatch(frame, s.body, s.handler);
      case 'beginTran':
        await this.beginTransaction();
        return 'next';
      case 'commitTran':
        await this.commitTransaction(errorLine(frame, s.line));
        return 'next';
      case 'rollbackTran':
        if (this.session.tranCount === 0) {
          throw new SqlError({ number: 3903, class: 16, message: 'The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.', line: errorLine(frame, s.line), abortsBatch: false });
        }
        await this.rollbackTransaction(true);
        return 'next';
      case 'exec':
        await this.execStatement(frame, s.procName, s.args, s.returnVar, s.line);
        return 'next';
      case 'execString': {
        const text = asText(await this.evaluate(frame, s.expr, { name: 'nvarchar', length: 'max' }));
        const inner = this.newFrame(Token.DONEINPROC, frame.procName, 0, frame.depth + 1, false);
        await this.runStatements(inner, parseCached(text));
        return 'next';
      }
      case 'return':
        if (s.expr) {
          if (frame.depth === 0 && frame.topLevelBatch) {
            throw new SqlError({ number: 178, class: 15, message: 'A RETURN statement with a return value cannot be used in this context.', line: errorLine(frame, s.line) });
          }
          const v = await this.evaluate(frame, s.expr, { name: 'int' });
          frame.returnValue = v === null ? 0 : Math.trunc(asNumber(v));
        }
        return 'return';
      case 'throw':
        throw await this.throwError(frame, s.args, s.line);
      case 'raiserror':
        await this.raiserror(frame, s.args, s.line);
        return 'next';
      case 'print': {
        const v = await this.evaluate(frame, s.expr, { name: 'nvarchar', length: 4000 });
        this.out.info({ number: 0, state: 1, class: 0, message: asText(v), procName: frame.procName, lineNumber: errorLine(frame, s.line) });
        return 'next';
      }
      case 'waitfor': {
        const v = await this.evaluate(frame, s.delay, { name: 'varchar', length: 30 });
        await this.sleep(delayMs(asText(v), errorLine(frame, s.line)));
        return 'next';
      }
      case 'use':
        await this.useDatabase(s.database, errorLine(frame, s.line));
        return 'next';
      case 'createProc':
        await this.createProcedure(frame, s);
        return 'next';
      case 'dropProc':
        await this.dropProcedures(frame, s.names, s.ifExists, s.line);
        return 'next';
      case 'break':
        return 'break';
      case 'continue':
        return 'continue';
    }
  }

  private async tryCatch(frame: Frame, body: Statement[], handler: Statement[]): Promise<Flow> {
    let caught: SqlError | undefined;
    frame.tryDepth++;
    try {
      const flow = await this.runStatements(frame, body);
      if (flow !== 'next') return flow;
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      caught = this.asSqlError(e, frame, 0);
    } finally {
      frame.tryDepth--;
    }
    if (!caught) return 'next';
    const previous = this.session.catchError;
    this.session.catchError = caught;
    this.session.lastErrorNumber = caught.number;
    try {
      return await this.runStatements(frame, handler);
    } finally {
      this.session.catchError = previous;
    }
  }

  private sleep(ms: number): Promise<void> {
    this.checkCancelled();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new CancelledError());
      };
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private setOption(option: string, tokens: Tokens, line: number): void {
    const words = tokens.map((t) => t.upper);
    const value = words[1];
    switch (option) {
      case 'NOCOUNT':
        this.session.nocount = value === 'ON';
        return;
      case 'XACT_ABORT':
        this.session.xactAbort = value === 'ON';
        return;
      case 'LOCK_TIMEOUT': {
        const n = Number((words[1] === '-' ? '-' : '') + (words[words.length - 1] ?? '-1'));
        this.session.lockTimeoutMs = Number.isFinite(n) ? n : -1;
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

  // -------------------------------------------------------------------------------------------
  // Variables and expressions

  private variable(frame: Frame, name: string, line: number): Variable {
    const v = frame.scope.get(lowerName(name));
    if (!v) throw new SqlError({ number: 137, class: 15, message: `Must declare the scalar variable "${name}".`, line: errorLine(frame, line) });
    return v;
  }

  /** Resolves a reference to its value and the PostgreSQL type to bind it as. */
  private resolveRef(frame: Frame, ref: Exclude<Chunk, string>, line: number): { value: SqlValue; pgType: string } {
    const s = this.session;
    switch (ref.ref) {
      case 'var': {
        const v = this.variable(frame, ref.name, line);
        return { value: v.value, pgType: v.pgType };
      }
      case 'sys':
        switch (ref.name) {
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
            throw unsupported(ref.name, errorLine(frame, line));
        }
      case 'fn': {
        const err = s.catchError;
        switch (ref.name) {
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
            throw unsupported(`${ref.name}()`, errorLine(frame, line));
        }
      }
      case 'temp':
        return { value: null, pgType: '' };
    }
  }

  /** Turns translated chunks into SQL text with $n parameters. */
  private assemble(frame: Frame, chunks: readonly Chunk[], line: number): { text: string; params: unknown[] } {
    let text = '';
    const params: unknown[] = [];
    const seen = new Map<string, number>();
    for (const c of chunks) {
      if (typeof c === 'string') {
        text += ` ${c}`;
        continue;
      }
      if (c.ref === 'temp') {
        text += ` ${quoteIdent(`${c.name}__${this.session.spid}`)}`;
        continue;
      }
      const key = `${c.ref}:${c.name.toLowerCase()}`;
      let n = seen.get(key);
      let pgType: string;
      if (n === undefined) {
        const r = this.resolveRef(frame, c, line);
        params.push(toParam(r.value));
        n = params.length;
        seen.set(key, n);
        pgType = r.pgType;
      } else {
        pgType = this.resolveRef(frame, c, line).pgType;
      }
      text += ` ($${n}::${pgType})`;
    }
    return { text, params };
  }

  /** A literal or variable converted in JS, or undefined when PostgreSQL must do it. */
  private quickValue(frame: Frame, tokens: Tokens, type: DeclaredType | undefined): SqlValue | undefined {
    let sign = '';
    let list = tokens;
    if (list.length === 2 && list[0]?.kind === 'op' && (list[0].text === '-' || list[0].text === '+')) {
      sign = list[0].text === '-' ? '-' : '';
      list = list.slice(1);
    }
    if (list.length !== 1) return undefined;
    const tok = list[0] as SqlToken;
    let v: SqlValue;
    let fromType: DeclaredType | undefined;
    if (tok.kind === 'number') v = sign + tok.text;
    else if (tok.kind === 'string' && !sign) v = tok.text;
    else if (tok.kind === 'word' && tok.upper === 'NULL' && !sign) return null;
    else if (tok.kind === 'var' && !sign) {
      const variable = this.variable(frame, tok.text, tok.line);
      v = variable.value;
      fromType = variable.type;
    } else return undefined;
    if (v === null) return null;
    return coerce(v, type, fromType);
  }

  async evaluate(frame: Frame, tokens: Tokens, type?: DeclaredType): Promise<SqlValue> {
    const quick = this.quickValue(frame, tokens, type);
    if (quick !== undefined) return quick;
    const line = tokens[0]?.line ?? 0;
    const chunks = translateExpression(tokens);
    const inner: Chunk[] = type ? ['SELECT CAST((', ...chunks, `) AS ${pgTypeOfDeclared(type)})`] : ['SELECT (', ...chunks, ')'];
    const r = await this.runPg(frame, inner, line, 'SELECT');
    return r.rows[0]?.[0] ?? null;
  }

  private async condition(frame: Frame, tokens: Tokens): Promise<boolean> {
    const line = tokens[0]?.line ?? 0;
    const chunks = translateExpression(tokens);
    const r = await this.runPg(frame, ['SELECT CASE WHEN', ...chunks, 'THEN 1 ELSE 0 END'], line, 'SELECT');
    return r.rows[0]?.[0] === 1;
  }

  // -------------------------------------------------------------------------------------------
  // PostgreSQL access

  private async withEngine<T>(fn: (engine: DatabaseEngine) => Promise<T>): Promise<T> {
    const s = this.session;
    const engine = s.engine;
    if (s.tranCount > 0) {
      await engine.exec('SAVEPOINT em_statement');
      try {
        const result = await fn(engine);
        await engine.exec('RELEASE SAVEPOINT em_statement');
        return result;
      } catch (e) {
        await engine.exec('ROLLBACK TO SAVEPOINT em_statement');
        throw e;
      }
    }
    const release = await engine.mutex.acquire(s.spid, { signal: this.signal, timeoutMs: s.lockTimeoutMs });
    try {
      return await fn(engine);
    } finally {
      release();
    }
  }

  private async runPg(frame: Frame, chunks: readonly Chunk[], line: number, verb: string, insertInto?: string): Promise<PgResult> {
    this.checkCancelled();
    const { text, params } = this.assemble(frame, chunks, line);
    try {
      return await this.withEngine(async (engine) => {
        const r = await engine.query(text, params);
        if (verb === 'CREATE' || verb === 'ALTER' || verb === 'DROP') engine.invalidateSchema();
        if (insertInto !== undefined && (insertInto.startsWith('#') || (await engine.hasIdentity(insertInto)))) {
          const id = await engine.query('SELECT __emulator.last_identity()');
          const value = id.rows[0]?.[0];
          if (value !== null && value !== undefined) this.session.lastIdentity = value;
        }
        return r;
      });
    } catch (e) {
      if (e instanceof LockAbortedError) throw new CancelledError();
      if (e instanceof SqlError || e instanceof LockTimeoutError) throw e;
      throw fromPgError(e, { database: this.session.engine.name, statement: verb, line: errorLine(frame, line) });
    }
  }

  private async sqlStatement(frame: Frame, s: Statement & { kind: 'sql' }): Promise<void> {
    const tr = translateCached(s);
    const r = await this.runPg(frame, tr.chunks, s.line, tr.verb, tr.verb === 'INSERT' ? insertTarget(s.tokens) : undefined);
    if (tr.createsTemp) this.session.tempTables.set(`${tr.createsTemp}__${this.session.spid}`, this.session.engine);
    const dml = tr.verb === 'INSERT' || tr.verb === 'UPDATE' || tr.verb === 'DELETE' || (tr.verb === 'WITH' && r.fields.length === 0);
    if (r.fields.length > 0) {
      this.emitRows(frame, r);
      return;
    }
    const count = dml ? (r.rowCount ?? 0) : undefined;
    this.session.rowCount = count ?? 0;
    this.session.lastErrorNumber = 0;
    this.out.done(frame.doneToken, 0, this.session.nocount ? undefined : count);
  }

  private emitRows(frame: Frame, r: PgResult): void {
    const columns: Column[] = r.fields.map((f, k) => ({
      name: f.name === UNNAMED_COLUMN ? '' : f.name,
      type: tdsTypeForPg(f.dataTypeID, r.rows.map((row) => row[k] ?? null)),
    }));
    this.out.resultSet(columns, r.rows);
    this.session.rowCount = r.rows.length;
    this.session.lastErrorNumber = 0;
    this.out.done(frame.doneToken, 0, this.session.nocount ? undefined : r.rows.length);
  }

  /** SELECT @a = expr, @b = expr [FROM ...]: the last row's values win, as in SQL Server. */
  private async selectAssign(frame: Frame, tokens: Tokens, line: number): Promise<void> {
    let j = 1;
    const head: Chunk[] = ['SELECT'];
    if (tokens[j]?.kind === 'word' && ['DISTINCT', 'ALL'].includes((tokens[j] as SqlToken).upper)) {
      head.push((tokens[j] as SqlToken).upper);
      j++;
    }
    let depth = 0;
    let end = j;
    for (; end < tokens.length; end++) {
      const tok = tokens[end] as SqlToken;
      if (tok.kind === 'op' && tok.text === '(') depth++;
      if (tok.kind === 'op' && tok.text === ')') depth--;
      if (tok.kind === 'word' && tok.upper === 'CASE') depth++;
      if (tok.kind === 'word' && tok.upper === 'END' && depth > 0) depth--;
      if (depth === 0 && tok.kind === 'word' && ['FROM', 'WHERE', 'GROUP', 'HAVING', 'ORDER', 'UNION', 'OPTION'].includes(tok.upper)) break;
    }
    const targets: Variable[] = [];
    splitTopLevel(tokens.slice(j, end)).forEach((item, k) => {
      const v = item[0];
      const op = item[1];
      if (!v || v.kind !== 'var' || !op || op.kind !== 'op') throw new SqlError({ number: 141, class: 15, message: 'A SELECT statement that assigns a value to a variable must not be combined with data-retrieval operations.', line: errorLine(frame, line) });
      const variable = this.variable(frame, v.text, line);
      targets.push(variable);
      if (k > 0) head.push(',');
      let expr = translateExpression(item.slice(2));
      if (op.text !== '=') expr = [{ ref: 'var', name: v.text }, op.text[0] as string, '(', ...expr, ')'];
      head.push('CAST((', ...expr, `) AS ${variable.pgType})`);
    });
    const rest = end < tokens.length ? translateExpression(tokens.slice(end)) : [];
    const r = await this.runPg(frame, [...head, ...rest], line, 'SELECT');
    const last = r.rows[r.rows.length - 1];
    if (last) targets.forEach((t, k) => (t.value = last[k] ?? null));
    this.session.rowCount = r.rows.length;
    this.out.done(frame.doneToken, 0, this.session.nocount ? undefined : r.rows.length);
  }

  // -------------------------------------------------------------------------------------------
  // Transactions

  async beginTransaction(): Promise<void> {
    const s = this.session;
    if (s.tranCount > 0) {
      s.tranCount++;
      return;
    }
    let release: () => void;
    try {
      release = await s.engine.mutex.acquire(s.spid, { signal: this.signal, timeoutMs: s.lockTimeoutMs });
    } catch (e) {
      if (e instanceof LockAbortedError) throw new CancelledError();
      if (e instanceof LockTimeoutError) throw new SqlError({ number: 1222, class: 16, message: 'Lock request time out period exceeded.' });
      throw e;
    }
    try {
      await s.engine.exec('BEGIN');
    } catch (e) {
      release();
      throw e;
    }
    s.txRelease = release;
    s.tranCount = 1;
    const descriptor = Buffer.alloc(8);
    descriptor.writeUInt32LE(s.spid, 0);
    descriptor.writeUInt32LE((s.txDescriptor.readUInt32LE(4) + 1) >>> 0, 4);
    s.txDescriptor = descriptor;
    this.out.envChange(EnvChange.BEGIN_TRAN, descriptor, Buffer.alloc(0));
  }

  async commitTransaction(line = 0): Promise<void> {
    const s = this.session;
    if (s.tranCount === 0) {
      throw new SqlError({ number: 3902, class: 16, message: 'The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.', line, abortsBatch: false });
    }
    if (s.tranCount > 1) {
      s.tranCount--;
      return;
    }
    try {
      await s.engine.exec('COMMIT');
    } finally {
      this.endTransaction();
    }
    this.out.envChange(EnvChange.COMMIT_TRAN, Buffer.alloc(0), s.txDescriptor);
  }

  async rollbackTransaction(announce: boolean): Promise<void> {
    const s = this.session;
    if (s.tranCount === 0) return;
    try {
      await s.engine.exec('ROLLBACK');
    } finally {
      s.engine.invalidateProcedures();
      this.endTransaction();
    }
    if (announce) this.out.envChange(EnvChange.ROLLBACK_TRAN, Buffer.alloc(0), s.txDescriptor);
  }

  private endTransaction(): void {
    const s = this.session;
    s.tranCount = 0;
    s.engine.appLocks.releaseAll(s.spid, 'Transaction');
    const release = s.txRelease;
    s.txRelease = undefined;
    release?.();
  }

  private async useDatabase(database: string, line: number): Promise<void> {
    const s = this.session;
    if (s.tranCount > 0) throw unsupported('USE inside a transaction', line);
    if (!s.server.canAccess(s.login, database)) {
      throw new SqlError({ number: 911, class: 16, message: `Database '${database}' does not exist. Make sure that the name is entered correctly.`, line });
    }
    const old = s.engine.name;
    s.engine = await s.server.openEngine(database);
    this.out.envChange(EnvChange.DATABASE, s.engine.name, old);
    this.out.info({ number: 5701, state: 1, class: 0, message: `Changed database context to '${s.engine.name}'.`, procName: '', lineNumber: line });
  }

  // -------------------------------------------------------------------------------------------
  // Errors raised by T-SQL

  private async throwError(frame: Frame, args: Tokens[] | undefined, line: number): Promise<SqlError> {
    if (!args) {
      const err = this.session.catchError;
      if (!err) return new SqlError({ number: 10704, class: 15, message: 'To rethrow an error, a THROW statement must be used inside a CATCH block.', line: errorLine(frame, line) });
      const again = new SqlError({ number: err.number, class: err.class, state: err.state, message: err.message, line: err.line, procName: err.procName });
      again.located = true;
      return again;
    }
    const [numberTokens, messageTokens, stateTokens] = args as [Tokens, Tokens, Tokens];
    const number = Math.trunc(asNumber(await this.evaluate(frame, numberTokens, { name: 'int' })));
    const message = asText(await this.evaluate(frame, messageTokens, { name: 'nvarchar', length: 2048 }));
    const state = Math.trunc(asNumber(await this.evaluate(frame, stateTokens, { name: 'tinyint' })));
    if (number < 50000) {
      return new SqlError({ number: 35100, class: 16, message: 'Error number in THROW statement is outside the valid range. Specify an error number in the valid range of 50000 to 2147483647.', line: errorLine(frame, line) });
    }
    return new SqlError({ number, class: 16, state, message, line: errorLine(frame, line), procName: frame.procName });
  }

  private async raiserror(frame: Frame, args: Tokens[], line: number): Promise<void> {
    const values: SqlValue[] = [];
    for (const a of args) values.push(await this.evaluate(frame, a));
    const [msg, severity, state, ...rest] = values;
    if (typeof msg === 'number' || typeof msg === 'bigint') throw unsupported('RAISERROR with a message id (sys.messages)', errorLine(frame, line));
    const cls = Math.max(0, Math.min(Math.trunc(asNumber(severity ?? 16)), 25));
    const message = formatRaiserror(asText(msg ?? ''), rest);
    const st = Math.max(0, Math.trunc(asNumber(state ?? 1)));
    if (cls <= 10) {
      this.out.info({ number: 50000, state: st, class: cls, message, procName: frame.procName, lineNumber: errorLine(frame, line) });
      return;
    }
    const err = new SqlError({ number: 50000, class: Math.min(cls, 19), state: st, message, line: errorLine(frame, line), procName: frame.procName, abortsBatch: cls >= 20 });
    err.located = true;
    throw err;
  }

  // -------------------------------------------------------------------------------------------
  // Procedures

  private async createProcedure(frame: Frame, s: Statement & { kind: 'createProc' }): Promise<void> {
    const line = errorLine(frame, s.line);
    if (s.schema && s.schema.toLowerCase() !== 'dbo') throw unsupported(`Procedures outside the dbo schema ('${s.schema}')`, line);
    const key = lowerName(s.name);
    const params = s.params.map((p, k) => {
      const shape = catalogueShape(p.type);
      return {
        name: p.name,
        parameter_id: k + 1,
        system_type_id: shape.systemTypeId,
        max_length: shape.maxLength,
        precision: shape.precision,
        scale: shape.scale,
        is_output: p.output,
        has_default_value: p.defaultValue !== undefined,
        default_value: p.defaultValue ? p.defaultValue.map((t) => t.text).join('') : null,
        type_name: formatType(p.type),
      };
    });
    await this.withEngine(async (engine) => {
      const existing = await engine.query('SELECT object_id FROM __emulator.procedures WHERE name_key = $1', [key]);
      const exists = existing.rows.length > 0;
      if (exists && !s.orAlter && !s.alter) {
        throw new SqlError({ number: 2714, class: 16, message: `There is already an object named '${s.name}' in the database.`, line });
      }
      if (!exists && s.alter) {
        throw new SqlError({ number: 208, class: 16, message: `Invalid object name '${s.name}'.`, line });
      }
      const table = await engine.query(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND lower(c.relname) = $1",
        [key],
      );
      if (table.rows.length > 0) throw new SqlError({ number: 2714, class: 16, message: `There is already an object named '${s.name}' in the database.`, line });
      if (exists) {
        await engine.query(
          'UPDATE __emulator.procedures SET name = $2, definition = $3, body = $4, body_line = $5, params = $6::jsonb, modify_date = LOCALTIMESTAMP(3) WHERE name_key = $1',
          [key, s.name, s.definition, s.body, s.bodyLine, JSON.stringify(params)],
        );
      } else {
        await engine.query(
          'INSERT INTO __emulator.procedures (name, name_key, definition, body, body_line, params) VALUES ($1, $2, $3, $4, $5, $6::jsonb)',
          [s.name, key, s.definition, s.body, s.bodyLine, JSON.stringify(params)],
        );
      }
      engine.invalidateProcedures();
    });
    this.out.done(frame.doneToken, 0);
  }

  /** SQL Server drops a #temp table created in a procedure when that procedure ends. */
  private async dropTempTablesCreatedSince(before: ReadonlySet<string>): Promise<void> {
    const created = [...this.session.tempTables.keys()].filter((name) => !before.has(name));
    if (created.length === 0) return;
    try {
      await this.withEngine(async (engine) => {
        for (const name of created) await engine.exec(`DROP TABLE IF EXISTS "${name.replace(/"/g, '""')}"`);
      });
    } catch {
      // A cancelled or failed request: the tables stay registered and go at disconnect.
      return;
    }
    for (const name of created) this.session.tempTables.delete(name);
  }

  private async dropProcedures(frame: Frame, names: string[], ifExists: boolean, line: number): Promise<void> {
    await this.withEngine(async (engine) => {
      for (const name of names) {
        const r = await engine.query('DELETE FROM __emulator.procedures WHERE name_key = $1', [lowerName(name)]);
        if ((r.rowCount ?? 0) === 0 && !ifExists) {
          throw new SqlError({ number: 3701, class: 11, message: `Cannot drop the procedure '${name}', because it does not exist or you do not have permission.`, line: errorLine(frame, line), abortsBatch: false });
        }
      }
      engine.invalidateProcedures();
    });
    this.out.done(frame.doneToken, 0);
  }

  /** `name`: the bare procedure name, already unquoted. */
  private async loadProcedure(name: string): Promise<ProcedureDef | null> {
    const key = lowerName(name);
    const engine = this.session.engine;
    const cached = engine.cachedProcedure(key);
    if (cached !== undefined) return cached;
    const r = await this.withEngine((e) => e.query('SELECT object_id, name, definition, body, body_line FROM __emulator.procedures WHERE name_key = $1', [key]));
    const row = r.rows[0];
    let def: ProcedureDef | null = null;
    if (row) {
      const definition = String(row[2]);
      const parsed = parseBatch(definition)[0];
      def = {
        objectId: Number(row[0]),
        name: String(row[1]),
        definition,
        body: String(row[3]),
        bodyLine: Number(row[4]),
        params: parsed && parsed.kind === 'createProc' ? parsed.params : [],
      };
    }
    if (this.session.tranCount === 0) engine.cacheProcedure(key, def);
    return def;
  }

  /** Binds arguments to a procedure's parameters, runs its body, and returns status and outputs. */
  private async callProcedure(
    caller: Frame,
    def: ProcedureDef,
    args: Array<{ name?: string; value: SqlValue; isDefault: boolean; fromType?: DeclaredType }>,
    line: number,
  ): Promise<{ status: number; scope: Map<string, Variable> }> {
    if (caller.depth + 1 > MAX_NESTING) {
      throw new SqlError({ number: 217, class: 16, message: `Maximum stored procedure, function, trigger, or view nesting level exceeded (limit ${MAX_NESTING}).`, line });
    }
    const frame = this.newFrame(Token.DONEINPROC, def.name, def.bodyLine - 1, caller.depth + 1, false);
    const supplied = new Map<string, { value: SqlValue; isDefault: boolean; fromType?: DeclaredType }>();
    let position = 0;
    let sawNamed = false;
    for (const a of args) {
      if (a.name === undefined) {
        if (sawNamed) throw new SqlError({ number: 119, class: 15, message: "Must pass parameter number 2 and subsequent parameters as '@name = value'. After the form '@name = value' has been used, all subsequent parameters must be passed in the form '@name = value'.", line });
        const p = def.params[position++];
        if (!p) throw new SqlError({ number: 8144, class: 16, message: `Procedure or function ${def.name} has too many arguments specified.`, line });
        supplied.set(lowerName(p.name), a);
      } else {
        sawNamed = true;
        const name = a.name.startsWith('@') ? a.name : `@${a.name}`;
        if (!def.params.some((p) => lowerName(p.name) === lowerName(name))) {
          throw new SqlError({ number: 8145, class: 16, message: `${name} is not a parameter for procedure ${def.name}.`, line });
        }
        supplied.set(lowerName(name), a);
      }
    }
    for (const p of def.params) {
      const a = supplied.get(lowerName(p.name));
      let value: SqlValue;
      if (!a || a.isDefault) {
        if (!p.defaultValue) {
          if (a?.isDefault || !p.output || !a) {
            throw new SqlError({ number: 201, class: 16, message: `Procedure or function '${def.name}' expects parameter '${p.name}', which was not supplied.`, line, procName: def.name });
          }
        }
        value = p.defaultValue ? await this.evaluate(frame, p.defaultValue, p.type) : null;
      } else {
        value = a.value === null ? null : (coerce(a.value, p.type, a.fromType) ?? (await this.castValue(frame, a.value, p.type)));
      }
      frame.scope.set(lowerName(p.name), { name: p.name, type: p.type, pgType: pgTypeOfDeclared(p.type), value });
    }
    const body = parseCached(def.body);
    const tempBefore = new Set(this.session.tempTables.keys());
    try {
      await this.runStatements(frame, body);
    } finally {
      await this.dropTempTablesCreatedSince(tempBefore);
    }
    return { status: frame.returnValue ?? 0, scope: frame.scope };
  }

  private async castValue(frame: Frame, value: SqlValue, type: DeclaredType): Promise<SqlValue> {
    try {
      const r = await this.withEngine((e) => e.query(`SELECT CAST($1::text AS ${pgTypeOfDeclared(type)})`, [toParam(value)]));
      return r.rows[0]?.[0] ?? null;
    } catch (e) {
      if (e instanceof LockAbortedError) throw new CancelledError();
      throw fromPgError(e, { database: this.session.engine.name, statement: 'SELECT', line: frame.lineOffset });
    }
  }

  private async execStatement(frame: Frame, procName: string, execArgs: ExecArg[], returnVar: string | undefined, line: number): Promise<void> {
    // The parser already took the last part of the name and unquoted it.
    const name = procName;
    const lower = lowerName(name);
    const args: Array<{ name?: string; value: SqlValue; isDefault: boolean; output: boolean; fromType?: DeclaredType; target?: Variable }> = [];
    for (const a of execArgs) {
      const valueTok = a.value[a.value.length - 1];
      let target: Variable | undefined;
      let value: SqlValue = null;
      let fromType: DeclaredType | undefined;
      if (!a.isDefault) {
        if (a.value.length === 1 && valueTok?.kind === 'var') {
          target = this.variable(frame, valueTok.text, line);
          value = target.value;
          fromType = target.type;
        } else if (a.value.length === 1 && valueTok?.kind === 'word' && valueTok.upper !== 'NULL') {
          value = valueTok.text;
        } else {
          value = await this.evaluate(frame, a.value);
        }
      }
      const arg: (typeof args)[number] = { value, isDefault: a.isDefault, output: a.output };
      if (a.name !== undefined) arg.name = a.name;
      if (fromType) arg.fromType = fromType;
      if (target) arg.target = target;
      args.push(arg);
    }
    let status: number;
    let scope: Map<string, Variable> | undefined;
    const inner = { ...frame, doneToken: Token.DONEINPROC } as Frame;
    if (lower === 'sp_executesql') {
      const r = await this.executeSql(inner, args, line);
      status = r.status;
      scope = r.scope;
      this.copyOutputs(args, scope, ['@statement', '@params'], r.paramNames);
    } else if (lower === 'sp_getapplock' || lower === 'sp_releaseapplock') {
      status = await this.appLock(lower, args, line);
    } else {
      const def = await this.loadProcedure(name);
      if (!def) {
        if (lower.startsWith('sp_') || lower.startsWith('xp_')) throw unsupported(`The system procedure ${name}`, line);
        throw new SqlError({ number: 2812, class: 16, message: `Could not find stored procedure '${procName}'.`, line });
      }
      const r = await this.callProcedure(frame, def, args, line);
      status = r.status;
      scope = r.scope;
      this.copyOutputs(args, scope, [], def.params.map((p) => p.name));
    }
    if (returnVar) this.variable(frame, returnVar, line).value = status;
    if (frame.topLevelBatch) {
      this.out.returnStatus(status);
      this.out.done(Token.DONEPROC, 0);
    }
  }

  private copyOutputs(
    args: Array<{ name?: string; output: boolean; target?: Variable }>,
    scope: Map<string, Variable>,
    skip: string[],
    paramNames: string[],
  ): void {
    let position = 0;
    for (const a of args) {
      const pname = a.name ?? paramNames[position];
      position++;
      if (!a.output || !a.target || !pname) continue;
      if (skip.includes(lowerName(pname))) continue;
      const v = scope.get(lowerName(pname.startsWith('@') ? pname : `@${pname}`));
      if (v) a.target.value = v.value === null ? null : (coerce(v.value, a.target.type, v.type) ?? v.value);
    }
  }

  /** sp_executesql: @statement, @params, then the parameter values. */
  private async executeSql(
    frame: Frame,
    args: Array<{ name?: string; value: SqlValue; isDefault: boolean; fromType?: DeclaredType; tdsType?: TdsType }>,
    line: number,
  ): Promise<{ status: number; scope: Map<string, Variable>; paramNames: string[] }> {
    const [statementArg, paramsArg, ...values] = args;
    if (!statementArg || statementArg.value === null) {
      throw new SqlError({ number: 201, class: 16, message: "Procedure or function 'sp_executesql' expects parameter '@statement', which was not supplied.", line });
    }
    const declared = paramsArg && paramsArg.value !== null ? parseParamDeclarations(asText(paramsArg.value)) : [];
    const inner = this.newFrame(Token.DONEINPROC, frame.procName, 0, frame.depth + 1, false);
    const byName = new Map<string, (typeof values)[number]>();
    values.forEach((v, k) => {
      const key = v.name ? lowerName(v.name.startsWith('@') ? v.name : `@${v.name}`) : lowerName(declared[k]?.name ?? `#${k}`);
      byName.set(key, v);
    });
    for (const p of declared) {
      const a = byName.get(lowerName(p.name));
      if (!a && !p.output) {
        throw new SqlError({ number: 8178, class: 16, message: `The parameterized query '(${asText(paramsArg?.value ?? '')})' expects the parameter '${p.name}', which was not supplied.`, line });
      }
      const type = p.type;
      let value: SqlValue = a?.value ?? null;
      if (value !== null) value = coerce(value, type, a?.fromType) ?? (await this.castValue(frame, value, type));
      inner.scope.set(lowerName(p.name), { name: p.name, type, pgType: pgTypeOfDeclared(type), value });
    }
    const text = asText(statementArg.value);
    if (!this.constantSelect(text, inner)) await this.runStatements(inner, parseCached(text));
    return { status: 0, scope: inner.scope, paramNames: ['@statement', '@params', ...declared.map((p) => p.name)] };
  }

  private async appLock(proc: string, args: Array<{ name?: string; value: SqlValue }>, line: number): Promise<number> {
    const named = new Map<string, SqlValue>();
    const positional = proc === 'sp_getapplock' ? ['@resource', '@lockmode', '@lockowner', '@locktimeout', '@dbprincipal'] : ['@resource', '@lockowner', '@dbprincipal'];
    args.forEach((a, k) => named.set(lowerName(a.name ? (a.name.startsWith('@') ? a.name : `@${a.name}`) : (positional[k] ?? '')), a.value));
    const resource = named.get('@resource');
    if (resource === undefined || resource === null) {
      throw new SqlError({ number: 201, class: 16, message: `Procedure or function '${proc}' expects parameter '@Resource', which was not supplied.`, line, procName: proc });
    }
    const ownerText = asText(named.get('@lockowner') ?? 'Transaction').toLowerCase();
    const owner: AppLockOwnerKind = ownerText === 'session' ? 'Session' : 'Transaction';
    if (ownerText !== 'session' && ownerText !== 'transaction') {
      throw new SqlError({ number: 1002, class: 16, message: `Line 1: Specified lock owner '${ownerText}' is not valid.`, line, procName: proc });
    }
    const s = this.session;
    if (owner === 'Transaction' && s.tranCount === 0) {
      // The number is our choice; SQL Server's message text, as far as we know it, is kept.
      this.out.error({ number: 1224, state: 1, class: 16, message: 'You attempted to acquire a transactional application lock without an active transaction.', procName: proc, lineNumber: line });
      return AppLockResult.ERROR;
    }
    if (proc === 'sp_releaseapplock') {
      if (!s.engine.appLocks.release(asText(resource), s.spid, owner)) {
        this.out.error({
          number: 1223,
          state: 1,
          class: 16,
          message: `Cannot release the application lock (Database Principal: 'public', Resource: '${asText(resource)}') because it is not currently held.`,
          procName: proc,
          lineNumber: line,
        });
        return AppLockResult.ERROR;
      }
      return AppLockResult.GRANTED;
    }
    const mode = asText(named.get('@lockmode') ?? '').toLowerCase();
    const modes = ['shared', 'update', 'intentshared', 'intentexclusive', 'exclusive'];
    if (!modes.includes(mode)) {
      throw new SqlError({ number: 201, class: 16, message: `Procedure or function '${proc}' expects parameter '@LockMode', which was not supplied.`, line, procName: proc });
    }
    const timeoutValue = named.get('@locktimeout');
    const timeout = timeoutValue === undefined || timeoutValue === null ? s.lockTimeoutMs : Math.trunc(asNumber(timeoutValue));
    return s.engine.appLocks.acquire(asText(resource), s.spid, owner, mode === 'shared' || mode === 'intentshared', timeout, this.signal);
  }

  // -------------------------------------------------------------------------------------------
  // RPC

  private finishProc(status: number, outputs: Array<{ param: RpcParam; ordinal: number; value: SqlValue }>): void {
    this.out.returnStatus(status);
    for (const o of outputs) this.out.returnValue(o.ordinal, o.param.name, o.param.type, o.value);
    this.out.done(Token.DONEPROC, 0);
  }

  private rpcArgs(params: RpcParam[]): Array<{ name?: string; value: SqlValue; isDefault: boolean; output: boolean; fromType: DeclaredType; tdsType: TdsType }> {
    return params.map((p) => {
      const a: { name?: string; value: SqlValue; isDefault: boolean; output: boolean; fromType: DeclaredType; tdsType: TdsType } = {
        value: p.value,
        isDefault: false,
        output: p.output,
        fromType: declaredTypeOfTds(p.type),
        tdsType: p.type,
      };
      if (p.name) a.name = p.name;
      return a;
    });
  }

  private outputsFrom(params: RpcParam[], scope: Map<string, Variable>, paramNames: string[]): Array<{ param: RpcParam; ordinal: number; value: SqlValue }> {
    const out: Array<{ param: RpcParam; ordinal: number; value: SqlValue }> = [];
    params.forEach((p, k) => {
      if (!p.output) return;
      const name = p.name || paramNames[k] || '';
      const v = scope.get(lowerName(name.startsWith('@') ? name : `@${name}`));
      out.push({ param: { ...p, name: name.startsWith('@') ? name : `@${name}` }, ordinal: k, value: v ? v.value : p.value });
    });
    return out;
  }

  private async rpcExecuteSql(params: RpcParam[]): Promise<void> {
    const frame = this.newFrame(Token.DONEINPROC, '', 0, 0, false);
    const args = this.rpcArgs(params);
    // Fast path for the pool's validation query and other constant selects.
    const first = params[0];
    if (params.length === 1 && first && typeof first.value === 'string' && this.constantSelect(first.value, frame)) {
      this.finishProc(0, []);
      return;
    }
    try {
      const r = await this.executeSql(frame, args, 1);
      this.finishProc(r.status, this.outputsFrom(params, r.scope, r.paramNames));
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      const err = this.asSqlError(e, frame, 0);
      this.reportError(err);
      this.out.done(Token.DONEPROC, DoneStatus.ERROR);
    }
  }

  private async rpcProcedure(procName: string, params: RpcParam[]): Promise<void> {
    const frame = this.newFrame(Token.DONEINPROC, '', 0, 0, false);
    const name = stripSchema(procName);
    const lower = lowerName(name);
    const args = this.rpcArgs(params);
    try {
      if (lower === 'sp_getapplock' || lower === 'sp_releaseapplock') {
        const status = await this.appLock(lower, args, 1);
        this.finishProc(status, []);
        return;
      }
      const def = await this.loadProcedure(name);
      if (!def) {
        if (lower.startsWith('sp_') || lower.startsWith('xp_')) throw unsupported(`The system procedure ${name}`, 1);
        throw new SqlError({ number: 2812, class: 16, message: `Could not find stored procedure '${procName}'.`, line: 1 });
      }
      const r = await this.callProcedure(frame, def, args, 1);
      this.finishProc(r.status, this.outputsFrom(params, r.scope, def.params.map((p) => p.name)));
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      const err = this.asSqlError(e, frame, 0);
      this.reportError(err);
      this.out.done(Token.DONEPROC, DoneStatus.ERROR);
    }
  }

  private async rpcPrepare(params: RpcParam[], execute: boolean): Promise<void> {
    const [handle, decl, stmt, ...values] = params;
    if (!handle || !decl || !stmt) throw unsupported('sp_prepare without @handle, @params and @stmt');
    const s = this.session;
    const id = s.nextPreparedHandle++;
    s.prepared.set(id, { params: asText(decl.value), statement: asText(stmt.value) });
    const outputs = [{ param: { ...handle, name: handle.name || '@handle' }, ordinal: 0, value: id as SqlValue }];
    if (!execute) {
      this.finishProc(0, outputs);
      return;
    }
    const frame = this.newFrame(Token.DONEINPROC, '', 0, 0, false);
    const args = this.rpcArgs([{ ...stmt, name: '@statement' }, { ...decl, name: '@params' }, ...values]);
    const r = await this.executeSql(frame, args, 1);
    this.finishProc(r.status, [...outputs, ...this.outputsFrom(values, r.scope, r.paramNames.slice(2))]);
  }

  private async rpcExecutePrepared(params: RpcParam[]): Promise<void> {
    const [handle, ...values] = params;
    const prepared = handle ? this.session.prepared.get(asNumber(handle.value)) : undefined;
    if (!prepared) {
      throw new SqlError({ number: 8179, class: 16, message: `Could not find prepared statement with handle ${asText(handle?.value ?? null)}.`, line: 1 });
    }
    const frame = this.newFrame(Token.DONEINPROC, '', 0, 0, false);
    const stmtParam: RpcParam = { name: '@statement', output: false, type: { kind: 'nvarchar', maxBytes: 0xffff }, value: prepared.statement };
    const declParam: RpcParam = { name: '@params', output: false, type: { kind: 'nvarchar', maxBytes: 0xffff }, value: prepared.params };
    const r = await this.executeSql(frame, this.rpcArgs([stmtParam, declParam, ...values]), 1);
    this.finishProc(r.status, this.outputsFrom(values, r.scope, r.paramNames.slice(2)));
  }
}

/** The table an INSERT writes to: INSERT [INTO] [db.][schema.]name. */
function insertTarget(tokens: Tokens): string {
  let j = 1;
  if (tokens[j]?.kind === 'word' && tokens[j]?.upper === 'INTO') j++;
  let name = '';
  while (tokens[j] && (tokens[j]?.kind === 'word' || tokens[j]?.kind === 'qident')) {
    name = (tokens[j] as SqlToken).text;
    if (!(tokens[j + 1]?.kind === 'op' && tokens[j + 1]?.text === '.')) break;
    j += 2;
  }
  return name;
}

/**
 * The last part of a multi-part name, unquoted: `[dbo].[a]]b]` → `a]b`, `dbo.x` → `x`. RPC
 * requests carry the name as the client wrote it, quoting and all.
 */
export function stripSchema(name: string): string {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i] as string;
    if (c === '[' || c === '"') {
      const close = c === '[' ? ']' : '"';
      for (i++; i < name.length; i++) {
        if (name[i] === close) {
          if (name[i + 1] !== close) break;
          i++;
        }
        current += name[i];
      }
    } else if (c === '.') {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts[parts.length - 1] ?? name;
}

/**
 * Converts a value to a declared type in JS where that is exact (numbers, strings, bits);
 * returns undefined when PostgreSQL should do the conversion (dates, odd strings).
 */
export function coerce(v: SqlValue, type: DeclaredType | undefined, fromType?: DeclaredType): SqlValue | undefined {
  if (v === null) return null;
  if (!type) return v;
  const t = normaliseType(type);
  if (fromType && formatType(normaliseType(fromType)) === formatType(t)) return v;
  switch (t.name) {
    case 'int':
    case 'smallint':
    case 'tinyint':
    case 'bigint': {
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'number' && Number.isInteger(v)) return t.name === 'bigint' ? BigInt(v) : v;
      if (typeof v === 'bigint') return t.name === 'bigint' ? v : Number(v);
      if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return t.name === 'bigint' ? BigInt(v.trim()) : Number(v);
      return undefined;
    }
    case 'bit':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number' || typeof v === 'bigint') return Number(v) !== 0;
      if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v) !== 0;
      if (typeof v === 'string' && /^\s*(true|false)\s*$/i.test(v)) return v.trim().toLowerCase() === 'true';
      return undefined;
    case 'float':
    case 'real':
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
      return undefined;
    case 'decimal':
    case 'numeric':
    case 'money':
    case 'smallmoney': {
      if (typeof v !== 'number' && typeof v !== 'bigint' && !(typeof v === 'string' && /^\s*[-+]?\d*\.?\d*(e[-+]?\d+)?\s*$/i.test(v))) return undefined;
      const scale = t.name === 'money' || t.name === 'smallmoney' ? 4 : (t.scale ?? 0);
      const scaled = scaledDecimal(v, scale);
      const negative = scaled < 0n;
      let digits = (negative ? -scaled : scaled).toString().padStart(scale + 1, '0');
      if (scale > 0) digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
      return negative ? `-${digits}` : digits;
    }
    case 'nvarchar':
    case 'varchar':
    case 'nchar':
    case 'char': {
      if (Buffer.isBuffer(v)) return undefined;
      let s = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
      if (t.length !== 'max' && t.length !== undefined && s.length > t.length) s = s.slice(0, t.length);
      if ((t.name === 'nchar' || t.name === 'char') && typeof t.length === 'number') s = s.padEnd(t.length, ' ');
      return s;
    }
    case 'varbinary':
    case 'binary':
      if (Buffer.isBuffer(v)) return v;
      return undefined;
    case 'uniqueidentifier':
      if (typeof v === 'string' && /^[{]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[}]?$/i.test(v.trim())) return v.trim();
      return undefined;
    default:
      return undefined;
  }
}

