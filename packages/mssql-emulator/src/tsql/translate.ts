/**
 * Translates one T-SQL statement (a token run from parser.ts) into PostgreSQL. Variables,
 * @@functions and session-dependent built-ins become references that the executor binds as
 * typed parameters at run time, so a translation can be cached and reused.
 *
 * Names keep their case: `Users`, `[Users]` and `"Users"` all become `"Users"`. (SQL Server
 * compares names case-insensitively; the emulator does not — see the README.)
 */
import { SqlError, syntaxError, unsupported } from '../errors';
import type { SqlToken } from './lexer';
import type { Tokens } from './statements';
import { SHADOWING_TABLE_NAMES } from '../typesystem';
import { convertTo } from './conversions';
import { readDeclaredType } from './cursor';
import { type ColumnSource, columnSource, splitAlias, topLevelAs } from './select-list';
import { isTypeName, pgColumnTypeOfDeclared } from './types';
import { COLUMN_NAME_KEYWORDS, DATE_PARTS, HINTS, KEYWORDS, NILADIC_SESSION, SESSION_FUNCTIONS, UNSUPPORTED_WORDS, isName, isOp, isWord, matching, quoteIdent, quoteLiteral, splitArgs } from './vocabulary';

/** A value resolved by the executor when the statement runs. */
export type Ref =
  | { ref: 'var'; name: string }
  | { ref: 'sys'; name: string }
  | { ref: 'fn'; name: string }
  | { ref: 'temp'; name: string };

export type Chunk = string | Ref;

export interface TranslatedSql {
  chunks: Chunk[];
  /** First keyword of the statement (SELECT, INSERT ...). */
  verb: string;
  /** For CREATE TABLE #t: the temp table created, so the session can drop it at close. */
  createsTemp?: string;
  /** CREATE/ALTER TABLE or SELECT … INTO: columns may have changed type. */
  definesColumns?: boolean;
  /** BINARY(n) lengths whose column domains must exist before the statement runs. */
  binaryDomains?: number[];
  /** Per result column of a SELECT without `*`, where its T-SQL type comes from, if known. */
  columnSources?: (ColumnSource | undefined)[];
}

/** The alias given to select-list expressions SQL Server would leave unnamed. */
export const UNNAMED_COLUMN = '__em_unnamed';

class Translator {
  private readonly out: Chunk[] = [];
  private returning: Chunk[] | undefined;
  createsTemp: string | undefined;
  selectInto = false;
  readonly binaryDomains = new Set<number>();
  columnSources: (ColumnSource | undefined)[] | undefined;

  constructor(
    private readonly t: Tokens,
    private readonly verb: string,
  ) {}

  emit(...chunks: Chunk[]): void {
    this.out.push(...chunks);
  }

  result(): TranslatedSql {
    const chunks = [...this.out];
    if (this.returning) chunks.push('RETURNING', ...this.returning);
    const merged: Chunk[] = [];
    for (const c of chunks) {
      const last = merged[merged.length - 1];
      if (typeof c === 'string' && typeof last === 'string') merged[merged.length - 1] = `${last} ${c}`;
      else merged.push(c);
    }
    const r: TranslatedSql = { chunks: merged, verb: this.verb };
    if (this.createsTemp) r.createsTemp = this.createsTemp;
    if (this.selectInto || ((this.verb === 'CREATE' || this.verb === 'ALTER') && isWord(this.t[1], 'TABLE'))) r.definesColumns = true;
    if (this.binaryDomains.size > 0) r.binaryDomains = [...this.binaryDomains];
    if (this.columnSources) r.columnSources = this.columnSources;
    return r;
  }

  /** Translates [from, to) into a separate chunk list. */
  sub(from: number, to: number): Chunk[] {
    const inner = new Translator(this.t, this.verb);
    inner.range(from, to, false);
    if (inner.createsTemp) this.createsTemp = inner.createsTemp;
    for (const n of inner.binaryDomains) this.binaryDomains.add(n);
    return inner.out;
  }

