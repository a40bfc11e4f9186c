// F5 through the workspaceMigrations router: status, migrate, rollback and re-apply, dry run,
// permissions and audit, concurrent runs on one database, the schema check when a pool is created
// (behind → needs_migration, ahead or edited → drifted), and the optional query gate.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkspacePoolManager, type ConnectionTarget, type NativePools } from '@studio/mssql-pool';
import { testTargets } from '@studio/db/testing';
import { defaultMigrationsDir } from '@studio/workspace-migrations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContextInner } from '../src/context';
import { toTRPCError, problemOf as problemOfError } from '../src/errors';
import { appRouter } from '../src/routers/_app';
import type { Principal } from '../src/services/authorization';
import { SchemaNeedsMigrationError, WorkspaceMigrationService, type WorkspaceMigrationConfig } from '../src/services/workspace-migrations';
import { WorkspaceDatabases } from '../src/services/workspace-databases';
import { createCallerFactory } from '../src/trpc';
import { createLogger } from '../src/logger';
import { problemOf, useHarness, type Harness } from './support/harness';
import { useWorkspaceSqlServer, WS_PASSWORD, workspaceWithRoles } from './support/workspace-migrations';

const createCaller = createCallerFactory(appRouter);

/** A copy of the shipped migrations folder, changed by `change`: another deployment's files. */
function useMigrationsCopy(change: (dir: string) => Promise<void>): { readonly dir: string } {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'studio-api-ws-migrations-'));
    await cp(defaultMigrationsDir, dir, { recursive: true });
    await change(dir);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      if (!dir) throw new Error('folder not made yet');
      return dir;
    },
  };
}

/**
 * Another API instance on the same system database whose migrations folder differs (a newer or
 * an edited deployment): its own pool manager, so its pools are created (and validated) afresh.
 */
function otherInstance(h: Harness, config: Partial<WorkspaceMigrationConfig>) {
  const pools = new WorkspacePoolManager({ connectTimeoutMs: 60_000 });
  const databases = new WorkspaceDatabases({ db: h.services.db, connections: h.services.connections, pools, outboundPolicy: h.services.outboundPolicy });
  const service = new WorkspaceMigrationService({ db: h.services.db, databases, audit: h.services.audit, logger: createLogger('silent') }, config);
  service.attach();
  return {
    pools,
    service,
    /** The schema-gated way this instance's SQL editor reaches a database. */
    withCheckedConnection: <R>(target: { poolTarget: ConnectionTarget }, fn: (pool: NativePools['mssql']) => Promise<R>) =>
      databases.withConnection(target, (lease) => fn(lease.pool as NativePools['mssql'])),
    caller: (principal: Principal) =>
      createCaller(createContextInner({ ...h.services, pools, workspaceMigrations: service, principal, requestMeta: { ip: '203.0.113.9', userAgent: 'vitest' } })),
    close: () => pools.close({ deadlineMs: 1_000 }),
  };
}

const server = useWorkspaceSqlServer(['cycle', 'race', 'behind', 'edited']);
const db = (name: 'cycle' | 'race' | 'behind' | 'edited') => name;

