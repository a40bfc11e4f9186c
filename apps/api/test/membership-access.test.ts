// Access lives on membership: removing a member takes their connection grants and the API tokens
// they made with them (audited), and a token never acts above its creator's current role.
import { apiTokens, roles, users, workspaceMembers } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf, useHarness } from './support/harness';
import { startTestApp, type TestApp } from './support/http-app';

describe.each(testTargets)('access ends with membership on $name', (target) => {
  const h = useHarness(target);

  async function setup() {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const ownerApi = h.caller(owner.principal);
    const connection = await ownerApi.connections.create({ workspaceId: ws.id, name: 'main', type: 'mssql', host: '10.0.0.5', port: 1433, database: 'd', user: 'sa' });
    return { owner, ws, ownerApi, connection };
  }

  /** What an HTTP request presenting `token` would act as: authenticated afresh, like every request. */
  async function asToken(token: string) {
    const principal = await h.services.tokens.authenticate(token);
    return principal === null ? null : h.caller(principal);
  }

  it('a token a member made stops authorising when the member is removed; the removal is audited', async () => {
    const { ws, ownerApi } = await setup();
    const admin = await h.user('admin');
    await h.member(ws.id, admin, 'Admin');
    const minted = await h.caller(admin.principal).tokens.create({ workspaceId: ws.id, name: 'ci', role: 'Admin' });
    const before = await asToken(minted.token);
    await expect(before!.workspaces.get({ workspaceId: ws.id })).resolves.toMatchObject({ role: 'Admin' });

    await ownerApi.workspaces.removeMember({ workspaceId: ws.id, userId: admin.id });
    expect(await asToken(minted.token)).toBeNull();
    const [row] = await h.testDb.database.db.select({ revokedAt: apiTokens.revokedAt }).from(apiTokens).where(eq(apiTokens.id, minted.id));
    expect(row?.revokedAt).toBeInstanceOf(Date);
    const listed = await ownerApi.tokens.list({ workspaceId: ws.id });
    expect(listed.items.find((t) => t.id === minted.id)?.revokedAt).toBeInstanceOf(Date);

    const audit = await h.auditRows(ws.id);
    expect(audit).toContainEqual(expect.objectContaining({ action: 'member.remove', outcome: 'success', targetId: admin.id, details: { role: 'Admin', grantsRevoked: 0, revokedIssuedKeys: 1 } }));
    expect(audit).toContainEqual(expect.objectContaining({ action: 'token.revoke', outcome: 'success', targetId: minted.id, details: expect.objectContaining({ reason: 'member_removed', prefix: minted.prefix }) }));
    expect(JSON.stringify(audit)).not.toContain(minted.token);

    // Re-adding the person does not bring the token back.
    await ownerApi.workspaces.addMember({ workspaceId: ws.id, userId: admin.id, role: 'Admin' });
    expect(await asToken(minted.token)).toBeNull();
  });

  it('a token whose creator is no longer a member does not authorise, however the membership ended', async () => {
    const { ws } = await setup();
    const admin = await h.user('admin');
    await h.member(ws.id, admin, 'Admin');
    const minted = await h.caller(admin.principal).tokens.create({ workspaceId: ws.id, name: 'ci', role: 'Member' });
    await h.testDb.database.db.delete(workspaceMembers).where(and(eq(workspaceMembers.workspaceId, ws.id), eq(workspaceMembers.userId, admin.id)));
    expect(await asToken(minted.token)).toBeNull();
  });

  it("deleting the person who made a token revokes it: it never turns into a token no one made", async () => {
    const { ws } = await setup();
    const admin = await h.user('admin');
    await h.member(ws.id, admin, 'Admin');
    const minted = await h.caller(admin.principal).tokens.create({ workspaceId: ws.id, name: 'ci', role: 'Admin' });
    await h.testDb.database.db.delete(users).where(eq(users.id, admin.id));
    expect(await asToken(minted.token)).toBeNull();
    const [row] = await h.testDb.database.db.select({ revokedAt: apiTokens.revokedAt, createdBy: apiTokens.createdBy }).from(apiTokens).where(eq(apiTokens.id, minted.id));
    expect(row).toMatchObject({ createdBy: null, revokedAt: expect.any(Date) });
  });

  it('removing a member removes their grants: re-adding them does not silently restore `manage`', async () => {
    const { ws, ownerApi, connection } = await setup();
    const member = await h.user('member');
    await h.member(ws.id, member, 'Member');
    await ownerApi.access.grant({ workspaceId: ws.id, connectionId: connection.id, userId: member.id, level: 'manage' });
    const memberApi = h.caller(member.principal);
    const ask = async () => {
      const { canUse, canManage } = await memberApi.connections.permissions({ workspaceId: ws.id, connectionId: connection.id });
      return { canUse, canManage };
    };
    expect(await ask()).toEqual({ canUse: true, canManage: true });

    await ownerApi.workspaces.removeMember({ workspaceId: ws.id, userId: member.id });
    await ownerApi.workspaces.addMember({ workspaceId: ws.id, userId: member.id, role: 'Member' });

    expect(await ask()).toEqual({ canUse: false, canManage: false });
    expect(await problemOf(memberApi.connections.update({ workspaceId: ws.id, connectionId: connection.id, description: 'mine again' }))).toMatchObject({ code: 'FORBIDDEN' });
    expect((await ownerApi.access.list({ workspaceId: ws.id, connectionId: connection.id })).items).toEqual([]);
    const audit = await h.auditRows(ws.id);
    expect(audit).toContainEqual(expect.objectContaining({ action: 'member.remove', details: { role: 'Member', grantsRevoked: 1, revokedIssuedKeys: 0 } }));
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'access.revoke', targetId: connection.id, details: { userId: member.id, previousLevel: 'manage', reason: 'member_removed' } }),
    );
  });

  it("a demotion caps the member's tokens at the new role at once; other members' tokens are untouched", async () => {
    const { ws, ownerApi } = await setup();
    const admin = await h.user('admin');
    await h.member(ws.id, admin, 'Admin');
    const other = await h.user('other');
    await h.member(ws.id, other, 'Admin');
    const minted = await h.caller(admin.principal).tokens.create({ workspaceId: ws.id, name: 'deploy', role: 'Admin' });
    const bystander = await h.caller(other.principal).tokens.create({ workspaceId: ws.id, name: 'other', role: 'Admin' });

    await ownerApi.workspaces.setMemberRole({ workspaceId: ws.id, userId: admin.id, role: 'Viewer' });
    const capped = await asToken(minted.token);
    expect(await capped!.auth.me()).toMatchObject({ kind: 'token', token: { id: minted.id, role: 'Viewer' } });
    const refused = await problemOf(capped!.connections.create({ workspaceId: ws.id, name: 'x', type: 'mssql', host: '10.0.0.9', port: 1433, database: 'd', user: 'u' }));
    expect(refused).toMatchObject({ code: 'FORBIDDEN', details: { action: 'connection.create' } });
    await expect(capped!.workspaces.get({ workspaceId: ws.id })).resolves.toMatchObject({ role: 'Viewer' });
    await expect((await asToken(bystander.token))!.workspaces.get({ workspaceId: ws.id })).resolves.toMatchObject({ role: 'Admin' });

    // Promoted again, the token acts up to its own role, never above it.
    await ownerApi.workspaces.setMemberRole({ workspaceId: ws.id, userId: admin.id, role: 'Owner' });
    await expect((await asToken(minted.token))!.workspaces.get({ workspaceId: ws.id })).resolves.toMatchObject({ role: 'Admin' });
  });
});