  range(from: number, to: number, topStatement: boolean): void {
    let i = from;
    let nameColumns = topStatement && (this.verb === 'SELECT' || this.verb === 'WITH');
    while (i < to) {
      const tok = this.t[i] as SqlToken;
      const next = this.t[i + 1];
      const prev = this.t[i - 1];
      this.refuseOutsideSubset(i);
      switch (tok.kind) {
        case 'var':
          this.emit({ ref: 'var', name: tok.text });
          i++;
          continue;
        case 'sysvar':
          this.emit({ ref: 'sys', name: tok.text.toUpperCase() });
          i++;
          continue;
        case 'string':
          this.emit(quoteLiteral(tok.text));
          i++;
          continue;
        case 'number':
          this.emit(tok.text);
          i++;
          continue;
        case 'binary':
          this.emit(`'\\x${tok.text.length % 2 ? '0' : ''}${tok.text}'::bytea`);
          i++;
          continue;
        case 'op':
          i = this.op(tok, i);
          continue;
        case 'qident':
          i = this.name(i, to);
          continue;
        case 'word':
          break;
      }
      const w = tok.upper;
      if (Object.hasOwn(UNSUPPORTED_WORDS, w) && (isOp(next, '(') || w === 'PIVOT' || w === 'UNPIVOT')) {
        throw unsupported(UNSUPPORTED_WORDS[w] as string, tok.line);
      }
      if (w === 'SELECT') {
        i = this.select(i, to, nameColumns);
        nameColumns = false;
        continue;
      }
      if (w === 'TOP') throw unsupported(`TOP in ${this.verb}`, tok.line);
      if (w === 'FOR' && isWord(next, 'XML', 'JSON', 'BROWSE')) throw unsupported(`FOR ${(next as SqlToken).upper}`, tok.line);
      if (w === 'OPTION' && isOp(next, '(')) {
        i = matching(this.t, i + 1, to) + 1;
        continue;
      }
      if ((w === 'CROSS' || w === 'OUTER') && isWord(next, 'APPLY')) {
        if (w === 'OUTER') throw unsupported('OUTER APPLY', tok.line);
        this.emit('CROSS JOIN LATERAL');
        i += 2;
        continue;
      }
      if (w === 'COLLATE') {
        i += 2;
        continue;
      }
      if (w === 'CLUSTERED' || w === 'NONCLUSTERED') {
        i++;
        continue;
      }
      if (w === 'WITH' && (next?.kind === 'word' || next?.kind === 'qident') && (isWord(this.t[i + 2], 'AS') || isOp(this.t[i + 2], '('))) {
        // A T-SQL CTE may refer to itself without a keyword; PostgreSQL wants RECURSIVE for that
        // and accepts it on CTEs that do not.
        this.emit('WITH RECURSIVE');
        i++;
        continue;
      }
      if (this.verb === 'MERGE' && (w === 'MATCHED' || ((w === 'TARGET' || w === 'SOURCE') && isWord(prev, 'BY')))) {
        this.emit(w);
        i++;
        continue;
      }
      if (w === 'INSERT' && !isWord(next, 'INTO') && this.verb !== 'MERGE') {
        // INTO is optional in T-SQL.
        this.emit('INSERT INTO');
        i++;
        continue;
      }
      if (w === 'WITH' && isOp(next, '(') && isWord(this.t[i + 2], ...HINTS)) {
        i = matching(this.t, i + 1, to) + 1;
        continue;
      }
      if (w === 'WITH' && isWord(next, 'CHECK', 'NOCHECK') && isWord(this.t[i + 2], 'ADD')) {
        i += 2;
        continue;
      }
      if (isOp(prev, ')') && isOp(next, '(') === false && (w === 'ON' || w === 'TEXTIMAGE_ON') && (isWord(next, 'PRIMARY') || next?.kind === 'qident')) {
        i += 2;
        continue;
      }
      if (w === 'CONSTRAINT' && isName(next) && isWord(this.t[i + 2], 'DEFAULT')) {
        i += 2;
        continue;
      }
      if ((w === 'PRIMARY' && isWord(next, 'KEY')) || w === 'UNIQUE') {
        i = this.keyColumns(i, to);
        continue;
      }
      if (w === 'IDENTITY') {
        i = this.identity(i, to);
        continue;
      }
      if (w === 'OUTPUT' && (this.verb === 'INSERT' || this.verb === 'UPDATE' || this.verb === 'DELETE')) {
        i = this.output(i, to);
        continue;
      }
      if (w === 'CURRENT_TIMESTAMP') {
        this.emit('__emulator.current_datetime()');
        i++;
        continue;
      }
      if (NILADIC_SESSION.has(w) && !isOp(next, '(') && !isOp(prev, '.')) {
        this.emit({ ref: 'fn', name: w });
        i++;
        continue;
      }
      if (w === 'TABLE' && isWord(prev, 'CREATE') && next?.kind === 'word' && next.text.startsWith('#')) {
        this.emit('TEMP TABLE');
        this.createsTemp = next.text;
        i++;
        continue;
      }
      if (w === 'INDEX' && isWord(prev, 'DROP')) {
        i = this.dropIndex(i, to);
        continue;
      }
      if (isWord(prev, 'ALTER') && w === 'COLUMN') {
        this.emit('COLUMN');
        i++;
        if (isName(this.t[i])) {
          i = this.name(i, to);
          this.emit('TYPE');
        }
        continue;
      }
      if (w === 'CAST' && isOp(next, '(')) {
        i = this.call(i, to);
        continue;
      }
      // A column definition's name may be a word PostgreSQL keeps as a keyword (`type INT`).
      const before = this.t[i - 2];
      const keywordColumn = prev?.kind === 'word' && COLUMN_NAME_KEYWORDS.has(prev.upper) && (isOp(before, '(') || isOp(before, ',') || isWord(before, 'ADD'));
      const typePosition = isName(prev) || isWord(prev, 'AS') || isOp(prev, ']') || keywordColumn;
      if (isOp(next, '(') && !KEYWORDS.has(w) && !isOp(prev, '.') && !this.isTableContext(prev) && !(isTypeName(w) && typePosition)) {
        i = this.call(i, to);
        continue;
      }
      if (isTypeName(w) && !isOp(next, '.') && !isOp(prev, '.') && typePosition) {
        i = this.type(i);
        continue;
      }
      if (KEYWORDS.has(w)) {
        this.emit(w);
        i++;
        continue;
      }
      i = this.name(i, to);
    }
  }

