// A console run on SQL Server: the batch as one request on a pooled connection (stream mode, so
// rows are counted and dropped past the limit, and an export can pause the driver). Read-only runs
// inside a transaction that is always rolled back. Cancel is a TDS attention.
import sql from 'mssql';
import { serverMessageOf } from '../sql-editor/errors';
import { tokenize } from '../sql-editor/tsql';
import { describeColumn, resultValue, type ResultColumn } from '../sql-editor/types';
import { consoleValue, DatabaseQueryError, type ConsoleValue, type ResultSink, type RunControl, type RunRequest } from './types';

type DriverColumn = Parameters<typeof describeColumn>[0];

/** What node-mssql's pool lends: a tedious connection, of which the run needs its transaction state. */
interface PooledConnection {
  inTransaction: boolean;
  close(): void;
}

/** node-mssql's pool as its Request and Transaction use it (public methods its typings leave out). */
interface LendingPool {
  readonly config: sql.config;
  acquire(requester: unknown): Promise<PooledConnection>;
  release(connection: PooledConnection): unknown;
}

/**
 * One pooled connection lent to several requests in turn: node-mssql's Request asks its parent to
 * acquire and release (a Transaction is such a parent). The wrapped read-only batch and, when it did
 * not end its transaction, the rollback after it must reach the same connection.
 */
class PinnedConnection {
  readonly connected = true;

  constructor(
    readonly connection: PooledConnection,
    readonly config: sql.config,
  ) {}

  acquire(_request: unknown, callback: (error: Error | null, connection: PooledConnection, config: sql.config) => void): this {
    process.nextTick(callback, null, this.connection, this.config);
    return this;
  }

  release(): this {
    return this;
  }
}

/** Statements SQL Server takes only as the first of a batch (CREATE VIEW, SET SHOWPLAN_XML, …). */
const FIRST_OF_BATCH = new Set(['CREATE', 'ALTER', 'SET']);

/**
 * Read-only without parameters goes as one request: `BEGIN TRANSACTION;<text>\n;IF @@TRANCOUNT > 0
 * ROLLBACK TRANSACTION` instead of a BEGIN, the text and a ROLLBACK, each its own round trip. The
 * text cannot end the transaction itself (read-only.ts refuses COMMIT, ROLLBACK, SAVE, BEGIN TRAN
 * and EXEC), the prefix sits on the text's first line so the server's line numbers stay the
 * caller's, and a trailing `--` comment ends at our newline. A text that must start its batch keeps
 * the separate BEGIN.
 */
function canWrap(run: RunRequest): boolean {
  if (run.mode !== 'read-only') return false;
  if (Array.isArray(run.parameters) ? run.parameters.length > 0 : Object.keys(run.parameters).length > 0) return false;
  const first = tokenize(run.sql).find((t) => t.kind !== 'op' || t.text !== ';');
  return first === undefined || first.kind !== 'word' || !FIRST_OF_BATCH.has(first.text.toUpperCase());
}

const ROLLBACK_IF_OPEN = 'IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION';
/** The read-only batch as one request (what `runWrapped` sends). */
export function wrappedReadOnly(text: string): string {
  return `BEGIN TRANSACTION;${text}\n;${ROLLBACK_IF_OPEN}`;
}

export async function runOnSqlServer(pool: sql.ConnectionPool, run: RunRequest, sink: ResultSink, control: RunControl): Promise<{ rolledBack: boolean }> {
  if (canWrap(run)) return runWrapped(pool, run, sink, control);
  const transaction = run.mode === 'read-only' ? new sql.Transaction(pool) : undefined;
  if (transaction) await transaction.begin();
  try {
    await runRequest(transaction ? new sql.Request(transaction) : pool.request(), run.sql, run.parameters, sink, control);
  } finally {
    // Always rolled back: whatever the batch wrote is gone, even when it failed or was cancelled.
    if (transaction) await transaction.rollback().catch(() => undefined);
  }
  return { rolledBack: transaction !== undefined };
}