describe.each(testTargets)('workspaceMigrations router ($name)', (target) => {
  const h = useHarness(target);
  beforeAll(() => server.reset());
  const newer = useMigrationsCopy(async (dir) => {
    await writeFile(
      path.join(dir, 'V0003__audit_notes.sql'),
      `-- +up\nCREATE TABLE dbo.studio_audit_notes (note_id INT NOT NULL CONSTRAINT PK_studio_audit_notes PRIMARY KEY, note NVARCHAR(200) NOT NULL);\n-- +down\nDROP TABLE dbo.studio_audit_notes;\n`,
    );
  });
  const edited = useMigrationsCopy(async (dir) => {
    const file = path.join(dir, 'V0001__base_schema.sql');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace("(N'created_by_version', N'1')", "(N'created_by_version', N'1-hotfix')"));
  });

  async function environmentOn(database: string, autoMigrate = true) {
    const roles = await workspaceWithRoles(h);
    const saved = await roles.owner.environments.create({ workspaceId: roles.ws.id, name: 'Production', autoMigrate, connection: server.params(database) });
    return { ...roles, environment: saved.environment };
  }

  it('status, rollback, re-apply and dry runs on the default environment; every run audited', async () => {
    const { ws, admin, member, viewer, environment } = await environmentOn(db('cycle'));
    const status = await member.workspaceMigrations.status({ workspaceId: ws.id });
    expect(status).toMatchObject({
      environmentId: environment.id,
      environmentName: 'Production',
      reachable: true,
      status: 'current',
      currentVersion: 2,
      latestVersion: 2,
      pending: [],
      problems: [],
      lastError: null,
      lastRun: { operation: 'apply', outcome: 'applied', to: 2 },
    });
    expect(status.entries.map((e) => [e.version, e.state])).toEqual([
      [1, 'applied'],
      [2, 'applied'],
    ]);
    expect(await viewer.workspaceMigrations.status({ workspaceSlug: ws.slug, environmentId: environment.id })).toMatchObject({ status: 'current' });

    const rolledBack = await admin.workspaceMigrations.rollback({ workspaceId: ws.id, steps: 1 });
    expect(rolledBack).toMatchObject({ ok: true, operation: 'rollback', outcome: 'rolled_back', from: 2, to: 1, migrations: [{ version: 2, name: 'import_batches' }], error: null });
    expect(await server.history(db('cycle'))).toEqual([[1, true]]);
    expect(await server.tableExists(db('cycle'), 'dbo.studio_import_batches')).toBe(false);
    expect(await member.workspaceMigrations.status({ workspaceId: ws.id })).toMatchObject({ status: 'needs_migration', currentVersion: 1, pending: [{ version: 2, name: 'import_batches' }] });

    // Dry runs print the SQL and change nothing.
    const up = await admin.workspaceMigrations.dryRun({ workspaceId: ws.id });
    expect(up).toMatchObject({ direction: 'up', from: 1, to: 2, plan: [{ version: 2, name: 'import_batches', direction: 'up', transactional: true }] });
    expect(up.script).toContain('CREATE TABLE dbo.studio_import_batches');
    expect(up.script).toContain('INSERT INTO dbo.studio_schema_history');
    const down = await admin.workspaceMigrations.dryRun({ workspaceId: ws.id, direction: 'down', steps: 1 });
    expect(down).toMatchObject({ direction: 'down', from: 1, to: null, plan: [{ version: 1, direction: 'down' }] });
    expect(down.script).toContain('DROP TABLE dbo.studio_workspace_info');
    expect(await server.history(db('cycle'))).toEqual([[1, true]]);

    // More steps than applied: refused before anything runs, naming the field.
    const tooMany = await problemOf(admin.workspaceMigrations.rollback({ workspaceId: ws.id, steps: 5 }));
    expect(tooMany).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', details: { field: 'steps' } });

    const reapplied = await admin.workspaceMigrations.migrate({ workspaceId: ws.id });
    expect(reapplied).toMatchObject({ ok: true, outcome: 'applied', from: 1, to: 2, migrations: [{ version: 2 }] });
    expect(await server.history(db('cycle'))).toEqual([
      [1, true],
      [2, true],
    ]);
    const again = await admin.workspaceMigrations.migrate({ workspaceId: ws.id });
    expect(again).toMatchObject({ ok: true, outcome: 'current', from: 2, to: 2, migrations: [] });

    const audit = (await h.auditRows(ws.id)).filter((row) => row.action.startsWith('migration.')).sort((a, b) => a.at.getTime() - b.at.getTime());
    expect(audit.map((row) => [row.action, row.outcome, (row.details as { trigger?: string }).trigger])).toEqual([
      ['migration.apply', 'success', 'environment.save'],
      ['migration.rollback', 'success', 'api'],
      ['migration.rollback', 'failure', 'api'],
      ['migration.apply', 'success', 'api'],
      ['migration.apply', 'success', 'api'],
    ]);
    expect(audit[1]).toMatchObject({ actorUsername: expect.stringMatching(/^admin_/), ip: '203.0.113.7', details: expect.objectContaining({ from: 2, to: 1, versions: [2], executionMs: expect.any(Number), durationMs: expect.any(Number) }) });
    expect(JSON.stringify(audit)).not.toContain(WS_PASSWORD);
  });

  it('Members and Viewers read status only; refusals are FORBIDDEN and audited', async () => {
    const { ws, member, viewer } = await environmentOn(db('cycle'));
    for (const call of [
      () => member.workspaceMigrations.migrate({ workspaceId: ws.id }),
      () => viewer.workspaceMigrations.rollback({ workspaceId: ws.id, steps: 1 }),
      () => member.workspaceMigrations.dryRun({ workspaceId: ws.id }),
    ]) {
      expect(await problemOf(call())).toMatchObject({ code: 'FORBIDDEN', error: 'forbidden', details: { action: 'migration.apply' } });
    }
    const denied = (await h.auditRows(ws.id)).filter((row) => row.action === 'migration.apply' && row.outcome === 'denied');
    expect(denied).toHaveLength(3);
    expect(await server.history(db('cycle'))).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it('two concurrent runs on one database apply each migration once', async () => {
    const { ws, owner, admin } = await environmentOn(db('race'), false);
    const [first, second] = await Promise.all([owner.workspaceMigrations.migrate({ workspaceId: ws.id }), admin.workspaceMigrations.migrate({ workspaceId: ws.id })]);
    expect([first.outcome, second.outcome].sort()).toEqual(['applied', 'current']);
    expect([...first.migrations, ...second.migrations].map((m) => m.version).sort()).toEqual([1, 2]);
    expect(await server.history(db('race'))).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it('a database behind the folder is needs_migration when its pool is created; the query gate refuses it until migrated', async () => {
    const { ws, owner, people, environment } = await environmentOn(db('behind'));
    expect(environment.migration).toMatchObject({ status: 'current', currentVersion: 2 });
    const newerApi = otherInstance(h, { migrationsDir: newer.dir, refuseQueriesWhenBehind: true });
    try {
      const target = await h.services.workspaceDatabases.targetOf(ws.id, { connectionId: environment.connectionId! });
      const thisApi = { withCheckedConnection: <R>(t: typeof target, fn: (pool: NativePools['mssql']) => Promise<R>) => h.services.workspaceDatabases.withConnection(t, (lease) => fn(lease.pool as NativePools['mssql'])) };
      // The first query creates the pool: the check runs before it and stores the status.
      const refused = await newerApi.withCheckedConnection(target, () => Promise.resolve('ran')).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(SchemaNeedsMigrationError);
      expect(problemOfError(toTRPCError(refused))).toEqual({
        error: 'schema_needs_migration',
        message: expect.stringContaining('schema version 2 of 3'),
        details: { reason: 'needs_migration', connectionId: environment.connectionId, current: 2, latest: 3, pending: [{ version: 3, name: 'audit_notes' }] },
      });
      expect(toTRPCError(refused).code).toBe('PRECONDITION_FAILED');
      const stored = await owner.environments.get({ workspaceId: ws.id, environmentId: environment.id });
      expect(stored.migration).toMatchObject({ status: 'needs_migration', currentVersion: 2, latestVersion: 3, pending: [{ version: 3, name: 'audit_notes' }] });

      // This instance's default (queries allowed) lets the same database through.
      await expect(thisApi.withCheckedConnection(target, async (pool) => (await pool.request().query('SELECT 1 AS one')).recordset)).resolves.toEqual([{ one: 1 }]);

      const migrated = await newerApi.caller(people.owner.principal).workspaceMigrations.migrate({ workspaceId: ws.id });
      expect(migrated).toMatchObject({ ok: true, outcome: 'applied', from: 2, to: 3, migrations: [{ version: 3, name: 'audit_notes' }] });
      await expect(newerApi.withCheckedConnection(target, () => Promise.resolve('ran'))).resolves.toBe('ran');

      // For this (older) instance the database is now ahead of its folder: drifted, and never "fixed".
      expect(await owner.workspaceMigrations.status({ workspaceId: ws.id })).toMatchObject({
        status: 'drifted',
        currentVersion: 3,
        problems: [{ kind: 'unknown_version', version: 3 }],
      });
      const refusedRun = await owner.workspaceMigrations.rollback({ workspaceId: ws.id, steps: 1 });
      expect(refusedRun).toMatchObject({ ok: false, outcome: 'drifted', error: { code: 'MIGRATION_DRIFT', problems: [{ kind: 'unknown_version', version: 3 }] } });
      expect(await server.history(db('behind'))).toEqual([
        [1, true],
        [2, true],
        [3, true],
      ]);
    } finally {
      await newerApi.close();
    }
  });

  it('an edited migration is a checksum mismatch: drifted on pool creation and in status, runs refused, nothing rewritten', async () => {
    const { ws, people, environment } = await environmentOn(db('edited'));
    const editedApi = otherInstance(h, { migrationsDir: edited.dir });
    try {
      const target = await h.services.workspaceDatabases.targetOf(ws.id, { connectionId: environment.connectionId! });
      // Drift is reported, not refused: queries still run.
      await expect(editedApi.withCheckedConnection(target, () => Promise.resolve('ran'))).resolves.toBe('ran');
      const stored = await h.caller(people.owner.principal).environments.get({ workspaceId: ws.id, environmentId: environment.id });
      expect(stored.migration).toMatchObject({ status: 'drifted', currentVersion: 2, problems: [{ kind: 'checksum_mismatch', version: 1 }] });

      const caller = editedApi.caller(people.owner.principal);
      const status = await caller.workspaceMigrations.status({ workspaceId: ws.id });
      expect(status).toMatchObject({ status: 'drifted', problems: [{ kind: 'checksum_mismatch', version: 1, message: expect.stringContaining('edited after it was applied') }] });
      expect(status.entries.map((e) => [e.version, e.state])).toEqual([
        [1, 'checksum_mismatch'],
        [2, 'applied'],
      ]);
      expect(await caller.workspaceMigrations.migrate({ workspaceId: ws.id })).toMatchObject({ ok: false, outcome: 'drifted', error: { code: 'MIGRATION_DRIFT' } });
      expect(await problemOf(caller.workspaceMigrations.dryRun({ workspaceId: ws.id }))).toMatchObject({
        code: 'PRECONDITION_FAILED',
        error: 'precondition_failed',
        details: { reason: 'schema_drifted', problems: [{ kind: 'checksum_mismatch', version: 1 }] },
      });
      expect(await server.history(db('edited'))).toEqual([
        [1, true],
        [2, true],
      ]);
    } finally {
      await editedApi.close();
    }
  });

  it('a database that refuses the login: status shows the last known state, a run fails with 18456', async () => {
    const { ws, owner } = await workspaceWithRoles(h);
    await owner.environments.create({ workspaceId: ws.id, name: 'Locked out', saveUntested: true, connection: { ...server.params(db('race')), password: 'Wrong-Passw0rd-Here' } });
    const status = await owner.workspaceMigrations.status({ workspaceId: ws.id });
    expect(status).toMatchObject({ reachable: false, status: 'unknown', error: { code: 'POOL_CREATE', number: 18456, message: expect.stringContaining('login failed') } });
    const run = await owner.workspaceMigrations.migrate({ workspaceId: ws.id });
    expect(run).toMatchObject({ ok: false, outcome: 'failed', error: { number: 18456 } });
    expect(JSON.stringify([status, run])).not.toContain('Wrong-Passw0rd-Here');
  });
});
