import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup, inspectBackupFile, restoreBackup } from '../src/backup/index';
import { createDatabase } from '../src/client';
import { BackupError } from '../src/errors';
import { Migrator } from '../src/migrator';
import { connections, users, workspaces } from '../src/schema/index';
import { withSession } from '../src/session';
import { createMigratedDatabase, testTargets, type TestDatabase } from '../src/testing';
import { contentsOf, fillDatabase } from './backup-support';
import { createUser } from './factories';

describe.each(testTargets)('backup and restore on $name', (target) => {
  let source: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'studio-backup-'));
    source = await createMigratedDatabase(target);
    await fillDatabase(source.database);
  });
  afterAll(async () => {
    await source?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one compressed file whose manifest records versions, counts and the payload hash', async () => {
    const result = await createBackup(source.database, { dir, appVersion: '1.2.3' });
    const { manifest, size } = await inspectBackupFile(result.file);
    expect(size).toBe(result.bytes);
    expect(manifest).toMatchObject({ format: 'studio-backup', formatVersion: 1, appVersion: '1.2.3', compression: 'gzip' });
    expect(manifest.source.engine).toBe(source.database.kind);
    expect(manifest.migrations).toEqual((await new Migrator(source.database).status()).entries.map((entry) => entry.name));
    const contents = await contentsOf(source.database);
    expect(Object.fromEntries(manifest.tables.map((table) => [table.name, table.rows]))).toEqual(
      Object.fromEntries(Object.entries(contents).map(([table, rows]) => [table, rows.length])),
    );
    expect(manifest.tables.find((table) => table.name === 'audit_log')?.rows).toBe(25);
  });

  it('brings every table back to its contents at backup time after rows changed (--force)', async () => {
    const { db } = source.database;
    const before = await contentsOf(source.database);
    const { file } = await createBackup(source.database, { dir, appVersion: 'test' });

    await db.delete(connections);
    await db.update(workspaces).set({ name: 'renamed after the backup' });
    await createUser(db, { username: 'added-after-backup' });
    expect(await contentsOf(source.database)).not.toEqual(before);

    const report = await restoreBackup(source.database, file, { force: true });
    expect(report.migrationsApplied).toEqual([]);
    expect(await contentsOf(source.database)).toEqual(before);
    // Identity columns continue after the restored rows: the next migration record gets a new id.
    const [next] = await withSession(source.database, (session) =>
      session.query<{ id: number }>(`SELECT nextval(pg_get_serial_sequence('public.migrations', 'id'))::int AS id`),
    );
    expect(next?.id).toBeGreaterThan(before.migrations?.length ?? 0);
  });

  it('restores into an empty database on its own', async () => {
    const { file } = await createBackup(source.database, { dir, appVersion: 'test' });
    const empty = await target.create();
    try {
      await restoreBackup(empty.database, file);
      expect(await contentsOf(empty.database)).toEqual(await contentsOf(source.database));
      // The trigger that keeps member counts was re-enabled: adding a member after the restore counts.
      const [workspace] = await empty.database.db.select().from(workspaces).where(eq(workspaces.slug, 'twsbp'));
      expect(workspace?.memberCount).toBe(2);
    } finally {
      await empty.dispose();
    }
  });

  it('refuses a database that holds rows unless forced, changing nothing', async () => {
    const { file } = await createBackup(source.database, { dir, appVersion: 'test' });
    await createUser(source.database.db, { username: 'not-in-the-backup' });
    const before = await contentsOf(source.database);
    const refusal = await restoreBackup(source.database, file).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(BackupError);
    expect((refusal as BackupError).code).toBe('restore_target_not_empty');
    expect((refusal as BackupError).message).toMatch(/--force/);
    expect(await contentsOf(source.database)).toEqual(before);
    expect(await source.database.db.select().from(users).where(eq(users.username, 'not-in-the-backup'))).toHaveLength(1);
  });
});

if (testTargets.some((target) => target.name === 'postgres')) {
  const postgres = testTargets.find((target) => target.name === 'postgres')!;
  const pglite = testTargets.find((target) => target.name === 'pglite')!;

  describe('moving between engines', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'studio-backup-move-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it.each([
      ['PGlite', 'PostgreSQL', pglite, postgres],
      ['PostgreSQL', 'PGlite', postgres, pglite],
    ])('a backup taken on %s restores on %s with every row equal', async (_from, _to, from, to) => {
      const source = await createMigratedDatabase(from);
      const destination = await to.create();
      try {
        await fillDatabase(source.database);
        const { file, manifest } = await createBackup(source.database, { dir, appVersion: 'test' });
        expect(manifest.source.engine).toBe(source.database.kind);
        await restoreBackup(destination.database, file);
        expect(await contentsOf(destination.database)).toEqual(await contentsOf(source.database));
      } finally {
        await source.dispose();
        await destination.dispose();
      }
    });
  });
}

describe('a restore onto a persisted PGlite data folder', () => {
  it('survives closing and reopening the folder', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'studio-backup-dir-'));
    try {
      const source = await createMigratedDatabase(testTargets[0]!);
      await fillDatabase(source.database);
      const { file } = await createBackup(source.database, { dir, appVersion: 'test' });
      const expected = await contentsOf(source.database);
      await source.dispose();
      const folder = await createDatabase({ dataDir: path.join(dir, 'data') });
      await restoreBackup(folder, file);
      await folder.close();
      const reopened = await createDatabase({ dataDir: path.join(dir, 'data') });
      try {
        expect(await contentsOf(reopened)).toEqual(expected);
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
