// A console run on PostgreSQL: one client from the pool. Without parameters the text goes as one
// simple query (several statements, several result sets); with parameters it is one statement
// (the extended protocol binds $1…$n). Read-only runs inside `BEGIN READ ONLY … ROLLBACK`, so the
// server refuses writes (SQLSTATE 25006). Cancel is pg_cancel_backend from a second session.
import pg from 'pg';
import { consoleValue, DatabaseQueryError, type ConsoleColumn, type ConsoleValue, type ResultSink, type RunControl, type RunRequest } from './types';

/**
 * Built-in type OIDs → names: the driver's own table (`INT4` → `int4`) and the common types it
 * lacks (pseudo-types such as `void` from `SELECT pg_sleep(1)`, `name`, ranges, geometry, arrays),
 * whose OIDs are fixed in PostgreSQL's catalogue. Anything else (an enum, a domain) stays `oid N`.
 */
const MORE_TYPE_NAMES: Record<number, string> = {
  19: 'name', 22: 'int2vector', 30: 'oidvector', 600: 'point', 601: 'lseg', 603: 'box', 628: 'line', 705: 'unknown',
  2249: 'record', 2275: 'cstring', 2277: 'anyarray', 2278: 'void', 2279: 'trigger', 2283: 'anyelement',
  3904: 'int4range', 3906: 'numrange', 3908: 'tsrange', 3910: 'tstzrange', 3912: 'daterange', 3926: 'int8range',
  4072: 'jsonpath', 4191: 'regcollation', 5038: 'pg_snapshot', 5069: 'xid8',
  143: 'xml[]', 199: 'json[]', 651: 'cidr[]', 791: 'money[]', 1000: 'bool[]', 1001: 'bytea[]', 1002: 'char[]', 1003: 'name[]', 1005: 'int2[]', 1007: 'int4[]',
  1009: 'text[]', 1014: 'bpchar[]', 1015: 'varchar[]', 1016: 'int8[]', 1021: 'float4[]', 1022: 'float8[]', 1028: 'oid[]', 1040: 'macaddr[]', 1041: 'inet[]',
  1115: 'timestamp[]', 1182: 'date[]', 1183: 'time[]', 1185: 'timestamptz[]', 1187: 'interval[]', 1231: 'numeric[]', 1270: 'timetz[]', 1561: 'bit[]', 1563: 'varbit[]',
  2210: 'regclass[]', 2211: 'regtype[]', 2287: 'record[]', 2951: 'uuid[]', 3643: 'tsvector[]', 3807: 'jsonb[]', 3905: 'int4range[]', 4073: 'jsonpath[]',
};
const TYPE_NAMES = new Map<number, string>([
  ...Object.entries(pg.types.builtins).map(([name, oid]): [number, string] => [oid as number, name.toLowerCase()]),
  ...Object.entries(MORE_TYPE_NAMES).map(([oid, name]): [number, string] => [Number(oid), name]),
]);
/**
 * `date` and `timestamp` (no time zone) as PostgreSQL writes them: pg reads them as local time of
 * the API's host, so on a host not on UTC a DATE '2026-12-05' became 2026-12-04T23:00:00.000Z.
 */
const WALL_CLOCK_TYPES = new Set<number>([pg.types.builtins.DATE, pg.types.builtins.TIMESTAMP]);
const consoleTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => (WALL_CLOCK_TYPES.has(oid) ? (text: string) => text : pg.types.getTypeParser(oid, format)),
} as pg.CustomTypesConfig;

interface PgResultLike {
  fields: { name: string; dataTypeID: number }[];
  command: string | null;
  rowCount: number | null;
}

interface PgClientInternals {
  processID: number | null;
  connection: { stream: { pause(): void; resume(): void } };
}

type QueryHooks = { handleRowDescription(msg: unknown): void; handleCommandComplete(msg: unknown, connection: unknown): void; _result: PgResultLike; _accumulateRows: unknown };
const BaseQuery = pg.Query as unknown as new (config: pg.QueryConfig & { rowMode: 'array' }, values: undefined, callback: (error: Error | null) => void) => QueryHooks & NodeJS.EventEmitter;

/**
 * pg's Query with an event at each result set's start and end, so sets with no rows keep their
 * place and row counts arrive per statement. It completes through its callback (the client wraps
 * that for its read timeout), yet never keeps rows: they go to the 'row' listener only.
 */
class ConsoleQuery extends BaseQuery {
  override handleRowDescription(msg: unknown): void {
    super.handleRowDescription(msg);
    this._accumulateRows = false;
    this.emit('fields', this._result);
  }

  override handleCommandComplete(msg: unknown, connection: unknown): void {
    super.handleCommandComplete(msg, connection);
    this.emit('complete', this._result);
  }
}

function columnsOf(result: PgResultLike): ConsoleColumn[] {
  return result.fields.map((f) => ({ name: f.name, type: TYPE_NAMES.get(f.dataTypeID) ?? `oid ${f.dataTypeID}` }));
}

/** pg_cancel_backend from a session of its own: the run's own client is busy, and the pool may have no other. */
async function cancelBackend(pool: pg.Pool, processID: number): Promise<void> {
  const Client = (pool as unknown as { Client: typeof pg.Client }).Client;
  const killer = new Client((pool as unknown as { options: pg.ClientConfig }).options);
  killer.on('error', () => undefined);
  try {
    await killer.connect();
    await killer.query('SELECT pg_cancel_backend($1)', [processID]);
  } finally {
    await killer.end().catch(() => undefined);
  }
}

