// F5 "when a new workspace environment is configured, the base schema is applied": saving an
// environment with a new or changed SQL Server connection migrates that database (history rows
// inside it), reports the outcome in the save response and the audit log, and stores it as the
// environment's migration status; opting out skips it; a failing migration never undoes the save.
import { environments } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from './support/harness';
import { useWorkspaceSqlServer, WS_PASSWORD, workspaceWithRoles } from './support/workspace-migrations';

const server = useWorkspaceSqlServer(['fresh', 'optout', 'conflict', 'moved']);
const db = (name: 'fresh' | 'optout' | 'conflict' | 'moved') => name;

describe.each(testTargets)('auto-apply on environment save ($name)', (target) => {
  const h = useHarness(target);
  beforeAll(() => server.reset());

  it('a fresh environment gets the base schema: history rows in the workspace database, status current, audited', async () => {
    const { ws, admin } = await workspaceWithRoles(h);
    const saved = await admin.environments.create({ workspaceId: ws.id, name: 'Production', connection: server.params(db('fresh')) });

    expect(saved.test).toMatchObject({ success: true });
    expect(saved.migration).toEqual({
      status: 'applied',
      version: 2,
      applied: [
        { version: 1, name: 'base_schema', executionMs: expect.any(Number) },
        { version: 2, name: 'import_batches', executionMs: expect.any(Number) },
      ],
    });
    expect(await server.history(db('fresh'))).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(await server.tableExists(db('fresh'), 'dbo.studio_workspace_info')).toBe(true);
    const appliedBy = await server.query<{ applied_by: string }>(db('fresh'), 'SELECT DISTINCT applied_by FROM dbo.studio_schema_history');
    expect(appliedBy.map((row) => row.applied_by)).toEqual([expect.stringMatching(/^admin_\w+ via api@/)]);

    // The environment carries its status, in the save response and in get/list.
    expect(saved.environment).toMatchObject({ autoMigrate: true, migration: { status: 'current', currentVersion: 2, latestVersion: 2, pending: [], problems: [], lastError: null, lastRun: { operation: 'apply', outcome: 'applied', from: null, to: 2 } } });
    const listed = await admin.environments.list({ workspaceId: ws.id });
    expect(listed.items[0]?.migration).toMatchObject({ status: 'current', currentVersion: 2 });

    const audit = await h.auditRows(ws.id);
    expect(audit.find((row) => row.action === 'migration.apply')).toMatchObject({
      outcome: 'success',
      targetType: 'environment',
      targetId: saved.environment.id,
      details: expect.objectContaining({ trigger: 'environment.save', outcome: 'applied', from: null, to: 2, versions: [1, 2], executionMs: expect.any(Number) }),
    });
    // The save's row commits with the save, before the run: it says the run is pending and why; the
    // run's outcome (versions 1 and 2 applied) is the migration.apply row above, written after it.
    const createdRow = audit.find((row) => row.action === 'environment.create');
    expect(createdRow).toMatchObject({ outcome: 'success', targetId: saved.environment.id, details: expect.objectContaining({ migration: { status: 'pending', trigger: 'created' } }) });
    expect(audit.find((row) => row.action === 'migration.apply')!.at.getTime()).toBeGreaterThanOrEqual(createdRow!.at.getTime());
    expect(JSON.stringify(audit)).not.toContain(WS_PASSWORD);

    // Saving without touching the connection runs nothing; a second environment on the same database finds it current.
    const renamed = await admin.environments.update({ workspaceId: ws.id, environmentId: saved.environment.id, description: 'main' });
    expect(renamed.migration).toEqual({ status: 'skipped', version: null, applied: [], reason: 'connection_unchanged' });
    expect((await h.auditRows(ws.id)).find((row) => row.action === 'environment.update')).toMatchObject({
      outcome: 'success',
      details: expect.objectContaining({ migration: { status: 'skipped', version: null, applied: [], reason: 'connection_unchanged' } }),
    });
    const second = await admin.environments.create({ workspaceId: ws.id, name: 'Reporting', connectionId: saved.environment.connectionId! });
    expect(second.migration).toEqual({ status: 'current', version: 2, applied: [] });
    expect(await server.history(db('fresh'))).toHaveLength(2);
  });

  it('an environment that opted out is left alone until auto-migrate is turned on', async () => {
    const { ws, owner } = await workspaceWithRoles(h);
    const saved = await owner.environments.create({ workspaceId: ws.id, name: 'Legacy', autoMigrate: false, connection: server.params(db('optout')) });
    expect(saved.migration).toEqual({ status: 'skipped', version: null, applied: [], reason: 'opted_out' });
    expect(saved.environment.autoMigrate).toBe(false);
    expect(await server.history(db('optout'))).toEqual([]);
    expect(await server.tableExists(db('optout'), 'dbo.studio_schema_history')).toBe(false);
    // The pool created for the connection test is not the manager's; the status row is written
    // once something opens the database through the pool manager (here: turning auto-migrate on).
    const enabled = await owner.environments.update({ workspaceId: ws.id, environmentId: saved.environment.id, autoMigrate: true });
    expect(enabled.migration).toMatchObject({ status: 'applied', version: 2 });
    expect(await server.history(db('optout'))).toEqual([
      [1, true],
      [2, true],
    ]);

    // An Owner's untested save may point at a server that does not answer: nothing is attempted.
    const untested = await owner.environments.create({ workspaceId: ws.id, name: 'Untested', saveUntested: true, connection: { ...server.params(db('optout')), password: 'Not-The-Passw0rd' } });
    expect(untested.migration).toEqual({ status: 'skipped', version: null, applied: [], reason: 'saved_untested' });
  });

  it('a failing migration does not undo the save: reported with SQL Server’s error number, stored as the environment’s status', async () => {
    const { ws, admin } = await workspaceWithRoles(h);
    // The database already has a table the base schema wants to create: CREATE TABLE fails with 2714.
    await server.query(db('conflict'), 'CREATE TABLE dbo.studio_workspace_info (legacy INT NOT NULL)');
    const saved = await admin.environments.create({ workspaceId: ws.id, name: 'Broken', connection: server.params(db('conflict')) });

    expect(saved.migration).toMatchObject({
      status: 'failed',
      version: null,
      applied: [],
      error: { code: 'MIGRATION_FAILED', number: 2714, version: 1, message: expect.stringContaining('studio_workspace_info') },
    });
    const [row] = await h.testDb.database.db.select().from(environments).where(eq(environments.id, saved.environment.id));
    expect(row).toMatchObject({ name: 'Broken', connectionId: saved.environment.connectionId });
    // Nothing of V1 stayed behind except its failure row; the database is at the last good version (none).
    expect(await server.history(db('conflict'))).toEqual([[1, false]]);
    expect(await server.tableExists(db('conflict'), 'dbo.studio_procedure_deployments')).toBe(false);

    const fetched = await admin.environments.get({ workspaceId: ws.id, environmentId: saved.environment.id });
    expect(fetched.migration).toMatchObject({
      status: 'uninitialised',
      currentVersion: null,
      pending: [{ version: 1, name: 'base_schema' }, { version: 2, name: 'import_batches' }],
      lastError: { code: 'MIGRATION_FAILED', number: 2714, version: 1 },
      lastRun: { operation: 'apply', outcome: 'failed' },
    });
    const audit = (await h.auditRows(ws.id)).find((r) => r.action === 'migration.apply');
    expect(audit).toMatchObject({ outcome: 'failure', details: expect.objectContaining({ outcome: 'failed', error: expect.objectContaining({ code: 'MIGRATION_FAILED', number: 2714, version: 1 }) }) });
  });

  it('moving an environment to another database migrates the new one', async () => {
    const { ws, admin } = await workspaceWithRoles(h);
    const saved = await admin.environments.create({ workspaceId: ws.id, name: 'Staging', autoMigrate: false, connection: server.params(db('fresh')) });
    expect(saved.migration.status).toBe('skipped');
    const moved = await admin.environments.update({ workspaceId: ws.id, environmentId: saved.environment.id, autoMigrate: true, connection: { database: db('moved'), password: server.params(db('moved')).password } });
    expect(moved.test).toMatchObject({ success: true });
    expect(moved.migration).toMatchObject({ status: 'applied', version: 2 });
    expect(await server.history(db('moved'))).toEqual([
      [1, true],
      [2, true],
    ]);
  });
});
