import { describe, expect, it } from 'vitest';
import { MigrationFailedError, WorkspaceMigrator } from '../src/index';
import { sampleMigrations, tableExists, useMigrationsFolder, useWorkspaceServer, workspaceNames } from './helpers';

const server = useWorkspaceServer(workspaceNames(1, 'lost'));
// V2 waits inside its transaction, so the test can cut the connection mid-migration.
const folder = useMigrationsFolder({
  ...sampleMigrations,
  'V0002__colours.sql': `-- +up
CREATE TABLE dbo.colours (colour_id INT NOT NULL CONSTRAINT PK_colours PRIMARY KEY);
GO
WAITFOR DELAY '00:00:02';
-- +down
DROP TABLE dbo.colours;
`,
});

describe('a connection lost mid-migration', () => {
  it('fails the run without marking the migration applied, and frees the lock', async () => {
    const pool = await server.connect('lost01');
    const warnings: string[] = [];
    const migrator = new WorkspaceMigrator({
      migrationsDir: folder.dir,
      log: (level, message) => level === 'warn' && warnings.push(message),
    });
    const run = migrator.migrate(pool).catch((e: unknown) => e);
    const control = server.emulator.control;
    let victim: number | undefined;
    for (let attempt = 0; attempt < 100 && victim === undefined; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      victim = control.sessions().find((s) => s.database === 'lost01' && s.inTransaction && s.status === 'running')?.spid;
    }
    expect(victim).toBeDefined();
    await control.killSession(victim as number);

    const error = await run;
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect(error).toMatchObject({ version: 2, number: undefined, completed: [{ version: 1 }] });
    expect(warnings.length).toBeGreaterThan(0); // the failure row could not be written

    const fresh = new WorkspaceMigrator({ migrationsDir: folder.dir, lockTimeoutMs: 0 });
    const other = server.pool('lost01');
    expect(await tableExists(other, 'dbo.colours')).toBe(false);
    expect(await fresh.validate(other)).toMatchObject({ status: 'needs_migration', current: 1 });
    // The killed session took its applock with it: a run that may not wait gets it at once.
    expect((await fresh.migrate(other)).applied.map((m) => m.version)).toEqual([2, 3]);
  });
});
