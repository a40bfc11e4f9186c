import { describe, expect, it } from 'vitest';
import { checksumOf, loadMigrations, MigrationFileError, parseMigration, splitBatches, WorkspaceMigrator } from '../src/index';
import { migrationsFolder, sampleMigrations } from './helpers';

describe('migration files', () => {
  it('splits on GO lines (any case, surrounding blanks) and keeps file line numbers', () => {
    const batches = splitBatches('SELECT 1;\n  go  \n\nSELECT 2;\nGo\n-- only a comment\nGO\nSELECT 3;', 10);
    expect(batches.map((b) => [b.sql.trim(), b.startLine])).toEqual([
      ['SELECT 1;', 10],
      ['SELECT 2;', 12],
      ['SELECT 3;', 17],
    ]);
    expect(splitBatches("SELECT 'GO';\nSELECT 1 AS go_on;")).toHaveLength(1);
    expect(() => splitBatches('SELECT 1;\nGO 5')).toThrow(MigrationFileError);
  });

  it('parses -- +up / -- +down sections and no-transaction', () => {
    const migration = parseMigration('V0007__add_thing.sql', '-- header\n-- +up no-transaction\nCREATE INDEX a ON t (c);\n-- +down\nDROP INDEX a ON t;\n');
    expect(migration).toMatchObject({ version: 7, name: 'add_thing', up: { transactional: false }, down: { transactional: true } });
    expect(migration.checksum).toBe(checksumOf('CREATE INDEX a ON t (c);'));
    expect(parseMigration('V1__x.sql', '-- +up\nSELECT 1;').down).toBeUndefined();
  });

  it.each([
    ['0001_base.sql', '-- +up\nSELECT 1;', /named V<version>__<name>\.sql/],
    ['V0__base.sql', '-- +up\nSELECT 1;', /start at 1/],
    ['V1__base.sql', 'SELECT 1;\n-- +up\nSELECT 1;', /before the -- \+up marker/],
    ['V1__base.sql', '-- +down\nSELECT 1;', /no -- \+up section/],
    ['V1__base.sql', '-- +up\n-- nothing\n-- +down\nSELECT 1;', /no SQL/],
    ['V1__base.sql', '-- +up\nSELECT 1;\n-- +up\nSELECT 2;', /more than one -- \+up/],
    ['V1__base.sql', '-- +up please\nSELECT 1;', /unknown option/],
  ])('rejects %s with %s', (fileName, text, message) => {
    expect(() => parseMigration(fileName, text)).toThrow(message);
  });

  it('rejects gaps and duplicate versions, naming the files', async () => {
    const gap = await migrationsFolder({ 'V0001__a.sql': '-- +up\nSELECT 1;', 'V0003__c.sql': '-- +up\nSELECT 1;' });
    const dup = await migrationsFolder({ 'V0001__a.sql': '-- +up\nSELECT 1;', 'V1__b.sql': '-- +up\nSELECT 1;' });
    try {
      await expect(loadMigrations(gap.dir)).rejects.toThrow(/expected version 2, found V0003__c\.sql/);
      await expect(loadMigrations(dup.dir)).rejects.toThrow(/version 1 is used by both/);
      await expect(loadMigrations(`${gap.dir}-missing`)).rejects.toBeInstanceOf(MigrationFileError);
    } finally {
      await gap.remove();
      await dup.remove();
    }
  });

  it('loads the packaged migrations: base schema first, every one reversible', async () => {
    const migrations = await new WorkspaceMigrator().migrations();
    expect(migrations[0]).toMatchObject({ version: 1, name: 'base_schema' });
    expect(migrations.every((m) => m.down !== undefined)).toBe(true);
    const sample = await migrationsFolder(sampleMigrations);
    try {
      expect((await loadMigrations(sample.dir)).map((m) => m.version)).toEqual([1, 2, 3]);
    } finally {
      await sample.remove();
    }
  });
});
