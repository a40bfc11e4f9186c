// One system-database transaction around a change and its audit row. Services hold a database
// handle that joins the transaction of the current `atomically` scope (AsyncLocalStorage), so a
// handler writes `atomically(db, async () => { change; audit })` without threading `tx` through
// every service method: either both rows commit or neither does, and the call is acknowledged
// only after the commit.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { StudioDatabase } from '@studio/db';

interface Scope {
  tx: StudioDatabase;
  /** Writes that must outlive a rollback (denials), run once the transaction has ended. */
  afterwards: (() => Promise<void>)[];
}

const scopes = new AsyncLocalStorage<Scope>();

/**
 * `db` as every service should hold it: inside an `atomically` scope each call goes to the scope's
 * transaction, outside it to `db` itself.
 */
export function scopedDatabase(db: StudioDatabase): StudioDatabase {
  return new Proxy(db, {
    get(target, property) {
      const source = scopes.getStore()?.tx ?? target;
      const value: unknown = Reflect.get(source, property, source);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(source) : value;
    },
  });
}

/**
 * Runs `work` in one transaction of `db` (joining the current one when nested). Keep workspace
 * database calls and slow work (password hashing) outside: the embedded PGlite has one connection,
 * and the transaction holds it.
 */
export async function atomically<T>(db: StudioDatabase, work: () => Promise<T>): Promise<T> {
  if (scopes.getStore() !== undefined) return work();
  const afterwards: Scope['afterwards'] = [];
  try {
    return await db.transaction((tx) => scopes.run({ tx: tx as unknown as StudioDatabase, afterwards }, work));
  } finally {
    for (const task of afterwards) await task();
  }
}

export function inTransaction(): boolean {
  return scopes.getStore() !== undefined;
}

/** Runs `task` once the current transaction has ended (committed or not), or now outside one. */
export async function afterTransaction(task: () => Promise<void>): Promise<void> {
  const scope = scopes.getStore();
  if (scope === undefined) await task();
  else scope.afterwards.push(() => scopes.exit(task));
}
