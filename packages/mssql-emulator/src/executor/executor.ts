/**
 * Runs T-SQL for one request: interprets control flow, variables and expressions itself, and
 * sends every other statement, translated, to the database's PGlite. Procedures, RPC calls and
 * transactions live beside it; results are written as TDS tokens into the request's
 * ResponseBuilder.
 */
import type { DatabaseEngine, PgResult } from '../engine';
import { BatchErrors, SqlError, fromPgError, unsupported } from '../errors';
import { LockAbortedError, LockTimeoutError } from '../mutex';
import type { RpcRequest } from '../protocol/rpc';
import { type Column, DoneStatus, EnvChange, type ResponseBuilder, Token } from '../protocol/tokens';
import type { SqlValue } from '../protocol/types';
import type { SqlToken } from '../tsql/lexer';
import { splitTopLevel } from '../tsql/cursor';
import type { Statement, Tokens } from '../tsql/statements';
import { convertTo } from '../tsql/conversions';
import { type Chunk, type TranslatedSql, UNNAMED_COLUMN, translateExpression, translateStatement } from '../tsql/translate';
import { type DeclaredType, pgTypeOfDeclared } from '../tsql/types';
import { quoteIdent } from '../tsql/vocabulary';
import { ProtocolError } from '../protocol/buffer';
import { parseBulkLoad } from '../protocol/bulk';
import { UnsupportedTypeError } from '../protocol/types';
import { type BoundValue, sessionFunction, systemVariable, tranCountCondition } from './builtins';
import { isInsertBulk, prepareBulkLoad, runBulkLoad } from './bulk';
import { resultColumnType, sourceType } from './columns';
import { compileBatch } from './compile';
import { CancelledError, type ExecutionSession, type Flow, type Frame, type Interpreter, type Variable, errorLine, lowerName, newFrame } from './frame';
import { setOption, withOptionsRestored } from './options';
import { Procedures } from './procedures';
import { RpcCalls } from './rpc';
import { Transactions } from './transactions';
import { asNumber, asText, coerce, toParam } from './values';

export { CancelledError } from './frame';
export type { ExecutionSession, PreparedStatement, ServerContext } from './frame';

const translateCache = new WeakMap<Statement, TranslatedSql>();

function translateCached(s: Statement & { kind: 'sql' }): TranslatedSql {
  let t = translateCache.get(s);
  if (!t) {
    t = translateStatement(s.tokens);
    translateCache.set(s, t);
  }
  return t;
}

const CONSTANT_SELECT = /^\s*select\s+(-?\d{1,9})\s*;?\s*$/i;

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

export class Executor implements Interpreter {
  private readonly transactions: Transactions;
  private readonly procedures: Procedures;
  private readonly rpcCalls: RpcCalls;

  constructor(
    readonly session: ExecutionSession,
    readonly out: ResponseBuilder,
    readonly signal: AbortSignal,
  ) {
    this.transactions = new Transactions(session, out, signal);
    this.procedures = new Procedures(this);
    this.rpcCalls = new RpcCalls(this, this.procedures);
  }

  private checkCancelled(): void {
    if (this.signal.aborted) throw new CancelledError();
  }

  // -------------------------------------------------------------------------------------------
  // Entry points

  async sqlBatch(text: string): Promise<void> {
    const frame = newFrame(Token.DONE, '', 0, 0, true);
    try {
      if (this.constantSelect(text, frame)) return;
      if (isInsertBulk(text)) {
        await this.insertBulk(text);
        return;
      }
      const statements = await compileBatch(text, this.session.engine);
      await this.runStatements(frame, statements);
    } catch (e) {
      this.handleTopLevelError(e, frame);
    }
  }

  /** `INSERT BULK`: checked against the table now, its rows are the next message. */
  private async insertBulk(text: string): Promise<void> {
    this.session.pendingBulkLoad = await this.withEngine((engine) => prepareBulkLoad(this.session, engine, text));
    this.out.done(Token.DONE, 0);
  }

