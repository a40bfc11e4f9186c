// The fast path into PostgreSQL: when the file is already what COPY … CSV reads (UTF-8, the same
// delimiter and quote, PostgreSQL's own NULL rule, ISO dates, no ignored columns) and nothing has to
// be set aside, its bytes go to COPY as they came, with a column list, and PostgreSQL parses and
// converts them. The first bad row stops COPY; its error ("COPY t, line N, column c: "v"") is turned
// back into a reject with row, column, value and reason. Everything else takes the checked path.
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { PoolLease } from '@studio/mssql-pool';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { fitsRawLoad, type ImportMode, type ImportPlan, type RawLoadOptions, type RowReject } from './plan';
import type { CsvSettings } from './project-config';
import { qualifiedName, quoteIdentifier } from './sinks';

const NO_TIMEOUT = 2_147_483_647;

/** Types whose text PostgreSQL reads as the checked path would accept it (ISO dates, plain numbers). */
const PASSTHROUGH_TYPES = new Set([
  'smallint',
  'integer',
  'bigint',
  'numeric',
  'real',
  'double precision',
  'text',
  'character varying',
  'character',
  'date',
  'timestamp without time zone',
  'timestamp with time zone',
  'boolean',
  'uuid',
  'json',
  'jsonb',
]);


/** Whether a run may hand its bytes to COPY as they are (see the file's comment). */
export function canPassThrough(options: RawLoadOptions): boolean {
  const { plan, csv } = options;
  return (
    fitsRawLoad(options) &&
    !/[\r\n]/.test(csv.delimiter + csv.quote) &&
    // One byte, so the record counter can find quotes in the raw bytes.
    csv.quote.length === 1 &&
    csv.quote.charCodeAt(0) < 0x80 &&
    plan.columns.every((column) => PASSTHROUGH_TYPES.has(column.dataType))
  );
}

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** The rows COPY refused, as the checked path would name them. */
export class CopyRowRejected extends Error {
  constructor(
    readonly reject: RowReject & { rowNumber: number; line: number },
    options: { cause: unknown },
  ) {
    super(reject.reason, options);
    this.name = 'CopyRowRejected';
  }
}

/**
 * Loads `raw` (the whole file, header included) in one transaction: TRUNCATE first for replace.
 * `onRows` hears the data records seen so far (progress). Resolves the rows COPY wrote; a refused
 * row rejects with CopyRowRejected, anything else with the driver's error; nothing is committed then.
 */
export async function copyFileIntoPostgres(lease: PoolLease<'postgres'>, plan: ImportPlan, mode: ImportMode, csv: CsvSettings, raw: Readable, onRows: (rows: number) => void): Promise<number> {
  const client = await lease.pool.connect();
  const run = (text: string) => client.query({ text, query_timeout: NO_TIMEOUT } as pg.QueryConfig);
  const target = qualifiedName('postgres', plan);
  const columns = plan.columns.map((column) => quoteIdentifier('postgres', column.name));
  let released = false;
  const release = (error?: unknown) => {
    if (released) return;
    released = true;
    client.release(error instanceof Error ? error : undefined);
  };
  try {
    await run('BEGIN');
    if (mode === 'replace') await run(`TRUNCATE TABLE ${target}`);
    const copy = copyFrom(`COPY ${target} (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ${literal(csv.delimiter)}, QUOTE ${literal(csv.quote)}, ESCAPE ${literal(csv.quote)})`);
    (copy as unknown as { query_timeout: number }).query_timeout = NO_TIMEOUT;
    const loaded = new Promise<void>((resolve, reject) => {
      copy.once('finish', resolve);
      // The stream may report twice (our CopyFail, then the server's answer to it).
      copy.on('error', reject);
      const failed = (error: Error) => {
        copy.destroy(error);
        reject(error);
      };
      // The upload may have failed while the transaction was being opened.
      if (raw.errored) failed(raw.errored);
      else raw.on('error', failed);
    });
    client.query(copy);
    const records = new RecordCounter(csv.quote, onRows);
    raw.pipe(records).pipe(copy);
    try {
      await loaded;
    } catch (error) {
      // The upload's own failure (too large, not UTF-8, cut off) is why COPY was abandoned.
      throw raw.errored ?? rejectOf(error, plan, records) ?? error;
    }
    const written = copy.rowCount;
    await run('COMMIT');
    release();
    return written;
  } catch (error) {
    const rolledBack = await run('ROLLBACK').then(
      () => undefined,
      (failure: unknown) => failure,
    );
    release(rolledBack);
    throw error;
  }
}

/** Multi-line records remembered for locating a refused row; past this the oldest half is let go. */
const MAX_SPANS = 1 << 20;

/**
 * Counts CSV records on the way, as the checked path numbers them. COPY names a refused row by the
 * physical line it ends on (PostgreSQL counts the newlines inside quoted fields too), so the lines
 * where a record spans more than one are remembered, in bounded memory, to turn that line back into
 * the record's row number and first line. Quotes toggle "inside a field" (an escaped quote is the
 * quote doubled, so it toggles twice); the header is record 0.
 */