/**
 * Read-only without parameters goes as one simple query: the transaction's start, its snapshot, the
 * text and the ROLLBACK in one round trip instead of three. PostgreSQL parses the whole string
 * before running any of it, so text that does not parse runs nothing (as before); the text cannot
 * end the transaction itself (read-only.ts refuses BEGIN/COMMIT/ROLLBACK/SET TRANSACTION), and a
 * trailing `--` comment ends at the newline before our ROLLBACK.
 */
const READ_ONLY_PREFIX = 'BEGIN READ ONLY;SELECT 1;\n';
const READ_ONLY_SUFFIX = '\n;ROLLBACK';
/** The read-only text as one simple query (what a run without parameters sends). */
export function wrappedReadOnly(text: string): string {
  return `${READ_ONLY_PREFIX}${text}${READ_ONLY_SUFFIX}`;
}
/** Result sets the prefix produces (the snapshot's SELECT 1), not shown to the caller. */
const PREFIX_RESULT_SETS = 1;

export async function runOnPostgres(pool: pg.Pool, run: RunRequest, sink: ResultSink, control: RunControl): Promise<{ rolledBack: boolean }> {
  if (!Array.isArray(run.parameters)) throw new TypeError('PostgreSQL takes positional parameters ($1, $2, …)');
  const values = run.parameters as unknown[];
  const wrapped = run.mode === 'read-only' && values.length === 0;
  const client = await pool.connect();
  const internals = client as unknown as PgClientInternals;
  let failure: unknown;
  // Whether the transaction was ended by the wrapped text's own ROLLBACK.
  let rolledBackInline = false;
  const onNotice = (notice: { message?: string; code?: string; severity?: string }) =>
    sink.message({ message: notice.message ?? '', code: notice.code ?? null, level: (notice.severity ?? 'notice').toLowerCase() });
  client.on('notice', onNotice);
  try {
    if (run.mode === 'read-only' && !wrapped) {
      // One round trip. The SELECT takes the snapshot: after it, SET TRANSACTION READ WRITE is
      // refused by the server.
      await client.query('BEGIN READ ONLY; SELECT 1');
    }
    sink.flow?.({ pause: () => internals.connection.stream.pause(), resume: () => internals.connection.stream.resume() });
    control.onCancel(async () => {
      if (internals.processID !== null) await cancelBackend(pool, internals.processID);
    });
    await new Promise<void>((resolve, reject) => {
      const text = wrapped ? wrappedReadOnly(run.sql) : run.sql;
      let hiddenSets = wrapped ? PREFIX_RESULT_SETS : 0;
      let hidingRows = false;
      const query = new ConsoleQuery({ text, rowMode: 'array', types: consoleTypes, ...(values.length > 0 && { values }) }, undefined, (error) => (error ? reject(error) : resolve()));
      query.on('fields', (result: PgResultLike) => {
        hidingRows = hiddenSets > 0;
        if (hidingRows) hiddenSets--;
        else sink.resultSet(columnsOf(result));
      });
      query.on('row', (row: unknown[]) => {
        if (hidingRows) return;
        // The driver's own array, converted in place: no second copy of each row.
        for (let i = 0; i < row.length; i++) {
          const value = row[i];
          if (value !== null && typeof value === 'object') row[i] = consoleValue(value);
          else if (typeof value === 'bigint' || (typeof value === 'number' && !Number.isFinite(value)) || value === undefined) row[i] = consoleValue(value);
        }
        if (!sink.row(row as ConsoleValue[])) internals.connection.stream.pause();
      });
      query.on('complete', (result: PgResultLike) => {
        if (wrapped && result.command === 'ROLLBACK') rolledBackInline = true;
        else if (result.fields.length === 0 && result.command !== null && result.rowCount !== null) sink.rowsAffected(result.rowCount);
      });
      void client.query(query as unknown as pg.Query);
    });
  } catch (error) {
    failure = error;
    const e = error as { code?: unknown; message?: unknown; position?: unknown };
    if (typeof e.code === 'string' && typeof e.message === 'string') {
      let message = e.message;
      let position = e.position;
      if (wrapped && position !== undefined) {
        const at = Number(position) - READ_ONLY_PREFIX.length;
        // A statement left open at the end of the text meets our `;ROLLBACK`: say it as PostgreSQL
        // says it of the text alone.
        if (at > run.sql.length && e.code === '42601') message = 'syntax error at end of input';
        position = Math.min(Math.max(at, 1), run.sql.length + 1);
      }
      throw new DatabaseQueryError(e.code, message, { line: lineAt(run.sql, position), statement: null }, { cause: error });
    }
    throw error;
  } finally {
    client.off('notice', onNotice);
    let broken = failure !== undefined && (failure as { code?: unknown }).code === undefined;
    if (run.mode === 'read-only' && !broken && !rolledBackInline) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
    }
    client.release(broken ? (failure instanceof Error ? failure : new Error('connection state unknown')) : undefined);
  }
  return { rolledBack: run.mode === 'read-only' };
}

/** PostgreSQL reports a 1-based character position; the editor wants its line. */
function lineAt(text: string, position: unknown): number | null {
  const at = Number(position);
  if (!Number.isInteger(at) || at < 1) return null;
  return text.slice(0, at - 1).split('\n').length;
}
