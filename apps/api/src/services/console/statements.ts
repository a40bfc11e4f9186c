// Just enough lexing of PostgreSQL and MySQL text for the console: cut it into statements at `;`
// outside strings, quoted names and comments, and name each statement's first words. MySQL runs
// one statement per call (the pool's connections do not allow multi-statements), and read-only
// mode refuses the statements that would end its transaction.
import type { DatabaseType } from '@studio/mssql-pool';

export interface Statement {
  text: string;
  /** The first two words, upper case (`SELECT`, `START TRANSACTION`, `SET @X`). */
  head: string[];
}

/** Unterminated string, quoted name or comment: the database would refuse it anyway. */
export class UnterminatedTextError extends Error {
  readonly code = 'unterminated_text';
  constructor(readonly offset: number) {
    super(`Unterminated string, quoted name or comment at character ${offset + 1}`);
    this.name = 'UnterminatedTextError';
  }
}

/** Where the quoted run or comment starting at `i` ends (exclusive), or -1 when `i` starts none. */
function skipQuoted(text: string, i: number, type: Exclude<DatabaseType, 'mssql'>): number {
  const c = text[i]!;
  const next = text[i + 1];
  if (c === '-' && next === '-') return endOfLine(text, i);
  if (c === '#' && type === 'mysql') return endOfLine(text, i);
  if (c === '/' && next === '*') {
    const end = text.indexOf('*/', i + 2);
    if (end === -1) throw new UnterminatedTextError(i);
    return end + 2;
  }
  if (c === "'" || c === '"' || (c === '`' && type === 'mysql')) {
    let k = i + 1;
    while (k < text.length) {
      if (text[k] === '\\' && type === 'mysql') k += 2;
      else if (text[k] === c) {
        if (text[k + 1] === c) k += 2;
        else return k + 1;
      } else k++;
    }
    throw new UnterminatedTextError(i);
  }
  if (c === '$' && type === 'postgres') {
    const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i))?.[0];
    if (tag === undefined) return -1;
    const end = text.indexOf(tag, i + tag.length);
    if (end === -1) throw new UnterminatedTextError(i);
    return end + tag.length;
  }
  return -1;
}

function endOfLine(text: string, i: number): number {
  const end = text.indexOf('\n', i);
  return end === -1 ? text.length : end + 1;
}

function headOf(text: string, type: Exclude<DatabaseType, 'mssql'>): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length && words.length < 2) {
    const skipped = skipQuoted(text, i, type);
    if (skipped !== -1) {
      // A quoted name is a word of its own (`SET "x"`); comments are not.
      if (!/^(--|#|\/\*)/.test(text.slice(i, i + 2))) words.push(text.slice(i, skipped).toUpperCase());
      i = skipped;
      continue;
    }
    const word = /^[@A-Za-z_][@A-Za-z0-9_$.]*|^\(/.exec(text.slice(i))?.[0];
    if (word !== undefined) {
      words.push(word.toUpperCase());
      i += word.length;
    } else i++;
  }
  return words;
}

/** The statements of a script, empty ones dropped. */
export function splitStatements(text: string, type: Exclude<DatabaseType, 'mssql'>): Statement[] {
  const statements: Statement[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const piece = text.slice(start, end);
    const head = headOf(piece, type);
    if (head.length > 0) statements.push({ text: piece.trim(), head });
  };
  while (i < text.length) {
    const skipped = skipQuoted(text, i, type);
    if (skipped !== -1) {
      i = skipped;
      continue;
    }
    if (text[i] === ';') {
      push(i);
      start = i + 1;
    }
    i++;
  }
  push(text.length);
  return statements;
}
