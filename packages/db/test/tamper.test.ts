import { appendFile, cp, mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../src/client';
import { MigrationError } from '../src/errors';
import { defaultMigrationsDir, Migrator } from '../src/migrator';
import { withSession } from '../src/session';
import { runCli } from './run-cli';
import { testTargets, type TestDatabase } from '../src/testing';

const setRecordedChecksum = (database: Database, name: string, checksum: string) =>
  withSession(database, (session) => session.query('UPDATE migrations SET checksum = $1 WHERE name = $2', [checksum, name]));

describe.each(testTargets)('tampered migrations on $name', (target) => {
  let testDatabase: TestDatabase;
  let migrationsDir: string;
  let migrator: Migrator;
  beforeAll(async () => {
    testDatabase = await target.create();
    migrationsDir = await mkdtemp(path.join(tmpdir(), 'studio-tamper-'));
    await cp(defaultMigrationsDir, migrationsDir, { recursive: true });
    migrator = new Migrator(testDatabase.database, { migrationsDir });
    await migrator.migrate();
  });
  afterAll(async () => {
    await testDatabase?.dispose();
    await rm(migrationsDir, { recursive: true, force: true });
  });

  it('reports an applied migration whose file was edited, and refuses to migrate or revert', async () => {
    const file = path.join(migrationsDir, '0000_initial.sql');
    await appendFile(file, '\nCREATE TABLE "sneaky" (id int);\n');
    const status = await migrator.status();
    expect(status.problems.map((entry) => [entry.name, entry.state])).toEqual([['0000_initial', 'modified']]);

    const error = await migrator.migrate().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ code: 'migration_checksum_mismatch', migrations: ['0000_initial'] });
    expect((error as Error).message).toContain('0000_initial');
    const tables = await withSession(testDatabase.database, (session) =>
      session.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'sneaky'`),
    );
    expect(tables).toEqual([]);

    await cp(path.join(defaultMigrationsDir, '0000_initial.sql'), file);
    expect((await migrator.status()).problems).toEqual([]);
  });

  it('reports an applied migration whose file disappeared', async () => {
    const last = (await migrator.status()).entries.at(-1)!.name;
    await unlink(path.join(migrationsDir, `${last}.sql`));
    expect((await migrator.status()).problems).toMatchObject([{ name: last, state: 'missing' }]);
    await expect(migrator.migrate()).rejects.toMatchObject({ code: 'migration_file_missing' });
    await expect(migrator.revert()).rejects.toMatchObject({ code: 'migration_file_missing' });
    await cp(path.join(defaultMigrationsDir, `${last}.sql`), path.join(migrationsDir, `${last}.sql`));
  });

  it('reports a tampered checksum in the history table the same way', async () => {
    await setRecordedChecksum(testDatabase.database, '0000_initial', 'f'.repeat(64));
    expect((await migrator.status()).problems).toMatchObject([
      { name: '0000_initial', state: 'modified', recordedChecksum: 'f'.repeat(64) },
    ]);
    await expect(migrator.migrate()).rejects.toMatchObject({ code: 'migration_checksum_mismatch' });
  });

  it('`db:status` prints the modified migration and exits 1', async () => {
    let env: Record<string, string>;
    let dispose: () => Promise<void>;
    if (testDatabase.url) {
      env = { DATABASE_URL: testDatabase.url };
      dispose = async () => undefined;
    } else {
      // A CLI process cannot see an in-memory PGlite: use a persisted one.
      const dataDir = await mkdtemp(path.join(tmpdir(), 'studio-tamper-data-'));
      const persisted = await createDatabase({ dataDir });
      await new Migrator(persisted).migrate();
      await setRecordedChecksum(persisted, '0000_initial', 'f'.repeat(64));
      await persisted.close();
      env = { DATA_DIR: dataDir };
      dispose = () => rm(dataDir, { recursive: true, force: true });
    }
    try {
      const run = await runCli(['status'], env);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toMatch(/MODIFIED\s+0000_initial/);
      const migrate = await runCli(['migrate'], env);
      expect(migrate.code).toBe(1);
      expect(migrate.stderr).toContain('migration_checksum_mismatch');
    } finally {
      await dispose();
    }
  });
});
