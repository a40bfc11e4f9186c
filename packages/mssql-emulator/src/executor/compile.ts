/**
 * Compiling a batch before any of it runs, as SQL Server does. The T-SQL parser finds most
 * syntax errors; the rest only PostgreSQL can tell (a stray word after a column, an operator
 * without an operand), so each translated statement is parsed there without being run. A
 * variable used before any DECLARE of it in the text is 137. Every error is reported, in order,
 * at the T-SQL token it names, and nothing runs. A CREATE PROCEDURE's body is compiled with it,
 * so a broken body is refused at CREATE.
 */
import type { DatabaseEngine, PgSyntaxError } from '../engine';
import { SqlError, batchErrors, syntaxErrorNear } from '../errors';
import { type SqlToken, tokenize } from '../tsql/lexer';
import { ParseErrors } from '../tsql/parser';
import type { Statement, Tokens } from '../tsql/statements';
import { type Chunk, translateExpression, translateStatement } from '../tsql/translate';
import { quoteIdent } from '../tsql/vocabulary';
import { lowerName, parseCached } from './frame';

/** A translated statement or expression to parse, and the T-SQL it came from. */
interface Probe {
  text: string;
  tokens: Tokens;
  /** The T-SQL text the tokens' offsets point into (the batch, or a procedure's body). */
  source: string;
  /** Added to token lines: a procedure body's lines count from the CREATE. */
  lineOffset: number;
}

const compiled = new WeakMap<Statement[], readonly SqlError[]>();

/**
 * The statements of `text`, or every compile error of it thrown as one. `declared`: the
 * variables the text starts with (sp_executesql's parameters).
 */
export async function compileBatch(text: string, engine: DatabaseEngine, declared: readonly string[] = []): Promise<Statement[]> {
  let statements: Statement[];
  const errors: SqlError[] = [];
  try {
    statements = parseCached(text);
  } catch (e) {
    if (!(e instanceof ParseErrors)) throw e;
    statements = e.statements;
    errors.push(...e.errors);
  }
  let found = compiled.get(statements);
  if (!found) {
    const probes: Probe[] = [];
    collect(statements, text, 0, probes);
    found = probes.length === 0 ? [] : located(probes, await engine.syntaxErrors(probes.map((p) => p.text)));
    if (errors.length === 0) compiled.set(statements, found);
  }
  errors.push(...found);
  undeclared(statements, new Set(declared.map(lowerName)), 0, errors);
  if (errors.length > 0) throw batchErrors([...errors].sort((a, b) => a.line - b.line));
  return statements;
}

/** Variables and session values become NULL: only the shape of the statement matters here. */
function render(chunks: readonly Chunk[]): string {
  return chunks.map((c) => (typeof c === 'string' ? c : c.ref === 'temp' ? quoteIdent(c.name) : 'NULL')).join(' ');
}

function collect(statements: readonly Statement[], source: string, lineOffset: number, out: Probe[]): void {
  const add = (tokens: Tokens, make: () => string) => {
    try {
      out.push({ text: make(), tokens, source, lineOffset });
    } catch {
      // A construct the translator refuses reports its own error when it runs.
    }
  };
  const expression = (tokens: Tokens, wrap = (sql: string) => `SELECT ${sql}`) => add(tokens, () => wrap(render(translateExpression(tokens))));
  for (const s of statements) {
    switch (s.kind) {
      case 'sql':
        add(s.tokens, () => render(translateStatement(s.tokens).chunks));
        break;
      case 'selectAssign':
        expression(s.tokens.slice(1));
        break;
      case 'declare':
        for (const v of s.vars) if (v.init) expression(v.init);
        break;
      case 'set':
      case 'print':
        expression(s.expr);
        break;
      case 'return':
        if (s.expr) expression(s.expr);
        break;
      case 'if':
        expression(s.cond, (sql) => `SELECT CASE WHEN ${sql} THEN 1 END`);
        collect(s.otherwise ? [s.then, s.otherwise] : [s.then], source, lineOffset, out);
        break;
      case 'while':
        expression(s.cond, (sql) => `SELECT CASE WHEN ${sql} THEN 1 END`);
        collect([s.body], source, lineOffset, out);
        break;
      case 'block':
        collect(s.body, source, lineOffset, out);
        break;
      case 'try':
        collect(s.body, source, lineOffset, out);
        collect(s.handler, source, lineOffset, out);
        break;
      case 'createProc':
        // The CREATE parsed its body already; its statements count lines from the body's start.
        collect(parseCached(s.body), s.body, lineOffset + s.bodyLine - 1, out);
        break;
      default:
        break;
    }
  }
}

