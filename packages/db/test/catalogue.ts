// What the system database's catalogue says of a table, for tests of what a migration made.
import { withSession } from '../src/session';
import type { TestDatabase } from '../src/testing';

/** The columns of public.`table` in order, with their SQL type and whether they take NULL ('YES'/'NO'). */
export async function columnsOf(testDatabase: TestDatabase, table: string) {
  return withSession(testDatabase.database, (session) =>
    session.query<{ name: string; type: string; nullable: string }>(
      `SELECT column_name AS name, data_type AS type, is_nullable AS nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    ),
  );
}