  private isTableContext(prev: SqlToken | undefined): boolean {
    return isWord(prev, 'INTO', 'TABLE', 'REFERENCES', 'UPDATE', 'JOIN', 'FROM', 'ON', 'EXISTS', 'VIEW', 'INDEX', 'KEY') || prev?.kind === 'qident';
  }

  private op(tok: SqlToken, i: number): number {
    switch (tok.text) {
      case '!=':
        this.emit('<>');
        break;
      case '!<':
        this.emit('>=');
        break;
      case '!>':
        this.emit('<=');
        break;
      case '^':
        this.emit('#');
        break;
      case '::':
      case '+=':
      case '-=':
      case '*=':
      case '/=':
      case '%=':
      case '&=':
      case '|=':
      case '^=':
        throw syntaxError(tok.text, tok.line);
      case ';':
        break;
      default:
        this.emit(tok.text);
    }
    return i + 1;
  }

  /**
   * Constructs outside the emulated subset that would otherwise reach the parser or PostgreSQL
   * and fail as a syntax error or a missing object: refused with 40517 naming them.
   */
  private refuseOutsideSubset(i: number): void {
    const tok = this.t[i] as SqlToken;
    const prev = this.t[i - 1];
    const next = this.t[i + 1];
    const after = this.t[i + 2];
    if (isOp(next, '::') && (tok.kind === 'word' || tok.kind === 'qident') && (after?.kind === 'word' || after?.kind === 'qident')) {
      throw unsupported(`CLR type methods (${tok.text}::${after.text})`, tok.line, true);
    }
    if (tok.kind === 'var' && isOp(next, '.') && isWord(after, 'VALUE', 'QUERY', 'NODES', 'EXIST', 'MODIFY') && isOp(this.t[i + 3], '(')) {
      throw unsupported(`xml data type methods (.${(after as SqlToken).text.toLowerCase()})`, tok.line, true);
    }
    if (isWord(tok, 'NEXT') && isWord(next, 'VALUE') && isWord(after, 'FOR')) {
      throw unsupported('Sequences (NEXT VALUE FOR)', tok.line, true);
    }
    const tableDefinition = (this.verb === 'CREATE' || this.verb === 'ALTER') && isWord(this.t[1], 'TABLE');
    if (!tableDefinition) return;
    // `name AS expression` where a column definition starts: a computed column.
    if (isName(tok) && isWord(next, 'AS') && (isOp(prev, '(') || isOp(prev, ',') || isWord(prev, 'ADD'))) {
      throw unsupported(`Computed columns (${tok.text})`, tok.line, true);
    }
    if (isWord(tok, 'WITH') && isOp(prev, ')') && isOp(next, '(') && after?.kind === 'word' && !HINTS.has(after.upper)) {
      throw unsupported(`Table option ${after.upper}`, tok.line);
    }
  }

