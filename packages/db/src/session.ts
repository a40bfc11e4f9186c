import type { Database } from './client';

/** Raw SQL on one database session. `exec` accepts several statements. */
export interface SqlRunner {
  query<Row extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  exec(text: string): Promise<void>;
}

export interface DatabaseSession extends SqlRunner {
  /** BEGIN … COMMIT around `fn`; ROLLBACK when it throws. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

/**
 * Runs `fn` on one dedicated session: a checked-out pool client (so
 * session-level advisory locks hold) or the PGlite instance, which is a
 * single session by nature.
 */
export async function withSession<T>(database: Database, fn: (session: DatabaseSession) => Promise<T>): Promise<T> {
  if (database.kind === 'pglite') {
    const pglite = database.client;
    // `query<never>`: rows are typed by the caller's Row; never[] is assignable to any Row[].
    return fn({
      query: async (text, params) => (await pglite.query<never>(text, params)).rows,
      exec: async (text) => {
        await pglite.exec(text);
      },
      transaction: (inner) =>
        pglite.transaction((tx) =>
          inner({
            query: async (text, params) => (await tx.query<never>(text, params)).rows,
            exec: async (text) => {
              await tx.exec(text);
            },
          }),
        ),
    });
  }

  const client = await database.client.connect();
  const runner: SqlRunner = {
    query: async (text, params) => (await client.query(text, params)).rows,
    exec: async (text) => {
      // No parameters: the simple query protocol, which allows several statements.
      await client.query(text);
    },
  };
  let failure: Error | undefined;
  try {
    return await fn({
      ...runner,
      async transaction(inner) {
        await client.query('BEGIN');
        try {
          const result = await inner(runner);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      },
    });
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    // After a failure the session's state (locks, transaction) is unknown: discard the connection.
    client.release(failure);
  }
}
