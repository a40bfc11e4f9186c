import { describe, expect, it } from 'vitest';
import { WorkspaceMigrator } from '../src/index';
import { sampleMigrations, tableExists, useMigrationsFolder, useWorkspaceServer, workspaceNames } from './helpers';

const server = useWorkspaceServer(workspaceNames(1, 'dry'));
const folder = useMigrationsFolder(sampleMigrations);

describe('dry run', () => {
  it('returns the plan and its SQL, and changes nothing', async () => {
    const pool = server.pool('dry01');
    const migrator = new WorkspaceMigrator({ migrationsDir: folder.dir, appliedBy: "o'brien" });
    const result = await migrator.migrate(pool, { dryRun: true });

    expect(result).toMatchObject({ dryRun: true, from: null, to: 3, applied: [] });
    expect(result.plan.map((p) => [p.version, p.direction, p.batches.length])).toEqual([
      [1, 'up', 2],
      [2, 'up', 2],
      [3, 'up', 1],
    ]);
    expect(result.plan[0]?.batches[1]).toBe("INSERT INTO dbo.widgets (name) VALUES (N'first');");
    const script = result.script;
    expect(script).toContain('CREATE TABLE dbo.studio_schema_history');
    expect(script).toContain('-- V1 base (up)\nBEGIN TRANSACTION;\nGO\nCREATE TABLE dbo.widgets');
    expect(script).toContain("N'o''brien'");
    expect(script.match(/^COMMIT TRANSACTION;$/gm)).toHaveLength(3);
    expect(script.match(/^GO$/gm)?.length).toBeGreaterThanOrEqual(8);

    expect(await tableExists(pool, 'dbo.widgets')).toBe(false);
    expect(await tableExists(pool, 'dbo.studio_schema_history')).toBe(false);
    expect((await migrator.validate(pool)).status).toBe('uninitialised');
  });

  it('previews a rollback with the down SQL', async () => {
    const pool = server.pool('dry01');
    const migrator = new WorkspaceMigrator({ migrationsDir: folder.dir });
    await migrator.migrate(pool);
    const preview = await migrator.rollback(pool, { steps: 2, dryRun: true });
    expect(preview).toMatchObject({ dryRun: true, from: 3, to: 1, rolledBack: [] });
    expect(preview.plan.map((p) => [p.version, p.direction])).toEqual([
      [3, 'down'],
      [2, 'down'],
    ]);
    expect(preview.script).toContain('DROP INDEX IX_widgets_name ON dbo.widgets;');
    expect(preview.script).toContain('DELETE FROM dbo.studio_schema_history WHERE version = 2;');
    expect((await migrator.validate(pool)).current).toBe(3);
  });
});
