// MISSION F3: environments are tested on save; a failed test refuses the save with the server's
// reason (nothing written) unless an Owner saves untested. Only Owners/Admins see settings.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { connections, environments } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness, problemOf } from './support/harness';

const GOOD_PASSWORD = 'Environment-Good-Passw0rd';
const WRONG_PASSWORD = 'Environment-Wrong-Passw0rd';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ users: [{ user: 'app', password: GOOD_PASSWORD }], databases: ['appdb'], preload: true });
});

afterAll(async () => {
  await emulator.close();
});

describe.each(testTargets)('environments on $name', (target) => {
  const h = useHarness(target);

  async function setup() {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const admin = await h.user('admin');
    await h.member(ws.id, admin, 'Admin');
    const member = await h.user('member');
    await h.member(ws.id, member, 'Member');
    return { ws, owner: h.caller(owner.principal), admin: h.caller(admin.principal), member: h.caller(member.principal) };
  }

  const params = (password: string) => ({ host: '127.0.0.1', port: emulator.port, database: 'appdb', user: 'app', password });

  async function rowsOf(workspaceId: string) {
    const db = h.testDb.database.db;
    return {
      environments: await db.select().from(environments).where(eq(environments.workspaceId, workspaceId)),
      connections: await db.select().from(connections).where(eq(connections.workspaceId, workspaceId)),
    };
  }

  it('refuses a save whose connection test fails, with the server reason and steps; nothing is saved', async () => {
    const { ws, owner } = await setup();
    const problem = await problemOf(owner.environments.create({ workspaceId: ws.id, name: 'Production', connection: params(WRONG_PASSWORD) }));
    expect(problem).toMatchObject({
      code: 'BAD_REQUEST',
      error: 'connection_operation_failed',
      details: { reason: 'authentication_failed', database_type: 'mssql', error_code: '18456' },
    });
    expect(problem.message).toMatch(/Login failed/);
    expect(problem.details.steps).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'login', ok: false })]));
    expect(JSON.stringify(problem)).not.toContain(WRONG_PASSWORD);
    expect(await rowsOf(ws.id)).toEqual({ environments: [], connections: [] });
    const audit = await h.auditRows(ws.id);
    expect(audit.find((r) => r.action === 'environment.create')).toMatchObject({ outcome: 'failure', details: expect.objectContaining({ errorCode: '18456' }) });
    expect(JSON.stringify(audit)).not.toContain(WRONG_PASSWORD);
  });

  it('saveUntested: an Owner saves with status unknown; an Admin is FORBIDDEN (audited)', async () => {
    const { ws, owner, admin } = await setup();
    const denied = await problemOf(admin.environments.create({ workspaceId: ws.id, name: 'Staging', connection: params(WRONG_PASSWORD), saveUntested: true }));
    expect(denied).toMatchObject({ code: 'FORBIDDEN', error: 'forbidden', details: { action: 'environment.saveUntested', reason: 'owner_only' } });
    expect((await rowsOf(ws.id)).environments).toEqual([]);
    expect((await h.auditRows(ws.id)).find((r) => r.action === 'environment.saveUntested')).toMatchObject({ outcome: 'denied' });

    const saved = await owner.environments.create({ workspaceId: ws.id, name: 'Staging', connection: params(WRONG_PASSWORD), saveUntested: true });
    expect(saved.test).toBeNull();
    expect(saved.environment).toMatchObject({ name: 'Staging', isDefault: true, connection: { type: 'mssql', host: '127.0.0.1', status: 'unknown', hasPassword: true, user: 'app' } });
    expect(saved.environment.connection).not.toHaveProperty('password');

    // Fixing the password (only the password: the rest is merged from the stored connection) saves and is healthy.
    const fixed = await admin.environments.update({ workspaceId: ws.id, environmentId: saved.environment.id, connection: { password: GOOD_PASSWORD } });
    expect(fixed.test).toMatchObject({ success: true });
    expect(fixed.environment.connection).toMatchObject({ status: 'healthy', lastError: null });
    expect(fixed.environment.connectionId).toBe(saved.environment.connectionId);
    const [row] = await h.testDb.database.db.select().from(connections).where(eq(connections.id, saved.environment.connectionId!));
    expect(h.services.keyRing.decrypt(row!.passwordEncrypted!, `connection:${row!.id}:password`)).toBe(GOOD_PASSWORD);

    // An omitted password keeps the stored one: the test still passes.
    const renamedDb = await admin.environments.update({ workspaceId: ws.id, environmentId: saved.environment.id, connection: { database: 'appdb' } });
    expect(renamedDb.test).toMatchObject({ success: true });
  });

  it('a working connection saves with status healthy; the first environment is the default', async () => {
    const { ws, admin } = await setup();
    const first = await admin.environments.create({ workspaceId: ws.id, name: 'Production', connection: { ...params(GOOD_PASSWORD), options: { poolSize: 5, connectTimeoutMs: 3_000 } } });
    expect(first.test).toMatchObject({ success: true, serverVersion: expect.stringMatching(/SQL Server/) });
    expect(first.environment).toMatchObject({ name: 'Production', isDefault: true, connection: { status: 'healthy', options: { poolSize: 5, connectTimeoutMs: 3_000 } } });
    expect(first.environment.connection?.lastTestedAt).toBeInstanceOf(Date);

    // A second environment referencing the same connection; setDefault moves the default.
    const second = await admin.environments.create({ workspaceId: ws.id, name: 'Reporting', connectionId: first.environment.connectionId! });
    expect(second.environment).toMatchObject({ isDefault: false, connectionId: first.environment.connectionId });
    await admin.environments.setDefault({ workspaceId: ws.id, environmentId: second.environment.id });
    const listed = await admin.environments.list({ workspaceId: ws.id });
    expect(listed.items.map((e) => [e.name, e.isDefault])).toEqual([
      ['Production', false],
      ['Reporting', true],
    ]);

    // The default cannot be deleted while another environment exists.
    const conflict = await problemOf(admin.environments.delete({ workspaceId: ws.id, environmentId: second.environment.id }));
    expect(conflict).toMatchObject({ code: 'CONFLICT', details: { reason: 'default_required' } });
    await expect(admin.environments.delete({ workspaceId: ws.id, environmentId: first.environment.id })).resolves.toEqual({ id: first.environment.id, deleted: true, deletedConnectionId: null });

    // Names are unique per workspace.
    const duplicate = await problemOf(admin.environments.create({ workspaceId: ws.id, name: 'Reporting', connectionId: first.environment.connectionId! }));
    expect(duplicate).toMatchObject({ code: 'CONFLICT', details: { field: 'name' } });
  });

  it('validates the form: connectionId xor connection, mssql connections only', async () => {
    const { ws, admin } = await setup();
    const both = await problemOf(admin.environments.create({ workspaceId: ws.id, name: 'x', connectionId: crypto.randomUUID(), connection: params(GOOD_PASSWORD) }));
    expect(both).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input' });
    const pgConnection = await admin.connections.create({ workspaceId: ws.id, name: 'pg', type: 'postgres', host: '10.0.0.8', port: 5432, database: 'd', user: 'u' });
    const wrongType = await problemOf(admin.environments.create({ workspaceId: ws.id, name: 'x', connectionId: pgConnection.id }));
    expect(wrongType).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', details: { field: 'connectionId' } });
    const badHost = await problemOf(admin.environments.create({ workspaceId: ws.id, name: 'x', connection: { ...params(GOOD_PASSWORD), host: 'metadata.test' } }));
    expect(badHost).toMatchObject({ code: 'FORBIDDEN', error: 'outbound_refused', details: { field: 'host', reason: 'cloud_metadata' } });
    expect((await rowsOf(ws.id)).environments).toEqual([]);
  });

  it('Members and Viewers pick from names only; settings are for Owners and Admins', async () => {
    const { ws, admin, member } = await setup();
    const saved = await admin.environments.create({ workspaceId: ws.id, name: 'Production', connection: params(GOOD_PASSWORD) });
    expect(await member.environments.choices({ workspaceId: ws.id })).toEqual({
      items: [{ id: saved.environment.id, name: 'Production', isDefault: true, configured: true, status: 'healthy' }],
      nextCursor: null,
    });
    // One at a time: a refusal that lands before its expect() is attached counts as unhandled.
    for (const call of [
      () => member.environments.list({ workspaceId: ws.id }),
      () => member.environments.get({ workspaceId: ws.id, environmentId: saved.environment.id }),
      () => member.environments.update({ workspaceId: ws.id, environmentId: saved.environment.id, name: 'mine' }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
  });
});
