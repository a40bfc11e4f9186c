import { WorkspacePoolManager, type ConnectionTargetOf } from '@studio/mssql-pool';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateAll, validateSchema, WorkspaceMigrator } from '../src/index';
import { useWorkspaceServer, workspaceNames } from './helpers';

const databases = workspaceNames(3, 'pm');
const server = useWorkspaceServer(databases);
const pools = new WorkspacePoolManager({ defaultPoolSize: 2 });
afterAll(async () => {
  await pools.close();
});

function targetOf(database: string): ConnectionTargetOf<'mssql'> {
  const config = server.emulator.configFor({ database });
  return {
    workspaceId: database,
    connectionId: 'primary',
    type: 'mssql',
    host: config.server,
    port: config.port,
    database,
    user: config.user as string,
    password: config.password as string,
    options: { connectTimeoutMs: 60_000 },
  };
}

describe('with WorkspacePoolManager leases', () => {
  it('migrates every workspace through withConnection and validates on a lease', async () => {
    const migrator = new WorkspaceMigrator({ appliedBy: 'pool-manager-test' });
    const targets = databases.map(targetOf);
    const before = await pools.withConnection(targets[0] as ConnectionTargetOf<'mssql'>, (lease) => validateSchema(lease.pool));
    expect(before.status).toBe('uninitialised');

    const report = await migrateAll(targets, {
      concurrency: 3,
      run: (target) => pools.withConnection(target, (lease) => migrator.migrate(lease.pool)),
    });
    expect(report).toMatchObject({ ok: 3, failed: 0 });
    expect(report.results.map((r) => r.workspace)).toEqual(databases);

    for (const target of targets) {
      const validation = await pools.withConnection(target, (lease) => migrator.validate(lease.pool));
      expect(validation).toMatchObject({ status: 'current', pending: [] });
    }
    // The pinned connection went back to its pool: nothing is left borrowed.
    expect(pools.stats().pools.every((pool) => pool.borrowed === 0)).toBe(true);
  });
});
