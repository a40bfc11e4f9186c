/**
 * The T-SQL batch splitter shared by migrations and the SQL editor. `GO` is a client-side
 * separator (sqlcmd, SSMS): SQL Server itself answers it with error 102, so a script is cut into
 * batches before it is sent. A `GO` counts only on a line of its own and only outside strings,
 * quoted identifiers (`[...]`, `"..."`) and block comments (which nest in T-SQL), so a `GO` inside
 * any of them stays part of the batch.
 */

export interface ScriptBatch {
  /** The batch as written, line breaks included (offsets match the script), trailing blanks dropped. */
  readonly sql: string;
  /** 1-based line of the batch's first line in the script, counted from `firstLine`. */
  readonly startLine: number;
  /** `n` of a `GO n` after the batch (sqlcmd runs the batch n times); undefined for a plain `GO`. */
  readonly count: number | undefined;
  /** Line of the `GO` that ends the batch; undefined when the script ends it. */
  readonly goLine: number | undefined;
}

/** `GO`, any case, optionally a count and a trailing line comment, nothing else on the line. */
const GO_LINE = /^\s*go(?:\s+(\d+))?\s*(?:--.*)?$/i;

type LexState = 'code' | 'string' | 'bracket' | 'dquote' | 'block';

/**
 * Splits `script` at `GO` lines. Batches holding only whitespace and comments are dropped (there
 * is nothing to send); a batch keeps its leading blank lines so line numbers in server errors map
 * back to the script.
 */
export function splitSqlBatches(script: string, firstLine = 1): ScriptBatch[] {
  const batches: ScriptBatch[] = [];
  const lines = script.split('\n');
  let state: LexState = 'code';
  let commentDepth = 0;
  let current: string[] = [];
  let hasCode = false;
  let startLine = firstLine;
  const flush = (count: number | undefined, goLine: number | undefined) => {
    if (hasCode) batches.push({ sql: current.join('\n').replace(/\s+$/, ''), startLine, count, goLine });
  };
  lines.forEach((line, index) => {
    const go = state === 'code' ? GO_LINE.exec(line) : null;
    if (go) {
      flush(go[1] === undefined ? undefined : Number.parseInt(go[1], 10), firstLine + index);
      current = [];
      hasCode = false;
      startLine = firstLine + index + 1;
      return;
    }
    current.push(line);
    for (let i = 0; i < line.length; i++) {
      const c = line[i] as string;
      const next = line[i + 1];
      if (state === 'code') {
        if (c === '-' && next === '-') break;
        if (c === '/' && next === '*') {
          state = 'block';
          commentDepth = 1;
          i++;
          continue;
        }
        if (/\s/.test(c)) continue;
        hasCode = true;
        if (c === "'") state = 'string';
        else if (c === '[') state = 'bracket';
        else if (c === '"') state = 'dquote';
      } else if (state === 'block') {
        if (c === '/' && next === '*') {
          commentDepth++;
          i++;
        } else if (c === '*' && next === '/') {
          commentDepth--;
          i++;
          if (commentDepth === 0) state = 'code';
        }
      } else {
        const close = state === 'string' ? "'" : state === 'bracket' ? ']' : '"';
        if (c === close) {
          // A doubled closing character is an escaped one: '' in strings, ]] and "" in names.
          if (next === close) i++;
          else state = 'code';
        }
      }
    }
  });
  flush(undefined, undefined);
  return batches;
}
