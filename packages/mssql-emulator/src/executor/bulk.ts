/**
 * TDS bulk load: `INSERT BULK table (col type, …) [WITH (…)]` names the target and the columns
 * the client will send; the BULK_LOAD message that follows carries them. SQL Server checks the
 * statement against the table when it arrives (208, 207) and the rows when they arrive (4816 for
 * a column whose type cannot go into its target, 4815 for a value longer than its column, 515
 * for a NULL into NOT NULL); the rows of one load are one statement: all in or none.
 */
import type { DatabaseEngine } from '../engine';
import { SqlError, fromPgError, syntaxError, unsupported } from '../errors';
import type { BulkLoadStream } from '../protocol/bulk';
import type { SqlValue, TdsType } from '../protocol/types';
import { type SqlToken, tokenize } from '../tsql/lexer';
import { readDeclaredType } from '../tsql/cursor';
import { type DeclaredType, normaliseType, tdsTypeOfDeclared } from '../tsql/types';
import { quoteIdent } from '../tsql/vocabulary';
import type { ExecutionSession } from './frame';

/** Rows per INSERT sent to PostgreSQL: large enough to amortise a statement, small enough to stay cheap. */
const ROWS_PER_STATEMENT = 5000;

type Family = 'number' | 'string' | 'binary' | 'temporal' | 'guid';

interface TargetColumn {
  name: string;
  pgType: string;
  family: Family;
  /** Characters (or bytes) the column holds; undefined when unbounded. */
  maxLength: number | undefined;
  notNull: boolean;
  identity: boolean;
  defaultSql: string | null;
}

export interface BulkOptions {
  checkConstraints: boolean;
  fireTriggers: boolean;
  keepNulls: boolean;
  tablock: boolean;
  order: string[];
}

/** An accepted `INSERT BULK`, waiting for its rows. */
export interface PendingBulkLoad {
  engine: DatabaseEngine;
  /** The table as the statement named it (for messages). */
  displayName: string;
  /** The PostgreSQL relation, quoted. */
  relation: string;
  /** The target column of each column the statement listed, in the statement's order. */
  columns: Array<{ declared: DeclaredType; target: TargetColumn }>;
  options: BulkOptions;
}

const INSERT_BULK = /^\s*insert\s+bulk\b/i;

export function isInsertBulk(text: string): boolean {
  return INSERT_BULK.test(text);
}

function familyOf(pgBase: string): Family {
  switch (pgBase) {
    case 'int2':
    case 'int4':
    case 'int8':
    case 'numeric':
    case 'float4':
    case 'float8':
    case 'bool':
      return 'number';
    case 'bytea':
      return 'binary';
    case 'timestamp':
    case 'timestamptz':
    case 'date':
    case 'time':
      return 'temporal';
    case 'uuid':
      return 'guid';
    default:
      return 'string';
  }
}

function familyOfTds(t: TdsType): Family {
  switch (t.kind) {
    case 'int':
    case 'bit':
    case 'float':
    case 'decimal':
    case 'money':
      return 'number';
    case 'nvarchar':
    case 'varchar':
      return 'string';
    case 'varbinary':
      return 'binary';
    case 'guid':
      return 'guid';
    default:
      return 'temporal';
  }
}

/** Which families SQL Server converts into which on a bulk load. */
function converts(from: Family, to: Family): boolean {
  if (from === to || to === 'string') return from !== 'binary';
  if (from === 'string') return to !== 'binary';
  return false;
}

function isName(tok: SqlToken | undefined): tok is SqlToken {
  return tok !== undefined && (tok.kind === 'word' || tok.kind === 'qident');
}

interface InsertBulkStatement {
  nameParts: string[];
  columns: Array<{ name: string; type: DeclaredType }>;
  options: BulkOptions;
}

