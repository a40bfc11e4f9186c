// Workspaces and memberships: the creator becomes Owner; members are managed by Owners/Admins.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { useHarness, problemOf } from './support/harness';

describe.each(testTargets)('workspaces on $name', (target) => {
  const h = useHarness(target);

  it('creates a workspace with its creator as Owner and lists it', async () => {
    const creator = await h.user();
    const api = h.caller(creator.principal);
    const slug = `team-${creator.id.slice(0, 8)}`;
    const ws = await api.workspaces.create({ name: 'Team', slug });
    expect(ws).toMatchObject({ name: 'Team', slug, role: 'Owner', memberCount: 1 });
    expect((await api.workspaces.listMine()).items).toEqual([expect.objectContaining({ id: ws.id, role: 'Owner' })]);
    const second = await api.workspaces.create({ name: 'Second', slug: `${slug}-2` });
    const page1 = await api.workspaces.listMine({ limit: 1 });
    const page2 = await api.workspaces.listMine({ limit: 1, cursor: page1.nextCursor! });
    expect([...page1.items, ...page2.items].map((w) => w.id)).toEqual([ws.id, second.id]);
    expect(page2.nextCursor).toBeNull();
    expect(await problemOf(api.workspaces.create({ name: 'Again', slug }))).toMatchObject({ code: 'CONFLICT', details: { field: 'slug' } });
    expect(await problemOf(api.workspaces.create({ name: 'Bad', slug: 'Not A Slug' }))).toMatchObject({
      code: 'BAD_REQUEST',
      details: { fields: [expect.objectContaining({ path: 'slug' })] },
    });
    const audit = await h.auditRows(ws.id);
    expect(audit).toEqual([expect.objectContaining({ action: 'workspace.create', outcome: 'success', actorUserId: creator.id })]);
    expect(ws).not.toHaveProperty('createdBy');
  });

  it('adds, pages, re-roles and removes members', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const a = await h.user('a');
    const b = await h.user('b');
    await api.workspaces.addMember({ workspaceId: ws.id, username: a.username, role: 'Viewer' });
    await api.workspaces.addMember({ workspaceId: ws.id, userId: b.id });
    expect(await problemOf(api.workspaces.addMember({ workspaceId: ws.id, userId: b.id }))).toMatchObject({ code: 'CONFLICT', details: { field: 'userId' } });
    expect(await problemOf(api.workspaces.addMember({ workspaceId: ws.id, username: 'no-such-user' }))).toMatchObject({
      code: 'BAD_REQUEST',
      details: { field: 'username' },
    });

    const page1 = await api.workspaces.members({ workspaceId: ws.id, limit: 2 });
    const page2 = await api.workspaces.members({ workspaceId: ws.id, limit: 2, cursor: page1.nextCursor! });
    const all = [...page1.items, ...page2.items];
    expect(all.map((m) => m.userId).sort()).toEqual([owner.id, a.id, b.id].sort());
    expect(all.find((m) => m.userId === b.id)?.role).toBe('Member');
    expect(page2.nextCursor).toBeNull();

    expect(await api.workspaces.setMemberRole({ workspaceId: ws.id, userId: a.id, role: 'Admin' })).toMatchObject({ previousRole: 'Viewer', role: 'Admin' });
    await api.workspaces.removeMember({ workspaceId: ws.id, userId: b.id });
    expect((await api.workspaces.get({ workspaceId: ws.id })).memberCount).toBe(2);
    const actions = (await h.auditRows(ws.id)).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['member.add', 'member.setRole', 'member.remove']));
  });
});
