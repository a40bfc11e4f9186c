/**
 * Splits a T-SQL batch into statements (semicolons are optional in T-SQL, so statement
 * boundaries are found from leading keywords) and parses the control-flow and procedural
 * statements the emulator interprets itself. Everything else stays a token run for translate.ts.
 */
import { BatchErrors, SqlError, UNSUPPORTED_ERROR_NUMBER, keywordSyntaxError, syntaxError, unsupported } from '../errors';
import { TokenCursor, splitTopLevel, trackNesting } from './cursor';
import { type SqlToken, tokenize } from './lexer';
import { mergeTokens } from './merge';
import { type ExecArg, type ProcParam, RESERVED, STATEMENT_START, type Statement, type Tokens, UNSUPPORTED_STATEMENTS } from './statements';
import type { DeclaredType } from './types';

/** A batch's syntax errors, all of them, and the statements around them that did parse. */
export class ParseErrors extends BatchErrors {
  constructor(
    errors: readonly SqlError[],
    readonly statements: Statement[],
  ) {
    super(errors);
  }
}

class Parser extends TokenCursor {
  private readonly errors: SqlError[] = [];

  constructor(
    t: Tokens,
    private readonly text: string,
    /** A batch may start with a bare procedure name (no EXEC); a procedure body may not. */
    private readonly bareExecFirst = true,
  ) {
    super(t);
  }

  /** Throws ParseErrors with every statement's syntax error, as SQL Server reports them all. */
  parseBatch(): Statement[] {
    const out: Statement[] = [];
    while (!this.atEnd) {
      if (this.isOp(this.peek(), ';')) {
        this.i++;
        continue;
      }
      const start = this.i;
      try {
        out.push(this.statement(out.length === 0 && this.errors.length === 0 && this.bareExecFirst));
      } catch (e) {
        this.recover(start, e);
      }
    }
    if (this.errors.length > 0) throw new ParseErrors(this.errors, out);
    return out;
  }

  /** Statements until END (not consumed). */
  private statementsUntilEnd(): Statement[] {
    const out: Statement[] = [];
    for (;;) {
      if (this.isOp(this.peek(), ';')) {
        this.i++;
        continue;
      }
      const tok = this.peek();
      if (!tok) throw this.errorAt(tok);
      if (this.isWord(tok, 'END')) return out;
      const start = this.i;
      try {
        out.push(this.statement(false));
      } catch (e) {
        this.recover(start, e);
      }
    }
  }

  /**
   * Keeps the error of the statement at `start` and moves on to the next statement: past a ';'
   * or to a statement keyword outside parentheses (ELSE belongs to the broken IF).
   */
  private recover(start: number, e: unknown): void {
    if (!(e instanceof SqlError)) throw e;
    this.errors.push(...(e instanceof BatchErrors ? e.errors : [e]));
    if (this.errors.some((err) => err.number === UNSUPPORTED_ERROR_NUMBER)) {
      // Where a construct the emulator does not know ends cannot be told: nothing after it is checked.
      this.i = this.t.length;
      return;
    }
    let depth = 0;
    let j = Math.max(this.i, start + 1);
    for (; j < this.t.length; j++) {
      const tok = this.t[j] as SqlToken;
      if (this.isOp(tok, '(')) depth++;
      else if (this.isOp(tok, ')')) depth = Math.max(0, depth - 1);
      else if (depth === 0 && this.isOp(tok, ';')) {
        j++;
        break;
      } else if (depth === 0 && tok.kind === 'word' && STATEMENT_START.has(tok.upper) && tok.upper !== 'ELSE') break;
    }
    this.i = j;
  }

