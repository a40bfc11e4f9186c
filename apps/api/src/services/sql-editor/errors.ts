// Failures the SQL editor reports with SQL Server's own numbers. The router maps them to the F10
// shape: `{ error: 'sql_error', details: { number, line, … } }`; timeouts are `query_timeout`.
import { QueryTimeoutError } from '../errors';

export interface SqlServerMessage {
  number: number;
  message: string;
  /** Severity (class): ≤ 10 are messages, 11-16 user errors, ≥ 17 server trouble. */
  severity: number;
  state: number;
  /** The line as the editor shows it (publish), or within the procedure (execute). */
  line: number | null;
  /** The line SQL Server reported, relative to its batch or procedure. */
  serverLine: number | null;
  procedure: string | null;
}

/** SQL Server refused a statement (syntax, missing object, THROW, constraint, …). */
export class SqlServerError extends Error {
  readonly code = 'sql_error';
  constructor(
    readonly server: SqlServerMessage,
    readonly extra: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(server.message, options);
    this.name = 'SqlServerError';
  }
}

/** An execution ran past its timeout and was cancelled (TDS attention). */
export class ExecutionTimeoutError extends QueryTimeoutError {
  constructor(
    readonly timeoutMs: number,
    readonly executionId: string,
  ) {
    super(timeoutMs, { executionId });
    this.name = 'ExecutionTimeoutError';
  }
}

interface DriverRequestError {
  number?: unknown;
  message?: unknown;
  class?: unknown;
  state?: unknown;
  lineNumber?: unknown;
  procName?: unknown;
}

/** The SQL Server error inside an mssql RequestError, or null when it carries none (socket, cancel). */
export function serverMessageOf(error: unknown, lineOffset: number | null): SqlServerMessage | null {
  const e = error as DriverRequestError | undefined;
  if (!e || typeof e.number !== 'number') return null;
  const serverLine = typeof e.lineNumber === 'number' && e.lineNumber > 0 ? e.lineNumber : null;
  return {
    number: e.number,
    message: typeof e.message === 'string' ? e.message : 'SQL Server error',
    severity: typeof e.class === 'number' ? e.class : 16,
    state: typeof e.state === 'number' ? e.state : 1,
    line: serverLine === null ? null : lineOffset === null ? serverLine : lineOffset + serverLine - 1,
    serverLine,
    procedure: typeof e.procName === 'string' && e.procName !== '' ? e.procName : null,
  };
}

/**
 * The environment's SQL Server could not be reached (refused, unreachable, lost mid-call, or the
 * pool's circuit is open): `cause` is the pool's or driver's error, which the API maps as before;
 * this adds which environment and host it was, so the person knows what is down.
 */
export class EnvironmentUnavailableError extends Error {
  readonly code = 'environment_unavailable';
  constructor(
    readonly environment: { id: string; name: string; host: string; port: number | null },
    cause: unknown,
  ) {
    super(`environment ${environment.name} (${environment.host}) is unavailable`, { cause });
    this.name = 'EnvironmentUnavailableError';
  }
}
