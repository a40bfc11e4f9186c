// The fast path into MySQL/MariaDB: when the file is what LOAD DATA can read once a few bytes are
// changed (UTF-8, header, PostgreSQL's NULL rule, ISO dates, no ignored columns), its bytes go to one
// LOAD DATA LOCAL INFILE with a byte-level rewrite and no per-row objects, and the server parses and
// converts them. LOAD DATA reads CSV differently from COPY, so the rewrite (LoadDataRewriter) drops
// the BOM and the header, turns CRLF into LF outside quotes, writes an unquoted empty field as the
// NULL word, quotes an unquoted NULL word (LOAD DATA would read it as NULL), and drops empty lines;
// with ESCAPED BY '' a backslash is data. With LOCAL the server cannot stop the sender and turns
// refusals into warnings, so any warning (or fewer rows than sent) rolls the run back, and the first
// warning that names a row becomes the reject. Everything else takes the checked path.
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { PoolLease } from '@studio/mssql-pool';
import type { PoolConnection } from 'mysql2/promise';
import { ImportRefusal } from '../errors';
import { fitsRawLoad, type ImportMode, type ImportPlan, type RawLoadOptions, type RowReject } from './plan';
import type { CsvSettings } from './project-config';
import { qualifiedName, quoteIdentifier, releaseOnce } from './sinks';
import { isBoolean, type TargetColumn } from './values';

/** Types whose text MariaDB reads as the checked path would accept it (ISO dates, plain numbers). */
const LOAD_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric', 'float', 'double', 'char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'date', 'datetime', 'timestamp']);


