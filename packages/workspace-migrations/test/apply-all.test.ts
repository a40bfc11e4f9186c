import { beforeAll, describe, expect, it } from 'vitest';
import { migrateAll, WorkspaceMigrator } from '../src/index';
import { sampleMigrations, useMigrationsFolder, useWorkspaceServer, workspaceNames } from './helpers';

const databases = workspaceNames(20);
const broken = 'ws07';
const server = useWorkspaceServer(databases);
const folder = useMigrationsFolder(sampleMigrations);

beforeAll(async () => {
  // ws07 already has a table V2 wants to create: CREATE TABLE fails there with 2714.
  await server.pool(broken).request().batch('CREATE TABLE dbo.colours (id INT NOT NULL)');
});

describe('apply to all workspaces', () => {
  it('migrates 20 databases, reporting 19 ok and the broken one with its SQL Server error', async () => {
    const migrator = new WorkspaceMigrator({ migrationsDir: folder.dir, appliedBy: 'apply-all-test' });
    const report = await migrateAll(databases, {
      concurrency: 4,
      run: (database) => migrator.migrate(server.pool(database)),
    });

    expect(report.results.map((r) => r.workspace)).toEqual(databases);
    expect(report).toMatchObject({ ok: 19, failed: 1, skipped: 0 });
    for (const result of report.results.filter((r) => r.workspace !== broken)) {
      expect(result).toMatchObject({ ok: true, outcome: 'applied', version: 3 });
      expect(result.applied.map((m) => m.version)).toEqual([1, 2, 3]);
    }
    const failed = report.results.find((r) => r.workspace === broken);
    expect(failed).toMatchObject({
      ok: false,
      outcome: 'failed',
      version: 1,
      applied: [{ version: 1, name: 'base' }],
      error: {
        code: 'MIGRATION_FAILED',
        number: 2714,
        message: "There is already an object named 'colours' in the database.",
        version: 2,
      },
    });
    expect(failed?.durationMs).toBeGreaterThanOrEqual(0);

    // The broken database stays at its last good version, with the failure on record.
    const status = await migrator.validate(server.pool(broken));
    expect(status).toMatchObject({ status: 'needs_migration', current: 1, lastError: { version: 2, number: 2714 } });
  });

  it('with continueOnError false, stops starting workspaces after the first failure', async () => {
    const migrator = new WorkspaceMigrator({ migrationsDir: folder.dir });
    const report = await migrateAll(
      databases.map((database) => ({ workspace: database })),
      { concurrency: 1, continueOnError: false, run: (target) => migrator.migrate(server.pool(target.workspace)) },
    );
    const brokenAt = databases.indexOf(broken);
    expect(report).toMatchObject({ ok: brokenAt, failed: 1, skipped: databases.length - brokenAt - 1 });
    expect(report.results.slice(0, brokenAt).every((r) => r.outcome === 'up_to_date')).toBe(true);
    expect(report.results.slice(brokenAt + 1).every((r) => r.outcome === 'skipped')).toBe(true);
  });
});
