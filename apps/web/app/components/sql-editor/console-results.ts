// Console results as the browser receives them: the API already sends JSON-safe values (exact
// numbers as text, binary as 0x hex, instants ISO 8601, dates as the database writes them), so display
// only turns them into text.
import type { DisplayResultSet } from './results';

export interface ConsoleDisplay {
  runId: string;
  status: 'completed' | 'cancelled';
  mode: 'read-only' | 'read-write';
  rolledBack: boolean;
  resultSets: DisplayResultSet[];
  messages: { message: string; code: string | null; level: string }[];
  rowsAffected: number[];
  truncated: boolean;
  rowLimit: number;
  elapsedMs: number;
}

const NUMERIC = /^(tinyint|smallint|int|bigint|decimal|numeric|money|smallmoney|float|real|int2|int4|int8|float4|float8|mediumint|double|year)$/;

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function toConsoleDisplay(result: Omit<ConsoleDisplay, 'resultSets'> & { resultSets: { columns: { name: string; type: string }[]; rows: unknown[][]; rowCount: number; truncated: boolean }[] }): ConsoleDisplay {
  return {
    runId: result.runId,
    status: result.status,
    mode: result.mode,
    rolledBack: result.rolledBack,
    resultSets: result.resultSets.map((set) => ({
      columns: set.columns.map((c) => ({ name: c.name, type: c.type, numeric: NUMERIC.test(c.type) })),
      rows: set.rows.map((row) => row.map(text)),
      rowCount: set.rowCount,
      truncated: set.truncated,
    })),
    messages: result.messages,
    rowsAffected: result.rowsAffected,
    truncated: result.truncated,
    rowLimit: result.rowLimit,
    elapsedMs: result.elapsedMs,
  };
}

/**
 * The longest text another page may hand the console in its address (`?sql=`): encoded, it stays
 * well inside the 16 KB the server takes for a request's head. Longer text is copied by hand.
 */
export const PASSED_SQL_MAX = 4000;

/** The console of a connection, opened with this text in its editor (not run). */
export function consoleWithSql(workspaceSlug: string, connectionId: string, sql: string): string {
  return `/w/${workspaceSlug}/console/${connectionId}?${new URLSearchParams({ sql }).toString()}`;
}

/** How many parameters the text uses: `@p1…` (SQL Server), `$1…` (PostgreSQL), `?` (MySQL). */
export function placeholdersIn(sql: string, type: 'mssql' | 'postgres' | 'mysql'): number {
  // Strings and comments do not count.
  const code = sql.replace(/'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  if (type === 'mysql') return (code.match(/\?/g) ?? []).length;
  const pattern = type === 'postgres' ? /\$(\d+)/g : /@p(\d+)\b/gi;
  let max = 0;
  for (const match of code.matchAll(pattern)) max = Math.max(max, Number(match[1]));
  return max;
}
