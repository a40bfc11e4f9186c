/**
 * A cursor over a batch's tokens: look-ahead, expectations with SQL Server's syntax errors, and
 * the token runs (expressions, conditions, values, type spellings) the statement parser builds on.
 */
import { SqlError, keywordSyntaxError, syntaxError, unsupported } from '../errors';
import type { SqlToken } from './lexer';
import { RESERVED, STATEMENT_START, type Tokens } from './statements';
import { type DeclaredType, isTypeName, normaliseType } from './types';

export class TokenCursor {
  protected i = 0;

  constructor(protected readonly t: Tokens) {}

  protected peek(offset = 0): SqlToken | undefined {
    return this.t[this.i + offset];
  }

  protected isWord(tok: SqlToken | undefined, ...words: string[]): boolean {
    return tok !== undefined && tok.kind === 'word' && words.includes(tok.upper);
  }

  protected isOp(tok: SqlToken | undefined, op: string): boolean {
    return tok !== undefined && tok.kind === 'op' && tok.text === op;
  }

  protected next(): SqlToken {
    const tok = this.t[this.i++];
    if (!tok) throw syntaxError('end of batch', this.t[this.t.length - 1]?.line ?? 1);
    return tok;
  }

  protected expectWord(...words: string[]): SqlToken {
    const tok = this.peek();
    if (!this.isWord(tok, ...words)) throw this.errorAt(tok);
    return this.next();
  }

  protected expectOp(op: string): SqlToken {
    const tok = this.peek();
    if (!this.isOp(tok, op)) throw this.errorAt(tok);
    return this.next();
  }

  errorAt(tok: SqlToken | undefined): SqlError {
    if (!tok) return new SqlError({ number: 102, class: 15, message: "Incorrect syntax near the end of the batch.", line: this.t[this.t.length - 1]?.line ?? 1 });
    if (tok.kind === 'word' && RESERVED.has(tok.upper)) return keywordSyntaxError(tok.text.toLowerCase(), tok.line);
    return syntaxError(tok.text, tok.line);
  }

  get atEnd(): boolean {
    return this.i >= this.t.length;
  }

  protected atStatementEnd(): boolean {
    const tok = this.peek();
    if (!tok) return true;
    if (tok.kind === 'op' && tok.text === ';') return true;
    return (tok.kind === 'word' && STATEMENT_START.has(tok.upper)) || (tok.kind === 'word' && tok.upper === 'ELSE');
  }

  /** Tokens of an expression: up to a statement keyword or ';' at depth 0. */
  protected expressionTokens(): Tokens {
    const out: Tokens = [];
    const stack: string[] = [];
    while (!this.atEnd) {
      const tok = this.peek() as SqlToken;
      if (stack.length === 0) {
        if (tok.kind === 'op' && (tok.text === ';' || tok.text === ')')) break;
        if (tok.kind === 'word' && STATEMENT_START.has(tok.upper) && tok.upper !== 'SELECT') break;
        if (tok.kind === 'word' && tok.upper === 'SELECT' && out.length > 0) break;
      }
      trackNesting(tok, stack);
      out.push(tok);
      this.i++;
    }
    return out;
  }

  /** The condition of IF/WHILE: up to the first statement keyword at depth 0. */
  protected conditionTokens(): Tokens {
    const out: Tokens = [];
    const stack: string[] = [];
    while (!this.atEnd) {
      const tok = this.peek() as SqlToken;
      if (stack.length === 0 && tok.kind === 'word' && STATEMENT_START.has(tok.upper)) break;
      trackNesting(tok, stack);
      out.push(tok);
      this.i++;
    }
    if (out.length === 0) throw this.errorAt(this.peek());
    return out;
  }

  /** An expression ending at a top-level comma or statement boundary. */
  protected valueTokens(): Tokens {
    const out: Tokens = [];
    const stack: string[] = [];
    while (!this.atEnd) {
      const tok = this.peek() as SqlToken;
      if (stack.length === 0) {
        if (tok.kind === 'op' && (tok.text === ',' || tok.text === ';' || tok.text === ')')) break;
        if (tok.kind === 'word' && STATEMENT_START.has(tok.upper) && !(tok.upper === 'SELECT' && out.length === 0)) break;
      }
      trackNesting(tok, stack);
      out.push(tok);
      this.i++;
    }
    if (out.length === 0) throw this.errorAt(this.peek());
    return out;
  }

