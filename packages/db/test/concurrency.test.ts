import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/client';
import { defaultMigrationsDir, Migrator, readMigrations } from '../src/migrator';
import { withSession } from '../src/session';
import { runCli } from './run-cli';
import { testTargets, type TestDatabase } from '../src/testing';

async function history(database: Database): Promise<string[]> {
  const rows = await withSession(database, (session) =>
    session.query<{ name: string }>('SELECT name FROM migrations ORDER BY id'),
  );
  return rows.map((row) => row.name);
}

describe.each(testTargets)('concurrent migrations on $name', (target) => {
  let testDatabase: TestDatabase;
  let expected: string[];
  beforeAll(async () => {
    testDatabase = await target.create();
    expected = (await readMigrations(defaultMigrationsDir)).map((file) => file.name);
  });
  afterAll(async () => {
    await testDatabase?.dispose();
  });

  it('two migrators started together apply each migration exactly once', async () => {
    // PGlite: both share the one instance (one session); PostgreSQL: separate pools.
    const second = testDatabase.url ? await testDatabase.openAnother() : testDatabase.database;
    const results = await Promise.all([
      new Migrator(testDatabase.database).migrate(),
      new Migrator(second).migrate(),
      new Migrator(testDatabase.database).migrate(),
    ]);
    const applied = results.flatMap((result) => result.applied.map((entry) => entry.name));
    expect(applied.sort()).toEqual([...expected].sort());
    expect(await history(testDatabase.database)).toEqual(expected);
  });

  it.runIf(target.name === 'postgres')('two `db:migrate` processes started together apply each migration once', async () => {
    const fresh = await target.create();
    try {
      const env = { DATABASE_URL: fresh.url! };
      const runs = await Promise.all([runCli(['migrate'], env), runCli(['migrate'], env)]);
      for (const run of runs) expect(run.code, run.stderr).toBe(0);
      const appliedLines = runs.flatMap((run) => run.stdout.split('\n').filter((line) => line.startsWith('applied ')));
      expect(appliedLines).toHaveLength(expected.length);
      expect(await history(fresh.database)).toEqual(expected);
    } finally {
      await fresh.dispose();
    }
  });
});
