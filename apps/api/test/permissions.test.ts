// MISSION F6: every procedure × every kind of caller. Allowed calls are not refused; refused calls
// are FORBIDDEN and leave an audit row with outcome 'denied'.
import { and, eq } from 'drizzle-orm';
import { auditLog } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../src/services/authorization';
import { createHarness, type Harness, type UserFixture } from './support/harness';

type Caller = ReturnType<Harness['caller']>;
type Who = 'Owner' | 'Admin' | 'Member' | 'Viewer' | 'nonMember' | 'token:Owner' | 'token:Admin' | 'token:Member' | 'token:Viewer' | 'foreignToken';
const everyone: Who[] = ['Owner', 'Admin', 'Member', 'Viewer', 'nonMember', 'token:Owner', 'token:Admin', 'token:Member', 'token:Viewer', 'foreignToken'];
const members: Who[] = ['Owner', 'Admin', 'Member', 'Viewer', 'token:Owner', 'token:Admin', 'token:Member', 'token:Viewer'];
const managers: Who[] = ['Owner', 'Admin', 'token:Owner', 'token:Admin'];
const managingPeople: Who[] = ['Owner', 'Admin'];

interface Fixture {
  ws: { id: string; slug: string };
  connectionId: string;
  /** A Member the call may act on. */
  target: UserFixture;
  /** A user who is not a member yet. */
  outsider: UserFixture;
  tokenId: string;
}

interface Case {
  procedure: string;
  action: string;
  allowed: Who[];
  call: (api: Caller, f: Fixture) => Promise<unknown>;
}

const cases: Case[] = [
  { procedure: 'workspaces.get', action: 'workspace.read', allowed: members, call: (api, f) => api.workspaces.get({ workspaceId: f.ws.id }) },
  { procedure: 'workspaces.members', action: 'member.read', allowed: members, call: (api, f) => api.workspaces.members({ workspaceSlug: f.ws.slug }) },
  {
    procedure: 'workspaces.addMember',
    action: 'member.add',
    allowed: managers,
    call: (api, f) => api.workspaces.addMember({ workspaceId: f.ws.id, username: f.outsider.username, role: 'Member' }),
  },
  {
    procedure: 'workspaces.setMemberRole',
    action: 'member.setRole',
    allowed: managers,
    call: (api, f) => api.workspaces.setMemberRole({ workspaceId: f.ws.id, userId: f.target.id, role: 'Viewer' }),
  },
  {
    procedure: 'workspaces.removeMember',
    action: 'member.remove',
    allowed: managers,
    call: (api, f) => api.workspaces.removeMember({ workspaceId: f.ws.id, userId: f.target.id }),
  },
  { procedure: 'connections.list', action: 'connection.read', allowed: members, call: (api, f) => api.connections.list({ workspaceId: f.ws.id }) },
  { procedure: 'connections.get', action: 'connection.read', allowed: members, call: (api, f) => api.connections.get({ workspaceId: f.ws.id, connectionId: f.connectionId }) },
  {
    procedure: 'connections.permissions',
    action: 'connection.read',
    allowed: members,
    call: (api, f) => api.connections.permissions({ workspaceId: f.ws.id, connectionId: f.connectionId }),
  },
  {
    procedure: 'connections.create',
    action: 'connection.create',
    allowed: managers,
    call: (api, f) => api.connections.create({ workspaceId: f.ws.id, name: 'new', type: 'mssql', host: '10.9.9.9', port: 1433, database: 'd', user: 'u' }),
  },
  {
    procedure: 'connections.update',
    action: 'connection.update',
    allowed: managers,
    call: (api, f) => api.connections.update({ workspaceId: f.ws.id, connectionId: f.connectionId, description: 'changed' }),
  },
  { procedure: 'connections.delete', action: 'connection.delete', allowed: managers, call: (api, f) => api.connections.delete({ workspaceId: f.ws.id, connectionId: f.connectionId }) },
  { procedure: 'access.list', action: 'access.read', allowed: managers, call: (api, f) => api.access.list({ workspaceId: f.ws.id, connectionId: f.connectionId }) },
  {
    procedure: 'access.grant',
    action: 'access.grant',
    allowed: managers,
    call: (api, f) => api.access.grant({ workspaceId: f.ws.id, connectionId: f.connectionId, userId: f.target.id, level: 'manage' }),
  },
  {
    procedure: 'access.revoke',
    action: 'access.revoke',
    allowed: managers,
    call: (api, f) => api.access.revoke({ workspaceId: f.ws.id, connectionId: f.connectionId, userId: f.target.id }),
  },
  { procedure: 'tokens.create', action: 'token.create', allowed: managingPeople, call: (api, f) => api.tokens.create({ workspaceId: f.ws.id, name: 'ci', role: 'Viewer' }) },
  { procedure: 'tokens.list', action: 'token.read', allowed: managers, call: (api, f) => api.tokens.list({ workspaceId: f.ws.id }) },
  { procedure: 'tokens.revoke', action: 'token.revoke', allowed: managingPeople, call: (api, f) => api.tokens.revoke({ workspaceId: f.ws.id, tokenId: f.tokenId }) },
  { procedure: 'audit.list', action: 'audit.read', allowed: managers, call: (api, f) => api.audit.list({ workspaceId: f.ws.id }) },
];

