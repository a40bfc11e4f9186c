// Reads an uploaded CSV as records, in bounded memory: bytes are counted, hashed and capped, decoded
// by the project's encoding, and parsed by csv-parse (quotes, embedded newlines, CRLF). An unquoted
// field equal to a NULL marker is NULL; a quoted one never is (PostgreSQL COPY … CSV's rule).
import { createHash } from 'node:crypto';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { parse, type Parser } from 'csv-parse';
import { ImportRefusal } from '../errors';
import type { CsvSettings } from './project-config';

export interface CsvRecord {
  /** Field values as read; null = NULL. */
  fields: (string | null)[];
  /** 1 = the first data row (after the header). */
  rowNumber: number;
  /** The line of the file the record starts on. */
  line: number;
}

/** Raw bytes kept from the start of the file so a run may still hand the file over as it came. */
const REPLAY_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Bytes in → text out, by the project's encoding; counts, hashes and caps the bytes on the way.
 * Until told otherwise it also keeps the raw bytes it passed on (up to REPLAY_MAX_BYTES), so the
 * file can be switched to a raw byte stream (`takeRaw`) after its header was read.
 */
class DecodingCounter extends Transform {
  bytes = 0;
  readonly #hash = createHash('sha256');
  #kept: Buffer[] | undefined = [];
  #keptBytes = 0;
  #raw: PassThrough | undefined;
  #decoder: InstanceType<typeof TextDecoder> | 'latin1' | undefined;
  #head: Buffer | undefined;

  constructor(
    private readonly encoding: CsvSettings['encoding'],
    private readonly maxBytes: number,
  ) {
    super({ readableObjectMode: false, decodeStrings: true });
    if (encoding === 'utf-8') this.#decoder = new TextDecoder('utf-8', { fatal: true });
    if (encoding === 'latin1') this.#decoder = 'latin1';
  }

  get sha256(): string {
    return this.#hash.copy().digest('hex');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(new ImportRefusal('file_too_large', `The file is larger than the limit of ${this.maxBytes} bytes`, { field: 'file', limit: this.maxBytes }));
      return;
    }
    this.#hash.update(chunk);
    let text: string;
    try {
      text = this.#decode(chunk, false);
    } catch (error) {
      callback(unreadable(this.encoding, this.bytes, error));
      return;
    }
    const raw = this.#raw;
    if (raw !== undefined) {
      // Decoded only to prove the bytes are valid; the raw bytes go on, with the reader's back-pressure.
      if (raw.write(chunk)) callback();
      else raw.once('drain', () => callback());
      return;
    }
    if (this.#kept !== undefined) {
      this.#keptBytes += chunk.length;
      if (this.#keptBytes > REPLAY_MAX_BYTES) this.#kept = undefined;
      else this.#kept.push(chunk);
    }
    callback(null, text);
  }

  override _flush(callback: TransformCallback): void {
    try {
      const text = this.#decode(Buffer.alloc(0), true);
      if (this.#raw !== undefined) {
        this.#raw.end();
        callback();
      } else callback(null, text);
    } catch (error) {
      callback(unreadable(this.encoding, this.bytes, error));
    }
  }

  /** Stops keeping raw bytes: the file will be read as records only. */
  forgetRaw(): void {
    this.#kept = undefined;
  }