  private statement(firstInBatch: boolean): Statement {
    const tok = this.peek() as SqlToken;
    const line = tok.line;
    if (tok.kind === 'op' && tok.text === '(') return this.sqlRun('SELECT');
    if (tok.kind !== 'word') {
      throw this.errorAt(tok);
    }
    const kw = tok.upper;
    switch (kw) {
      case 'SELECT':
        if (this.isSelectAssign()) {
          return { kind: 'selectAssign', tokens: this.sqlTokens(), line };
        }
        return this.sqlRun(kw);
      case 'INSERT':
      case 'UPDATE':
      case 'DELETE':
      case 'WITH':
      case 'TRUNCATE':
        return this.sqlRun(kw);
      case 'MERGE':
        return { kind: 'sql', tokens: mergeTokens(this.mergeRun()), verb: 'MERGE', line };
      case 'CREATE':
      case 'ALTER':
        return this.createOrAlter();
      case 'DROP':
        if (this.isWord(this.peek(1), 'PROC', 'PROCEDURE')) return this.dropProc();
        if (this.isWord(this.peek(1), 'FUNCTION', 'TRIGGER', 'TYPE', 'DATABASE', 'LOGIN', 'USER', 'SYNONYM', 'SEQUENCE', 'ROLE', 'ASSEMBLY')) {
          throw unsupported(`DROP ${(this.peek(1) as SqlToken).upper}`, line);
        }
        return this.sqlRun(kw);
      case 'DECLARE':
        return this.declare();
      case 'SET':
        return this.set();
      case 'IF': {
        this.i++;
        const cond = this.conditionTokens();
        const then = this.statementBody();
        if (this.isOp(this.peek(), ';')) {
          // "IF x SELECT 1; ELSE ..." is legal: skip separators before ELSE.
          let j = this.i;
          while (this.isOp(this.t[j], ';')) j++;
          if (this.isWord(this.t[j], 'ELSE')) this.i = j;
        }
        if (this.isWord(this.peek(), 'ELSE')) {
          this.i++;
          return { kind: 'if', cond, then, otherwise: this.statementBody(), line };
        }
        return { kind: 'if', cond, then, line };
      }
      case 'WHILE': {
        this.i++;
        const cond = this.conditionTokens();
        return { kind: 'while', cond, body: this.statementBody(), line };
      }
      case 'BEGIN':
        return this.begin();
      case 'COMMIT':
      case 'ROLLBACK': {
        this.i++;
        if (this.isWord(this.peek(), 'TRAN', 'TRANSACTION', 'WORK')) this.i++;
        const name = this.peek();
        if (name && (name.kind === 'qident' || name.kind === 'var' || (name.kind === 'word' && !STATEMENT_START.has(name.upper) && !RESERVED.has(name.upper)))) {
          this.i++;
        }
        return { kind: kw === 'COMMIT' ? 'commitTran' : 'rollbackTran', line };
      }
      case 'EXEC':
      case 'EXECUTE':
        this.i++;
        return this.exec(line);
      case 'RETURN': {
        this.i++;
        if (this.atStatementEnd()) return { kind: 'return', line };
        return { kind: 'return', expr: this.expressionTokens(), line };
      }
      case 'THROW': {
        this.i++;
        if (this.atStatementEnd()) return { kind: 'throw', line };
        const args = splitTopLevel(this.expressionTokens());
        if (args.length !== 3) throw syntaxError('THROW', line);
        return { kind: 'throw', args, line };
      }
      case 'RAISERROR': {
        this.i++;
        this.expectOp('(');
        const inner = this.untilCloseParen();
        const args = splitTopLevel(inner);
        const options: string[] = [];
        if (this.isWord(this.peek(), 'WITH')) {
          this.i++;
          for (;;) {
            options.push(this.expectWord('NOWAIT', 'LOG', 'SETERROR').upper);
            if (!this.isOp(this.peek(), ',')) break;
            this.i++;
          }
        }
        if (args.length < 3) throw syntaxError(')', line);
        return { kind: 'raiserror', args, options, line };
      }
      case 'PRINT':
        this.i++;
        return { kind: 'print', expr: this.expressionTokens(), line };
      case 'WAITFOR': {
        this.i++;
        const mode = this.next();
        if (mode.kind !== 'word' || mode.upper !== 'DELAY') throw unsupported(`WAITFOR ${mode.text}`, line);
        return { kind: 'waitfor', delay: this.expressionTokens(), line };
      }
      case 'USE': {
        this.i++;
        const db = this.next();
        if (db.kind !== 'word' && db.kind !== 'qident') throw this.errorAt(db);
        return { kind: 'use', database: db.text, line };
      }
      case 'BREAK':
        this.i++;
        return { kind: 'break', line };
      case 'CONTINUE':
        this.i++;
        return { kind: 'continue', line };
      case 'END':
      case 'ELSE':
        throw keywordSyntaxError(tok.text.toLowerCase(), line);
      default:
        if (UNSUPPORTED_STATEMENTS.has(kw)) throw unsupported(`The ${kw} statement`, line);
        if (kw === 'GO') throw syntaxError(tok.text, line);
        if (firstInBatch && !RESERVED.has(kw)) {
          // A batch may start with a procedure name and its arguments, without EXEC.
          return this.exec(line);
        }
        throw this.errorAt(tok);
    }
  }

