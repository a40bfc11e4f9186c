import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup, listBackupFiles, pruneBackups } from '../src/backup/index';
import { createMigratedDatabase, testTargets, type TestDatabase } from '../src/testing';

const DAY = 86_400_000;
const now = new Date('2026-12-04T12:00:00.000Z');

describe('backup retention', () => {
  let database: TestDatabase;
  let dir: string;
  /** Backup file names by age in days. */
  const byAge = new Map<number, string>();
  beforeAll(async () => {
    database = await createMigratedDatabase(testTargets[0]!);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  async function freshFolder(ages: readonly number[]): Promise<void> {
    dir = await mkdtemp(path.join(tmpdir(), 'studio-backup-retention-'));
    byAge.clear();
    for (const age of ages) {
      const result = await createBackup(database.database, { dir, appVersion: 'test', now: () => new Date(now.getTime() - age * DAY) });
      byAge.set(age, result.name);
    }
    // Not backups of ours: never listed as prunable, never deleted.
    await writeFile(path.join(dir, 'notes.txt'), 'operator notes');
    await writeFile(path.join(dir, 'broken.studio-backup'), 'STUDIO-BACKUP\nshort');
    await writeFile(path.join(dir, '.studio-pending.studio-backup.123.tmp'), 'a backup being written');
  }

  const remaining = async () => (await readdir(dir)).sort();
  const expected = (ages: readonly number[]) =>
    [...ages.map((age) => byAge.get(age)!), 'notes.txt', 'broken.studio-backup', '.studio-pending.studio-backup.123.tmp'].sort();

  it('keeps the newest N when only a count is set', async () => {
    await freshFolder([0, 1, 2, 3, 40, 50]);
    const removed = await pruneBackups(dir, { keep: 3, maxAgeDays: 0 }, now);
    expect(removed.sort()).toEqual([byAge.get(3), byAge.get(40), byAge.get(50)].sort());
    expect(await remaining()).toEqual(expected([0, 1, 2]));
    await rm(dir, { recursive: true, force: true });
  });

  it('removes those older than D days when only an age is set', async () => {
    await freshFolder([0, 1, 2, 3, 40, 50]);
    await pruneBackups(dir, { keep: 0, maxAgeDays: 30 }, now);
    expect(await remaining()).toEqual(expected([0, 1, 2, 3]));
    await rm(dir, { recursive: true, force: true });
  });

  it('applies both limits together', async () => {
    await freshFolder([0, 1, 2, 3, 40, 50]);
    await pruneBackups(dir, { keep: 14, maxAgeDays: 2 }, now);
    expect(await remaining()).toEqual(expected([0, 1, 2]));
    await pruneBackups(dir, { keep: 2, maxAgeDays: 30 }, now);
    expect(await remaining()).toEqual(expected([0, 1]));
    await rm(dir, { recursive: true, force: true });
  });

  it('never removes the newest backup, however old', async () => {
    await freshFolder([45, 60]);
    await pruneBackups(dir, { keep: 14, maxAgeDays: 30 }, now);
    expect(await remaining()).toEqual(expected([45]));
    const listed = await listBackupFiles(dir);
    expect(listed.map((info) => info.name)).toEqual([byAge.get(45), 'broken.studio-backup']);
    expect(listed[1]?.problem).toMatch(/incomplete/);
    await rm(dir, { recursive: true, force: true });
  });
});
