// What a console run produces, whatever the database: result sets with typed columns, messages and
// row counts. Values are JSON-safe, so tRPC, REST and the CSV/JSON export show the same thing.

export type ConsoleMode = 'read-only' | 'read-write';

export interface ConsoleColumn {
  name: string;
  /** The database's own type name, lower case (`int`, `varchar`, `timestamptz`, …). */
  type: string;
}

export interface ConsoleResultSet {
  columns: ConsoleColumn[];
  /** Values in column order; at most the row limit. */
  rows: ConsoleValue[][];
  /** Rows the database sent for this set (more than `rows.length` when truncated). */
  rowCount: number;
  truncated: boolean;
}

export interface ConsoleMessage {
  message: string;
  /** SQL Server number, PostgreSQL SQLSTATE or MySQL code, when the database gave one. */
  code: string | null;
  /** `info`, `notice`, `warning`, … as the database classed it. */
  level: string;
}

/**
 * Text for exact numbers (bigint, decimal), `0x…` hex for binary, ISO 8601 for instants; a date or a
 * time without a time zone (PostgreSQL, MySQL) as the database writes it, never moved to UTC.
 */
export type ConsoleValue = string | number | boolean | null | ConsoleValue[] | { [key: string]: ConsoleValue };

export interface RunRequest {
  sql: string;
  /** `@p1…` / `$1…` / `?` by position; named `@name` on SQL Server only. */
  parameters: readonly unknown[] | Readonly<Record<string, unknown>>;
  mode: ConsoleMode;
}

/**
 * Where a run's output goes. `row` returns false when the receiver wants the driver paused; it then
 * calls the `resume` it was handed by `flow`.
 */
export interface ResultSink {
  resultSet(columns: ConsoleColumn[]): void;
  row(values: ConsoleValue[]): boolean;
  message(message: ConsoleMessage): void;
  rowsAffected(count: number): void;
  flow?(control: { pause(): void; resume(): void }): void;
}

/** How the service stops a run on the server (TDS attention, pg_cancel_backend, KILL QUERY). */
export interface RunControl {
  onCancel(cancel: () => Promise<void>): void;
}

/** A database refused a statement: its own number / SQLSTATE / errno and message. */
export class DatabaseQueryError extends Error {
  readonly code = 'query_error';
  constructor(
    readonly databaseCode: string | null,
    message: string,
    readonly position: { line: number | null; statement: number | null },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatabaseQueryError';
  }
}

const HEX = (bytes: Uint8Array) => `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;

/** Driver values (Date, Buffer, bigint, parsed JSON) as JSON-safe values. */
export function consoleValue(value: unknown): ConsoleValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return HEX(value);
  if (Array.isArray(value)) return value.map(consoleValue);
  if (typeof value === 'object') {
    const out: Record<string, ConsoleValue> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) out[key] = consoleValue(inner);
    return out;
  }
  return String(value);
}