  private statementBody(): Statement {
    while (this.isOp(this.peek(), ';')) this.i++;
    if (this.atEnd) throw this.errorAt(undefined);
    return this.statement(false);
  }

  private begin(): Statement {
    const line = (this.peek() as SqlToken).line;
    this.i++;
    const nextTok = this.peek();
    if (this.isWord(nextTok, 'TRAN', 'TRANSACTION')) {
      this.i++;
      const name = this.peek();
      if (name && (name.kind === 'qident' || name.kind === 'var' || (name.kind === 'word' && !STATEMENT_START.has(name.upper) && !RESERVED.has(name.upper)))) {
        this.i++;
        if (this.isWord(this.peek(), 'WITH')) throw unsupported('BEGIN TRANSACTION ... WITH MARK', line);
      }
      return { kind: 'beginTran', line };
    }
    if (this.isWord(nextTok, 'DISTRIBUTED')) throw unsupported('BEGIN DISTRIBUTED TRANSACTION', line);
    if (this.isWord(nextTok, 'TRY')) {
      this.i++;
      const body = this.statementsUntilEnd();
      this.expectWord('END');
      this.expectWord('TRY');
      while (this.isOp(this.peek(), ';')) this.i++;
      this.expectWord('BEGIN');
      this.expectWord('CATCH');
      const handler = this.statementsUntilEnd();
      this.expectWord('END');
      this.expectWord('CATCH');
      return { kind: 'try', body, handler, line };
    }
    const body = this.statementsUntilEnd();
    this.expectWord('END');
    return { kind: 'block', body, line };
  }

  private isSelectAssign(): boolean {
    let j = this.i + 1;
    if (this.isWord(this.t[j], 'DISTINCT', 'ALL')) j++;
    if (this.isWord(this.t[j], 'TOP')) return false;
    const v = this.t[j];
    const op = this.t[j + 1];
    return v !== undefined && v.kind === 'var' && op !== undefined && op.kind === 'op' && ['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^='].includes(op.text);
  }

