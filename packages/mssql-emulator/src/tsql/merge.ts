/**
 * MERGE: the subset PostgreSQL's own MERGE runs the same way. `MERGE [INTO] target [AS t]
 * USING source [AS s] ON … WHEN MATCHED [AND …] THEN UPDATE SET … | DELETE, WHEN NOT MATCHED
 * [BY TARGET] [AND …] THEN INSERT (…) VALUES (…)`. The rest (TOP, OUTPUT, OPTION, WHEN NOT
 * MATCHED BY SOURCE) is refused by name rather than run differently.
 */
import { unsupported } from '../errors';
import type { SqlToken } from './lexer';
import type { Tokens } from './statements';
import { isOp, isWord } from './vocabulary';

function word(text: string, near: SqlToken): SqlToken {
  return { kind: 'word', text, upper: text, line: near.line, start: near.start, end: near.start, spaceBefore: true };
}

/** Checks a MERGE (without its semicolon) against the subset and spells it as PostgreSQL wants. */
export function mergeTokens(tokens: Tokens): Tokens {
  const first = tokens[0] as SqlToken;
  if (isWord(tokens[1], 'TOP')) throw unsupported('MERGE … TOP', first.line);
  const out: Tokens = [first];
  if (!isWord(tokens[1], 'INTO')) out.push(word('INTO', first));
  let depth = 0;
  let inSet = false;
  let assignmentStart = false;
  for (let i = 1; i < tokens.length; i++) {
    const tok = tokens[i] as SqlToken;
    if (isOp(tok, '(')) depth++;
    if (isOp(tok, ')')) depth--;
    if (depth === 0 && tok.kind === 'word') {
      if (tok.upper === 'OUTPUT' || tok.upper === 'OPTION') throw unsupported(`MERGE … ${tok.upper}`, tok.line);
      if (tok.upper === 'WHEN') inSet = false;
      if (tok.upper === 'MATCHED' && isWord(tokens[i - 1], 'NOT') && isWord(tokens[i + 1], 'BY')) {
        if (isWord(tokens[i + 2], 'SOURCE')) throw unsupported('MERGE … WHEN NOT MATCHED BY SOURCE', tok.line);
        // BY TARGET is the default; PostgreSQL before 17 does not know the words.
        out.push(tok);
        i += 2;
        continue;
      }
      if (tok.upper === 'SET' && isWord(tokens[i - 1], 'UPDATE')) {
        inSet = true;
        assignmentStart = true;
        out.push(tok);
        continue;
      }
    }
    if (inSet && depth === 0 && isOp(tok, ',')) {
      assignmentStart = true;
      out.push(tok);
      continue;
    }
    // PostgreSQL's SET names the target's column alone: `t.name = …` loses its `t.`.
    if (assignmentStart && isOp(tokens[i + 1], '.') && isOp(tokens[i + 3], '=')) i += 2;
    assignmentStart = false;
    out.push(tokens[i] as SqlToken);
  }
  return out;
}
