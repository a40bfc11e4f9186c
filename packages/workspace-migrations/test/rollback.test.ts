import { describe, expect, it } from 'vitest';
import { MigrationRollbackError, MigrationTargetError, WorkspaceMigrator } from '../src/index';
import { migrationsFolder, sampleMigrations, tableExists, useMigrationsFolder, useWorkspaceServer, workspaceNames } from './helpers';

const server = useWorkspaceServer(workspaceNames(2, 'rb'));
const folder = useMigrationsFolder(sampleMigrations);

describe('rollback', () => {
  it('undoes N steps newest first, then re-applies', async () => {
    const pool = server.pool('rb01');
    const migrator = new WorkspaceMigrator({ migrationsDir: folder.dir });
    await migrator.migrate(pool);

    const rolledBack = await migrator.rollback(pool, { steps: 2 });
    expect(rolledBack).toMatchObject({ from: 3, to: 1 });
    expect(rolledBack.rolledBack.map((m) => m.version)).toEqual([3, 2]);
    expect(await tableExists(pool, 'dbo.colours')).toBe(false);
    expect(await tableExists(pool, 'dbo.widgets')).toBe(true);
    const status = await migrator.status(pool);
    expect(status).toMatchObject({ status: 'needs_migration', current: 1, lastError: null });
    expect(status.pending.map((p) => p.version)).toEqual([2, 3]);
    expect(status.history.map((row) => row.version)).toEqual([1]);

    const again = await migrator.migrate(pool);
    expect(again.applied.map((m) => m.version)).toEqual([2, 3]);
    expect(await tableExists(pool, 'dbo.colours')).toBe(true);
    expect((await migrator.validate(pool)).status).toBe('current');
  });

  it('rolls back everything, down to an uninitialised database', async () => {
    const pool = server.pool('rb02');
    const migrator = new WorkspaceMigrator({ migrationsDir: folder.dir });
    await migrator.migrate(pool);
    const result = await migrator.rollback(pool, { steps: 3 });
    expect(result.rolledBack.map((m) => m.version)).toEqual([3, 2, 1]);
    expect(await tableExists(pool, 'dbo.widgets')).toBe(false);
    expect(await migrator.validate(pool)).toMatchObject({ status: 'uninitialised', current: null });
    await expect(migrator.rollback(pool)).rejects.toBeInstanceOf(MigrationTargetError);
  });

  it('refuses, changing nothing, when a migration to undo has no down part', async () => {
    const noDown = await migrationsFolder({
      ...sampleMigrations,
      'V0003__widget_index.sql': '-- +up\nCREATE INDEX IX_widgets_name ON dbo.widgets (name);\n',
    });
    try {
      const pool = await server.connect('rb02');
      const migrator = new WorkspaceMigrator({ migrationsDir: noDown.dir });
      await migrator.migrate(pool);
      const error = await migrator.rollback(pool, { steps: 2 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationRollbackError);
      expect(error).toMatchObject({ code: 'MIGRATION_ROLLBACK', version: 3 });
      expect((await migrator.validate(pool)).current).toBe(3);
      expect(await tableExists(pool, 'dbo.colours')).toBe(true);
    } finally {
      await noDown.remove();
    }
  });
});