  /** The tokens of a translatable statement, ending at the next statement boundary. */
  private sqlTokens(): Tokens {
    const start = this.i;
    const first = this.t[start] as SqlToken;
    const verb = first.upper;
    const stack: string[] = [];
    // Statements whose main verb has not appeared yet accept one more SELECT/INSERT/...
    let awaitingVerb = verb === 'WITH' || verb === 'INSERT' || (verb === 'CREATE' && this.isWord(this.t[start + 1], 'VIEW'));
    let updateNeedsSet = verb === 'UPDATE';
    this.i++;
    while (!this.atEnd) {
      const tok = this.peek() as SqlToken;
      const prev = this.t[this.i - 1] as SqlToken;
      if (stack.length === 0) {
        if (tok.kind === 'op' && tok.text === ';') break;
        if (tok.kind === 'word' && STATEMENT_START.has(tok.upper)) {
          const w = tok.upper;
          let continues = false;
          if (w === 'SELECT') {
            continues = awaitingVerb || this.isWord(prev, 'UNION', 'ALL', 'EXCEPT', 'INTERSECT');
            if (awaitingVerb) awaitingVerb = false;
          } else if ((w === 'INSERT' || w === 'UPDATE' || w === 'DELETE') && awaitingVerb && verb === 'WITH') {
            continues = true;
            // An INSERT still waits for its SELECT or VALUES.
            awaitingVerb = w === 'INSERT';
            if (w === 'UPDATE') updateNeedsSet = true;
          } else if ((w === 'DELETE' || w === 'UPDATE') && this.isWord(prev, 'ON')) {
            continues = true;
          } else if (w === 'SET') {
            continues = updateNeedsSet || this.isWord(prev, 'DELETE', 'UPDATE');
            updateNeedsSet = false;
          } else if (w === 'WITH') {
            const a = this.peek(1);
            const b = this.peek(2);
            const isCte = a !== undefined && (a.kind === 'word' || a.kind === 'qident') && (this.isWord(b, 'AS') || this.isOp(b, '('));
            continues = !isCte || this.isWord(a, 'CHECK', 'NOCHECK');
          } else if (w === 'IF') {
            continues = this.isWord(this.peek(1), 'EXISTS') && this.isWord(prev, 'TABLE', 'VIEW', 'INDEX', 'SCHEMA', 'PROC', 'PROCEDURE', 'CONSTRAINT', 'COLUMN');
          } else if ((w === 'DROP' || w === 'ALTER') && verb === 'ALTER') {
            continues = true;
          } else if (w === 'EXEC' || w === 'EXECUTE') {
            continues = awaitingVerb && verb === 'INSERT';
          }
          if (!continues) break;
        }
        if (tok.kind === 'word' && tok.upper === 'VALUES' && awaitingVerb) awaitingVerb = false;
        if (tok.kind === 'word' && tok.upper === 'DEFAULT' && awaitingVerb && this.isWord(this.peek(1), 'VALUES')) awaitingVerb = false;
      }
      if (tok.kind === 'op' && tok.text === ')' && stack.length === 0) throw syntaxError(')', tok.line);
      if (stack.length === 0 && verb !== 'CREATE' && verb !== 'ALTER' && this.isStrayAfterAlias(tok)) throw syntaxError(tok.text, tok.line);
      trackNesting(tok, stack);
      this.i++;
    }
    if (stack.length > 0) throw new SqlError({ number: 102, class: 15, message: "Incorrect syntax near the end of the batch.", line: first.line });
    return this.t.slice(start, this.i);
  }

  /**
   * `… AS alias <token>` where the token can neither continue the statement (a clause keyword, an
   * operator) nor start the next one: SQL Server refuses the batch at parse time (so a typo such
   * as `SELECT 1 AS one SELEC 2` fails CREATE PROCEDURE with 102) instead of leaving it for run time.
   */
  private isStrayAfterAlias(tok: SqlToken): boolean {
    if (tok.kind === 'op') return false;
    if (tok.kind === 'word' && (RESERVED.has(tok.upper) || STATEMENT_START.has(tok.upper))) return false;
    const alias = this.t[this.i - 1];
    if (alias === undefined || !(alias.kind === 'qident' || alias.kind === 'string' || (alias.kind === 'word' && !RESERVED.has(alias.upper)))) return false;
    return this.isWord(this.t[this.i - 2], 'AS');
  }

  /** MERGE runs to its semicolon, which SQL Server requires; its clauses hold INSERT, UPDATE, SET… */
  private mergeRun(): Tokens {
    const start = this.i;
    const stack: string[] = [];
    this.i++;
    while (!this.atEnd) {
      const tok = this.peek() as SqlToken;
      if (stack.length === 0 && tok.kind === 'op' && tok.text === ';') return this.t.slice(start, this.i);
      trackNesting(tok, stack);
      this.i++;
    }
    throw new SqlError({ number: 10713, class: 15, message: 'A MERGE statement must be terminated by a semi-colon (;).', line: (this.t[this.i - 1] as SqlToken).line });
  }

  private sqlRun(verb: string): Statement {
    const line = (this.peek() as SqlToken).line;
    return { kind: 'sql', tokens: this.sqlTokens(), verb, line };
  }

  private qualifiedName(): { name: string; schema?: string } {
    const parts: string[] = [];
    for (;;) {
      const tok = this.next();
      if (tok.kind !== 'word' && tok.kind !== 'qident') throw this.errorAt(tok);
      parts.push(tok.text);
      if (!this.isOp(this.peek(), '.')) break;
      this.i++;
    }
    if (parts.length > 3) throw syntaxError(parts.join('.'), this.t[this.i - 1]?.line ?? 0);
    const name = parts[parts.length - 1] as string;
    const schema = parts.length >= 2 ? parts[parts.length - 2] : undefined;
    return schema === undefined ? { name } : { name, schema };
  }

