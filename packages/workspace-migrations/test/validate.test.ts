import { describe, expect, it } from 'vitest';
import { validateSchema, WorkspaceMigrator } from '../src/index';
import { migrationsFolder, sampleMigrations, useMigrationsFolder, useWorkspaceServer, workspaceNames } from './helpers';

const server = useWorkspaceServer(workspaceNames(2, 'va'));
const folder = useMigrationsFolder(sampleMigrations);

describe('schema version validation', () => {
  it('walks uninitialised → needs_migration → current, one round trip each, changing nothing', async () => {
    const pool = server.pool('va01');
    const migrator = new WorkspaceMigrator({ migrationsDir: folder.dir });
    const control = server.emulator.control;

    const requestsBefore = control.requestCount;
    const fresh = await migrator.validate(pool);
    expect(control.requestCount - requestsBefore).toBe(1);
    expect(fresh).toEqual({
      status: 'uninitialised',
      current: null,
      latest: 3,
      pending: [
        { version: 1, name: 'base' },
        { version: 2, name: 'colours' },
        { version: 3, name: 'widget_index' },
      ],
      problems: [],
      lastError: null,
    });
    // Validation never creates the history table.
    expect((await migrator.validate(pool)).status).toBe('uninitialised');

    await migrator.migrate(pool, { target: 2 });
    const behind = await migrator.validate(pool);
    expect(behind).toMatchObject({ status: 'needs_migration', current: 2, latest: 3, pending: [{ version: 3, name: 'widget_index' }] });

    await migrator.migrate(pool);
    const before = control.requestCount;
    expect(await migrator.validate(pool)).toMatchObject({ status: 'current', current: 3, latest: 3, pending: [], problems: [] });
    expect(control.requestCount - before).toBe(1);
  });

  it('validateSchema(pool) checks against the packaged migrations', async () => {
    const pool = server.pool('va02');
    const packaged = await new WorkspaceMigrator().migrations();
    expect(await validateSchema(pool)).toMatchObject({ status: 'uninitialised', latest: packaged.at(-1)?.version });
    // A database migrated from some other folder is drifted against ours (unknown or edited versions).
    const other = await migrationsFolder(sampleMigrations);
    try {
      await new WorkspaceMigrator({ migrationsDir: other.dir }).migrate(pool);
      const validation = await validateSchema(pool);
      expect(validation.status).toBe('drifted');
      expect(validation.problems.map((p) => p.kind)).toContain('checksum_mismatch');
    } finally {
      await other.remove();
    }
  });

  it('rejects a target outside the folder', async () => {
    const migrator = new WorkspaceMigrator({ migrationsDir: folder.dir });
    await expect(migrator.migrate(server.pool('va01'), { target: 9 })).rejects.toMatchObject({ code: 'MIGRATION_OPTIONS', field: 'target' });
  });
});
