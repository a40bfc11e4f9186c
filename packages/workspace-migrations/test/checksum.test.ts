import { describe, expect, it } from 'vitest';
import { MigrationDriftError, WorkspaceMigrator } from '../src/index';
import { migrationsFolder, sampleMigrations, tableExists, useWorkspaceServer, workspaceNames } from './helpers';

const server = useWorkspaceServer(workspaceNames(3, 'ck'));

describe('checksums', () => {
  it('an applied migration edited afterwards is a checksum mismatch: drifted, and migrate refuses', async () => {
    const pool = server.pool('ck01');
    const folder = await migrationsFolder({
      'V0001__base.sql': sampleMigrations['V0001__base.sql'] as string,
      'V0002__colours.sql': sampleMigrations['V0002__colours.sql'] as string,
    });
    try {
      await new WorkspaceMigrator({ migrationsDir: folder.dir }).migrate(pool);
      await folder.write('V0002__colours.sql', (sampleMigrations['V0002__colours.sql'] as string).replace("N'blue'", "N'green'"));
      await folder.write('V0003__widget_index.sql', sampleMigrations['V0003__widget_index.sql'] as string);

      const migrator = new WorkspaceMigrator({ migrationsDir: folder.dir });
      const validation = await migrator.validate(pool);
      expect(validation).toMatchObject({ status: 'drifted', current: 2, latest: 3 });
      expect(validation.problems).toEqual([
        expect.objectContaining({ kind: 'checksum_mismatch', version: 2, message: expect.stringContaining('edited after it was applied') }),
      ]);
      const error = await migrator.migrate(pool).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationDriftError);
      expect(error).toMatchObject({ code: 'MIGRATION_DRIFT', problems: validation.problems });
      await expect(migrator.migrate(pool, { dryRun: true })).rejects.toBeInstanceOf(MigrationDriftError);
      await expect(migrator.rollback(pool)).rejects.toBeInstanceOf(MigrationDriftError);
      // Never "fixed": V3 was not applied and the history still holds the old checksum.
      expect((await migrator.status(pool)).entries.map((e) => e.state)).toEqual(['applied', 'checksum_mismatch', 'pending']);
    } finally {
      await folder.remove();
    }
  });

  it('line endings and trailing whitespace do not change the checksum', async () => {
    const pool = server.pool('ck02');
    const folder = await migrationsFolder(sampleMigrations);
    try {
      await new WorkspaceMigrator({ migrationsDir: folder.dir }).migrate(pool);
      const text = sampleMigrations['V0002__colours.sql'] as string;
      await folder.write('V0002__colours.sql', `${text.replace(/\n/g, '   \r\n')}\r\n\r\n`);
      expect((await new WorkspaceMigrator({ migrationsDir: folder.dir }).validate(pool)).status).toBe('current');
    } finally {
      await folder.remove();
    }
  });

  it('a database ahead of the folder is drifted (unknown version)', async () => {
    const pool = server.pool('ck03');
    const folder = await migrationsFolder(sampleMigrations);
    const older = await migrationsFolder({
      'V0001__base.sql': sampleMigrations['V0001__base.sql'] as string,
      'V0002__colours.sql': sampleMigrations['V0002__colours.sql'] as string,
    });
    try {
      await new WorkspaceMigrator({ migrationsDir: folder.dir }).migrate(pool);
      const validation = await new WorkspaceMigrator({ migrationsDir: older.dir }).validate(pool);
      expect(validation).toMatchObject({ status: 'drifted', current: 3, latest: 2 });
      expect(validation.problems).toEqual([expect.objectContaining({ kind: 'unknown_version', version: 3 })]);
      expect(await tableExists(pool, 'dbo.colours')).toBe(true);
    } finally {
      await folder.remove();
      await older.remove();
    }
  });
});