  /** A possibly qualified name starting at i; drops dbo./[dbo]. and database prefixes. */
  private name(i: number, to: number): number {
    const parts: SqlToken[] = [];
    let star = false;
    let j = i;
    for (;;) {
      const tok = this.t[j];
      if (!tok || j >= to) break;
      if (tok.kind !== 'word' && tok.kind !== 'qident') break;
      // After a dot every word is a name: sys.partitions has a column `rows`.
      parts.push(tok);
      j++;
      if (isOp(this.t[j], '.') && j < to) {
        if (isOp(this.t[j + 1], '*')) {
          j += 2;
          star = true;
          break;
        }
        if (isOp(this.t[j + 1], '.')) j++;
        j++;
        continue;
      }
      break;
    }
    if (parts.length === 0) {
      const tok = this.t[i] as SqlToken;
      throw syntaxError(tok.text, tok.line);
    }
    const created = parts[parts.length - 1] as SqlToken;
    const creates = (isWord(this.t[i - 1], 'TABLE', 'VIEW') && isWord(this.t[i - 2], 'CREATE')) || (isWord(this.t[i - 1], 'INTO') && (this.verb === 'SELECT' || this.verb === 'WITH'));
    if (creates && SHADOWING_TABLE_NAMES.has(created.text)) {
      throw unsupported(`A table or view named '${created.text}' (the name of a PostgreSQL type the emulator uses)`, created.line);
    }
    // Drop a database and/or the dbo schema: dbo.t, db.dbo.t, db..t
    let names = parts.map((p) => p.text);
    if (names.length === 3) names = names.slice(1);
    if (names.length === 2 && (names[0] as string).toLowerCase() === 'dbo') names = names.slice(1);
    const rendered = names.map((n) => (n.startsWith('#') ? null : quoteIdent(n)));
    const chunks: Chunk[] = [];
    names.forEach((n, k) => {
      if (k > 0) chunks.push('.');
      const r = rendered[k];
      chunks.push(r === null || r === undefined ? { ref: 'temp', name: n } : r);
    });
    // "x.*" : the star was consumed above; emit it.
    if (star) chunks.push('.', '*');
    this.emit(...joinDots(chunks));
    return j;
  }

  /** A type where a column is defined (CREATE/ALTER TABLE). */
  private type(i: number): number {
    const { type, next } = readDeclaredType(this.t, i, isWord(this.t[i - 1], 'AS'));
    if (type.name === 'binary' && typeof type.length === 'number') this.binaryDomains.add(type.length);
    this.emit(pgColumnTypeOfDeclared(type));
    return next;
  }

  private identity(i: number, to: number): number {
    let seed = '1';
    let increment = '1';
    let j = i + 1;
    if (isOp(this.t[j], '(')) {
      const close = matching(this.t, j, to);
      const args = splitArgs(this.t, j + 1, close).map(([a, b]) => this.t.slice(a, b).map((x) => x.text).join(''));
      seed = args[0] ?? '1';
      increment = args[1] ?? '1';
      j = close + 1;
    }
    this.emit(`GENERATED ALWAYS AS IDENTITY (START WITH ${seed} INCREMENT BY ${increment})`);
    return j;
  }

