// The publish check: a draft must define exactly the procedure of its record, in one batch, and
// what is deployed is that batch with its header rewritten to `CREATE OR ALTER PROCEDURE
// [schema].[name]` (quoted from the record, not from the text). Line numbers are kept so a server
// error's line maps back to the editor.
import { InvalidInputError } from '../errors';
import { quotedProcedureName, sameIdentifier, type ProcedureName } from './identifiers';
import { splitSqlBatches } from '@studio/workspace-migrations';
import { isWord, tokenize, TsqlLexError, type Token } from './tsql';

export interface DeployableDefinition {
  /** The batch to send: the draft's procedure batch with a normalised header. */
  sql: string;
  /** Editor line of the batch's first line: editor line = startLine + server line - 1. */
  startLine: number;
}

function draftError(message: string, line?: number): InvalidInputError {
  return new InvalidInputError('sql_draft', `sql_draft: ${message}`, line === undefined ? {} : { line });
}

function lexed(text: string, startLine: number): Token[] {
  try {
    return tokenize(text);
  } catch (error) {
    if (error instanceof TsqlLexError) throw draftError(error.message, startLine + error.line - 1);
    throw error;
  }
}

interface Header {
  /** Offsets of `CREATE … name` in the batch text. */
  start: number;
  end: number;
  name: ProcedureName;
}

/** `CREATE [OR ALTER] | ALTER  PROC[EDURE] [schema.]name` at the start of the tokens, or null. */
function headerOf(tokens: Token[], startLine: number): Header | null {
  const first = tokens[0];
  let k = 0;
  if (isWord(first, 'CREATE')) {
    k = 1;
    if (isWord(tokens[1], 'OR') && isWord(tokens[2], 'ALTER')) k = 3;
  } else if (isWord(first, 'ALTER')) {
    k = 1;
  } else {
    return null;
  }
  if (!isWord(tokens[k], 'PROC', 'PROCEDURE')) return null;
  const parts: Token[] = [];
  k++;
  for (;;) {
    const part = tokens[k];
    if (part === undefined || (part.kind !== 'word' && part.kind !== 'qident')) {
      throw draftError('the procedure name is missing after CREATE PROCEDURE', startLine + (part ?? tokens[k - 1] ?? first!).line - 1);
    }
    parts.push(part);
    k++;
    if (tokens[k]?.kind !== 'op' || tokens[k]?.text !== '.') break;
    k++;
  }
  if (parts.length > 2) throw draftError('a procedure name has at most two parts (schema.name); it is created in the connection\'s database', startLine + parts[0]!.line - 1);
  const name = parts.at(-1)!;
  const schema = parts.length === 2 ? parts[0]! : undefined;
  return { start: first!.start, end: name.end, name: { schema: schema?.text ?? '', name: name.text } };
}

/**
 * Checks the draft and returns the one batch to deploy. Other batches may only hold comments or
 * whitespace: publishing deploys a procedure, it does not run a script.
 */
export function deployableDefinition(draft: string, procedure: ProcedureName): DeployableDefinition {
  const batches = splitSqlBatches(draft)
    .map((batch) => ({ ...batch, tokens: lexed(batch.sql, batch.startLine) }))
    .filter((batch) => batch.tokens.length > 0);
  if (batches.length === 0) throw draftError('the draft is empty; write CREATE PROCEDURE … AS …');
  const defining = batches.filter((batch) => headerOf(batch.tokens, batch.startLine) !== null);
  if (defining.length === 0) {
    const firstBatch = batches[0]!;
    throw draftError('the draft must start with CREATE [OR ALTER] PROCEDURE (a procedure definition is the first statement of its batch)', firstBatch.startLine + firstBatch.tokens[0]!.line - 1);
  }
  if (defining.length > 1) throw draftError(`the draft defines ${defining.length} procedures; keep one procedure per draft`, defining[1]!.startLine);
  const batch = defining[0]!;
  const other = batches.find((b) => b !== batch);
  if (other) throw draftError('the draft holds other statements besides the procedure definition (separated by GO); remove them', other.startLine + other.tokens[0]!.line - 1);

  const header = headerOf(batch.tokens, batch.startLine)!;
  const schema = header.name.schema === '' ? procedure.schema : header.name.schema;
  if (!sameIdentifier(header.name.name, procedure.name) || !sameIdentifier(schema, procedure.schema)) {
    const written = header.name.schema === '' ? header.name.name : `${header.name.schema}.${header.name.name}`;
    throw draftError(`the draft defines '${written}' but this procedure is '${procedure.schema}.${procedure.name}'`, batch.startLine + batch.tokens[0]!.line - 1);
  }
  const replaced = batch.sql.slice(header.start, header.end);
  // Keep the header's line breaks so every later line keeps its number.
  const lineBreaks = '\n'.repeat(replaced.split('\n').length - 1);
  const sql = `${batch.sql.slice(0, header.start)}CREATE OR ALTER PROCEDURE ${quotedProcedureName(procedure)}${lineBreaks}${batch.sql.slice(header.end)}`;
  return { sql, startLine: batch.startLine };
}

