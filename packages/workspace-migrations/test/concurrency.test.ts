import { describe, expect, it } from 'vitest';
import { MigrationLockedError, WorkspaceMigrator, type MigrationLog } from '../src/index';
import { sampleMigrations, useMigrationsFolder, useWorkspaceServer, workspaceNames } from './helpers';

const server = useWorkspaceServer(workspaceNames(3, 'cc'));
// V2 is slow and runs outside a transaction, so the first runner holds the lock for a while
// without holding the emulator's database lock (which would hide the lock-holder row).
const folder = useMigrationsFolder({
  ...sampleMigrations,
  'V0002__colours.sql': `-- +up no-transaction
WAITFOR DELAY '00:00:01.500';
GO
CREATE TABLE dbo.colours (colour_id INT NOT NULL CONSTRAINT PK_colours PRIMARY KEY);
-- +down
DROP TABLE dbo.colours;
`,
});

function recorder(): { log: MigrationLog; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`) };
}

/** A log that resolves `started` once the run begins V2 (it holds the lock, between transactions). */
function startSignal(): { log: MigrationLog; started: Promise<void> } {
  let resolve!: () => void;
  const started = new Promise<void>((r) => (resolve = r));
  return { started, log: (_level, message) => message.startsWith('applying V2') && resolve() };
}

describe('concurrent runners on one database', () => {
  it('apply each migration exactly once; the second waits for the first', async () => {
    // Two "processes": separate pools, separate migrators.
    const [poolA, poolB] = await Promise.all([server.connect('cc01'), server.connect('cc01')]);
    const logB = recorder();
    const signal = startSignal();
    const a = new WorkspaceMigrator({ migrationsDir: folder.dir, appliedBy: 'runner-a', log: signal.log });
    const b = new WorkspaceMigrator({ migrationsDir: folder.dir, appliedBy: 'runner-b', log: logB.log });

    const first = a.migrate(poolA);
    await signal.started;
    const [resultA, resultB] = await Promise.all([first, b.migrate(poolB)]);

    expect(resultA.applied.map((m) => m.version)).toEqual([1, 2, 3]);
    expect(resultB.applied).toEqual([]);
    expect(resultB.from).toBe(3);
    expect(logB.lines.some((line) => line.includes('waiting for the workspace migration lock') && line.includes('runner-a'))).toBe(true);

    const history = (await a.status(poolA)).history;
    expect(history.filter((row) => row.success).map((row) => row.version)).toEqual([1, 2, 3]);
  });

  it('a runner that may not wait reports who holds the lock', async () => {
    const [poolA, poolB] = await Promise.all([server.connect('cc02'), server.connect('cc02')]);
    const signal = startSignal();
    const a = new WorkspaceMigrator({ migrationsDir: folder.dir, appliedBy: 'runner-a', log: signal.log });
    const b = new WorkspaceMigrator({ migrationsDir: folder.dir, appliedBy: 'runner-b', lockTimeoutMs: 0 });

    const first = a.migrate(poolA);
    await signal.started;
    const error = await b.migrate(poolB).catch((e: unknown) => e);
    await first;

    expect(error).toBeInstanceOf(MigrationLockedError);
    expect(error).toMatchObject({ code: 'MIGRATION_LOCKED', holder: expect.stringContaining('runner-a') });
    expect((error as Error).message).toMatch(/^locked by runner-a \(pid \d+ on .+\) since /);
    // The lock is released afterwards: B can run now (nothing left to do).
    expect((await b.migrate(poolB)).applied).toEqual([]);
  });

  it('locks are per database: a run on one workspace never blocks another', async () => {
    const a = new WorkspaceMigrator({ migrationsDir: folder.dir, appliedBy: 'runner-a' });
    const b = new WorkspaceMigrator({ migrationsDir: folder.dir, appliedBy: 'runner-b', lockTimeoutMs: 0 });
    const [resultA, resultB] = await Promise.all([a.migrate(server.pool('cc03')), b.migrate(server.pool('cc02'))]);
    expect(resultA.applied).toHaveLength(3);
    expect(resultB.applied).toEqual([]);
  });
});