describe.each(testTargets)('over HTTP: a removed member\'s token is refused on $name', (target) => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp(target);
  });

  afterAll(async () => {
    await test?.close();
  });

  it('answers 401 to the token once its creator is removed through the REST API', async () => {
    const { services } = test.app;
    const workspace = await services.workspaces.find({ workspaceSlug: 'twsbp' });
    const [role] = await services.db.select({ id: roles.id }).from(roles).where(eq(roles.name, 'User'));
    const [person] = await services.db.insert(users).values({ username: `leaver_${crypto.randomUUID().slice(0, 8)}`, roleId: role!.id }).returning({ id: users.id });
    await services.workspaces.addMember(workspace!.id, person!.id, 'Admin');
    const minted = await services.tokens.create({ workspaceId: workspace!.id, name: 'leaver-ci', role: 'Admin', createdBy: person!.id });
    const get = (token: string, path = '') => fetch(`${test.app.url}/api/v1/workspaces/twsbp${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect((await get(minted.token)).status).toBe(200);

    const owner = await test.token('Owner');
    const removed = await fetch(`${test.app.url}/api/v1/workspaces/twsbp/members/${person!.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${owner}` } });
    expect(removed.status).toBe(200);
    const refused = await get(minted.token);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'unauthenticated' });
  });
});
