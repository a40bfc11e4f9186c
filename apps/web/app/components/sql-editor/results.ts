// Execution results as the browser receives them: Remix answers JSON, so values are turned into
// display text on the server with their SQL Server type in mind (bigint and decimals exact, binary
// as 0x hex, dates ISO 8601); NULL stays null.

export interface DisplayColumn {
  name: string;
  type: string;
  numeric: boolean;
}

export interface DisplayResultSet {
  columns: DisplayColumn[];
  rows: (string | null)[][];
  rowCount: number;
  truncated: boolean;
}

export interface DisplayMessage {
  number: number;
  message: string;
  severity: number;
  line: number | null;
}

export interface DisplayExecution {
  executionId: string;
  status: 'completed' | 'cancelled';
  returnValue: number | null;
  output: Record<string, string | null>;
  resultSets: DisplayResultSet[];
  truncated: boolean;
  rowLimit: number;
  messages: DisplayMessage[];
  rowsAffected: number[];
  elapsedMs: number;
}

const NUMERIC = new Set(['tinyint', 'smallint', 'int', 'bigint', 'decimal', 'numeric', 'money', 'smallmoney', 'float', 'real']);

export function displayValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `0x${Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase()}`;
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}

interface RawExecution {
  executionId: string;
  status: 'completed' | 'cancelled';
  returnValue: number | null;
  output: Record<string, unknown>;
  resultSets: { columns: { name: string; type: string }[]; rows: unknown[][]; rowCount: number; truncated: boolean }[];
  truncated: boolean;
  rowLimit: number;
  messages: { number: number; message: string; severity: number; line: number | null }[];
  rowsAffected: number[];
  elapsedMs: number;
}

export function toDisplay(result: RawExecution): DisplayExecution {
  return {
    executionId: result.executionId,
    status: result.status,
    returnValue: result.returnValue,
    output: Object.fromEntries(Object.entries(result.output).map(([k, v]) => [k, displayValue(v)])),
    resultSets: result.resultSets.map((set) => ({
      columns: set.columns.map((c) => ({ name: c.name, type: c.type, numeric: NUMERIC.has(c.type) })),
      rows: set.rows.map((row) => row.map(displayValue)),
      rowCount: set.rowCount,
      truncated: set.truncated,
    })),
    truncated: result.truncated,
    rowLimit: result.rowLimit,
    messages: result.messages.map((m) => ({ number: m.number, message: m.message, severity: m.severity, line: m.line })),
    rowsAffected: result.rowsAffected,
    elapsedMs: result.elapsedMs,
  };
}