/** 137 for each statement that uses a variable no DECLARE (or parameter) before it in the text declares. */
function undeclared(statements: readonly Statement[], declared: Set<string>, lineOffset: number, out: SqlError[]): void {
  const fail = (name: string, line: number) => {
    const err = new SqlError({ number: 137, class: 15, message: `Must declare the scalar variable "${name}".`, line: lineOffset + line });
    err.located = true;
    out.push(err);
  };
  const check = (tokens: Tokens | undefined): void => {
    const tok = tokens?.find((t) => t.kind === 'var' && !declared.has(lowerName(t.text)));
    if (tok) fail(tok.text, tok.line);
  };
  for (const s of statements) {
    switch (s.kind) {
      case 'sql':
      case 'selectAssign':
        check(s.tokens);
        break;
      case 'declare':
        for (const v of s.vars) {
          check(v.init);
          declared.add(lowerName(v.name));
        }
        break;
      case 'set':
        if (!declared.has(lowerName(s.name))) fail(s.name, s.line);
        else check(s.expr);
        break;
      case 'setOption':
        check(s.tokens);
        break;
      case 'if':
        check(s.cond);
        undeclared(s.otherwise ? [s.then, s.otherwise] : [s.then], declared, lineOffset, out);
        break;
      case 'while':
        check(s.cond);
        undeclared([s.body], declared, lineOffset, out);
        break;
      case 'block':
        undeclared(s.body, declared, lineOffset, out);
        break;
      case 'try':
        undeclared(s.body, declared, lineOffset, out);
        undeclared(s.handler, declared, lineOffset, out);
        break;
      case 'exec':
        if (s.returnVar !== undefined && !declared.has(lowerName(s.returnVar))) fail(s.returnVar, s.line);
        else check(s.args.flatMap((a) => a.value));
        break;
      case 'execString':
      case 'print':
        check(s.expr);
        break;
      case 'return':
        check(s.expr);
        break;
      case 'throw':
        check(s.args?.flat());
        break;
      case 'raiserror':
        check(s.args.flat());
        break;
      case 'waitfor':
        check(s.delay);
        break;
      case 'createProc':
        // A procedure's body sees its parameters only.
        undeclared(parseCached(s.body), new Set(s.params.map((p) => lowerName(p.name))), lineOffset + s.bodyLine - 1, out);
        break;
      default:
        break;
    }
  }
}

/** PostgreSQL's syntax errors as SQL Server's, at the T-SQL token they name. */
function located(probes: readonly Probe[], errors: readonly (PgSyntaxError | undefined)[]): SqlError[] {
  const out: SqlError[] = [];
  probes.forEach((p, k) => {
    const e = errors[k];
    if (!e) return;
    const tok = tokenAt(p, e) ?? tokenAfter(p) ?? p.tokens[p.tokens.length - 1];
    const err = syntaxErrorNear(tok?.text ?? '', p.lineOffset + (tok?.line ?? 1));
    err.located = true;
    out.push(err);
  });
  return out;
}

/** At the end of a statement, SQL Server names the token that follows it (';', END, the next statement). */
function tokenAfter(p: Probe): SqlToken | undefined {
  const last = p.tokens[p.tokens.length - 1];
  if (!last) return undefined;
  return tokenize(p.source).find((t) => t.start >= last.end);
}

/**
 * The T-SQL token PostgreSQL's error is at: the one whose text it quotes, counting earlier
 * occurrences of that text in the translation (the end of the input is the last token).
 */
function tokenAt(p: Probe, e: PgSyntaxError): SqlToken | undefined {
  const near = /at or near "(.*)"$/.exec(e.message)?.[1];
  if (near === undefined) return undefined;
  const bare = near.replace(/^(["'])(.*)\1$/s, '$2').toLowerCase();
  const escaped = near.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const before = p.text.slice(0, Math.max(0, e.position - 1));
  const earlier = [...before.matchAll(new RegExp(`(?<![\\w$])${escaped}(?![\\w$])`, 'gi'))].length;
  return p.tokens.filter((t) => t.text.toLowerCase() === bare)[earlier];
}