  /** The BULK_LOAD message: the rows of the `INSERT BULK` accepted just before, as one statement. */
  async bulkLoad(payload: Buffer): Promise<void> {
    const frame = newFrame(Token.DONE, '', 0, 0, true);
    const pending = this.session.pendingBulkLoad;
    this.session.pendingBulkLoad = undefined;
    try {
      if (!pending) {
        throw new SqlError({ number: 4002, class: 16, message: 'The incoming tabular data stream (TDS) protocol stream is incorrect. Bulk load data arrived without an INSERT BULK statement before it.' });
      }
      let stream;
      try {
        stream = parseBulkLoad(payload);
      } catch (e) {
        if (e instanceof UnsupportedTypeError) throw new SqlError({ number: 40517, class: 16, message: e.message });
        if (e instanceof ProtocolError) throw new SqlError({ number: 4002, class: 16, message: `The incoming tabular data stream (TDS) protocol stream is incorrect. ${e.message}.` });
        throw e;
      }
      const count = await this.withEngine(async (engine) => {
        // Inside a transaction withEngine has set a savepoint; outside, the load is its own one.
        if (this.session.tranCount > 0) return runBulkLoad(this.session, pending, stream);
        await engine.exec('BEGIN');
        try {
          const n = await runBulkLoad(this.session, pending, stream);
          await engine.exec('COMMIT');
          return n;
        } catch (e) {
          await engine.exec('ROLLBACK');
          throw e;
        }
      });
      this.session.rowCount = count;
      this.session.lastErrorNumber = 0;
      this.out.done(Token.DONE, 0, count);
    } catch (e) {
      if (!(e instanceof CancelledError) && this.session.xactAbort && this.session.tranCount > 0) await this.rollbackTransaction(false);
      this.handleTopLevelError(e, frame);
    }
  }

  rpc(request: RpcRequest): Promise<void> {
    return this.rpcCalls.run(request);
  }

  beginTransaction(): Promise<void> {
    return this.transactions.begin();
  }

  commitTransaction(line = 0): Promise<void> {
    return this.transactions.commit(line);
  }

  rollbackTransaction(announce: boolean): Promise<void> {
    return this.transactions.rollback(announce);
  }

