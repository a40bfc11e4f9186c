// Per-connection grants: grant (upsert), list, revoke; only workspace members can be granted.
import { environments } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { useHarness, problemOf } from './support/harness';

describe.each(testTargets)('connection access on $name', (target) => {
  const h = useHarness(target);

  it('grants, changes, lists and revokes, auditing each change', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const member = await h.user('member');
    await h.member(ws.id, member, 'Member');
    const outsider = await h.user('outsider');
    const api = h.caller(owner.principal);
    const c = await api.connections.create({ workspaceId: ws.id, name: 'c', type: 'postgres', host: '10.0.0.1', port: 5432, database: 'd', user: 'u' });

    await api.access.grant({ workspaceId: ws.id, connectionId: c.id, userId: member.id, level: 'use' });
    await api.access.grant({ workspaceId: ws.id, connectionId: c.id, userId: member.id, level: 'manage' });
    expect((await api.access.list({ workspaceId: ws.id, connectionId: c.id })).items).toEqual([
      expect.objectContaining({ userId: member.id, username: member.username, level: 'manage', assignedBy: owner.id }),
    ]);
    expect(await problemOf(api.access.grant({ workspaceId: ws.id, connectionId: c.id, userId: outsider.id, level: 'use' }))).toMatchObject({
      code: 'BAD_REQUEST',
      details: { field: 'userId' },
    });
    expect(await api.access.revoke({ workspaceId: ws.id, connectionId: c.id, userId: member.id })).toMatchObject({ previousLevel: 'manage' });
    expect(await api.access.list({ workspaceId: ws.id, connectionId: c.id })).toEqual({ items: [], nextCursor: null });
    expect(await problemOf(api.access.revoke({ workspaceId: ws.id, connectionId: c.id, userId: member.id }))).toMatchObject({ code: 'NOT_FOUND' });

    const audit = (await h.auditRows(ws.id)).filter((r) => r.action.startsWith('access.'));
    expect(audit.map((r) => [r.action, r.details])).toEqual(
      expect.arrayContaining([
        ['access.grant', { userId: member.id, level: 'use' }],
        ['access.grant', { userId: member.id, level: 'manage' }],
        ['access.revoke', { userId: member.id, previousLevel: 'manage' }],
      ]),
    );
  });

  it('reports what a caller may do: grants and the default environment decide for Members', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const member = await h.user();
    const viewer = await h.user();
    await h.member(ws.id, member, 'Member');
    await h.member(ws.id, viewer, 'Viewer');
    const c = await h.services.connections.create(ws.id, { name: 'c', type: 'mssql', host: '10.0.0.1', port: 1433, database: 'd', user: 'u' }, owner.id);
    // The per-action verdicts the UI reads agree with canUse / canManage.
    const ask = async (who: typeof member) => {
      const { canUse, canManage, can } = await h.caller(who.principal).connections.permissions({ workspaceId: ws.id, connectionId: c.id });
      expect(can['connection.test'].allowed).toBe(canUse);
      expect(can['console.run'].allowed).toBe(canUse);
      expect(can['connection.update'].allowed).toBe(canManage);
      expect(can['connection.reset'].allowed).toBe(canManage);
      return { canUse, canManage };
    };
    expect(await ask(owner)).toEqual({ canUse: true, canManage: true });
    expect(await ask(member)).toEqual({ canUse: false, canManage: false });
    await h.testDb.database.db.insert(environments).values({ workspaceId: ws.id, name: 'prod', isDefault: true, connectionId: c.id });
    expect(await ask(member)).toEqual({ canUse: true, canManage: false });
    await h.services.access.grant(ws.id, { connectionId: c.id, userId: member.id, level: 'manage' }, owner.id);
    expect(await ask(member)).toEqual({ canUse: true, canManage: true });
    expect(await ask(viewer)).toEqual({ canUse: false, canManage: false });
  });

  it('limits access changes to 20 per hour', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const member = await h.user();
    await h.member(ws.id, member, 'Member');
    const api = h.caller(owner.principal);
    const c = await api.connections.create({ workspaceId: ws.id, name: 'c', type: 'postgres', host: '10.0.0.1', port: 5432, database: 'd', user: 'u' });
    for (let i = 0; i < 20; i += 1) {
      await api.access.grant({ workspaceId: ws.id, connectionId: c.id, userId: member.id, level: i % 2 ? 'use' : 'manage' });
    }
    expect(await problemOf(api.access.grant({ workspaceId: ws.id, connectionId: c.id, userId: member.id, level: 'use' }))).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      details: { bucket: 'accessChange' },
    });
  });
});