describe.each(testTargets)('permission matrix on $name', (target) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(target);
  });
  afterAll(async () => {
    await h.dispose();
  });

  async function fixtureFor(who: Who): Promise<{ fixture: Fixture; principal: Principal }> {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const target = await h.user('target');
    await h.member(ws.id, target, 'Member');
    const outsider = await h.user('outsider');
    const connection = await h.services.connections.create(ws.id, { name: 'main', type: 'mssql', host: '10.0.0.5', port: 1433, database: 'd', user: 'u', password: 'pw' }, owner.id);
    await h.services.access.grant(ws.id, { connectionId: connection.id, userId: target.id, level: 'use' }, owner.id);
    const spare = await h.token(ws.id, 'Viewer');
    const fixture: Fixture = { ws, connectionId: connection.id, target, outsider, tokenId: spare.id };
    let principal: Principal;
    if (who === 'Owner') principal = owner.principal;
    else if (who === 'nonMember') principal = (await h.user('stranger')).principal;
    else if (who === 'foreignToken') {
      const other = await h.workspace(await h.user('other'));
      principal = (await h.token(other.id, 'Owner')).principal;
    } else if (who.startsWith('token:')) principal = (await h.token(ws.id, who.slice('token:'.length) as 'Owner')).principal;
    else {
      const user = await h.user(who.toLowerCase());
      await h.member(ws.id, user, who as 'Admin');
      principal = user.principal;
    }
    return { fixture, principal };
  }

  describe.each(cases)('$procedure', (c) => {
    it.each(everyone)('as %s', async (who) => {
      const { fixture, principal } = await fixtureFor(who);
      const outcome = await c.call(h.caller(principal), fixture).then(
        () => 'ok',
        (error: { code?: string }) => error.code ?? 'THREW',
      );
      const denials = await h.testDb.database.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.workspaceId, fixture.ws.id), eq(auditLog.outcome, 'denied')));
      if (c.allowed.includes(who)) {
        expect(outcome, `${c.procedure} as ${who}`).toBe('ok');
        expect(denials).toHaveLength(0);
      } else {
        expect(outcome, `${c.procedure} as ${who}`).toBe('FORBIDDEN');
        expect(denials).toEqual([expect.objectContaining({ action: c.action, outcome: 'denied' })]);
        const actor = principal.kind === 'user' ? { actorUserId: principal.userId } : { actorTokenId: principal.tokenId };
        expect(denials[0]).toMatchObject(actor);
      }
    });
  });

  it('a Member with a `manage` grant may update that connection, but not delete it', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const member = await h.user();
    await h.member(ws.id, member, 'Member');
    const c = await h.services.connections.create(ws.id, { name: 'm', type: 'postgres', host: '10.0.0.3', port: 5432, database: 'd', user: 'u' }, owner.id);
    await h.services.access.grant(ws.id, { connectionId: c.id, userId: member.id, level: 'manage' }, owner.id);
    const api = h.caller(member.principal);
    await expect(api.connections.update({ workspaceId: ws.id, connectionId: c.id, description: 'mine now' })).resolves.toMatchObject({ description: 'mine now' });
    await expect(api.connections.delete({ workspaceId: ws.id, connectionId: c.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('an Admin cannot make Owners, demote Owners, or mint Owner tokens; the last Owner stays', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const admin = await h.user();
    await h.member(ws.id, admin, 'Admin');
    const api = h.caller(admin.principal);
    await expect(api.workspaces.setMemberRole({ workspaceId: ws.id, userId: admin.id, role: 'Owner' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(api.workspaces.removeMember({ workspaceId: ws.id, userId: owner.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(api.tokens.create({ workspaceId: ws.id, name: 'x', role: 'Owner' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const last = h.caller(owner.principal).workspaces.setMemberRole({ workspaceId: ws.id, userId: owner.id, role: 'Admin' });
    await expect(last).rejects.toMatchObject({ code: 'CONFLICT', cause: { problem: { details: { reason: 'last_owner' } } } });
  });

  it('workspace-less procedures: tokens cannot create workspaces or list sessions; anonymous gets UNAUTHORIZED', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const { principal } = await h.token(ws.id, 'Owner');
    await expect(h.caller(principal).workspaces.create({ name: 'x', slug: 'x-by-token' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(h.caller(principal).auth.sessions()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(h.caller(principal).workspaces.listMine()).resolves.toEqual({ items: [expect.objectContaining({ id: ws.id, role: 'Owner' })], nextCursor: null });
    for (const call of [
      (api: Caller) => api.auth.me(),
      (api: Caller) => api.workspaces.listMine(),
      (api: Caller) => api.connections.list({ workspaceId: ws.id }),
      (api: Caller) => api.tokens.list({ workspaceId: ws.id }),
    ]) {
      await expect(call(h.caller(null))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });
});
