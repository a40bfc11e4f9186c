import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultMigrationsDir, Migrator, readMigrations, UNREVIEWED_DOWN_MARKER } from '../src/migrator';
import { withSession } from '../src/session';
import type { Database } from '../src/client';
import { testTargets, type TestDatabase } from '../src/testing';

const EXPECTED_TABLES = [
  'account_tokens',
  'api_tokens',
  'audit_log',
  'backup_runs',
  'connection_access',
  'connections',
  'console_history',
  'environments',
  'import_rejects',
  'import_runs',
  'migrations',
  'procedure_deployments',
  'projects',
  'roles',
  'saved_queries',
  'sessions',
  'stored_procedures',
  'users',
  'workspace_members',
  'workspace_schema_status',
  'workspaces',
];

async function publicObjects(database: Database) {
  return withSession(database, async (session) => {
    const tables = await session.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    const types = await session.query<{ name: string }>(
      `SELECT t.typname AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
       WHERE n.nspname = 'public' AND t.typtype = 'e' ORDER BY 1`,
    );
    const functions = await session.query<{ name: string }>(
      `SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`,
    );
    return {
      tables: tables.map((row) => row.name),
      types: types.map((row) => row.name),
      functions: functions.map((row) => row.name),
    };
  });
}

describe.each(testTargets)('migrations on $name', (target) => {
  let testDatabase: TestDatabase;
  beforeAll(async () => {
    testDatabase = await target.create();
  });
  afterAll(async () => {
    await testDatabase?.dispose();
  });

  it('migrates up from empty, down to empty, and up again', async () => {
    const { database } = testDatabase;
    const migrator = new Migrator(database);
    const files = await readMigrations(defaultMigrationsDir);
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(files.every((file) => file.downPath)).toBe(true);

    const first = await migrator.migrate();
    expect(first.applied.map((entry) => entry.name)).toEqual(files.map((file) => file.name));
    const up = await publicObjects(database);
    expect(up.tables).toEqual(EXPECTED_TABLES);
    expect(up.types).toEqual([
      'account_token_kind',
      'audit_outcome',
      'connection_access_level',
      'connection_status',
      'connection_type',
      'console_access',
      'console_run_outcome',
      'stored_procedure_status',
      'workspace_role',
    ]);
    expect([...up.functions].sort()).toEqual(['api_tokens_revoke_of_deleted_user', 'workspace_member_count_sync']);
    expect((await migrator.migrate()).applied).toEqual([]);

    const reverted: string[] = [];
    for (let next = await migrator.revert(); next; next = await migrator.revert()) reverted.push(next.name);
    expect(reverted).toEqual(files.map((file) => file.name).reverse());
    const down = await publicObjects(database);
    expect(down).toEqual({ tables: ['migrations'], types: [], functions: [] });
    expect((await migrator.status()).pending).toEqual(files.map((file) => file.name));

    const again = await migrator.migrate();
    expect(again.applied).toHaveLength(files.length);
    const status = await migrator.status();
    expect(status.problems).toEqual([]);
    expect(status.entries.every((entry) => entry.state === 'applied')).toBe(true);
  });

  it('records name, sha256 checksum, time and duration of each migration', async () => {
    const rows = await withSession(testDatabase.database, (session) =>
      session.query<{ name: string; checksum: string; applied_at: unknown; execution_ms: number }>(
        'SELECT name, checksum, applied_at, execution_ms FROM migrations ORDER BY id',
      ),
    );
    const files = await readMigrations(defaultMigrationsDir);
    expect(rows.map((row) => [row.name, row.checksum])).toEqual(files.map((file) => [file.name, file.checksum]));
    for (const row of rows) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.applied_at).toBeInstanceOf(Date);
      expect(row.execution_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it('rolls back a failing migration completely and leaves it pending', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'studio-migrations-'));
    try {
      await cp(defaultMigrationsDir, dir, { recursive: true });
      await writeFile(
        path.join(dir, '9000_broken.sql'),
        'CREATE TABLE "half_done" (id int);\n--> statement-breakpoint\nSELECT * FROM "no_such_table";\n',
      );
      await writeFile(path.join(dir, '9000_broken.down.sql'), 'DROP TABLE "half_done";\n');
      const migrator = new Migrator(testDatabase.database, { migrationsDir: dir });
      await expect(migrator.migrate()).rejects.toMatchObject({
        code: 'migration_failed',
        message: expect.stringContaining('9000_broken.sql:3'),
      });
      const objects = await publicObjects(testDatabase.database);
      expect(objects.tables).not.toContain('half_done');
      expect((await migrator.status()).pending).toEqual(['9000_broken']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to revert with a down file that was generated and never reviewed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'studio-migrations-'));
    try {
      await cp(defaultMigrationsDir, dir, { recursive: true });
      await writeFile(path.join(dir, '9001_extra.sql'), 'CREATE TABLE "extra" (id int);\n');
      await writeFile(path.join(dir, '9001_extra.down.sql'), `${UNREVIEWED_DOWN_MARKER}\nDROP TABLE "extra";\n`);
      const migrator = new Migrator(testDatabase.database, { migrationsDir: dir });
      await migrator.migrate();
      await expect(migrator.revert()).rejects.toMatchObject({ code: 'down_migration_unfilled' });
      const reviewed = (await readFile(path.join(dir, '9001_extra.down.sql'), 'utf8')).replace(`${UNREVIEWED_DOWN_MARKER}\n`, '');
      await writeFile(path.join(dir, '9001_extra.down.sql'), reviewed);
      await expect(migrator.revert()).resolves.toMatchObject({ name: '9001_extra' });
      expect((await publicObjects(testDatabase.database)).tables).not.toContain('extra');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
