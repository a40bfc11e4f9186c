import { copyFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup, inspectBackupFile, restoreBackup, verifyBackupFile, type BackupManifest } from '../src/backup/index';
import { trailerFor } from '../src/backup/format';
import { BackupError } from '../src/errors';
import { createMigratedDatabase, testTargets, type TestDatabase } from '../src/testing';
import { contentsOf, fillDatabase } from './backup-support';

describe.each(testTargets)('unusable backup files on $name', (target) => {
  let database: TestDatabase;
  let dir: string;
  let good: string;
  let before: Record<string, string[]>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'studio-backup-refusals-'));
    database = await createMigratedDatabase(target);
    await fillDatabase(database.database);
    good = (await createBackup(database.database, { dir, appVersion: 'test' })).file;
    // The target differs from the backup, so a restore that went ahead would show.
    await database.database.db.execute('DELETE FROM audit_log');
    before = await contentsOf(database.database);
  });
  afterAll(async () => {
    await database?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  async function refusal(file: string): Promise<BackupError> {
    const error = await restoreBackup(database.database, file, { force: true }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BackupError);
    // Refused before anything was touched, even with --force.
    expect(await contentsOf(database.database)).toEqual(before);
    return error as BackupError;
  }

  it('refuses a file with one payload byte changed', async () => {
    const file = path.join(dir, 'flipped.studio-backup');
    const bytes = await readFile(good);
    bytes[40] = (bytes[40] ?? 0) ^ 0xff;
    await writeFile(file, bytes);
    expect((await refusal(file)).code).toBe('backup_checksum_mismatch');
  });

  it('refuses a file cut short', async () => {
    const file = path.join(dir, 'cut.studio-backup');
    await copyFile(good, file);
    await truncate(file, Math.floor((await stat(file)).size / 2));
    const error = await refusal(file);
    expect(error.code).toBe('backup_truncated');
    expect(error.message).toMatch(/cut short/);
  });

  it('refuses a file that is not a studio backup', async () => {
    const file = path.join(dir, 'foreign.studio-backup');
    await writeFile(file, 'PGDMP\u0001\u000e\u0000 a pg_dump custom-format file, say');
    expect((await refusal(file)).code).toBe('backup_not_a_backup');
  });

  /** The good file with its manifest changed and the trailer made consistent again, as a writer would. */
  async function withManifest(name: string, change: (manifest: BackupManifest) => void): Promise<string> {
    const layout = await inspectBackupFile(good);
    const manifest = structuredClone(layout.manifest);
    change(manifest);
    const json = Buffer.from(JSON.stringify(manifest));
    const bytes = await readFile(good);
    const file = path.join(dir, name);
    await writeFile(file, Buffer.concat([bytes.subarray(0, layout.payloadEnd), json, trailerFor(json)]));
    return file;
  }

  it('refuses a manifest edited in place', async () => {
    const file = path.join(dir, 'edited.studio-backup');
    const text = (await readFile(good)).toString('latin1');
    const edited = text.replace(/"name":"audit_log","rows":25/, '"name":"audit_log","rows":26');
    expect(edited).not.toBe(text);
    await writeFile(file, Buffer.from(edited, 'latin1'));
    expect((await refusal(file)).code).toBe('backup_checksum_mismatch');
  });

  it('rolls everything back when the loaded rows do not match the manifest', async () => {
    const file = await withManifest('lying.studio-backup', (manifest) => {
      const audit = manifest.tables.find((table) => table.name === 'audit_log');
      if (audit) audit.rows += 1;
    });
    await expect(verifyBackupFile(file)).resolves.toBeDefined();
    const error = await refusal(file);
    expect(error.code).toBe('restore_verification_failed');
    expect(error.message).toMatch(/audit_log/);
  });

  it('refuses a backup of a schema this code does not know', async () => {
    const file = await withManifest('future.studio-backup', (manifest) => manifest.migrations.push('9999_from_the_future'));
    const error = await refusal(file);
    expect(error.code).toBe('backup_unsupported');
    expect(error.message).toMatch(/9999_from_the_future/);
  });
});