  /** PRIMARY KEY / UNIQUE column lists: PostgreSQL takes no ASC/DESC there. */
  private keyColumns(i: number, to: number): number {
    let j = i;
    if (isWord(this.t[j], 'PRIMARY')) {
      this.emit('PRIMARY KEY');
      j += 2;
    } else {
      this.emit('UNIQUE');
      j += 1;
    }
    while (isWord(this.t[j], 'CLUSTERED', 'NONCLUSTERED')) j++;
    if (isOp(this.t[j], '(')) {
      const close = matching(this.t, j, to);
      const cols = splitArgs(this.t, j + 1, close).map(([a, b]) => {
        let end = b;
        if (isWord(this.t[end - 1], 'ASC', 'DESC')) end--;
        return this.sub(a, end);
      });
      this.emit('(');
      cols.forEach((c, k) => {
        if (k > 0) this.emit(',');
        this.emit(...c);
      });
      this.emit(')');
      j = close + 1;
    }
    return j;
  }

  private dropIndex(i: number, to: number): number {
    this.emit('INDEX');
    let j = i + 1;
    if (isWord(this.t[j], 'IF') && isWord(this.t[j + 1], 'EXISTS')) {
      this.emit('IF EXISTS');
      j += 2;
    }
    // DROP INDEX ix ON t  |  DROP INDEX t.ix
    const first = this.t[j];
    if (!first) throw syntaxError('INDEX', this.t[i]?.line ?? 0);
    if (isOp(this.t[j + 1], '.')) {
      this.emit(quoteIdent((this.t[j + 2] as SqlToken).text));
      j += 3;
    } else {
      this.emit(quoteIdent(first.text));
      j += 1;
      if (isWord(this.t[j], 'ON')) {
        j++;
        while (j < to && !isOp(this.t[j], ';') && !isOp(this.t[j], ',')) j++;
      }
    }
    return j;
  }

  private output(i: number, to: number): number {
    let j = i + 1;
    const start = j;
    let depth = 0;
    while (j < to) {
      const tok = this.t[j] as SqlToken;
      if (isOp(tok, '(')) depth++;
      if (isOp(tok, ')')) depth--;
      if (depth === 0 && isWord(tok, 'VALUES', 'SELECT', 'FROM', 'WHERE', 'DEFAULT', 'INTO')) break;
      j++;
    }
    if (isWord(this.t[j], 'INTO')) throw unsupported('OUTPUT ... INTO', (this.t[i] as SqlToken).line);
    const items: Chunk[] = [];
    for (const [a, b] of splitArgs(this.t, start, j)) {
      if (items.length > 0) items.push(',');
      let k = a;
      const pseudo = this.t[k];
      if (isWord(pseudo, 'INSERTED', 'DELETED') && isOp(this.t[k + 1], '.')) {
        if ((pseudo as SqlToken).upper === 'DELETED' && this.verb !== 'DELETE') throw unsupported('OUTPUT DELETED in UPDATE', pseudo?.line ?? 0);
        if ((pseudo as SqlToken).upper === 'INSERTED' && this.verb === 'DELETE') throw syntaxError('INSERTED', pseudo?.line ?? 0);
        k += 2;
      }
      if (isOp(this.t[k], '*')) {
        items.push('*');
        continue;
      }
      items.push(...this.sub(k, b));
    }
    this.returning = items;
    return j;
  }