function parseInsertBulk(text: string): InsertBulkStatement {
  const t = tokenize(text);
  let i = 2;
  const nameParts: string[] = [];
  for (;;) {
    const tok = t[i];
    if (tok?.kind === 'op' && tok.text === '.') {
      // db..table: an empty schema part.
      nameParts.push('');
      i++;
      continue;
    }
    if (!isName(tok)) throw syntaxError(t[i]?.text ?? 'end of batch', 1);
    nameParts.push(tok.text);
    i++;
    if (!(t[i]?.kind === 'op' && t[i]?.text === '.')) break;
    i++;
  }
  const columns: InsertBulkStatement['columns'] = [];
  if (!(t[i]?.kind === 'op' && t[i]?.text === '(')) throw syntaxError(t[i]?.text ?? 'end of batch', 1);
  i++;
  for (;;) {
    const name = t[i];
    if (!isName(name)) throw syntaxError(t[i]?.text ?? 'end of batch', 1);
    const { type, next } = readDeclaredType(t, i + 1, false);
    columns.push({ name: name.text, type: normaliseType(type) });
    i = next;
    // COLLATE after a character type changes nothing the emulator stores.
    if (t[i]?.kind === 'word' && t[i]?.upper === 'COLLATE') i += 2;
    const sep = t[i++];
    if (sep?.kind === 'op' && sep.text === ',') continue;
    if (sep?.kind === 'op' && sep.text === ')') break;
    throw syntaxError(sep?.text ?? 'end of batch', 1);
  }
  const options: BulkOptions = { checkConstraints: false, fireTriggers: false, keepNulls: false, tablock: false, order: [] };
  if (t[i]?.kind === 'word' && t[i]?.upper === 'WITH') {
    i++;
    if (!(t[i]?.kind === 'op' && t[i]?.text === '(')) throw syntaxError(t[i]?.text ?? 'end of batch', 1);
    i++;
    for (;;) {
      const opt = t[i++];
      switch (opt?.upper) {
        case 'CHECK_CONSTRAINTS':
          options.checkConstraints = true;
          break;
        case 'FIRE_TRIGGERS':
          options.fireTriggers = true;
          break;
        case 'KEEP_NULLS':
          options.keepNulls = true;
          break;
        case 'TABLOCK':
          options.tablock = true;
          break;
        case 'ORDER': {
          if (!(t[i]?.kind === 'op' && t[i]?.text === '(')) throw syntaxError(t[i]?.text ?? 'end of batch', 1);
          i++;
          while (t[i] && !(t[i]?.kind === 'op' && t[i]?.text === ')')) {
            const tok = t[i] as SqlToken;
            if (isName(tok) && tok.upper !== 'ASC' && tok.upper !== 'DESC') options.order.push(tok.text);
            i++;
          }
          i++;
          break;
        }
        case 'KEEPIDENTITY':
        case 'KEEP_IDENTITY':
          throw unsupported('INSERT BULK … WITH (KEEPIDENTITY)', 1);
        default:
          throw syntaxError(opt?.text ?? 'end of batch', 1);
      }
      const sep = t[i++];
      if (sep?.kind === 'op' && sep.text === ',') continue;
      if (sep?.kind === 'op' && sep.text === ')') break;
      throw syntaxError(sep?.text ?? 'end of batch', 1);
    }
  }
  if (i < t.length && !(t[i]?.kind === 'op' && t[i]?.text === ';' && i === t.length - 1)) throw syntaxError(t[i]?.text ?? '', 1);
  return { nameParts, columns, options };
}