async function runWrapped(pool: sql.ConnectionPool, run: RunRequest, sink: ResultSink, control: RunControl): Promise<{ rolledBack: boolean }> {
  const lender = pool as unknown as LendingPool;
  const connection = await lender.acquire(pool);
  const pinned = new PinnedConnection(connection, lender.config);
  let failed = true;
  try {
    // `as never`: node-mssql types a Request's parent as its own classes; PinnedConnection has the
    // two methods and two fields a Request uses of one.
    await runRequest(new sql.Request(pinned as never), wrappedReadOnly(run.sql), {}, sink, control);
    failed = false;
  } finally {
    // The batch's own ROLLBACK did not run when it was cancelled or an error aborted it: whatever it
    // wrote is undone here, before the connection serves anyone else. tedious follows the
    // transaction from the server's ENVCHANGE tokens; after a failure it is asked regardless.
    if (failed || connection.inTransaction) {
      try {
        await new sql.Request(pinned as never).batch(ROLLBACK_IF_OPEN);
      } catch {
        // A connection whose transaction state is unknown must not go back into use.
        connection.close();
      }
    }
    lender.release(connection);
  }
  return { rolledBack: true };
}

async function runRequest(request: sql.Request, text: string, parameters: RunRequest['parameters'], sink: ResultSink, control: RunControl): Promise<void> {
  if (Array.isArray(parameters)) parameters.forEach((value, i) => request.input(`p${i + 1}`, value));
  else for (const [name, value] of Object.entries(parameters)) request.input(name.replace(/^@/, ''), value);
  request.stream = true;
  request.arrayRowMode = true;

  const errors: unknown[] = [];
  // SQL Server counts a SELECT's rows in its DONE token too: that count is the set's, not rows affected.
  let setOpen = false;
  let described: ResultColumn[] = [];
  // DATE columns: tedious hands over midnight UTC of the day; the console writes the day alone, as
  // PostgreSQL and MySQL write theirs.
  let dateColumns: boolean[] = [];
  request.on('recordset', (columns: DriverColumn[]) => {
    setOpen = true;
    described = columns.map(describeColumn);
    dateColumns = described.map((c) => c.type === 'date');
    sink.resultSet(described.map((c) => ({ name: c.name, type: c.type })));
  });
  // The editor's value rules: decimals keep their scale as text, bigint exact, time with its precision.
  request.on('row', (row: unknown[]) => {
    // The driver's own array, converted in place: no second copy of each row.
    for (let i = 0; i < row.length; i++) {
      const value = resultValue(row[i], described[i]?.type ?? 'unknown', described[i]?.scale ?? null);
      row[i] = dateColumns[i] && value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString().slice(0, 10) : consoleValue(value);
    }
    if (!sink.row(row as ConsoleValue[])) request.pause();
  });
  request.on('rowsaffected', (count: number) => {
    if (setOpen) setOpen = false;
    else sink.rowsAffected(count);
  });
  request.on('info', (info: unknown) => {
    const message = serverMessageOf(info, null);
    if (message) sink.message({ message: message.message, code: String(message.number), level: message.severity <= 10 ? 'info' : 'error' });
  });
  request.on('error', (error: unknown) => errors.push(error));
  sink.flow?.({ pause: () => request.pause(), resume: () => request.resume() });

  const done = new Promise<void>((resolve) => request.once('done', () => resolve()));
  void request.query(text);
  // After query(): mssql resets its cancel flag when a request starts.
  control.onCancel(async () => {
    request.cancel();
  });
  await done;
  const first = errors[0];
  if (first !== undefined) {
    const server = serverMessageOf(first, null);
    if (!server) throw first;
    throw new DatabaseQueryError(String(server.number), server.message, { line: server.serverLine, statement: null }, { cause: first });
  }
}
