// A console run on SQL Server: the batch as one request on a pooled connection (stream mode, so
// rows are counted and dropped past the limit, and an export can pause the driver). Read-only runs
// inside a transaction that is always rolled back. Cancel is a TDS attention.
import sql from 'mssql';
import { serverMessageOf } from '../sql-editor/errors';
import { describeColumn, resultValue, type ResultColumn } from '../sql-editor/types';
import { consoleValue, DatabaseQueryError, type ConsoleValue, type ResultSink, type RunControl, type RunRequest } from './types';

type DriverColumn = Parameters<typeof describeColumn>[0];

export async function runOnSqlServer(pool: sql.ConnectionPool, run: RunRequest, sink: ResultSink, control: RunControl): Promise<{ rolledBack: boolean }> {
  const transaction = run.mode === 'read-only' ? new sql.Transaction(pool) : undefined;
  if (transaction) await transaction.begin();
  try {
    const request = transaction ? new sql.Request(transaction) : pool.request();
    if (Array.isArray(run.parameters)) run.parameters.forEach((value, i) => request.input(`p${i + 1}`, value));
    else for (const [name, value] of Object.entries(run.parameters)) request.input(name.replace(/^@/, ''), value);
    request.stream = true;
    request.arrayRowMode = true;

    const errors: unknown[] = [];
    // SQL Server counts a SELECT's rows in its DONE token too: that count is the set's, not rows affected.
    let setOpen = false;
    let described: ResultColumn[] = [];
    request.on('recordset', (columns: DriverColumn[]) => {
      setOpen = true;
      described = columns.map(describeColumn);
      sink.resultSet(described.map((c) => ({ name: c.name, type: c.type })));
    });
    // The editor's value rules: decimals keep their scale as text, bigint exact, time with its precision.
    request.on('row', (row: unknown[]) => {
      // The driver's own array, converted in place: no second copy of each row.
      for (let i = 0; i < row.length; i++) row[i] = consoleValue(resultValue(row[i], described[i]?.type ?? 'unknown', described[i]?.scale ?? null));
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
    void request.query(run.sql);
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
  } finally {
    // Always rolled back: whatever the batch wrote is gone, even when it failed or was cancelled.
    if (transaction) await transaction.rollback().catch(() => undefined);
  }
  return { rolledBack: transaction !== undefined };
}