/** A delimiter or quote that is one byte, neither a letter nor a digit (the NULL word is spelled in letters) nor a backslash. */
const PLAIN_PUNCTUATION = /^[\t !-/:-@[\]-`{-~]$/;

const loadable = (column: TargetColumn) => isBoolean(column) || LOAD_TYPES.has(column.dataType);

/** Whether a run may hand its bytes to LOAD DATA (see the file's comment). */
export function canLoadDirectly(options: RawLoadOptions): boolean {
  const { plan, csv } = options;
  return fitsRawLoad(options) && PLAIN_PUNCTUATION.test(csv.delimiter) && PLAIN_PUNCTUATION.test(csv.quote) && plan.columns.every(loadable);
}

/** The row LOAD DATA refused, as the checked path would name it. */
export class LoadRowRejected extends Error {
  constructor(
    readonly reject: RowReject & { rowNumber: number; line: number },
    options: { cause: unknown },
  ) {
    super(reject.reason, options);
    this.name = 'LoadRowRejected';
  }
}

const LF = 0x0a;
const CR = 0x0d;
const NULL_WORD = Buffer.from('NULL');
const QUOTED_NULL = Buffer.from('"NULL"');

// Where the reader is (numbers rather than an enum: they are compared once a byte).
/** At the start of a field (after a delimiter, or at the start of a record). */
const FIELD_START = 0;
/** Inside an unquoted field. */
const UNQUOTED = 1;
/** Inside a quoted field. */
const QUOTED = 2;
/** A quote inside a quoted field: the field's end, or the first of a doubled quote. */
const QUOTE_IN_QUOTED = 3;
/** After a quoted field's closing quote: a delimiter or a line end must follow. */
const AFTER_QUOTED = 4;

const LINE_END_UNKNOWN = 0;
const LINE_END_LF = 1;
const LINE_END_CRLF = 2;
const LINE_END_CR = 3;

/**
 * The upload's bytes → what `LOAD DATA … FIELDS TERMINATED BY d OPTIONALLY ENCLOSED BY q ESCAPED BY ''
 * LINES TERMINATED BY '\n'` reads as csv-parse would have read them (see the file's comment). State
 * carries across chunks; bytes it cannot decide on yet (a CR, the start of a NULL word, a record
 * that may be a lone `""`) are held back. Counts the data rows sent and remembers, sparsely, where a
 * row's first line is when embedded newlines or skipped lines shift it.
 */
export class LoadDataRewriter extends Transform {
  readonly #delimiter: number;
  readonly #quote: number;
  #state = FIELD_START;
  #lineEnd = LINE_END_UNKNOWN;
  #atRecordStart = true;
  #inHeader = true;
  #started = false;
  /** A CR outside quotes whose meaning the next byte decides. */
  #pendingCr = false;
  /** Bytes of "NULL" an unquoted field has matched so far, held back; -1: the field is not the NULL word. */
  #nullMatch = 0;
  /** The record so far is a quote (1) or two quotes (2), held back: a lone `""` line is skipped as csv-parse does. */
  #heldQuotes = 0;
  /** Data rows sent. */
  rows = 0;
  /** Line terminators read. */
  #lines = 0;
  #recordLine = 1;
  /** Sparse map row → its first line: from `#shiftRows[i]` on, line = row + `#shifts[i]`. */
  readonly #shiftRows: number[] = [];
  readonly #shifts: number[] = [];

  constructor(csv: CsvSettings) {
    super({ highWaterMark: 256 * 1024 });
    this.#delimiter = csv.delimiter.charCodeAt(0);
    this.#quote = csv.quote.charCodeAt(0);
  }

  /** The file line row `row` starts on. */
  lineOf(row: number): number {
    let shift = 1;
    for (let i = this.#shiftRows.length - 1; i >= 0; i--) {
      if (this.#shiftRows[i]! <= row) {
        shift = this.#shifts[i]!;
        break;
      }
    }
    return row + shift;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let input = chunk;
    if (!this.#started) {
      this.#started = true;
      if (input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) input = input.subarray(3);
    }
    // The worst case is a run of delimiters, each an empty field written as NULL.
    const out = Buffer.allocUnsafe(input.length * 5 + 16);
    try {
      const length = this.#rewrite(input, out);
      callback(null, length === 0 ? undefined : out.subarray(0, length));
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    const out = Buffer.allocUnsafe(32);
    try {
      let at = 0;
      if (this.#pendingCr) {
        this.#pendingCr = false;
        if (this.#lineEnd === LINE_END_LF) at = this.#data(CR, out, at);
      }
      if (this.#state === QUOTED) throw this.#broken('a quoted field is not closed at the end of the file');
      if (this.#state === QUOTE_IN_QUOTED) at = this.#closeQuoted(LF, out, at);
      if (!this.#atRecordStart || this.#state !== FIELD_START) at = this.#endRecord(out, at);
      callback(null, at === 0 ? undefined : out.subarray(0, at));
    } catch (error) {
      callback(error as Error);
    }
  }

  #rewrite(input: Buffer, out: Buffer): number {
    const delimiter = this.#delimiter;
    const quote = this.#quote;
    const n = input.length;
    let at = 0;
    for (let i = 0; i < n; i++) {
      let byte = input[i]!;
      let crIsData = false;
      if (this.#pendingCr) {
        this.#pendingCr = false;
        const lineEnd = this.#lineEnd;
        if (byte === LF && (lineEnd === LINE_END_UNKNOWN || lineEnd === LINE_END_CRLF)) {
          this.#lineEnd = LINE_END_CRLF;
          at = this.#endRecord(out, at);
          continue;
        }
        if (lineEnd === LINE_END_UNKNOWN || lineEnd === LINE_END_CR) {
          this.#lineEnd = LINE_END_CR;
          at = this.#endRecord(out, at);
        } else {
          // A CR in a file whose lines end otherwise is data; this byte is read again next.
          crIsData = true;
          byte = CR;
          i--;
        }
      }
      const state = this.#state;
      if (state === QUOTED) {
        if (byte === quote) {
          this.#state = QUOTE_IN_QUOTED;
          if (this.#heldQuotes === 1) this.#heldQuotes = 2;
          continue;
        }
        if (this.#heldQuotes !== 0) {
          this.#heldQuotes = 0;
          out[at++] = quote;
        }
        // The run up to the next quote is copied as it is.
        let lines = 0;
        for (;;) {
          if (byte === LF) lines++;
          out[at++] = byte;
          if (i + 1 >= n) break;
          byte = input[i + 1]!;
          if (byte === quote) break;
          i++;
        }
        this.#lines += lines;
        continue;
      }
      if (state === QUOTE_IN_QUOTED) {
        if (byte === quote) {
          // A doubled quote: LOAD DATA reads it as one, as CSV does.
          if (this.#heldQuotes !== 0) {
            this.#heldQuotes = 0;
            out[at++] = quote;
          }
          out[at++] = quote;
          out[at++] = quote;
          this.#state = QUOTED;
          continue;
        }
        if (byte !== delimiter && byte !== LF && (byte !== CR || this.#lineEnd === LINE_END_LF)) throw this.#broken('a closing quote must be followed by a delimiter or the end of the line');
        at = this.#closeQuoted(byte, out, at);
      }
      if (byte === delimiter) {
        at = this.#endField(out, at);
        out[at++] = byte;
        this.#state = FIELD_START;
        this.#atRecordStart = false;
        continue;
      }
      if (byte === LF) {
        if (this.#lineEnd === LINE_END_UNKNOWN) this.#lineEnd = LINE_END_LF;
        // csv-parse keeps a lone LF in a CRLF (or CR) file as data; LOAD DATA cannot read it unquoted.
        if (this.#lineEnd !== LINE_END_LF) throw this.#broken('an unquoted LF in a file whose lines end in CR');
        at = this.#endRecord(out, at);
        continue;
      }
      if (byte === CR && !crIsData) {
        this.#pendingCr = true;
        continue;
      }
      if (this.#state === FIELD_START && byte === quote) {
        this.#state = QUOTED;
        if (this.#atRecordStart && !this.#inHeader) this.#heldQuotes = 1;
        else out[at++] = quote;
        this.#atRecordStart = false;
        continue;
      }
      at = this.#data(byte, out, at);
      if (crIsData || this.#nullMatch >= 0) continue;
      // The rest of an unquoted field is copied as it is.
      while (i + 1 < n) {
        const next = input[i + 1]!;
        if (next === delimiter || next === LF || next === CR || next === quote) break;
        out[at++] = next;
        i++;
      }
    }
    // Everything written so far belongs to the header while it has not ended.
    return this.#inHeader ? 0 : at;
  }

  /** A data byte of an unquoted field. */
  #data(byte: number, out: Buffer, at: number): number {
    if (this.#state === AFTER_QUOTED) throw this.#broken('a closing quote must be followed by a delimiter or the end of the line');
    if (byte === this.#quote) throw this.#broken('a quote inside an unquoted field');
    if (this.#state === FIELD_START) {
      this.#state = UNQUOTED;
      this.#atRecordStart = false;
      this.#nullMatch = 0;
    }
    if (this.#nullMatch >= 0) {
      if (this.#nullMatch < 4 && byte === NULL_WORD[this.#nullMatch]) {
        this.#nullMatch += 1;
        return at;
      }
      NULL_WORD.copy(out, at, 0, this.#nullMatch);
      at += this.#nullMatch;
      this.#nullMatch = -1;
    }
    out[at++] = byte;
    return at;
  }

  #closeQuoted(next: number, out: Buffer, at: number): number {
    if (this.#heldQuotes === 2) {
      this.#heldQuotes = 0;
      if (next === LF || next === CR) {
        // A record that is only `""` is skipped, as csv-parse's reader does with an empty line.
        this.#state = FIELD_START;
        this.#atRecordStart = true;
        return at;
      }
      out[at++] = this.#quote;
    }
    out[at++] = this.#quote;
    this.#state = AFTER_QUOTED;
    return at;
  }

  #endField(out: Buffer, at: number): number {
    const state = this.#state;
    if (state === FIELD_START) {
      NULL_WORD.copy(out, at);
      return at + 4;
    }
    if (state === UNQUOTED && this.#nullMatch > 0) {
      const held = this.#nullMatch === 4 ? QUOTED_NULL : NULL_WORD.subarray(0, this.#nullMatch);
      held.copy(out, at);
      at += held.length;
    }
    this.#nullMatch = 0;
    return at;
  }

  #endRecord(out: Buffer, at: number): number {
    this.#lines += 1;
    if (this.#atRecordStart && this.#state === FIELD_START) {
      // An empty line is skipped; the rows after it start a line later.
      this.#recordLine = this.#lines + 1;
      return at;
    }
    at = this.#endField(out, at);
    if (this.#inHeader) {
      // The header is not sent: drop what was written of it.
      this.#inHeader = false;
      at = 0;
    } else {
      out[at++] = LF;
      this.rows += 1;
      const shift = this.#recordLine - this.rows;
      if (shift !== (this.#shifts.at(-1) ?? 1)) {
        this.#shiftRows.push(this.rows);
        this.#shifts.push(shift);
      }
    }
    this.#state = FIELD_START;
    this.#atRecordStart = true;
    this.#nullMatch = 0;
    this.#recordLine = this.#lines + 1;
    return at;
  }

  #broken(why: string): ImportRefusal {
    return new ImportRefusal('file_unreadable', `The file is not valid CSV: ${why} (line ${this.#lines + 1})`, { field: 'file', line: this.#lines + 1 });
  }
}

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

const TRUE_WORDS = "'true', 't', 'yes', 'y', '1', 'on'";
const FALSE_WORDS = "'false', 'f', 'no', 'n', '0', 'off'";
/** What a boolean's value becomes when it is not one of the words: a string no integer column takes. */
const NOT_A_BOOLEAN = 'not a boolean: ';

/** The column list and SET clause: booleans go through a variable and are read as the checked path reads them. */
function loadColumns(plan: ImportPlan): { list: string; set: string } {
  const list: string[] = [];
  const set: string[] = [];
  plan.columns.forEach((column, index) => {
    const name = quoteIdentifier('mysql', column.name);
    if (!isBoolean(column)) {
      list.push(name);
      return;
    }
    const variable = `@studio_${index}`;
    list.push(variable);
    const word = `LOWER(TRIM(${variable}))`;
    set.push(`${name} = CASE WHEN ${variable} IS NULL THEN NULL WHEN ${word} IN (${TRUE_WORDS}) THEN 1 WHEN ${word} IN (${FALSE_WORDS}) THEN 0 ELSE CONCAT('${NOT_A_BOOLEAN}', ${variable}) END`);
  });
  return { list: list.join(', '), set: set.length > 0 ? ` SET ${set.join(', ')}` : '' };
}

interface Warning {
  Level: string;
  Code: number;
  Message: string;
}

/**
 * Loads `raw` (the whole file, header included) in one transaction: DELETE first for replace
 * (TRUNCATE would commit). `onRows` hears the rows sent so far (progress). Resolves the rows written;
 * a refused row rejects with LoadRowRejected, anything else with the driver's (or our) error; nothing
 * is committed then.
 */
export async function loadFileIntoMysql(lease: PoolLease<'mysql'>, plan: ImportPlan, mode: ImportMode, csv: CsvSettings, raw: Readable, onRows: (rows: number) => void): Promise<number> {
  const connection = await lease.pool.getConnection();
  const target = qualifiedName('mysql', plan);
  const rewriter = new LoadDataRewriter(csv);
  const columns = loadColumns(plan);
  const release = releaseOnce(connection);
  let restoreMode: string | undefined;
  try {
    const [[session]] = (await connection.query('SELECT @@SESSION.sql_mode AS mode')) as unknown as [{ mode: string }[]];
    restoreMode = session?.mode ?? '';
    // Strict, so a refused value is a warning that names its row rather than a silent 0 or ''.
    await connection.query("SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_ALL_TABLES')");
    await connection.query('START TRANSACTION');
    if (mode === 'replace') await connection.query(`DELETE FROM ${target}`);
    const progress = setInterval(() => onRows(rewriter.rows), 250);
    progress.unref();
    let load: Promise<unknown>;
    try {
      load = connection.query({
        sql: `LOAD DATA LOCAL INFILE 'studio-import' INTO TABLE ${target} CHARACTER SET utf8mb4 FIELDS TERMINATED BY ${literal(csv.delimiter)} OPTIONALLY ENCLOSED BY ${literal(csv.quote)} ESCAPED BY '' LINES TERMINATED BY '\\n' (${columns.list})${columns.set}`,
        infileStreamFactory: () => rewriter,
      } as Parameters<typeof connection.query>[0]);
      raw.on('error', (error) => rewriter.destroy(error));
      if (raw.errored) rewriter.destroy(raw.errored);
      else raw.pipe(rewriter);
      try {
        const [result] = (await load) as [{ affectedRows: number; warningStatus: number }, unknown];
        if (rewriter.errored) throw rewriter.errored;
        if (result.warningStatus > 0 || result.affectedRows !== rewriter.rows) {
          throw (await refusalOf(connection, plan, rewriter)) ?? new Error(`${rewriter.rows - result.affectedRows} of ${rewriter.rows} rows were not loaded`);
        }
      } catch (error) {
        // The upload's own failure (too large, not UTF-8, cut off, broken CSV) is why the load stopped.
        throw raw.errored ?? rewriter.errored ?? error;
      }
    } finally {
      clearInterval(progress);
    }
    // The pooled connection goes back with its own sql_mode; set inside the transaction, so a failure
    // here still rolls the rows back rather than leaving them committed under a failed run.
    await connection.query('SET SESSION sql_mode = ?', [restoreMode]);
    await connection.query('COMMIT');
    release();
    onRows(rewriter.rows);
    return rewriter.rows;
  } catch (error) {
    let failure: unknown;
    try {
      await connection.query('ROLLBACK');
      if (restoreMode !== undefined) await connection.query('SET SESSION sql_mode = ?', [restoreMode]);
    } catch (cleanup) {
      failure = cleanup;
    }
    release(failure);
    throw error;
  }
}

/** `… for column 'c' at row N` or `` … for column `db`.`t`.`c` at row N``; `Row N doesn't contain …`. */
const COLUMN = /column (?:`[^`]*`\.`[^`]*`\.)?[`']([^`']+)[`']/;
const AT_ROW = / at row (\d+)$/;
const ROW_FIELDS = /^Row (\d+) (doesn't contain data for all columns|was truncated; it contained more data than there were input columns)/;
const VALUE = /value: '((?:[^']|'')*)'/;

/** The first warning that names a row → a reject; undefined when none does (a duplicate key: the run's error). */
async function refusalOf(connection: PoolConnection, plan: ImportPlan, rewriter: LoadDataRewriter): Promise<LoadRowRejected | Error | undefined> {
  const [warnings] = (await connection.query('SHOW WARNINGS LIMIT 20')) as unknown as [Warning[]];
  for (const warning of warnings) {
    const fields = ROW_FIELDS.exec(warning.Message);
    if (fields) {
      const rowNumber = Number(fields[1]);
      const reason = fields[2]!.startsWith('doesn') ? 'has fewer fields than the header' : 'has more fields than the header';
      return new LoadRowRejected({ rowNumber, line: rewriter.lineOf(rowNumber), column: null, value: null, reason }, { cause: warning });
    }
    const row = AT_ROW.exec(warning.Message);
    if (!row) continue;
    const rowNumber = Number(row[1]);
    const named = COLUMN.exec(warning.Message)?.[1];
    const index = named === undefined ? -1 : plan.columns.findIndex((column) => column.name.toLowerCase() === named.toLowerCase());
    const column = index >= 0 ? plan.columns[index]! : undefined;
    let value = VALUE.exec(warning.Message)?.[1]?.replace(/''/g, "'") ?? null;
    if (value !== null && column !== undefined && isBoolean(column) && value.startsWith(NOT_A_BOOLEAN)) value = value.slice(NOT_A_BOOLEAN.length);
    let reason = warning.Message.replace(AT_ROW, '');
    if (warning.Code === 1263 || warning.Code === 1048) reason = 'NULL in a NOT NULL column';
    else if (column !== undefined && value !== null) {
      // Our own wording when the checked path would have refused the value too.
      const checked = plan.converters[index]!(value);
      if (!checked.ok) reason = checked.reason;
    } else if (column !== undefined && warning.Code === 1265) {
      reason = truncatedReason(column);
    }
    return new LoadRowRejected({ rowNumber, line: rewriter.lineOf(rowNumber), column: column?.name ?? named ?? null, value, reason }, { cause: warning });
  }
  const first = warnings[0];
  return first === undefined ? undefined : Object.assign(new Error(first.Message), { errno: first.Code });
}

/** "Data truncated" (1265) names no value; say what it means for the column's type. */
function truncatedReason(column: TargetColumn): string {
  const type = column.dataType;
  if (type === 'date' || type === 'datetime' || type === 'timestamp') return `not a valid ${type === 'date' ? 'date' : 'date and time'} (${type})`;
  if (column.maxLength !== null && ['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext'].includes(type)) return `longer than ${column.maxLength} characters`;
  if (type === 'decimal' || type === 'numeric') return `more decimal places than ${type}(${column.precision ?? ''},${column.scale ?? 0}) keeps`;
  return `Data truncated for column '${column.name}'`;
}