  /** A function call at i (name followed by '('). */
  private call(i: number, to: number): number {
    const tok = this.t[i] as SqlToken;
    const w = tok.upper;
    const open = i + 1;
    const close = matching(this.t, open, to);
    const args = splitArgs(this.t, open + 1, close);
    const arg = (k: number): Chunk[] => {
      const r = args[k];
      if (!r) throw new SqlError({ number: 174, class: 15, message: `The ${w.toLowerCase()} function requires ${k + 1} argument(s).`, line: tok.line });
      return this.sub(r[0], r[1]);
    };
    switch (w) {
      case 'ISNULL':
        this.emit('COALESCE', '(', ...arg(0), ',', ...arg(1), ')');
        return close + 1;
      case 'COUNT':
        this.emit('CAST', '(', 'count', '(', ...this.sub(open + 1, close), ')', 'AS integer', ')');
        return close + 1;
      case 'COUNT_BIG':
        this.emit('count', '(', ...this.sub(open + 1, close), ')');
        return close + 1;
      case 'IIF':
        this.emit('CASE WHEN', ...arg(0), 'THEN', ...arg(1), 'ELSE', ...arg(2), 'END');
        return close + 1;
      case 'CAST': {
        const as = topLevelAs(this.t, open + 1, close);
        if (as < 0) throw syntaxError(')', tok.line);
        this.emit(...convertTo(readDeclaredType(this.t, as + 1, true).type, this.sub(open + 1, as)));
        return close + 1;
      }
      case 'CONVERT': {
        const typeRange = args[0];
        if (!typeRange) throw syntaxError('CONVERT', tok.line);
        const type = readDeclaredType(this.t, typeRange[0], true).type;
        this.emit(...convertTo(type, arg(1), args[2] ? arg(2) : undefined));
        return close + 1;
      }
      case 'GETDATE':
      case 'GETUTCDATE':
        // DATETIME, as SQL Server returns (the emulator's clock is UTC).
        this.emit('__emulator.current_datetime()');
        return close + 1;
      case 'DATEADD':
      case 'DATEDIFF':
      case 'DATEDIFF_BIG':
      case 'DATEPART':
      case 'DATENAME': {
        const partRange = args[0];
        const partTok = partRange ? this.t[partRange[0]] : undefined;
        const part = partTok && Object.hasOwn(DATE_PARTS, partTok.upper) ? DATE_PARTS[partTok.upper] : undefined;
        if (!part) throw new SqlError({ number: 155, class: 15, message: `'${partTok?.text ?? ''}' is not a recognized ${w.toLowerCase()} option.`, line: tok.line });
        const fn = w === 'DATEDIFF_BIG' ? 'datediff' : w.toLowerCase();
        this.emit(fn, '(', quoteLiteral(part));
        for (let k = 1; k < args.length; k++) this.emit(',', ...arg(k));
        this.emit(')');
        return close + 1;
      }
      case 'NEWSEQUENTIALID':
        this.emit('newid()');
        return close + 1;
      default:
        break;
    }
    if (SESSION_FUNCTIONS.has(w)) {
      if (args.length > 0 && w !== 'IDENT_CURRENT') throw unsupported(`${w} with arguments`, tok.line);
      this.emit({ ref: 'fn', name: w });
      return close + 1;
    }
    this.emit(tok.text.toLowerCase(), '(', ...this.sub(open + 1, close), ')');
    return close + 1;
  }

