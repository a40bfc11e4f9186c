// Just enough T-SQL lexing for the editor: read the tokens of one batch while skipping strings and
// comments, so a `CREATE PROCEDURE` inside a string or a comment never counts. Scripts are cut into
// batches by `splitSqlBatches` from @studio/workspace-migrations, the splitter migrations use.

export type TokenKind = 'word' | 'qident' | 'string' | 'number' | 'var' | 'op';

export interface Token {
  kind: TokenKind;
  /** Source text; for a quoted identifier the unquoted name (`]]` / `""` undone). */
  text: string;
  /** Offsets in the scanned text: [start, end). */
  start: number;
  end: number;
  /** 1-based line within the scanned text. */
  line: number;
}

/** Unterminated string, comment or quoted identifier at the end of the text. */
export class TsqlLexError extends Error {
  readonly code = 'tsql_lex_error';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'TsqlLexError';
  }
}

const WORD_START = /[\p{L}_#]/u;
const WORD_PART = /[\p{L}\p{N}_@#$]/u;

/** Tokens of one batch, without whitespace and comments. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const countLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (text[k] === '\n') line++;
  };
  while (i < text.length) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && next === '-') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const startLine = line;
      let depth = 1;
      let k = i + 2;
      while (k < text.length && depth > 0) {
        if (text[k] === '/' && text[k + 1] === '*') {
          depth++;
          k += 2;
        } else if (text[k] === '*' && text[k + 1] === '/') {
          depth--;
          k += 2;
        } else k++;
      }
      if (depth > 0) throw new TsqlLexError('Missing end comment mark \'*/\'.', startLine);
      countLines(i, k);
      i = k;
    } else if (c === "'" || ((c === 'N' || c === 'n') && next === "'")) {
      const start = i;
      const startLine = line;
      const end = closing(text, c === "'" ? i : i + 1, "'");
      if (end < 0) throw new TsqlLexError(`Unclosed quotation mark after the character string '${text.slice(start, start + 20)}'.`, startLine);
      tokens.push({ kind: 'string', text: text.slice(start, end + 1), start, end: end + 1, line: startLine });
      countLines(start, end + 1);
      i = end + 1;
    } else if (c === '[' || c === '"') {
      const start = i;
      const startLine = line;
      const close = c === '[' ? ']' : '"';
      const end = closing(text, i, close);
      if (end < 0) throw new TsqlLexError(`Unclosed quotation mark after the identifier '${text.slice(start, start + 20)}'.`, startLine);
      const inner = text.slice(start + 1, end).replaceAll(close + close, close);
      tokens.push({ kind: 'qident', text: inner, start, end: end + 1, line: startLine });
      countLines(start, end + 1);
      i = end + 1;
    } else if (c === '@') {
      const start = i;
      i++;
      while (i < text.length && WORD_PART.test(text[i] as string)) i++;
      tokens.push({ kind: 'var', text: text.slice(start, i), start, end: i, line });
    } else if (WORD_START.test(c)) {
      const start = i;
      while (i < text.length && WORD_PART.test(text[i] as string)) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), start, end: i, line });
    } else if (/[0-9]/.test(c) || (c === '.' && next !== undefined && /[0-9]/.test(next))) {
      const start = i;
      while (i < text.length && /[0-9a-fA-FxX.eE]/.test(text[i] as string)) i++;
      tokens.push({ kind: 'number', text: text.slice(start, i), start, end: i, line });
    } else {
      tokens.push({ kind: 'op', text: c, start: i, end: i + 1, line });
      i++;
    }
  }
  return tokens;
}

/** Index of the closing quote of the quoted run opening at `open`, honouring doubled quotes; -1 if none. */
function closing(text: string, open: number, close: string): number {
  let k = open + 1;
  while (k < text.length) {
    if (text[k] === close) {
      if (text[k + 1] === close) k += 2;
      else return k;
    } else k++;
  }
  return -1;
}

export function isWord(token: Token | undefined, ...words: string[]): boolean {
  return token !== undefined && token.kind === 'word' && words.includes(token.text.toUpperCase());
}
