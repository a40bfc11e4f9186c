// F5 "apply to all": a system Admin migrates every workspace's default environment with bounded
// concurrency, carrying on past failures, and gets one report per workspace; each run is audited
// in its workspace. 20 workspace databases, one of which already has a table migration 2 creates.
import { roles, users } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';
import { useWorkspaceSqlServer } from './support/workspace-migrations';

const COUNT = 20;
const BROKEN = 7;

const databases = Array.from({ length: COUNT }, (_, i) => `all${String(i + 1).padStart(2, '0')}`);
const server = useWorkspaceSqlServer(databases);

describe.each(testTargets)('workspaceMigrations.applyAll ($name)', (target) => {
  const h = useHarness(target);
  beforeAll(() => server.reset());

  async function systemAdmin() {
    const admin = await h.user('sysadmin');
    const db = h.testDb.database.db;
    await db.insert(roles).values({ name: 'Admin' }).onConflictDoNothing();
    const [role] = await db.select({ id: roles.id }).from(roles).where(eq(roles.name, 'Admin'));
    await db.update(users).set({ roleId: role!.id }).where(eq(users.id, admin.id));
    return admin;
  }

  it('20 workspaces, one broken: 19 ok + 1 failed with its reason; the workspace without an environment is skipped', async () => {
    const owner = await h.user('owner');
    const caller = h.caller(owner.principal);
    const workspaces: { id: string; slug: string; database: string }[] = [];
    for (const database of databases) {
      const ws = await h.workspace(owner);
      // Opted out, so nothing is applied before applyAll runs.
      await caller.environments.create({ workspaceId: ws.id, name: 'Production', autoMigrate: false, connection: server.params(database) });
      workspaces.push({ ...ws, database });
    }
    const empty = await h.workspace(owner);
    const broken = workspaces[BROKEN - 1]!;
    await server.query(broken.database, 'CREATE TABLE dbo.studio_import_batches (legacy INT NOT NULL)');

    // A workspace Owner is not a system Admin.
    const denied = await problemOf(caller.workspaceMigrations.applyAll({ concurrency: 4 }));
    expect(denied).toMatchObject({ code: 'FORBIDDEN', details: { action: 'migration.applyAll', reason: 'system_admin_only' } });
    expect((await h.auditRows()).find((row) => row.action === 'migration.applyAll')).toMatchObject({ outcome: 'denied', workspaceId: null });
    expect(await server.history(workspaces[0]!.database)).toEqual([]);

    const admin = await systemAdmin();
    const report = await h.caller(admin.principal).workspaceMigrations.applyAll({ concurrency: 4 });
    expect(report).toMatchObject({ concurrency: 4, ok: COUNT - 1, failed: 1, skipped: 1 });
    expect(report.results).toHaveLength(COUNT + 1);

    const bySlug = new Map(report.results.map((result) => [result.workspaceSlug, result]));
    expect(bySlug.get(empty.slug)).toMatchObject({ ok: false, outcome: 'skipped', reason: 'no_default_environment' });
    expect(bySlug.get(broken.slug)).toMatchObject({
      ok: false,
      outcome: 'failed',
      to: 1,
      migrations: [{ version: 1, name: 'base_schema' }],
      error: { code: 'MIGRATION_FAILED', number: 2714, version: 2, message: expect.stringContaining('studio_import_batches') },
    });
    for (const ws of workspaces.filter((w) => w !== broken)) {
      expect(bySlug.get(ws.slug)).toMatchObject({ ok: true, outcome: 'applied', from: null, to: 2, error: null });
      expect(await server.history(ws.database)).toEqual([
        [1, true],
        [2, true],
      ]);
    }
    // The broken one stays at its last good version, its failure recorded inside it and in its status.
    expect(await server.history(broken.database)).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(await caller.workspaceMigrations.status({ workspaceId: broken.id })).toMatchObject({
      status: 'needs_migration',
      currentVersion: 1,
      lastError: { number: 2714, version: 2 },
      lastRun: { operation: 'apply', outcome: 'failed' },
    });

    // Audited per workspace (trigger applyAll) and once system-wide.
    const brokenAudit = (await h.auditRows(broken.id)).find((row) => row.action === 'migration.apply');
    expect(brokenAudit).toMatchObject({ outcome: 'failure', actorUsername: admin.username, details: expect.objectContaining({ trigger: 'applyAll', error: expect.objectContaining({ number: 2714 }) }) });
    expect((await h.auditRows(workspaces[0]!.id)).find((row) => row.action === 'migration.apply')).toMatchObject({ outcome: 'success', details: expect.objectContaining({ trigger: 'applyAll', versions: [1, 2] }) });
    expect((await h.auditRows()).find((row) => row.action === 'migration.applyAll' && row.outcome === 'failure')).toMatchObject({
      workspaceId: null,
      details: { concurrency: 4, ok: COUNT - 1, failed: 1, skipped: 1, durationMs: expect.any(Number) },
    });

    // A second pass: nothing left to do but the broken one, which still fails the same way.
    const again = await h.caller(admin.principal).workspaceMigrations.applyAll({});
    expect(again).toMatchObject({ ok: COUNT - 1, failed: 1, skipped: 1 });
    expect(again.results.filter((r) => r.ok).every((r) => r.outcome === 'current')).toBe(true);
  }, 180_000);

  it('API tokens never run applyAll', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const token = await h.token(ws.id, 'Owner');
    expect(await problemOf(h.caller(token.principal).workspaceMigrations.applyAll({}))).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'system_admin_only' } });
  });
});
