// A busy system-database pool queues its callers instead of failing them (checkout-queue.ts): the
// API must answer 1,000 concurrent clients from 10 connections without a single 503.
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, type PgDatabaseHandle } from '../src/client';
import { PoolBusyError } from '../src/errors';

const serverUrl = process.env.DATABASE_URL ?? process.env.PG_URL;
/** node-postgres answers `{ rows }`. */
const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

describe.skipIf(!serverUrl)('system-database pool under more callers than connections', () => {
  const handles: PgDatabaseHandle[] = [];
  const open = async (options: { queueMax?: number }) => {
    // A connect deadline far shorter than the queue takes to drain: pg-pool alone would time the
    // waiting callers out with it and they would read as an unreachable server.
    const handle = await createDatabase({ url: serverUrl, poolSize: 2, connectTimeoutMs: 200, queryTimeoutMs: 5_000, ...options });
    if (handle.kind !== 'pg') throw new Error('expected a pg pool');
    handles.push(handle);
    return handle;
  };
  afterAll(async () => {
    await Promise.all(handles.map((handle) => handle.close()));
  });

  it('answers 300 concurrent statements and 20 concurrent transactions on 2 connections', async () => {
    const database = await open({});
    const statements = Array.from({ length: 300 }, (_, i) =>
      database.db.execute(sql`select ${i}::int as n, pg_sleep(0.002)`).then((result) => rowsOf<{ n: number }>(result)[0]?.n),
    );
    const transactions = Array.from({ length: 20 }, (_, i) =>
      database.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_sleep(0.002)`);
        return rowsOf<{ n: number }>(await tx.execute(sql`select ${i}::int as n`))[0]?.n;
      }),
    );
    expect(await Promise.all(statements)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(await Promise.all(transactions)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(database.checkouts).toEqual({ active: 0, waiting: 0, refused: 0 });
    expect(database.client.totalCount).toBeLessThanOrEqual(2);
  });

  it('refuses the callers past the queue cap with PoolBusyError, and serves the rest', async () => {
    const database = await open({ queueMax: 3 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => database.db.execute(sql`select pg_sleep(0.02)`)));
    const refused = results.filter((result) => result.status === 'rejected');
    // 2 running, 3 waiting: the other 5 are told at once.
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(5);
    expect(refused).toHaveLength(5);
    for (const result of refused) {
      const reason = (result as PromiseRejectedResult).reason as Error;
      const busy = reason instanceof PoolBusyError ? reason : reason.cause;
      expect(busy).toBeInstanceOf(PoolBusyError);
      expect((busy as PoolBusyError).code).toBe('pool_queue_full');
    }
    // The pool is not left broken: the next call is answered.
    expect(rowsOf(await database.db.execute(sql`select 1 as one`))).toEqual([{ one: 1 }]);
  });
});
