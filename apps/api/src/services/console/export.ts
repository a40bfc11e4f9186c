// Streamed export of a console query's first result set as CSV or JSON. Rows go from the driver to
// the HTTP response through a Readable whose buffer is bounded: when it is full the driver is
// paused (mssql request.pause, the pg / mysql socket), so memory stays flat however many rows
// there are. At the row cap the query is stopped on the server and the file ends there.
import { Readable } from 'node:stream';
import type { ConsoleColumn, ConsoleValue, ResultSink } from './types';

export type ExportFormat = 'csv' | 'json';

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', json: 'application/json; charset=utf-8' };

/** How far the stream buffers before pausing the driver. */
const HIGH_WATER_MARK = 64 * 1024;
/**
 * Rows are pushed in batches of about this many characters: one chunk (one Buffer, one HTTP chunk)
 * per few hundred rows instead of one per row, which keeps the garbage per row, and so the memory
 * the process holds between collections, small.
 */
const BATCH_CHARS = 16 * 1024;

function csvField(value: ConsoleValue): string {
  if (value === null) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly ConsoleValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

function jsonRow(columns: readonly ConsoleColumn[], values: readonly ConsoleValue[]): string {
  const row: Record<string, ConsoleValue> = {};
  columns.forEach((column, i) => {
    row[column.name] = values[i] ?? null;
  });
  return JSON.stringify(row);
}

export interface ExportProgress {
  rows: number;
  /** The row cap was reached: the query was stopped there. */
  capped: boolean;
}

/**
 * The stream a download reads, and the sink the run writes into. `finish` ends the file (closing
 * the JSON array); `fail` ends the stream with an error.
 */
export function exportChannel(format: ExportFormat, maxRows: number, onCap: () => void) {
  let flow: { pause(): void; resume(): void } | undefined;
  let sets = 0;
  let columns: ConsoleColumn[] = [];
  const progress: ExportProgress = { rows: 0, capped: false };
  let batch = '';
  /** Hands the batch to the stream; false when the stream's buffer is full (pause the driver). */
  const flush = (): boolean => {
    if (batch === '') return true;
    const more = stream.push(batch);
    batch = '';
    return more;
  };
  const stream = new Readable({
    highWaterMark: HIGH_WATER_MARK,
    read() {
      flow?.resume();
    },
  });
  const sink: ResultSink = {
    resultSet(next) {
      sets++;
      if (sets !== 1) return;
      columns = next;
      stream.push(format === 'csv' ? csvLine(next.map((c) => c.name)) : '[');
    },
    row(values) {
      // Later result sets are read and dropped: the file is one table.
      if (sets !== 1 || progress.capped) return true;
      if (progress.rows >= maxRows) {
        progress.capped = true;
        onCap();
        return true;
      }
      batch += format === 'csv' ? csvLine(values) : `${progress.rows === 0 ? '\n' : ',\n'}${jsonRow(columns, values)}`;
      progress.rows++;
      return batch.length < BATCH_CHARS || flush();
    },
    message() {},
    rowsAffected() {},
    flow(control) {
      flow = control;
    },
  };
  return {
    stream,
    sink,
    progress,
    finish() {
      flush();
      if (format === 'json') stream.push(sets === 0 ? '[]\n' : '\n]\n');
      stream.push(null);
    },
    fail(error: unknown) {
      stream.destroy(error instanceof Error ? error : new Error(String(error)));
    },
  };
}

/**
 * Waits for the first bytes (or the end, or the first error) of a download before anything is
 * sent: a query the database refuses is then still answered as an error, not as a broken file.
 */
export async function firstChunkOf(stream: Readable): Promise<{ first: Buffer | null; rest: Readable }> {
  return new Promise((resolve, reject) => {
    const onReadable = () => {
      const chunk = stream.read() as Buffer | string | null;
      if (chunk === null) return;
      cleanup();
      resolve({ first: Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk), rest: stream });
    };
    const onEnd = () => {
      cleanup();
      resolve({ first: null, rest: stream });
    };
    const onError = (error: unknown) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