  /** `SELECT 1` and friends answer without touching PostgreSQL: the pool health-check path. */
  constantSelect(text: string, frame: Frame): boolean {
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

  reportError(err: SqlError): void {
    if (err instanceof BatchErrors) {
      for (const e of err.errors) this.reportError(e);
      return;
    }
    this.session.lastErrorNumber = err.number;
    const m = { number: err.number, state: err.state, class: err.class, message: err.message, procName: err.procName, lineNumber: err.line };
    if (err.class <= 10) this.out.info(m);
    else this.out.error(m);
  }

  asSqlError(e: unknown, frame: Frame, line: number): SqlError {
    let err: SqlError;
    if (e instanceof SqlError) err = e;
    else if (e instanceof LockTimeoutError) err = new SqlError({ number: 1222, class: 16, message: 'Lock request time out period exceeded.' });
    else err = fromPgError(e, { database: this.session.engine.name, statement: '', line: 0 });
    for (const e of err instanceof BatchErrors ? [...err.errors, err] : [err]) {
      if (e.located) continue;
      if (e.line === 0) e.line = errorLine(frame, line || 1);
      else if (frame.lineOffset > 0) e.line = errorLine(frame, e.line);
      if (!e.procName) e.procName = frame.procName;
      e.located = true;
    }
    return err;
  }

  // -------------------------------------------------------------------------------------------
  // Statements

  async runStatements(frame: Frame, statements: Statement[]): Promise<Flow> {
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
            throw new SqlError({ number: 134, class: 15, message: `The variable name '${v.name}' has already been declared. Variable names must be unique within a query batch or stored procedure.`, line: s.line });
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
        setOption(this.session, s.option, s.tokens, s.line);
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
        await this.commitTransaction(s.line);
        return 'next';
      case 'rollbackTran':
        if (this.session.tranCount === 0) {
          throw new SqlError({ number: 3903, class: 16, message: 'The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.', line: s.line, abortsBatch: false });
        }
        await this.rollbackTransaction(true);
        return 'next';
      case 'exec':
        await this.procedures.exec(frame, s.procName, s.args, s.returnVar, s.line);
        return 'next';
      case 'execString': {
        const text = asText(await this.evaluate(frame, s.expr, { name: 'nvarchar', length: 'max' }));
        const inner = newFrame(Token.DONEINPROC, frame.procName, 0, frame.depth + 1, false);
        const statements = await compileBatch(text, this.session.engine);
        await withOptionsRestored(this.session, () => this.runStatements(inner, statements));
        return 'next';
      }
      case 'return':
        if (s.expr) {
          if (frame.depth === 0 && frame.topLevelBatch) {
            throw new SqlError({ number: 178, class: 15, message: 'A RETURN statement with a return value cannot be used in this context.', line: s.line });
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
        await this.sleep(delayMs(asText(v), s.line));
        return 'next';
      }
      case 'use':
        await this.useDatabase(s.database, s.line);
        return 'next';
      case 'createProc':
        await this.procedures.create(frame, s);
        return 'next';
      case 'dropProc':
        await this.procedures.drop(frame, s.names, s.ifExists, s.line);
        return 'next';
      case 'alterLogin':
        // The statement's own line: asSqlError places it in the procedure, as for every other error.
        this.session.server.alterLoginPassword(this.session.login, s, s.line);
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

  // -------------------------------------------------------------------------------------------
  // Variables and expressions

  variable(frame: Frame, name: string, line: number): Variable {
    const v = frame.scope.get(lowerName(name));
    if (!v) throw new SqlError({ number: 137, class: 15, message: `Must declare the scalar variable "${name}".`, line: line });
    return v;
  }

  /** Resolves a reference to its value and the PostgreSQL type to bind it as. */
  private resolveRef(frame: Frame, ref: Exclude<Chunk, string>, line: number): BoundValue {
    switch (ref.ref) {
      case 'var': {
        const v = this.variable(frame, ref.name, line);
        return { value: v.value, pgType: v.pgType };
      }
      case 'sys':
        return systemVariable(this.session, frame, ref.name, line);
      case 'fn':
        return sessionFunction(this.session, frame, ref.name, line);
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
        params.push(toParam(r.value, r.pgType));
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
    const inner: Chunk[] = type ? ['SELECT', ...convertTo(type, ['(', ...chunks, ')'])] : ['SELECT (', ...chunks, ')'];
    const r = await this.runPg(frame, inner, line, 'SELECT');
    return r.rows[0]?.[0] ?? null;
  }

  private async condition(frame: Frame, tokens: Tokens): Promise<boolean> {
    const known = tranCountCondition(tokens, this.session.tranCount);
    if (known !== undefined) return known;
    const line = tokens[0]?.line ?? 0;
    const chunks = translateExpression(tokens);
    const r = await this.runPg(frame, ['SELECT CASE WHEN', ...chunks, 'THEN 1 ELSE 0 END'], line, 'SELECT');
    return r.rows[0]?.[0] === 1;
  }

  // -------------------------------------------------------------------------------------------
  // PostgreSQL access

  async withEngine<T>(fn: (engine: DatabaseEngine) => Promise<T>): Promise<T> {
    const s = this.session;
    const engine = s.engine;
    await engine.setLockTimeout(s.lockTimeoutMs);
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

  /**
   * Runs translated SQL. For a statement (`translated`): makes the BINARY(n) domains its columns
   * need, keeps the write rules of tables it defines in step, and reads the declared type of
   * every result column that comes straight from a table column.
   */
  private async runPg(
    frame: Frame,
    chunks: readonly Chunk[],
    line: number,
    verb: string,
    statement: { insertInto?: string; translated?: TranslatedSql } = {},
  ): Promise<PgResult & { columnTypes?: (DeclaredType | undefined)[] }> {
    this.checkCancelled();
    const { text, params } = this.assemble(frame, chunks, line);
    const tr = statement.translated;
    try {
      return await this.withEngine(async (engine) => {
        for (const n of tr?.binaryDomains ?? []) await engine.query('SELECT __emulator.ensure_binary_domain($1)', [n]);
        const r = await engine.query(text, params);
        if (verb === 'CREATE' || verb === 'ALTER' || verb === 'DROP' || tr?.definesColumns) engine.invalidateSchema();
        if (tr?.definesColumns) await engine.query('SELECT __emulator.refresh_write_rules()');
        const insertInto = statement.insertInto;
        if (insertInto !== undefined && (insertInto.startsWith('#') || (await engine.hasIdentity(insertInto)))) {
          const id = await engine.query('SELECT __emulator.last_identity()');
          const value = id.rows[0]?.[0];
          if (value !== null && value !== undefined) this.session.lastIdentity = value;
        }
        if (tr && r.fields.length > 0) return { ...r, columnTypes: await engine.declaredColumnTypes(r.fields) };
        return r;
      });
    } catch (e) {
      if (e instanceof LockAbortedError) throw new CancelledError();
      if (e instanceof SqlError || e instanceof LockTimeoutError) throw e;
      throw fromPgError(e, { database: this.session.engine.name, statement: verb, line: line });
    }
  }

  private async sqlStatement(frame: Frame, s: Statement & { kind: 'sql' }): Promise<void> {
    const tr = translateCached(s);
    const r = await this.runPg(frame, tr.chunks, s.line, tr.verb, tr.verb === 'INSERT' ? { insertInto: insertTarget(s.tokens), translated: tr } : { translated: tr });
    if (tr.createsTemp) this.session.tempTables.set(`${tr.createsTemp}__${this.session.spid}`, this.session.engine);
    const dml = tr.verb === 'INSERT' || tr.verb === 'UPDATE' || tr.verb === 'DELETE' || tr.verb === 'MERGE' || (tr.verb === 'WITH' && r.fields.length === 0);
    if (r.fields.length > 0) {
      const sources = tr.columnSources?.length === r.fields.length ? tr.columnSources : undefined;
      const declared = r.fields.map((_f, k) => r.columnTypes?.[k] ?? sourceType(frame, sources?.[k]));
      this.emitRows(frame, r, declared);
      return;
    }
    const count = dml ? (r.rowCount ?? 0) : undefined;
    this.session.rowCount = count ?? 0;
    this.session.lastErrorNumber = 0;
    this.out.done(frame.doneToken, 0, this.session.nocount ? undefined : count);
  }

  private emitRows(frame: Frame, r: PgResult, declared: readonly (DeclaredType | undefined)[]): void {
    const columns: Column[] = r.fields.map((f, k) => ({
      name: f.name === UNNAMED_COLUMN ? '' : f.name,
      type: resultColumnType(f, declared[k], r.rows.map((row) => row[k] ?? null)),
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
      if (!v || v.kind !== 'var' || !op || op.kind !== 'op') throw new SqlError({ number: 141, class: 15, message: 'A SELECT statement that assigns a value to a variable must not be combined with data-retrieval operations.', line: line });
      const variable = this.variable(frame, v.text, line);
      targets.push(variable);
      if (k > 0) head.push(',');
      let expr = translateExpression(item.slice(2));
      if (op.text !== '=') expr = [{ ref: 'var', name: v.text }, op.text[0] as string, '(', ...expr, ')'];
      head.push(...convertTo(variable.type, ['(', ...expr, ')']));
    });
    const rest = end < tokens.length ? translateExpression(tokens.slice(end)) : [];
    const r = await this.runPg(frame, [...head, ...rest], line, 'SELECT');
    const last = r.rows[r.rows.length - 1];
    if (last) targets.forEach((t, k) => (t.value = last[k] ?? null));
    this.session.rowCount = r.rows.length;
    this.out.done(frame.doneToken, 0, this.session.nocount ? undefined : r.rows.length);
  }

  // -------------------------------------------------------------------------------------------
  // Database context

  private async useDatabase(database: string, line: number): Promise<void> {
    const s = this.session;
    if (s.tranCount > 0) throw unsupported('USE inside a transaction', line);
    if (!s.server.canAccess(s.login, database)) {
      throw new SqlError({ number: 911, class: 16, message: `Database '${database}' does not exist. Make sure that the name is entered correctly.`, line });
    }
    const old = s.engine.name;
    s.engine = await s.server.openEngine(database, s.spid);
    this.out.envChange(EnvChange.DATABASE, s.engine.name, old);
    this.out.info({ number: 5701, state: 1, class: 0, message: `Changed database context to '${s.engine.name}'.`, procName: '', lineNumber: line });
  }

  // -------------------------------------------------------------------------------------------
  // Errors raised by T-SQL

  private async throwError(frame: Frame, args: Tokens[] | undefined, line: number): Promise<SqlError> {
    if (!args) {
      const err = this.session.catchError;
      if (!err) return new SqlError({ number: 10704, class: 15, message: 'To rethrow an error, a THROW statement must be used inside a CATCH block.', line: line });
      const again = new SqlError({ number: err.number, class: err.class, state: err.state, message: err.message, line: err.line, procName: err.procName });
      again.located = true;
      return again;
    }
    const [numberTokens, messageTokens, stateTokens] = args as [Tokens, Tokens, Tokens];
    const number = Math.trunc(asNumber(await this.evaluate(frame, numberTokens, { name: 'int' })));
    const message = asText(await this.evaluate(frame, messageTokens, { name: 'nvarchar', length: 2048 }));
    const state = Math.trunc(asNumber(await this.evaluate(frame, stateTokens, { name: 'tinyint' })));
    if (number < 50000) {
      return new SqlError({ number: 35100, class: 16, message: 'Error number in THROW statement is outside the valid range. Specify an error number in the valid range of 50000 to 2147483647.', line: line });
    }
    return new SqlError({ number, class: 16, state, message, line: errorLine(frame, line), procName: frame.procName });
  }

  private async raiserror(frame: Frame, args: Tokens[], line: number): Promise<void> {
    const values: SqlValue[] = [];
    for (const a of args) values.push(await this.evaluate(frame, a));
    const [msg, severity, state, ...rest] = values;
    if (typeof msg === 'number' || typeof msg === 'bigint') throw unsupported('RAISERROR with a message id (sys.messages)', line);
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
