/**
 * Select lists: where an item's alias is, and what an item's outermost form says about its T-SQL
 * type (a variable, CAST/CONVERT, GETDATE()), for result columns PostgreSQL cannot describe.
 */
import { syntaxError } from '../errors';
import { readDeclaredType } from './cursor';
import type { SqlToken } from './lexer';
import type { Tokens } from './statements';
import type { DeclaredType } from './types';
import { KEYWORDS, isName, isOp, isWord, matching, splitArgs } from './vocabulary';

/**
 * Where a result column's T-SQL type can be read from when PostgreSQL's type does not tell it
 * (a TINYINT is a smallint there): a variable's declared type, or the target of CAST/CONVERT.
 */
export type ColumnSource = { var: string } | { type: DeclaredType };

/** A select item's expression [from, to) and alias: `alias = expr`, `expr AS alias`, `expr alias`. */
export function splitAlias(t: Tokens, a: number, b: number): { from: number; to: number; alias?: string } {
  const first = t[a];
  if (!first) throw syntaxError(',', t[a - 1]?.line ?? 0);
  if (b - a >= 3 && isName(first) && isOp(t[a + 1], '=')) return { from: a + 2, to: b, alias: first.text };
  const last = t[b - 1] as SqlToken;
  const beforeLast = t[b - 2];
  if (b - a >= 2 && isWord(beforeLast, 'AS') && (last.kind === 'string' || last.kind === 'qident' || last.kind === 'word')) {
    return { from: a, to: b - 2, alias: last.text };
  }
  const implicitAlias =
    b - a >= 2 &&
    (isName(last) || last.kind === 'string') &&
    beforeLast !== undefined &&
    !isOp(beforeLast, '.') &&
    (beforeLast.kind !== 'op' || beforeLast.text === ')') &&
    (beforeLast.kind !== 'word' || !KEYWORDS.has(beforeLast.upper) || beforeLast.upper === 'END');
  return implicitAlias ? { from: a, to: b - 1, alias: last.text } : { from: a, to: b };
}

/** The T-SQL type of a select-list expression when its outermost form states one. */
export function columnSource(t: Tokens, from: number, to: number): ColumnSource | undefined {
  let a = from;
  let b = to;
  while (b - a > 2 && isOp(t[a], '(') && matching(t, a, b) === b - 1) {
    a++;
    b--;
  }
  const first = t[a];
  if (!first) return undefined;
  if (b - a === 1) {
    if (first.kind === 'var') return { var: first.text };
    return isWord(first, 'CURRENT_TIMESTAMP') ? { type: { name: 'datetime' } } : undefined;
  }
  if (first.kind !== 'word' || !isOp(t[a + 1], '(') || matching(t, a + 1, b) !== b - 1) return undefined;
  switch (first.upper) {
    case 'GETDATE':
    case 'GETUTCDATE':
      return { type: { name: 'datetime' } };
    case 'CAST': {
      const as = topLevelAs(t, a + 2, b - 1);
      return as < 0 ? undefined : { type: readDeclaredType(t, as + 1, true).type };
    }
    case 'CONVERT': {
      const typeRange = splitArgs(t, a + 2, b - 1)[0];
      return typeRange ? { type: readDeclaredType(t, typeRange[0], true).type } : undefined;
    }
    default:
      return undefined;
  }
}

/** The index of the AS at paren depth 0 in [from, to) (CAST's), or -1. */
export function topLevelAs(tokens: Tokens, from: number, to: number): number {
  let depth = 0;
  for (let k = from; k < to; k++) {
    const tok = tokens[k];
    if (isOp(tok, '(')) depth++;
    else if (isOp(tok, ')')) depth--;
    else if (depth === 0 && isWord(tok, 'AS')) return k;
  }
  return -1;
}