  private createOrAlter(): Statement {
    const startTok = this.peek() as SqlToken;
    const line = startTok.line;
    const alter = startTok.upper === 'ALTER';
    let j = this.i + 1;
    let orAlter = false;
    if (!alter && this.isWord(this.t[j], 'OR') && this.isWord(this.t[j + 1], 'ALTER')) {
      orAlter = true;
      j += 2;
    }
    const what = this.t[j];
    if (this.isWord(what, 'PROC', 'PROCEDURE')) {
      this.i = j + 1;
      return this.procedure(line, startTok, orAlter, alter);
    }
    if (alter && this.isWord(what, 'LOGIN')) {
      this.i = j + 1;
      return this.alterLogin(line);
    }
    if (this.isWord(what, 'FUNCTION', 'TRIGGER', 'TYPE', 'DATABASE', 'LOGIN', 'USER', 'ROLE', 'SYNONYM', 'SEQUENCE', 'ASSEMBLY', 'PARTITION', 'FULLTEXT', 'XML', 'SPATIAL', 'STATISTICS', 'COLUMNSTORE')) {
      throw unsupported(`${alter ? 'ALTER' : 'CREATE'} ${(what as SqlToken).upper}`, line);
    }
    if (orAlter) throw unsupported(`CREATE OR ALTER ${what?.upper ?? ''}`.trim(), line);
    if (alter && !this.isWord(what, 'TABLE')) throw unsupported(`ALTER ${what?.upper ?? ''}`.trim(), line);
    return this.sqlRun(alter ? 'ALTER' : 'CREATE');
  }

  private procedure(line: number, startTok: SqlToken, orAlter: boolean, alter: boolean): Statement {
    const { name, schema } = this.qualifiedName();
    if (this.isOp(this.peek(), ';')) throw unsupported('Numbered procedures', line);
    const params: ProcParam[] = [];
    const parenthesised = this.isOp(this.peek(), '(');
    if (parenthesised) this.i++;
    while (this.peek()?.kind === 'var') {
      const pname = this.next().text;
      if (this.isWord(this.peek(), 'AS')) this.i++;
      const type = this.declaredType();
      let defaultValue: Tokens | undefined;
      let output = false;
      if (this.isWord(this.peek(), 'VARYING')) throw unsupported('Cursor parameters', line);
      if (this.isWord(this.peek(), 'NULL') && !this.isOp(this.peek(-1), '=')) this.i++;
      if (this.isOp(this.peek(), '=')) {
        this.i++;
        defaultValue = [];
        if (this.isOp(this.peek(), '-') || this.isOp(this.peek(), '+')) defaultValue.push(this.next());
        defaultValue.push(this.next());
      }
      if (this.isWord(this.peek(), 'OUTPUT', 'OUT')) {
        this.i++;
        output = true;
      }
      if (this.isWord(this.peek(), 'READONLY')) throw unsupported('Table-valued parameters', line);
      params.push(defaultValue ? { name: pname, type, defaultValue, output } : { name: pname, type, output });
      if (!this.isOp(this.peek(), ',')) break;
      this.i++;
    }
    if (parenthesised) this.expectOp(')');
    if (this.isWord(this.peek(), 'WITH')) {
      this.i++;
      for (;;) {
        const opt = this.next();
        if (opt.kind !== 'word') throw this.errorAt(opt);
        if (opt.upper === 'EXECUTE' || opt.upper === 'EXEC') {
          this.expectWord('AS');
          this.next();
        } else if (opt.upper !== 'RECOMPILE' && opt.upper !== 'ENCRYPTION') {
          throw unsupported(`Procedure option ${opt.upper}`, line);
        }
        if (!this.isOp(this.peek(), ',')) break;
        this.i++;
      }
    }
    if (this.isWord(this.peek(), 'FOR')) throw unsupported('CREATE PROCEDURE ... FOR REPLICATION', line);
    const asTok = this.expectWord('AS');
    const bodyStart = this.peek();
    const body = bodyStart ? this.text.slice(bodyStart.start) : '';
    this.i = this.t.length;
    // The body is parsed now to report syntax errors at CREATE time, as SQL Server does.
    // Its first statement is not the batch's first, so a bare name is not an EXEC there.
    new Parser(this.t.slice(this.t.indexOf(asTok) + 1), this.text, false).parseBatch();
    return {
      kind: 'createProc',
      name,
      ...(schema === undefined ? {} : { schema }),
      orAlter,
      alter,
      params,
      body,
      bodyLine: bodyStart?.line ?? asTok.line,
      definition: this.text.slice(startTok.start).trimEnd(),
      line,
    };
  }

