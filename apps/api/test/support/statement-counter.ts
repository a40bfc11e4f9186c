// Counts the statements an API sends to its system database, by wrapping the real driver's query
// entry points of one database handle (node-postgres pool and its checked-out clients, or PGlite).
// Nothing is answered by the counter: every statement still runs on the database.
import type { Database } from '@studio/db';
import type pg from 'pg';

export interface StatementCounter {
  /** Statements sent since the last reset (a PGlite transaction counts its BEGIN … COMMIT as one). */
  readonly count: number;
  reset(): void;
}

type AnyFunction = (...args: unknown[]) => unknown;

function wrap(target: object, method: string, onCall: () => void): void {
  const original = Reflect.get(target, method) as AnyFunction;
  Reflect.set(target, method, function (this: unknown, ...args: unknown[]) {
    onCall();
    return original.apply(this, args);
  });
}

export function countStatements(database: Database): StatementCounter {
  let count = 0;
  const counted = () => {
    count += 1;
  };
  if (database.kind === 'pg') {
    // pool.query checks a client out too, so counting at the clients counts each statement once.
    const wrapped = new WeakSet<pg.PoolClient>();
    database.client.on('acquire', (client) => {
      if (wrapped.has(client)) return;
      wrapped.add(client);
      wrap(client, 'query', counted);
    });
  } else {
    for (const method of ['query', 'exec', 'transaction']) wrap(database.client, method, counted);
  }
  return {
    get count() {
      return count;
    },
    reset() {
      count = 0;
    },
  };
}