  /**
   * From now on the bytes go to the answered stream, from the file's first byte (what was already
   * passed on as text is replayed); undefined when too much was passed on to replay it.
   */
  switchToRaw(): PassThrough | undefined {
    if (this.#kept === undefined) return undefined;
    const raw = new PassThrough({ highWaterMark: 256 * 1024 });
    // The reader may attach itself later: until then a failure waits in `raw.errored`.
    raw.on('error', () => undefined);
    for (const chunk of this.#kept) raw.write(chunk);
    this.#kept = undefined;
    this.#raw = raw;
    if (this.writableFinished) raw.end();
    this.on('error', (error) => raw.destroy(error));
    // Destroyed without a reason (a cancel): the reader must not wait for bytes that will not come.
    this.on('close', () => {
      if (!raw.writableEnded) raw.destroy(new Error('the upload was not read to its end'));
    });
    return raw;
  }

  #decode(chunk: Buffer, end: boolean): string {
    if (this.#decoder === 'latin1') return chunk.toString('latin1');
    if (this.#decoder === undefined) {
      // UTF-16: the byte order mark says which; wait for its two bytes.
      const head = this.#head === undefined ? chunk : Buffer.concat([this.#head, chunk]);
      if (head.length < 2 && !end) {
        this.#head = head;
        return '';
      }
      const bom = head.subarray(0, 2);
      if (bom[0] === 0xff && bom[1] === 0xfe) this.#decoder = new TextDecoder('utf-16le', { fatal: true });
      else if (bom[0] === 0xfe && bom[1] === 0xff) this.#decoder = new TextDecoder('utf-16be', { fatal: true });
      else throw new Error('a UTF-16 file must start with its byte order mark');
      this.#head = undefined;
      chunk = head;
    }
    // The decoder keeps a character split across chunks for the next call; a BOM is dropped.
    return this.#decoder.decode(chunk, { stream: !end });
  }
}

function unreadable(encoding: string, bytes: number, error: unknown): ImportRefusal {
  const why = error instanceof Error && error.message.includes('byte order mark') ? error.message : `the file is not valid ${encoding}`;
  return new ImportRefusal('file_unreadable', `The file could not be read: ${why} (near byte ${bytes})`, { field: 'file', encoding });
}

/** One CSV file being read. Iterate `records()` once; the first record is the header when the project says so. */
export class CsvSource {
  readonly #counter: DecodingCounter;
  readonly #parser: Parser;
  readonly #hasHeader: boolean;
  #previousEnd = 0;
  #rows = 0;

  constructor(input: Readable, settings: CsvSettings, maxBytes: number) {
    this.#hasHeader = settings.header;
    this.#counter = new DecodingCounter(settings.encoding, maxBytes);
    const nullMarkers = new Set(settings.null_markers);
    this.#parser = parse({
      delimiter: settings.delimiter,
      quote: settings.quote,
      escape: settings.quote,
      // UTF-8's BOM is dropped by the decoder; this catches one left in a latin1 file's first field.
      bom: true,
      relax_column_count: true,
      skip_empty_lines: false,
      info: true,
      cast: (value, context) => (!context.quoting && nullMarkers.has(value) ? null : value),
    });
    input.on('error', () => this.#counter.destroy(new ImportRefusal('file_unreadable', 'The upload ended before the whole file was received', { field: 'file' })));
    this.#counter.on('error', (error) => this.#parser.destroy(error));
    // Errors reach the reader through records(); a stream destroyed after reading stopped has no reader left.
    this.#parser.on('error', () => undefined);
    input.pipe(this.#counter).pipe(this.#parser);
  }

  get bytesRead(): number {
    return this.#counter.bytes;
  }

  /** SHA-256 (hex) of the bytes read so far: the file's, once records() has ended. */
  get sha256(): string {
    return this.#counter.sha256;
  }

  /** The run reads records from here on: raw bytes need not be kept for `takeRaw`. */
  forgetRaw(): void {
    this.#counter.forgetRaw();
  }

  /**
   * Hands the file over as raw bytes from its first byte (header and BOM included), for a server
   * that parses CSV itself; records() must not be read after. Bytes are still counted, hashed,
   * capped and checked against the encoding; errors (ImportRefusals) destroy the answered stream.
   * undefined when the records already read went past what is kept for this.
   */
  takeRaw(): Readable | undefined {
    if (this.#parser.destroyed && !this.#parser.readableEnded) return undefined;
    const raw = this.#counter.switchToRaw();
    if (raw === undefined) return undefined;
    this.#counter.unpipe(this.#parser);
    this.#parser.destroy();
    // Text decoded before the switch and not yet parsed is dropped; the raw copy carries it.
    this.#counter.resume();
    return raw;
  }

  /** Stops reading (the upload is left unread) with `reason`. */
  destroy(reason?: Error): void {
    this.#parser.destroy(reason);
    this.#counter.destroy(reason);
  }

  /**
   * Records in file order, in batches of up to `max` (one await per batch, not per row). A line
   * with nothing on it is skipped. Errors are ImportRefusals.
   */
  async *batches(max = 512): AsyncGenerator<(CsvRecord & { header: boolean })[]> {
    const parser = this.#parser;
    let first = true;
    try {
      for (;;) {
        const batch: (CsvRecord & { header: boolean })[] = [];
        let item: { record: (string | null)[]; info: { lines: number } } | null;
        while (batch.length < max && (item = parser.read() as typeof item) !== null) {
          const line = this.#previousEnd + 1;
          this.#previousEnd = item.info.lines;
          if (item.record.length === 1 && (item.record[0] === null || (item.record[0] === '' && !first))) continue;
          const header = first && this.#hasHeader;
          first = false;
          batch.push({ fields: item.record, rowNumber: header ? 0 : ++this.#rows, line, header });
        }
        if (batch.length > 0) {
          yield batch;
          continue;
        }
        if (parser.errored) throw parser.errored;
        if (parser.readableEnded || parser.destroyed) return;
        await new Promise<void>((resolve) => {
          const wake = () => {
            for (const event of ['readable', 'end', 'error', 'close']) parser.off(event, wake);
            resolve();
          };
          for (const event of ['readable', 'end', 'error', 'close']) parser.on(event, wake);
        });
      }
    } catch (error) {
      if (error instanceof ImportRefusal) throw error;
      const found = this.#counter.errored;
      if (found instanceof ImportRefusal) throw found;
      throw new ImportRefusal('file_unreadable', `The file is not valid CSV: ${csvMessage(error)}`, { field: 'file', line: this.#previousEnd + 1 });
    }
  }

  /** The data row count so far (the header is not a row). */
  get rows(): number {
    return this.#rows;
  }
}

function csvMessage(error: unknown): string {
  if (error instanceof Error) return error.message.replace(/^Invalid Record Length:.*$/, 'a record has the wrong number of fields');
  return 'unreadable input';
}