  /**
   * `ALTER LOGIN name WITH PASSWORD = 'new' [OLD_PASSWORD = 'old']`: the password change a
   * rotation needs. The other set options (DEFAULT_DATABASE, CHECK_POLICY, NAME, …), `HASHED`,
   * `MUST_CHANGE`, `UNLOCK` and `ENABLE`/`DISABLE` are unsupported.
   */
  private alterLogin(line: number): Statement {
    const name = this.next();
    if (name.kind !== 'word' && name.kind !== 'qident') throw this.errorAt(name);
    if (!this.isWord(this.peek(), 'WITH')) {
      const what = this.peek();
      throw unsupported(`ALTER LOGIN ${what?.kind === 'word' ? what.upper : '…'}`.trim(), line);
    }
    this.i++;
    const option = this.next();
    if (!this.isWord(option, 'PASSWORD')) throw unsupported(`ALTER LOGIN … WITH ${option.text.toUpperCase()}`, line);
    this.expectOp('=');
    const password = this.next();
    if (password.kind !== 'string') throw password.kind === 'binary' ? unsupported('ALTER LOGIN … HASHED', line) : this.errorAt(password);
    let oldPassword: string | undefined;
    if (this.isWord(this.peek(), 'OLD_PASSWORD')) {
      this.i++;
      this.expectOp('=');
      const old = this.next();
      if (old.kind !== 'string') throw this.errorAt(old);
      oldPassword = old.text;
    }
    const rest = this.peek();
    if (rest !== undefined && !this.isOp(rest, ';') && !(rest.kind === 'word' && STATEMENT_START.has(rest.upper))) {
      throw this.isOp(rest, ',') || rest.kind === 'word' ? unsupported(`ALTER LOGIN … ${this.isOp(rest, ',') ? 'with several options' : rest.upper}`, line) : this.errorAt(rest);
    }
    return { kind: 'alterLogin', login: name.text, password: password.text, ...(oldPassword !== undefined && { oldPassword }), line };
  }

  private dropProc(): Statement {
    const line = (this.peek() as SqlToken).line;
    this.i += 2;
    let ifExists = false;
    if (this.isWord(this.peek(), 'IF')) {
      this.i++;
      this.expectWord('EXISTS');
      ifExists = true;
    }
    const names: string[] = [];
    for (;;) {
      names.push(this.qualifiedName().name);
      if (!this.isOp(this.peek(), ',')) break;
      this.i++;
    }
    return { kind: 'dropProc', names, ifExists, line };
  }

  private declare(): Statement {
    const line = (this.peek() as SqlToken).line;
    this.i++;
    const vars: Array<{ name: string; type: DeclaredType; init?: Tokens }> = [];
    for (;;) {
      const v = this.next();
      if (this.isWord(this.peek(), 'CURSOR') || (this.isWord(this.peek(), 'INSENSITIVE', 'SCROLL') && v.kind !== 'var')) throw unsupported('Cursors', line);
      if (v.kind !== 'var') throw this.errorAt(v);
      if (this.isWord(this.peek(), 'AS')) this.i++;
      if (this.isWord(this.peek(), 'TABLE')) throw unsupported('Table variables', line);
      if (this.isWord(this.peek(), 'CURSOR')) throw unsupported('Cursors', line);
      const type = this.declaredType();
      if (this.isOp(this.peek(), '=')) {
        this.i++;
        const init = this.valueTokens();
        vars.push({ name: v.text, type, init });
      } else {
        vars.push({ name: v.text, type });
      }
      if (!this.isOp(this.peek(), ',')) break;
      this.i++;
    }
    return { kind: 'declare', vars, line };
  }