  /** SELECT [DISTINCT] [TOP n] list ... : TOP becomes LIMIT, unnamed columns get an alias. */
  private select(i: number, to: number, nameColumns: boolean): number {
    this.emit('SELECT');
    let j = i + 1;
    if (isWord(this.t[j], 'DISTINCT', 'ALL')) {
      this.emit((this.t[j] as SqlToken).upper);
      j++;
    }
    let limit: Chunk[] | undefined;
    if (isWord(this.t[j], 'TOP')) {
      const line = (this.t[j] as SqlToken).line;
      j++;
      if (isOp(this.t[j], '(')) {
        const close = matching(this.t, j, to);
        limit = ['(', ...this.sub(j + 1, close), ')'];
        j = close + 1;
      } else {
        const n = this.t[j];
        if (!n || (n.kind !== 'number' && n.kind !== 'var')) throw syntaxError(n?.text ?? 'TOP', line);
        limit = this.sub(j, j + 1);
        j++;
      }
      if (isWord(this.t[j], 'PERCENT')) throw unsupported('TOP ... PERCENT', line);
      if (isWord(this.t[j], 'WITH') && isWord(this.t[j + 1], 'TIES')) throw unsupported('TOP ... WITH TIES', line);
    }
    // The end of this SELECT: a ')' closing an enclosing paren, or the end of the range.
    let end = j;
    let depth = 0;
    let listEnd = -1;
    while (end < to) {
      const tok = this.t[end] as SqlToken;
      if (isOp(tok, '(') || isWord(tok, 'CASE')) depth++;
      else if (isOp(tok, ')') || (isWord(tok, 'END') && depth > 0)) {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0) {
        if (listEnd < 0 && isWord(tok, 'FROM', 'INTO', 'WHERE', 'GROUP', 'HAVING', 'ORDER', 'UNION', 'EXCEPT', 'INTERSECT', 'OPTION', 'FOR')) {
          listEnd = end;
        }
        if (limit && isWord(tok, 'UNION', 'EXCEPT', 'INTERSECT')) throw unsupported('TOP in a UNION/EXCEPT/INTERSECT branch', tok.line);
      }
      end++;
    }
    if (listEnd < 0) listEnd = end;
    if (isWord(this.t[listEnd], 'INTO')) this.selectInto = true;
    const items = splitArgs(this.t, j, listEnd);
    items.forEach(([a, b], k) => {
      if (k > 0) this.emit(',');
      this.selectItem(a, b, nameColumns);
    });
    if (nameColumns && !items.some(([a, b]) => isOp(this.t[b - 1], '*') && (b - a === 1 || isOp(this.t[b - 2], '.')))) {
      this.columnSources = items.map(([a, b]) => {
        const item = splitAlias(this.t, a, b);
        return columnSource(this.t, item.from, item.to);
      });
    }
    this.range(listEnd, end, false);
    if (limit) this.emit('LIMIT', ...limit);
    return end;
  }

  private selectItem(a: number, b: number, nameColumns: boolean): void {
    const item = splitAlias(this.t, a, b);
    if (item.alias !== undefined) {
      this.emit(...this.sub(item.from, item.to), 'AS', quoteIdent(item.alias));
      return;
    }
    const first = this.t[a] as SqlToken;
    const last = this.t[b - 1] as SqlToken;
    const beforeLast = this.t[b - 2];
    const chunks = this.sub(a, b);
    this.emit(...chunks);
    if (!nameColumns) return;
    const isStar = isOp(last, '*') && (b - a === 1 || isOp(beforeLast, '.'));
    const isColumnName = (tok: SqlToken) => isName(tok) || (tok.kind === 'word' && COLUMN_NAME_KEYWORDS.has(tok.upper));
    let isColumnRef = isColumnName(first);
    for (let k = a; k < b; k++) {
      const tok = this.t[k] as SqlToken;
      const expectName = (k - a) % 2 === 0;
      if (expectName ? !isColumnName(tok) : !isOp(tok, '.')) isColumnRef = false;
    }
    const incomplete = last.kind === 'op' && last.text !== ')';
    if (!isStar && !isColumnRef && !incomplete) this.emit('AS', quoteIdent(UNNAMED_COLUMN));
  }
}

function joinDots(chunks: Chunk[]): Chunk[] {
  const out: Chunk[] = [];
  for (const c of chunks) {
    const last = out[out.length - 1];
    if (typeof c === 'string' && typeof last === 'string' && (c === '.' || last.endsWith('.'))) out[out.length - 1] = last + c;
    else out.push(c);
  }
  return out;
}

export function translateStatement(tokens: Tokens): TranslatedSql {
  const first = tokens[0];
  const verb = first?.kind === 'word' ? first.upper : 'SELECT';
  const tr = new Translator(tokens, verb);
  tr.range(0, tokens.length, true);
  return tr.result();
}

/** Translates a lone expression (IF conditions, SET right-hand sides, EXEC arguments). */
export function translateExpression(tokens: Tokens): Chunk[] {
  const tr = new Translator(tokens, 'EXPR');
  tr.range(0, tokens.length, false);
  return tr.result().chunks;
}
