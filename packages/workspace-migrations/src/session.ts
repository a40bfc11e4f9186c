import sql from 'mssql';
import { MigrationConnectionError } from './errors';

/** mssql accepts `{ requestTimeout }` as a second Request argument; @types/mssql does not declare it. */
type RequestWithOverrides = new (parent: sql.PreparedStatement, overrides: { requestTimeout: number }) => sql.Request;
const RequestWithTimeout = sql.Request as unknown as RequestWithOverrides;

/**
 * One connection taken from the caller's pool and held for a whole run. node-mssql hands each
 * `pool.request()` whichever connection is free, but a session-owned applock, `SET XACT_ABORT`
 * and `BEGIN TRAN` … `COMMIT` across batches all need the same connection. A prepared statement
 * reserves one connection until `unprepare()` without opening a transaction, and
 * `new sql.Request(preparedStatement)` runs on it (a documented Request parent). It uses a
 * connection of the caller's pool, so the pool manager's connection caps still hold.
 */
export class PinnedSession {
  readonly #pool: sql.ConnectionPool;
  readonly #statement: sql.PreparedStatement;
  readonly #requestTimeoutMs: number;
  #closed = false;

  private constructor(pool: sql.ConnectionPool, statement: sql.PreparedStatement, requestTimeoutMs: number) {
    this.#pool = pool;
    this.#statement = statement;
    this.#requestTimeoutMs = requestTimeoutMs;
  }

  static async open(pool: sql.ConnectionPool, requestTimeoutMs: number): Promise<PinnedSession> {
    const statement = new sql.PreparedStatement(pool);
    try {
      await statement.prepare('SELECT 1 AS pinned');
    } catch (error) {
      throw new MigrationConnectionError('cannot reserve a connection for the migration run', error);
    }
    return new PinnedSession(pool, statement, requestTimeoutMs);
  }

  /** A request on the pinned connection; `timeoutMs` 0 waits for ever (long migrations, lock waits). */
  request(timeoutMs = this.#requestTimeoutMs): sql.Request {
    return new RequestWithTimeout(this.#statement, { requestTimeout: timeoutMs });
  }

  /** Sends SQL as a plain batch (SQL_BATCH, as sqlcmd/SSMS do), so `CREATE PROCEDURE` etc. work. */
  batch(text: string, timeoutMs?: number): Promise<sql.IResult<unknown>> {
    return this.request(timeoutMs).batch(text);
  }

  /** Returns the connection to the pool. Idempotent; never throws (the connection may be gone). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#statement.unprepare();
    } catch {
      // node-mssql releases the connection only when sp_unprepare succeeds, so on a lost connection
      // it would stay reserved for ever and the pool's close() would never finish. Hand it back
      // ourselves (internals of mssql 12: `_acquiredConnection`, `ConnectionPool#release`); the
      // pool's validation then discards it, and the server dropped its session lock with it.
      const statement = this.#statement as unknown as { _acquiredConnection?: unknown; prepared: boolean };
      const pool = this.#pool as unknown as { release?: (connection: unknown) => void };
      if (statement._acquiredConnection && typeof pool.release === 'function') {
        pool.release(statement._acquiredConnection);
        statement._acquiredConnection = null;
        statement.prepared = false;
      }
    }
  }
}
