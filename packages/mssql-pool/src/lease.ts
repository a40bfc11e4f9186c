import type { QueryParams, QueryResult } from './adapters/types';
import type { LeaseHost, PoolEntry } from './entry';
import { PoolClosedError } from './errors';
import type { NativePools } from './events';
import type { DatabaseType } from './target';

/**
 * A lease on a cached pool: while held, the pool is never evicted or swept, and a replaced pool
 * waits for it before closing. Release it exactly once (extra calls are ignored); prefer
 * `manager.withConnection()`, which does that for you.
 */
export class PoolLease<K extends DatabaseType = DatabaseType> {
  readonly #manager: LeaseHost;
  readonly #entry: PoolEntry;
  #released = false;

  /** @internal */
  constructor(manager: LeaseHost, entry: PoolEntry) {
    this.#manager = manager;
    this.#entry = entry;
  }

  get key(): string {
    return this.#entry.key;
  }

  get type(): K {
    return this.#entry.type as K;
  }

  /**
   * The driver's own pool: `mssql.ConnectionPool` (typed parameters, output parameters, multiple
   * recordsets, cancel via `request.cancel()`), `pg.Pool` or mysql2's promise `Pool`. Use it only
   * while the lease is held. A getter on the prototype, so inspecting the lease never walks into
   * the driver's config.
   */
  get pool(): NativePools[K] {
    const driver = this.#entry.driver;
    if (driver === undefined) throw new PoolClosedError(`pool ${this.#entry.key} is closed`);
    return driver.native as NativePools[K];
  }

  get released(): boolean {
    return this.#released;
  }

  /**
   * Driver-neutral query. Parameters: an array binds `@p1..@pN` (mssql), `$1..$N` (postgres),
   * `?` (mysql); an object binds named `@name` parameters (mssql only). Driver errors are rethrown
   * unchanged (SQL Server `number`/`lineNumber`, SQLSTATE `code`, MySQL `errno`).
   */
  async query<Row = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<QueryResult<Row>> {
    const driver = this.#entry.driver;
    if (driver === undefined || this.#entry.state === 'closed') throw new PoolClosedError(`pool ${this.#entry.key} is closed`);
    try {
      return await driver.query<Row>(sql, params);
    } catch (error) {
      this.#manager._reportTrafficError(this.#entry, error);
      throw this.#entry.failureOf(error);
    }
  }

  /**
   * Give the pool back. Pass the error you got from driving `pool` yourself: a lost connection
   * marks the pool unhealthy (as `pg-pool`'s `client.release(err)` does).
   */
  release(error?: unknown): void {
    if (this.#released) return;
    this.#released = true;
    if (error !== undefined) this.#manager._reportTrafficError(this.#entry, error);
    this.#manager._release(this.#entry);
  }

  /** @internal What the caller gets for `error`: why connections are refused, or that the server was lost. */
  _failureOf(error: unknown): unknown {
    return this.#entry.failureOf(error);
  }

  toJSON(): { key: string; type: DatabaseType; released: boolean } {
    return { key: this.key, type: this.type, released: this.#released };
  }
}