  private set(): Statement {
    const line = (this.peek() as SqlToken).line;
    this.i++;
    const target = this.peek();
    if (target?.kind === 'var') {
      this.i++;
      const op = this.next();
      if (op.kind !== 'op' || !['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^='].includes(op.text)) throw this.errorAt(op);
      return { kind: 'set', name: target.text, op: op.text, expr: this.expressionTokens(), line };
    }
    if (!target || target.kind !== 'word') throw this.errorAt(target);
    const tokens: Tokens = [];
    while (!this.atEnd) {
      const tok = this.peek() as SqlToken;
      if (tok.kind === 'op' && tok.text === ';') break;
      if (tokens.length > 0 && tok.kind === 'word' && STATEMENT_START.has(tok.upper)) break;
      tokens.push(tok);
      this.i++;
    }
    return { kind: 'setOption', option: target.upper, tokens, line };
  }

  private exec(line: number): Statement {
    if (this.isOp(this.peek(), '(')) {
      this.i++;
      const expr = this.untilCloseParen();
      if (this.isWord(this.peek(), 'AT', 'AS')) throw unsupported('EXEC (...) AT/AS', line);
      return { kind: 'execString', expr, line };
    }
    let returnVar: string | undefined;
    if (this.peek()?.kind === 'var' && this.isOp(this.peek(1), '=')) {
      returnVar = this.next().text;
      this.i++;
    }
    if (this.peek()?.kind === 'var') throw unsupported('EXEC @procedure_name_variable', line);
    const { name } = this.qualifiedName();
    const args: ExecArg[] = [];
    if (!this.atEndOfExecArgs()) {
      for (;;) {
        let argName: string | undefined;
        if (this.peek()?.kind === 'var' && this.isOp(this.peek(1), '=')) {
          argName = this.next().text;
          this.i++;
        }
        const value: Tokens = [];
        let isDefault = false;
        if (this.isWord(this.peek(), 'DEFAULT')) {
          this.i++;
          isDefault = true;
        } else {
          if (this.isOp(this.peek(), '-') || this.isOp(this.peek(), '+')) value.push(this.next());
          const v = this.next();
          if (!['string', 'number', 'var', 'binary', 'word', 'sysvar'].includes(v.kind)) throw this.errorAt(v);
          value.push(v);
        }
        let output = false;
        if (this.isWord(this.peek(), 'OUTPUT', 'OUT')) {
          this.i++;
          output = true;
        }
        const arg: ExecArg = { value, output, isDefault };
        if (argName !== undefined) arg.name = argName;
        args.push(arg);
        if (!this.isOp(this.peek(), ',')) break;
        this.i++;
      }
    }
    if (this.isWord(this.peek(), 'WITH')) throw unsupported('EXEC ... WITH RECOMPILE/RESULT SETS', line);
    return returnVar === undefined ? { kind: 'exec', procName: name, args, line } : { kind: 'exec', returnVar, procName: name, args, line };
  }

  private atEndOfExecArgs(): boolean {
    const tok = this.peek();
    if (!tok) return true;
    if (tok.kind === 'op' && tok.text === ';') return true;
    return tok.kind === 'word' && (STATEMENT_START.has(tok.upper) || tok.upper === 'ELSE');
  }
}

export function parseBatchTokens(tokens: Tokens, text: string): Statement[] {
  return new Parser(tokens, text).parseBatch();
}

export function parseBatch(text: string): Statement[] {
  return parseBatchTokens(tokenize(text), text);
}

/** Parses the `@params` declaration list of sp_executesql / sp_prepare ("@a int, @b nvarchar(10) OUTPUT"). */
export function parseParamDeclarations(text: string): ProcParam[] {
  if (text.trim() === '') return [];
  const stmt = parseBatch(`CREATE PROCEDURE __params ${text} AS RETURN`)[0];
  return stmt?.kind === 'createProc' ? stmt.params : [];
}
