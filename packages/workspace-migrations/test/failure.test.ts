import { describe, expect, it } from 'vitest';
import { MigrationFailedError, WorkspaceMigrator } from '../src/index';
import { migrationsFolder, sampleMigrations, tableExists, useWorkspaceServer, workspaceNames } from './helpers';

const server = useWorkspaceServer(workspaceNames(2, 'fail'));

// V2's first batch succeeds, its second (lines 8-9 of the file) fails with 207.
const brokenV2 = `-- colours, with a typo in the second batch
-- +up
CREATE TABLE dbo.colours (
  colour_id INT NOT NULL CONSTRAINT PK_colours PRIMARY KEY,
  label NVARCHAR(50) NOT NULL
);
GO
INSERT INTO dbo.colours (colour_id, label)
SELECT 1, lable FROM dbo.widgets;
-- +down
DROP TABLE dbo.colours;
`;

describe('a failing migration', () => {
  it('leaves the last good version, records the error, and is not applied', async () => {
    const pool = server.pool('fail01');
    const folder = await migrationsFolder({ ...sampleMigrations, 'V0002__colours.sql': brokenV2 });
    try {
      const migrator = new WorkspaceMigrator({ migrationsDir: folder.dir, appliedBy: 'failure-test' });
      const error = await migrator.migrate(pool).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(MigrationFailedError);
      expect(error).toMatchObject({
        code: 'MIGRATION_FAILED',
        version: 2,
        migrationName: 'colours',
        direction: 'up',
        number: 207,
        sqlMessage: "Invalid column name 'lable'.",
        completed: [{ version: 1, name: 'base' }],
      });
      expect((error as MigrationFailedError).line).toBeGreaterThanOrEqual(8);
      expect((error as MigrationFailedError).cause).toBeDefined();

      // The first batch of V2 was rolled back with the rest; V3 never ran.
      expect(await tableExists(pool, 'dbo.colours')).toBe(false);
      const status = await migrator.status(pool);
      expect(status).toMatchObject({
        status: 'needs_migration',
        current: 1,
        pending: [
          { version: 2, name: 'colours' },
          { version: 3, name: 'widget_index' },
        ],
        lastError: { version: 2, operation: 'up', number: 207, message: "Invalid column name 'lable'.", by: 'failure-test' },
      });
      expect(status.history.map((row) => [row.version, row.success, row.errorNumber])).toEqual([
        [1, true, null],
        [2, false, 207],
      ]);

      // Fixed file (a migrator reads its folder once, so a new one): the next run applies V2 and V3
      // and the last error clears; the failure stays on record.
      await folder.write('V0002__colours.sql', brokenV2.replace('lable', "N'x'"));
      const fixed = new WorkspaceMigrator({ migrationsDir: folder.dir, appliedBy: 'failure-test' });
      const retry = await fixed.migrate(pool);
      expect(retry.applied.map((m) => m.version)).toEqual([2, 3]);
      const after = await fixed.status(pool);
      expect(after).toMatchObject({ status: 'current', current: 3, lastError: null });
      expect(after.history.filter((row) => !row.success)).toHaveLength(1);
    } finally {
      await folder.remove();
    }
  });

  it('records THROW / RAISERROR errors with their own numbers', async () => {
    const pool = server.pool('fail02');
    const folder = await migrationsFolder({
      'V0001__guarded.sql': `-- +up
CREATE TABLE dbo.guarded (id INT NOT NULL);
GO
IF NOT EXISTS (SELECT 1 FROM dbo.guarded)
  THROW 50001, N'refusing to migrate an empty workspace', 1;
-- +down
DROP TABLE dbo.guarded;
`,
    });
    try {
      const migrator = new WorkspaceMigrator({ migrationsDir: folder.dir });
      await expect(migrator.migrate(pool)).rejects.toMatchObject({ number: 50001, sqlMessage: 'refusing to migrate an empty workspace', version: 1 });
      expect(await tableExists(pool, 'dbo.guarded')).toBe(false);
      expect(await migrator.validate(pool)).toMatchObject({ status: 'uninitialised', current: null, lastError: { number: 50001 } });
    } finally {
      await folder.remove();
    }
  });
});