/**
 * Rewrites the name in the draft's CREATE header from `from` to `to` (rename), leaving any other
 * text alone. Returns the draft unchanged when its header names something else or does not parse.
 */
export function renameInDraft(draft: string, from: ProcedureName, to: ProcedureName): string {
  for (const batch of splitSqlBatches(draft)) {
    let header: Header | null;
    let tokens: Token[];
    try {
      tokens = tokenize(batch.sql);
      header = headerOf(tokens, batch.startLine);
    } catch {
      return draft;
    }
    if (!header) continue;
    const schema = header.name.schema === '' ? from.schema : header.name.schema;
    if (!sameIdentifier(header.name.name, from.name) || !sameIdentifier(schema, from.schema)) return draft;
    const keywordEnd = tokens.find((t) => isWord(t, 'PROC', 'PROCEDURE'))!.end;
    const lineBreaks = '\n'.repeat(batch.sql.slice(keywordEnd, header.end).split('\n').length - 1);
    const base = lineOffset(draft, batch.startLine);
    return `${draft.slice(0, base + keywordEnd)} ${quotedProcedureName(to)}${lineBreaks}${draft.slice(base + header.end)}`;
  }
  return draft;
}

/** Offset of the start of 1-based `line` in `text`. */
function lineOffset(text: string, line: number): number {
  let offset = 0;
  for (let current = 1; current < line; current++) offset = text.indexOf('\n', offset) + 1;
  return offset;
}

export interface DeclaredParameter {
  /** Without the `@`. */
  name: string;
  hasDefault: boolean;
}

/**
 * Parameters and whether each declares a default, from a procedure's definition (sys.sql_modules):
 * SQL Server records T-SQL defaults only in the text (sys.parameters.has_default_value is for CLR).
 */
export function declaredParameters(definition: string): DeclaredParameter[] {
  let tokens: Token[];
  try {
    tokens = tokenize(definition);
  } catch {
    return [];
  }
  const procIndex = tokens.findIndex((t) => isWord(t, 'PROC', 'PROCEDURE'));
  if (procIndex < 0) return [];
  const out: DeclaredParameter[] = [];
  let depth = 0;
  let current: DeclaredParameter | null = null;
  for (let k = procIndex + 1; k < tokens.length; k++) {
    const token = tokens[k]!;
    if (depth === 0 && (isWord(token, 'AS') && current === null)) break;
    if (token.kind === 'op' && token.text === '(') depth++;
    else if (token.kind === 'op' && token.text === ')') depth--;
    else if (depth === 0 && token.kind === 'var') {
      current = { name: token.text.slice(1), hasDefault: false };
      out.push(current);
    } else if (depth === 0 && token.kind === 'op' && token.text === '=' && current) {
      current.hasDefault = true;
    } else if (depth === 0 && token.kind === 'op' && token.text === ',') {
      current = null;
    } else if (depth === 0 && isWord(token, 'WITH', 'FOR') && current !== null) {
      break;
    } else if (depth === 0 && isWord(token, 'AS') && current !== null && !isTypeAs(tokens, k)) {
      break;
    }
  }
  return out;
}

/** `@p AS int`: the optional AS between a parameter and its type. */
function isTypeAs(tokens: Token[], k: number): boolean {
  return tokens[k - 1]?.kind === 'var';
}