  protected untilCloseParen(): Tokens {
    const out: Tokens = [];
    let depth = 0;
    for (;;) {
      const tok = this.next();
      if (tok.kind === 'op' && tok.text === '(') depth++;
      if (tok.kind === 'op' && tok.text === ')') {
        if (depth === 0) return out;
        depth--;
      }
      out.push(tok);
    }
  }

  /** A type spelling at the cursor: name [ (n | MAX | p, s) ]. */
  /** A type spelling; `castTarget`: of CAST or CONVERT, where a character or binary type without a length means 30. */
  declaredType(castTarget = false): DeclaredType {
    const tok = this.next();
    let name: string;
    if (tok.kind === 'word' || tok.kind === 'qident') {
      name = tok.text;
      if (this.isOp(this.peek(), '.')) {
        // sys.int, dbo.sometype
        this.i++;
        name = this.next().text;
      }
    } else {
      throw this.errorAt(tok);
    }
    if (name.toUpperCase() === 'TABLE') throw unsupported('Table variables', tok.line);
    if (name.toUpperCase() === 'CURSOR') throw unsupported('Cursors', tok.line);
    if (!isTypeName(name)) {
      throw new SqlError({ number: 2715, class: 16, message: `Column, parameter, or variable #1: Cannot find data type ${name}.`, line: tok.line });
    }
    if (name.toLowerCase() === 'double' && this.isWord(this.peek(), 'PRECISION')) this.i++;
    const t: DeclaredType = { name: name.toLowerCase() };
    if (this.isOp(this.peek(), '(')) {
      this.i++;
      const a = this.next();
      if (a.kind === 'word' && a.upper === 'MAX') t.length = 'max';
      else if (a.kind === 'number') {
        const n = Number(a.text);
        const lower = t.name;
        if (lower === 'decimal' || lower === 'numeric' || lower === 'dec' || lower === 'float') t.precision = n;
        else if (lower === 'datetime2' || lower === 'time' || lower === 'datetimeoffset') t.scale = n;
        else t.length = n;
      } else throw this.errorAt(a);
      if (this.isOp(this.peek(), ',')) {
        this.i++;
        const b = this.next();
        if (b.kind !== 'number') throw this.errorAt(b);
        t.scale = Number(b.text);
      }
      this.expectOp(')');
    } else if (castTarget && ['nvarchar', 'varchar', 'nchar', 'char', 'varbinary', 'binary'].includes(t.name)) {
      t.length = 30;
    }
    return normaliseType(t, tok.line);
  }
}

class TypeReader extends TokenCursor {
  read(at: number, castTarget: boolean): { type: DeclaredType; next: number } {
    this.i = at;
    const type = this.declaredType(castTarget);
    return { type, next: this.i };
  }
}

/** The type spelled at `at` in a token run (CAST/CONVERT targets, column definitions); `next` follows it. */
export function readDeclaredType(tokens: Tokens, at: number, castTarget: boolean): { type: DeclaredType; next: number } {
  return new TypeReader(tokens).read(at, castTarget);
}

/** Keeps `stack` in step with the parentheses and CASE … END around `tok`. */
export function trackNesting(tok: SqlToken, stack: string[]): void {
  if (tok.kind === 'op' && tok.text === '(') stack.push('(');
  else if (tok.kind === 'op' && tok.text === ')') {
    if (stack.pop() !== '(') throw syntaxError(')', tok.line);
  } else if (tok.kind === 'word' && tok.upper === 'CASE') stack.push('CASE');
  else if (tok.kind === 'word' && tok.upper === 'END' && stack[stack.length - 1] === 'CASE') stack.pop();
}

/** Splits a token list at top-level commas. */
export function splitTopLevel(tokens: Tokens): Tokens[] {
  const out: Tokens[] = [];
  let cur: Tokens = [];
  const stack: string[] = [];
  for (const tok of tokens) {
    if (stack.length === 0 && tok.kind === 'op' && tok.text === ',') {
      out.push(cur);
      cur = [];
      continue;
    }
    trackNesting(tok, stack);
    cur.push(tok);
  }
  if (cur.length > 0 || out.length > 0) out.push(cur);
  return out;
}
