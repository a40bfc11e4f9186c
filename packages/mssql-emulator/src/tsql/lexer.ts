/** Tokenises T-SQL: identifiers, [quoted] and "quoted" names, N'strings', @variables, numbers. */
import { SqlError } from '../errors';

export type TokenKind = 'word' | 'qident' | 'string' | 'number' | 'binary' | 'var' | 'sysvar' | 'op';

export interface SqlToken {
  kind: TokenKind;
  /** Raw text for words, numbers and operators; the unquoted value for names and strings. */
  text: string;
  /** Upper-cased `text` for words, to compare keywords. */
  upper: string;
  /** 1-based line in the batch. */
  line: number;
  /** Offsets into the batch text. */
  start: number;
  end: number;
  /** Whitespace or a comment preceded this token. */
  spaceBefore: boolean;
}

const WORD_START = /[A-Za-z_#\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_#$@\u0080-\uffff]/;
const TWO_CHAR_OPS = new Set(['<=', '>=', '<>', '!=', '!<', '!>', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '::', '||']);

export function tokenize(sql: string): SqlToken[] {
  const out: SqlToken[] = [];
  let i = 0;
  let line = 1;
  let space = false;
  const n = sql.length;
  const push = (kind: TokenKind, text: string, start: number, startLine: number) => {
    out.push({ kind, text, upper: kind === 'word' ? text.toUpperCase() : text, line: startLine, start, end: i, spaceBefore: space });
    space = false;
  };
  /** Reads up to the closing delimiter (doubled = escaped), past it; `i` starts after the opener. */
  const readDelimited = (close: string, startLine: number): string => {
    let value = '';
    for (;;) {
      if (i >= n) {
        throw new SqlError({ number: 105, class: 15, message: `Unclosed quotation mark after the character string '${value}'.`, line: startLine });
      }
      const ch = sql[i] as string;
      if (ch === close) {
        if (sql[i + 1] !== close) {
          i++;
          return value;
        }
        value += close;
        i += 2;
        continue;
      }
      if (ch === '\n') line++;
      value += ch;
      i++;
    }
  };
  while (i < n) {
    const c = sql[i] as string;
    if (c === '\n') {
      line++;
      i++;
      space = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\u00a0' || c === '\ufeff') {
      i++;
      space = true;
      continue;
    }
    const start = i;
    const startLine = line;
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      space = true;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else {
          if (sql[i] === '\n') line++;
          i++;
        }
      }
      if (depth > 0) throw new SqlError({ number: 113, class: 15, message: "Missing end comment mark '*/'.", line: startLine });
      space = true;
      continue;
    }
    if (c === "'" || ((c === 'N' || c === 'n') && sql[i + 1] === "'")) {
      i += c === "'" ? 1 : 2;
      push('string', readDelimited("'", startLine), start, startLine);
      continue;
    }
    if (c === '[' || c === '"') {
      i++;
      push('qident', readDelimited(c === '[' ? ']' : '"', startLine), start, startLine);
      continue;
    }
    if (c === '0' && (sql[i + 1] === 'x' || sql[i + 1] === 'X')) {
      i += 2;
      while (i < n && /[0-9a-fA-F]/.test(sql[i] as string)) i++;
      push('binary', sql.slice(start + 2, i), start, startLine);
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < n && /[0-9]/.test(sql[i] as string)) i++;
      if (sql[i] === '.') {
        i++;
        while (i < n && /[0-9]/.test(sql[i] as string)) i++;
      }
      if ((sql[i] === 'e' || sql[i] === 'E') && /[-+0-9]/.test(sql[i + 1] ?? '')) {
        i += 2;
        while (i < n && /[0-9]/.test(sql[i] as string)) i++;
      }
      push('number', sql.slice(start, i), start, startLine);
      continue;
    }
    if (c === '@') {
      const sys = sql[i + 1] === '@';
      i += sys ? 2 : 1;
      while (i < n && WORD_PART.test(sql[i] as string)) i++;
      push(sys ? 'sysvar' : 'var', sql.slice(start, i), start, startLine);
      continue;
    }
    if (WORD_START.test(c)) {
      i++;
      while (i < n && WORD_PART.test(sql[i] as string)) i++;
      push('word', sql.slice(start, i), start, startLine);
      continue;
    }
    const two = sql.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      i += 2;
      push('op', two, start, startLine);
      continue;
    }
    i++;
    push('op', c, start, startLine);
  }
  return out;
}