async function targetColumns(engine: DatabaseEngine, relation: string): Promise<TargetColumn[]> {
  const r = await engine.query(
    `SELECT a.attname, format_type(a.atttypid, a.atttypmod), COALESCE(bt.typname, t.typname), t.typname, a.atttypmod,
            a.attnotnull, a.attidentity <> '', pg_get_expr(d.adbin, d.adrelid)
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_type bt ON bt.oid = NULLIF(t.typbasetype, 0)
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [relation],
  );
  return r.rows.map(([name, pgType, base, typname, typmod, notNull, identity, defaultSql]) => {
    const family = familyOf(String(base));
    let maxLength: number | undefined;
    const binary = /^binary\((\d+)\)$/.exec(String(typname));
    if (binary) maxLength = Number(binary[1]);
    else if ((base === 'varchar' || base === 'bpchar') && Number(typmod) > 4) maxLength = Number(typmod) - 4;
    return {
      name: String(name),
      pgType: String(pgType),
      family,
      maxLength,
      notNull: notNull === true,
      identity: identity === true,
      defaultSql: defaultSql === null ? null : String(defaultSql),
    };
  });
}

/** Checks `INSERT BULK` against the table; the caller holds the database. */
export async function prepareBulkLoad(session: ExecutionSession, engine: DatabaseEngine, text: string): Promise<PendingBulkLoad> {
  const statement = parseInsertBulk(text);
  const table = statement.nameParts[statement.nameParts.length - 1] as string;
  const displayName = statement.nameParts.filter((p) => p !== '').join('.');
  const relation = quoteIdent(table.startsWith('#') ? `${table}__${session.spid}` : table);
  const columns = await targetColumns(engine, relation);
  if (columns.length === 0) throw new SqlError({ number: 208, class: 16, message: `Invalid object name '${displayName}'.`, line: 1 });
  const byName = new Map(columns.map((c) => [c.name.toLowerCase(), c]));
  const listed = statement.columns.map((c) => {
    const target = byName.get(c.name.toLowerCase());
    if (!target) throw new SqlError({ number: 207, class: 16, message: `Invalid column name '${c.name}'.`, line: 1 });
    return { declared: c.type, target };
  });
  return { engine, displayName, relation, columns: listed, options: statement.options };
}

/** A value as PostgreSQL's text input for its column. */
function pgText(v: SqlValue): string | null {
  if (v === null) return null;
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (Buffer.isBuffer(v)) return `\\x${v.toString('hex')}`;
  return String(v);
}

const NEEDS_ESCAPE = /[\\"]/;

/** One element of a PostgreSQL text[] literal. */
function arrayElement(s: string | null): string {
  if (s === null) return 'NULL';
  // Most values have nothing to escape: one test instead of two replacing passes per value.
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function valueLength(v: SqlValue): number {
  if (Buffer.isBuffer(v)) return v.length;
  return typeof v === 'string' ? v.length : 0;
}

/**
 * Checks the COLMETADATA against the accepted statement, then writes the rows. Returns the row
 * count. The caller holds the database (and the statement savepoint inside a transaction).
 */
export async function runBulkLoad(session: ExecutionSession, pending: PendingBulkLoad, stream: BulkLoadStream): Promise<number> {
  const { columns } = pending;
  if (stream.columns.length !== columns.length) {
    const colid = Math.min(stream.columns.length, columns.length) + 1;
    throw new SqlError({ number: 4816, class: 17, message: `Invalid column type from bcp client for colid ${colid}.`, line: 1 });
  }
  stream.columns.forEach((sent, k) => {
    const { declared, target } = columns[k] as PendingBulkLoad['columns'][number];
    const fromStatement = familyOfTds(tdsTypeOfDeclared(declared));
    if (familyOfTds(sent.type) !== fromStatement || !converts(fromStatement, target.family)) {
      throw new SqlError({ number: 4816, class: 17, message: `Invalid column type from bcp client for colid ${k + 1}.`, line: 1 });
    }
  });
  // Identity values sent without KEEPIDENTITY are replaced by generated ones, as SQL Server does.
  const written = columns.map((c, k) => ({ ...c, k })).filter((c) => !c.target.identity);
  const { keepNulls } = pending.options;
  const select = written
    .map((c, n) => {
      const cast = `CAST(u.c${n} AS ${c.target.pgType})`;
      return !keepNulls && c.target.defaultSql !== null ? `COALESCE(${cast}, CAST((${c.target.defaultSql}) AS ${c.target.pgType}))` : cast;
    })
    .join(', ');
  const unnest = written.map((_c, n) => `$${n + 1}::text[]`).join(', ');
  const aliases = written.map((_c, n) => `c${n}`).join(', ');
  const insert = `INSERT INTO ${pending.relation} (${written.map((c) => quoteIdent(c.target.name)).join(', ')}) SELECT ${select} FROM unnest(${unnest}) AS u(${aliases})`;
  const database = session.engine.name;
  const table = pending.displayName.startsWith('#') ? `tempdb.dbo.${pending.displayName}` : `${database}.dbo.${pending.displayName.replace(/^.*\./, '')}`;

  let count = 0;
  let batch: string[][] = written.map(() => []);
  let inBatch = 0;
  const flush = async () => {
    if (inBatch === 0) return;
    const params = batch.map((values) => `{${values.join(',')}}`);
    batch = written.map(() => []);
    inBatch = 0;
    try {
      await pending.engine.query(insert, params);
    } catch (e) {
      throw fromPgError(e, { database, statement: 'INSERT', line: 1 });
    }
  };
  for (const row of stream.rows()) {
    count++;
    for (let n = 0; n < written.length; n++) {
      const c = written[n] as (typeof written)[number];
      const v = row[c.k] ?? null;
      if (v === null) {
        if (c.target.notNull && (keepNulls || c.target.defaultSql === null)) {
          throw new SqlError({ number: 515, class: 16, message: `Cannot insert the value NULL into column '${c.target.name}', table '${table}'; column does not allow nulls. INSERT fails.`, line: 1 });
        }
      } else if (c.target.maxLength !== undefined && valueLength(v) > c.target.maxLength) {
        throw new SqlError({ number: 4815, class: 17, message: `Received an invalid column length from the bcp client for colid ${c.k + 1}.`, line: 1 });
      }
      (batch[n] as string[]).push(arrayElement(pgText(v)));
    }
    if (written.length === 0) continue;
    if (++inBatch >= ROWS_PER_STATEMENT) await flush();
  }
  await flush();
  return count;
}
