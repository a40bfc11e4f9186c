import { describe, expect, it } from 'vitest';
import { validateSchema, WorkspaceMigrator } from '../src/index';
import { tableExists, useWorkspaceServer, workspaceNames } from './helpers';

const databases = workspaceNames(3, 'base');
const server = useWorkspaceServer(databases);

describe('base schema', () => {
  it('a fresh workspace database is uninitialised and gets the base schema as migration 1', async () => {
    const pool = server.pool('base01');
    const before = await validateSchema(pool);
    expect(before).toMatchObject({ status: 'uninitialised', current: null, problems: [], lastError: null });
    expect(before.pending[0]).toEqual({ version: 1, name: 'base_schema' });

    const migrator = new WorkspaceMigrator({ appliedBy: 'base-schema-test' });
    const result = await migrator.migrate(pool);
    expect(result.from).toBeNull();
    expect(result.applied.map((m) => m.version)).toEqual(before.pending.map((p) => p.version));
    expect(result.to).toBe(before.latest);

    for (const table of ['dbo.studio_workspace_info', 'dbo.studio_procedure_deployments', 'dbo.studio_schema_history']) {
      expect(await tableExists(pool, table)).toBe(true);
    }
    const info = await pool.request().query<{ info_value: string }>(
      "SELECT info_value FROM dbo.studio_workspace_info WHERE info_key = N'managed_by'",
    );
    expect(info.recordset[0]?.info_value).toBe('@studio/workspace-migrations');

    const status = await migrator.status(pool);
    expect(status.status).toBe('current');
    const first = status.history[0];
    expect(first).toMatchObject({ version: 1, name: 'base_schema', success: true, appliedBy: 'base-schema-test' });
    expect(first?.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(first?.appliedAt).toBeInstanceOf(Date);
    expect(first?.executionMs).toBeGreaterThanOrEqual(0);
    expect(await validateSchema(pool)).toMatchObject({ status: 'current', pending: [] });
  });

  it('running again applies nothing', async () => {
    const pool = server.pool('base02');
    const migrator = new WorkspaceMigrator();
    await migrator.migrate(pool);
    const again = await migrator.migrate(pool);
    expect(again.applied).toEqual([]);
    expect(again.from).toBe(again.to);
    const history = (await migrator.status(pool)).history;
    expect(new Set(history.map((row) => row.version)).size).toBe(history.length);
  });

  it('each workspace database keeps its own history', async () => {
    const pool = server.pool('base03');
    expect((await validateSchema(pool)).status).toBe('uninitialised');
    await new WorkspaceMigrator().migrate(pool, { target: 1 });
    expect(await validateSchema(pool)).toMatchObject({ status: 'needs_migration', current: 1 });
  });
});