export class RecordCounter extends Transform {
  readonly #quote: number;
  #line = 1;
  #records = 0;
  #inQuote = false;
  #recordStart = 1;
  #unfinished = false;
  /** Per multi-line record: its number, first line and last line, in file order. */
  #spans: number[] = [];
  /** Where counting starts from: the header on line 1, or the last span let go. */
  #base = { record: 0, lastLine: 1 };

  constructor(
    quote: string,
    private readonly onRows: (rows: number) => void,
  ) {
    super();
    this.#quote = quote.charCodeAt(0);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const quote = this.#quote;
    let at = 0;
    while (at < chunk.length) {
      const nextQuote = chunk.indexOf(quote, at);
      const end = nextQuote === -1 ? chunk.length : nextQuote;
      for (let newline = chunk.indexOf(10, at); newline !== -1 && newline < end; newline = chunk.indexOf(10, newline + 1)) {
        if (!this.#inQuote) this.#endRecord();
        this.#line += 1;
      }
      if (nextQuote === -1) break;
      this.#inQuote = !this.#inQuote;
      at = nextQuote + 1;
    }
    if (chunk.length > 0) this.#unfinished = chunk[chunk.length - 1] !== 10;
    this.onRows(Math.max(0, this.#records - 1));
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    // A last record with no newline after it.
    if (this.#unfinished) this.#endRecord();
    this.onRows(Math.max(0, this.#records - 1));
    callback();
  }

  #endRecord(): void {
    if (this.#line > this.#recordStart) {
      if (this.#spans.length >= MAX_SPANS * 3) {
        const dropped = this.#spans.splice(0, (MAX_SPANS / 2) * 3);
        this.#base = { record: dropped[dropped.length - 3]!, lastLine: dropped[dropped.length - 1]! };
      }
      this.#spans.push(this.#records, this.#recordStart, this.#line);
    }
    this.#records += 1;
    this.#recordStart = this.#line + 1;
  }

  /** The data row (1 = the first after the header) and first line of the record that physical line `line` belongs to. */
  locate(line: number): { rowNumber: number; line: number } {
    const spans = this.#spans;
    // The last multi-line record ending before `line`, and the first ending at or after it.
    let low = 0;
    let high = spans.length / 3;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (spans[middle * 3 + 2]! < line) low = middle + 1;
      else high = middle;
    }
    const before = low > 0 ? { record: spans[(low - 1) * 3]!, lastLine: spans[(low - 1) * 3 + 2]! } : this.#base;
    // Further back than the records still remembered: PostgreSQL's own count is all there is.
    if (line < before.lastLine) return { rowNumber: line - 1, line };
    let record = before.record + (line - before.lastLine);
    let first = line;
    if (low < spans.length / 3 && record >= spans[low * 3]!) {
      record = spans[low * 3]!;
      first = spans[low * 3 + 1]!;
    }
    return { rowNumber: record, line: first };
  }
}

/** `COPY t, line N, column c: "value"` (a conversion) or `COPY t, line N: "…"` (a NOT NULL, a field count). */
const WHERE = /^COPY [^,]+, line (\d+)(?:, column ([^:]+))?(?:: "(.*)")?/s;

/** PostgreSQL's refusal of a row inside COPY → a reject naming row, column and value; undefined for anything else. */
function rejectOf(error: unknown, plan: ImportPlan, records: RecordCounter): CopyRowRejected | undefined {
  const driver = error as { where?: unknown; message?: unknown; column?: unknown; code?: unknown };
  if (typeof driver.where !== 'string' || typeof driver.message !== 'string') return undefined;
  const found = WHERE.exec(driver.where.split('\n').find((line) => line.startsWith('COPY ')) ?? '');
  if (!found) return undefined;
  const code = typeof driver.code === 'string' ? driver.code : '';
  // Classes 22 (data exception) and 23502 (not null); a unique or foreign key refusal stays the run's error.
  if (!code.startsWith('22') && code !== '23502') return undefined;
  // PostgreSQL's line is physical: the last line of the refused record.
  const line = Number(found[1]);
  const named = found[2] ?? (typeof driver.column === 'string' ? driver.column : undefined);
  const index = named === undefined ? -1 : plan.columns.findIndex((column) => column.name === named);
  const column = index >= 0 ? plan.columns[index]!.name : (named ?? null);
  const value = code === '23502' ? null : found[2] !== undefined ? (found[3] ?? null) : null;
  let reason = driver.message;
  if (code === '23502') reason = 'NULL in a NOT NULL column';
  else if (index >= 0 && value !== null) {
    // Our own wording when the checked path would have refused the value too.
    const checked = plan.converters[index]!(value);
    if (!checked.ok) reason = checked.reason;
  }
  return new CopyRowRejected({ ...records.locate(line), column, value, reason }, { cause: error });
}
