// MISSION F6: every procedure × every kind of caller. Allowed calls are not refused; refused calls
// are FORBIDDEN and leave an audit row with outcome 'denied'.
import { and, eq } from 'drizzle-orm';
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { auditLog } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../src/services/authorization';
import { useHarness, type Harness, type UserFixture } from './support/harness';

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
  environmentId: string;
  /** The emulator's port: the fixture connection points there, so tests and resets succeed. */
  port: number;
}

interface Case {
  procedure: string;
  /** The audited action of a denial (a function when it depends on which check refused). */
  action: string | ((who: Who) => string);
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
  {
    // Creating a person needs a system Admin on top of the workspace role (apps/api/test/workspace-invite.test.ts
    // covers the system Admins); nobody in this matrix is one, and no token ever may.
    procedure: 'workspaces.inviteMember',
    action: 'member.invite',
    allowed: [],
    call: (api, f) => api.workspaces.inviteMember({ workspaceId: f.ws.id, username: `new_${Math.random().toString(36).slice(2, 8)}`, role: 'Viewer' }),
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
  // Members use the default environment's connection (the fixture's), so they may test it.
  {
    procedure: 'connections.test',
    action: 'connection.test',
    allowed: [...managers, 'Member', 'token:Member'],
    call: (api, f) => api.connections.test({ workspaceId: f.ws.id, connectionId: f.connectionId }),
  },
  {
    procedure: 'connections.testDraft',
    action: 'connection.testDraft',
    allowed: managers,
    call: (api, f) => api.connections.testDraft({ workspaceId: f.ws.id, type: 'mssql', host: '127.0.0.1', port: f.port, database: 'd', user: 'u', password: 'pw' }),
  },
  {
    procedure: 'connections.testStart',
    action: 'connection.test',
    allowed: [...managers, 'Member', 'token:Member'],
    call: (api, f) => api.connections.testStart({ workspaceId: f.ws.id, connectionId: f.connectionId }),
  },
  {
    procedure: 'connections.testDraftStart',
    action: 'connection.testDraft',
    allowed: managers,
    call: (api, f) => api.connections.testDraftStart({ workspaceId: f.ws.id, type: 'mssql', host: '127.0.0.1', port: f.port, database: 'd', user: 'u', password: 'pw' }),
  },
  {
    procedure: 'connections.validate',
    action: 'connection.validate',
    allowed: managers,
    call: (api, f) => api.connections.validate({ workspaceId: f.ws.id, type: 'mssql', host: '127.0.0.1', port: f.port, database: 'd', user: 'u' }),
  },
  { procedure: 'connections.status', action: 'connection.status', allowed: members, call: (api, f) => api.connections.status({ workspaceId: f.ws.id, connectionId: f.connectionId }) },
  { procedure: 'connections.reset', action: 'connection.reset', allowed: managers, call: (api, f) => api.connections.reset({ workspaceId: f.ws.id, connectionId: f.connectionId }) },
  { procedure: 'connections.poolStats', action: 'connection.poolStats', allowed: managers, call: (api, f) => api.connections.poolStats({ workspaceId: f.ws.id }) },
  // Members use the default environment's connection (the fixture's), so they may browse its schema.
  {
    procedure: 'connections.schema',
    action: 'connection.schema',
    allowed: [...managers, 'Member', 'token:Member'],
    call: (api, f) => api.connections.schema({ workspaceId: f.ws.id, connectionId: f.connectionId }),
  },
  { procedure: 'environments.list', action: 'environment.read', allowed: managers, call: (api, f) => api.environments.list({ workspaceId: f.ws.id }) },
  { procedure: 'environments.choices', action: 'environment.use', allowed: members, call: (api, f) => api.environments.choices({ workspaceId: f.ws.id }) },
  { procedure: 'environments.get', action: 'environment.read', allowed: managers, call: (api, f) => api.environments.get({ workspaceId: f.ws.id, environmentId: f.environmentId }) },
  {
    procedure: 'environments.create',
    action: 'environment.manage',
    allowed: managers,
    call: (api, f) => api.environments.create({ workspaceId: f.ws.id, name: 'second', connectionId: f.connectionId }),
  },
  {
    procedure: 'environments.update',
    action: 'environment.manage',
    allowed: managers,
    call: (api, f) => api.environments.update({ workspaceId: f.ws.id, environmentId: f.environmentId, description: 'changed' }),
  },
  {
    procedure: 'environments.update (saveUntested)',
    // Admins pass `environment.manage` and are refused saving untested; everyone else earlier.
    action: (who) => (who === 'Admin' || who === 'token:Admin' ? 'environment.saveUntested' : 'environment.manage'),
    allowed: ['Owner', 'token:Owner'],
    call: (api, f) => api.environments.update({ workspaceId: f.ws.id, environmentId: f.environmentId, connectionId: f.connectionId, saveUntested: true }),
  },
  { procedure: 'environments.setDefault', action: 'environment.manage', allowed: managers, call: (api, f) => api.environments.setDefault({ workspaceId: f.ws.id, environmentId: f.environmentId }) },
  { procedure: 'environments.delete', action: 'environment.manage', allowed: managers, call: (api, f) => api.environments.delete({ workspaceId: f.ws.id, environmentId: f.environmentId }) },
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

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ users: [{ user: 'u', password: 'pw' }], databases: ['d'], preload: true });
});
afterAll(async () => {
  await emulator.close();
});

describe.each(testTargets)('permission matrix on $name', (target) => {
  const h = useHarness(target);

  async function fixtureFor(who: Who): Promise<{ fixture: Fixture; principal: Principal }> {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const target = await h.user('target');
    await h.member(ws.id, target, 'Member');
    const outsider = await h.user('outsider');
    const connection = await h.services.connections.create(ws.id, { name: 'main', type: 'mssql', host: '127.0.0.1', port: emulator.port, database: 'd', user: 'u', password: 'pw' }, owner.id);
    const environmentPlan = await h.services.environments.prepareSave(ws.id, null, { name: 'main', connectionId: connection.id });
    const { environment } = await h.services.environments.commitSave(environmentPlan, null, owner.id);
    await h.services.access.grant(ws.id, { connectionId: connection.id, userId: target.id, level: 'use' }, owner.id);
    const spare = await h.token(ws.id, 'Viewer');
    const fixture: Fixture = { ws, connectionId: connection.id, target, outsider, tokenId: spare.id, environmentId: environment.id, port: emulator.port };
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
        const action = typeof c.action === 'function' ? c.action(who) : c.action;
        expect(denials).toEqual([expect.objectContaining({ action, outcome: 'denied' })]);
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
