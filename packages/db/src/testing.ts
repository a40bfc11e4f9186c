/**
 * The databases every test file runs against: in-memory PGlite always, and
 * a real PostgreSQL server when DATABASE_URL is set. Each `create()` makes a
 * brand-new, empty database (a fresh PGlite, or `CREATE DATABASE
 * studio_test_<random>` on the server) so test files run in parallel.
 * In CI (CI=true) a missing DATABASE_URL is a failure, never a silent skip.
 *
 * Other packages can reuse it: `describe.each(testTargets)(...)`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, type Database } from './client';
import { Migrator } from './migrator';

export interface TestDatabase {
  readonly database: Database;
  /** postgres:// URL of the fresh database; undefined for PGlite. */
  readonly url: string | undefined;
  /** Another independent handle (own pool) on the same database; PGlite cannot share an in-memory instance. */
  openAnother(): Promise<Database>;
  /** Closes every handle and drops the database. */
  dispose(): Promise<void>;
}

export interface TestTarget {
  readonly name: 'pglite' | 'postgres';
  create(): Promise<TestDatabase>;
}

const serverUrl = process.env.DATABASE_URL;
const inCi = process.env.CI === 'true';

const pgliteTarget: TestTarget = {
  name: 'pglite',
  async create() {
    const database = await createDatabase({});
    return {
      database,
      url: undefined,
      openAnother: () => Promise.reject(new Error('an in-memory PGlite has a single handle')),
      dispose: () => database.close(),
    };
  },
};

function databaseUrl(server: string, name: string): string {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

const postgresTarget: TestTarget = {
  name: 'postgres',
  async create() {
    if (!serverUrl) {
      throw new Error('CI=true but DATABASE_URL is not set: the PostgreSQL tests must run in CI');
    }
    const name = `studio_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name}"`);
    } finally {
      await admin.end();
    }
    const url = databaseUrl(serverUrl, name);
    const handles: Database[] = [];
    const open = async () => {
      const handle = await createDatabase({ url, poolSize: 4 });
      handles.push(handle);
      return handle;
    };
    const database = await open();
    return {
      database,
      url,
      openAnother: open,
      async dispose() {
        await Promise.all(handles.map((handle) => handle.close()));
        const dropper = new pg.Client({ connectionString: serverUrl });
        await dropper.connect();
        try {
          await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          await dropper.end();
        }
      },
    };
  },
};

export const testTargets: readonly TestTarget[] = serverUrl || inCi ? [pgliteTarget, postgresTarget] : [pgliteTarget];

/** A fresh database with every committed migration applied. */
export async function createMigratedDatabase(target: TestTarget): Promise<TestDatabase> {
  const testDatabase = await target.create();
  await new Migrator(testDatabase.database).migrate();
  return testDatabase;
}
