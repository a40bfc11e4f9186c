// Issue 14 Deliver 4: from a workspace's Access page, an Owner/Admin who is also a system Admin
// invites a new person (one-time invite link) and adds them with a role in one action. Either the
// person exists and is a member with both audit rows, or nothing was saved; everyone else is refused.
import { createHash } from 'node:crypto';
import { accountTokens, auditLog, roles, users, workspaceMembers } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { problemOf, useHarness, type UserFixture } from './support/harness';

const NEW_PASSWORD = 'a brand new passphrase';

describe.each(testTargets)('inviting a new member from a workspace on $name', (target) => {
  const h = useHarness(target);
  let counter = 0;
  const fresh = (prefix: string) => `${prefix}${++counter}_${Math.random().toString(36).slice(2, 6)}`;

  async function systemAdmin(name: string): Promise<UserFixture> {
    const db = h.testDb.database.db;
    await db.insert(roles).values({ name: 'Admin' }).onConflictDoNothing();
    const [role] = await db.select({ id: roles.id }).from(roles).where(eq(roles.name, 'Admin'));
    const user = await h.user(name);
    await db.update(users).set({ roleId: role!.id }).where(eq(users.id, user.id));
    return user;
  }

  const userNamed = async (username: string) => h.testDb.database.db.select().from(users).where(eq(users.username, username));
  const counts = async () => {
    const db = h.testDb.database.db;
    const count = async (table: typeof users | typeof workspaceMembers | typeof accountTokens | typeof auditLog) =>
      Number((await db.select({ n: sql<number>`count(*)` }).from(table))[0]!.n);
    return { users: await count(users), members: await count(workspaceMembers), links: await count(accountTokens), audit: await count(auditLog) };
  };

  it('a system Admin who owns the workspace creates the person, their invite link and the membership at once, audited', async () => {
    const root = await systemAdmin(fresh('root'));
    const ws = await h.workspace(root);
    const username = fresh('maria');
    const result = await h.caller(root.principal).workspaces.inviteMember({ workspaceSlug: ws.slug, username, displayName: 'Maria', email: 'maria@example.com', role: 'Member' });

    expect(result.user).toMatchObject({ username, displayName: 'Maria', email: 'maria@example.com', systemRole: 'User', status: 'invited', pendingLink: 'invite', signIn: 'none' });
    expect(result.role).toBe('Member');
    expect(result.link.kind).toBe('invite');
    expect(result.link.token).toMatch(/^wsi_/);
    expect(result.link.path).toBe(`/invite/${result.link.token}`);

    const members = await h.caller(root.principal).workspaces.members({ workspaceSlug: ws.slug });
    expect(members.items.find((m) => m.username === username)).toMatchObject({ role: 'Member', userId: result.user.id });

    // The link is stored hashed only, and never lands in the audit log.
    const stored = await h.testDb.database.db.select().from(accountTokens).where(eq(accountTokens.userId, result.user.id));
    expect(stored.map((s) => s.tokenHash)).toEqual([createHash('sha256').update(result.link.token).digest('hex')]);
    const rows = await h.auditRows();
    expect(JSON.stringify(rows)).not.toContain(result.link.token);
    const mine = rows.filter((r) => r.targetId === result.user.id && r.outcome === 'success');
    expect(mine.map((r) => r.action).sort()).toEqual(['member.add', 'user.invite']);
    expect(mine.find((r) => r.action === 'member.add')).toMatchObject({ workspaceId: ws.id, actorUserId: root.id, details: { username, role: 'Member', invited: true } });

    // The invitee sets a password through the link and can read the workspace.
    const visitor = h.caller(null, { ip: '198.19.7.1' });
    await visitor.account.acceptLink({ token: result.link.token, password: NEW_PASSWORD });
    const { caller, ctx } = h.callerWithContext(null);
    await caller.auth.signIn({ username, password: NEW_PASSWORD });
    const session = await h.services.sessions.validate(ctx.sessionCookies.issued as string);
    const maria = h.caller({ kind: 'user', userId: session!.user.id, username, displayName: 'Maria', sessionId: ctx.sessionCookies.issued as string, mustChangePassword: false });
    expect(await maria.workspaces.get({ workspaceSlug: ws.slug })).toMatchObject({ slug: ws.slug, role: 'Member' });
  });

  it('a system Admin who is a workspace Admin may invite, within the role ceiling', async () => {
    const owner = await h.user(fresh('owner'));
    const ws = await h.workspace(owner);
    const root = await systemAdmin(fresh('root'));
    await h.member(ws.id, root, 'Admin');
    const api = h.caller(root.principal);
    await expect(api.workspaces.inviteMember({ workspaceSlug: ws.slug, username: fresh('viewer'), role: 'Viewer' })).resolves.toMatchObject({ role: 'Viewer' });

    const before = await counts();
    const tooHigh = fresh('boss');
    expect(await problemOf(api.workspaces.inviteMember({ workspaceSlug: ws.slug, username: tooHigh, role: 'Owner' }))).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'role_ceiling' } });
    expect(await userNamed(tooHigh)).toEqual([]);
    // Only the denial's audit row was written.
    expect(await counts()).toEqual({ ...before, audit: before.audit + 1 });
  });

  it('refuses a workspace Owner who is not a system Admin, a Member who is, a non-member, an API token and nobody; saving nothing but the denial', async () => {
    const owner = await h.user(fresh('owner'));
    const ws = await h.workspace(owner);
    const memberAdmin = await systemAdmin(fresh('root'));
    await h.member(ws.id, memberAdmin, 'Member');
    const outsiderAdmin = await systemAdmin(fresh('root'));
    const token = await h.token(ws.id, 'Owner');
    const cases = [
      { who: 'Owner, not a system Admin', principal: owner.principal, code: 'FORBIDDEN', reason: 'not_system_admin' },
      { who: 'system Admin who is a Member', principal: memberAdmin.principal, code: 'FORBIDDEN', reason: 'insufficient_role' },
      { who: 'system Admin who is not a member', principal: outsiderAdmin.principal, code: 'FORBIDDEN', reason: 'not_a_member' },
      { who: 'Owner token', principal: token.principal, code: 'FORBIDDEN', reason: 'insufficient_role' },
    ] as const;
    for (const c of cases) {
      const username = fresh('nobody');
      const before = await counts();
      const problem = await problemOf(h.caller(c.principal).workspaces.inviteMember({ workspaceSlug: ws.slug, username, role: 'Member' }));
      expect(problem, c.who).toMatchObject({ code: c.code, details: { reason: c.reason } });
      expect(await userNamed(username), c.who).toEqual([]);
      expect(await counts(), c.who).toEqual({ ...before, audit: before.audit + 1 });
      const [denial] = (await h.auditRows()).filter((r) => r.outcome === 'denied').slice(-1);
      expect(denial, c.who).toMatchObject({ action: 'member.invite', details: { reason: c.reason } });
    }
    const owners = await problemOf(h.caller(owner.principal).workspaces.inviteMember({ workspaceSlug: ws.slug, username: fresh('x'), role: 'Member' }));
    expect(owners.message).toBe('Inviting someone new needs a system Admin; ask an Admin to invite them, then add them here');
    expect(await problemOf(h.caller(null).workspaces.inviteMember({ workspaceSlug: ws.slug, username: fresh('x'), role: 'Member' }))).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('answers invalid input with a 400 naming the field, and saves nothing', async () => {
    const root = await systemAdmin(fresh('root'));
    const ws = await h.workspace(root);
    const api = h.caller(root.principal);
    const bad = [
      { field: 'username', input: { username: ' ' } },
      { field: 'username', input: { username: 'has space' } },
      { field: 'email', input: { username: fresh('ok'), email: 'not-an-email' } },
      { field: 'displayName', input: { username: fresh('ok'), displayName: 'x'.repeat(129) } },
      { field: 'role', input: { username: fresh('ok'), role: 'Emperor' } },
    ];
    for (const { field, input } of bad) {
      const before = await counts();
      const problem = await problemOf(api.workspaces.inviteMember({ workspaceSlug: ws.slug, ...(input as { username: string }) }));
      expect(problem, field).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input' });
      expect(problem.details.fields, field).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
      expect(await counts(), field).toEqual(before);
    }
  });

  it('a username already taken is a conflict naming the field, and leaves no membership or link behind', async () => {
    const root = await systemAdmin(fresh('root'));
    const ws = await h.workspace(root);
    const existing = await h.user(fresh('taken'));
    const before = await counts();
    const problem = await problemOf(h.caller(root.principal).workspaces.inviteMember({ workspaceSlug: ws.slug, username: existing.username, role: 'Member' }));
    expect(problem).toMatchObject({ code: 'CONFLICT', details: { field: 'username' } });
    const after = await counts();
    expect({ ...after, audit: before.audit }).toEqual(before);
    expect(await h.testDb.database.db.select().from(workspaceMembers).where(eq(workspaceMembers.userId, existing.id))).toEqual([]);
  });

  it('rolls the new person back when adding them to the workspace fails', async () => {
    const root = await systemAdmin(fresh('root'));
    const ws = await h.workspace(root);
    const username = fresh('half');
    const before = await counts();
    const original = h.services.workspaces.addMember.bind(h.services.workspaces);
    h.services.workspaces.addMember = async () => {
      throw new Error('membership insert failed');
    };
    try {
      await expect(h.caller(root.principal).workspaces.inviteMember({ workspaceSlug: ws.slug, username, role: 'Member' })).rejects.toThrow();
    } finally {
      h.services.workspaces.addMember = original;
    }
    expect(await userNamed(username)).toEqual([]);
    const after = await counts();
    expect({ users: after.users, members: after.members, links: after.links }).toEqual({ users: before.users, members: before.members, links: before.links });
    expect((await h.auditRows()).filter((r) => r.action === 'user.invite' && (r.details as { username?: string } | null)?.username === username)).toEqual([]);
  });
});
