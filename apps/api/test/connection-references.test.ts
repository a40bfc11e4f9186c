// Deleting a connection shows what refers to it first (connections.references); deleting an
// environment may take the connection it owns along (deleteConnection), never one another
// environment still uses, so no "(environment)" connection is left behind.
import { projects } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './support/harness';

const untested = (name: string) => ({ name, saveUntested: true, autoMigrate: false, connection: { host: '10.9.9.9', port: 1433, database: 'app', user: 'u', password: 'pw-references' } });

describe.each(testTargets)('connection references on $name', (target) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(target);
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it('lists the environments and projects that use a connection; deleting it leaves them without one', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const env = await api.environments.create({ workspaceId: ws.id, ...untested('Production') });
    const connectionId = env.environment.connectionId!;
    await h.testDb.database.db.insert(projects).values({ workspaceId: ws.id, name: 'Imports', connectionId });
    expect(await api.connections.references({ workspaceId: ws.id, connectionId })).toEqual({
      environments: [{ id: env.environment.id, name: 'Production' }],
      projects: [{ id: expect.any(String), name: 'Imports' }],
    });
    await api.connections.delete({ workspaceId: ws.id, connectionId });
    const [environment] = (await api.environments.list({ workspaceId: ws.id })).items;
    expect(environment).toMatchObject({ name: 'Production', connectionId: null });
  });

  it('deletes the environment’s own connection with it when asked, and keeps a shared one', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const first = await api.environments.create({ workspaceId: ws.id, ...untested('Production') });
    const second = await api.environments.create({ workspaceId: ws.id, ...untested('Staging') });
    const ownConnection = second.environment.connectionId!;
    const names = async () => (await api.connections.list({ workspaceId: ws.id })).items.map((c) => c.name);
    expect(await names()).toEqual(['Production (environment)', 'Staging (environment)']);

    const deleted = await api.environments.delete({ workspaceId: ws.id, environmentId: second.environment.id, deleteConnection: true });
    expect(deleted).toEqual({ id: second.environment.id, deleted: true, deletedConnectionId: ownConnection });
    expect(await names()).toEqual(['Production (environment)']);
    const audit = await h.auditRows(ws.id);
    expect(audit.some((r) => r.action === 'connection.delete' && r.targetId === ownConnection)).toBe(true);

    // Shared: a third environment on Production's connection; deleting it keeps the connection.
    const shared = await api.environments.create({ workspaceId: ws.id, name: 'Reporting', connectionId: first.environment.connectionId!, saveUntested: true, autoMigrate: false });
    const kept = await api.environments.delete({ workspaceId: ws.id, environmentId: shared.environment.id, deleteConnection: true });
    expect(kept.deletedConnectionId).toBeNull();
    expect(await names()).toEqual(['Production (environment)']);
  });
});
