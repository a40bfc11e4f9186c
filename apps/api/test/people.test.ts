// People and accounts through the router on a real database: who may administer people (system
// Admin vs User vs API token vs nobody), invite and reset links (shown once, stored hashed, single
// use, 72 h, revocable), forced password change, deactivation (sessions and tokens refused on the
// next request), the last-Admin guards, the password policy, and the audit of every sign-in attempt.
import { createHash } from 'node:crypto';
import { accountTokens, auditLog, roles, sessions, users } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { and, eq, isNull, ne } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../src/services/authorization';
import { problemOf, TEST_PASSWORD, useHarness, type UserFixture } from './support/harness';

const NEW_PASSWORD = 'a brand new passphrase';

describe.each(testTargets)('people and accounts on $name', (target) => {
  const h = useHarness(target);
  let ipCounter = 0;
  /** A fresh client address per call site, so per-address budgets never leak between tests. */
  const freshIp = () => `198.18.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;

  async function admin(name = 'root'): Promise<UserFixture> {
    const db = h.testDb.database.db;
    await db.insert(roles).values({ name: 'Admin' }).onConflictDoNothing();
    const [role] = await db.select({ id: roles.id }).from(roles).where(eq(roles.name, 'Admin'));
    const user = await h.user(name);
    await db.update(users).set({ roleId: role!.id }).where(eq(users.id, user.id));
    return user;
  }

  async function signIn(username: string, password = TEST_PASSWORD): Promise<{ sessionId: string; principal: Principal; mustChangePassword: boolean }> {
    const { caller, ctx } = h.callerWithContext(null);
    const result = await caller.auth.signIn({ username, password });
    const sessionId = ctx.sessionCookies.issued as string;
    const validated = await h.services.sessions.validate(sessionId);
    const u = validated!.user;
    return {
      sessionId,
      mustChangePassword: result.mustChangePassword,
      principal: { kind: 'user', userId: u.id, username: u.username, displayName: u.displayName, sessionId, mustChangePassword: u.mustChangePassword },
    };
  }

  const signInRows = async (username: string) =>
    (await h.testDb.database.db.select().from(auditLog).where(eq(auditLog.action, 'auth.signIn'))).filter((r) => r.actorUsername === username);

  describe('who may administer people', () => {
    it('system Admins may; Users, API tokens and anonymous callers are refused, and refusals are audited', async () => {
      const root = await admin();
      const plain = await h.user('plain');
      const workspace = await h.workspace(plain);
      const token = await h.token(workspace.id, 'Owner');
      const target = await h.user('target');
      const calls = {
        list: (c: ReturnType<typeof h.caller>) => c.users.list({ limit: 5 }),
        get: (c: ReturnType<typeof h.caller>) => c.users.get({ userId: target.id }),
        create: (c: ReturnType<typeof h.caller>) => c.users.create({ username: `made_${Math.random().toString(36).slice(2, 8)}`, systemRole: 'User' }),
        update: (c: ReturnType<typeof h.caller>) => c.users.update({ userId: target.id, displayName: 'Target' }),
        passwordReset: (c: ReturnType<typeof h.caller>) => c.users.passwordReset({ userId: target.id }),
        revokeLink: (c: ReturnType<typeof h.caller>) => c.users.revokeLink({ userId: target.id }),
        deactivate: (c: ReturnType<typeof h.caller>) => c.users.deactivate({ userId: target.id }),
        reactivate: (c: ReturnType<typeof h.caller>) => c.users.reactivate({ userId: target.id }),
      };
      for (const [name, call] of Object.entries(calls)) {
        expect(await problemOf(call(h.caller(plain.principal))), `${name} as User`).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not_system_admin' } });
        expect(await problemOf(call(h.caller(token.principal))), `${name} as token`).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'session_required' } });
        expect(await problemOf(call(h.caller(null))), `${name} anonymous`).toMatchObject({ code: 'UNAUTHORIZED' });
        await expect(call(h.caller(root.principal)), `${name} as Admin`).resolves.toBeDefined();
      }
      const denied = (await h.auditRows()).filter((r) => r.outcome === 'denied' && r.actorUserId === plain.id && r.action.startsWith('users.'));
      expect(denied.map((r) => r.action).sort()).toEqual(Object.keys(calls).map((name) => `users.${name}`).sort());

      // Changing passwords is for people too: a token cannot, whatever its role.
      expect(await problemOf(h.caller(token.principal).account.changePassword({ currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }))).toMatchObject({
        code: 'FORBIDDEN',
        details: { reason: 'session_required' },
      });
      expect(await problemOf(h.caller(token.principal).account.sessions())).toMatchObject({ code: 'FORBIDDEN' });
    });

    it('a demoted or deactivated Admin loses the right on the very next call', async () => {
      const root = await admin();
      const other = await admin('other');
      await h.caller(root.principal).users.update({ userId: other.id, systemRole: 'User' });
      expect(await problemOf(h.caller(other.principal).users.list({ limit: 1 }))).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not_system_admin' } });
    });
  });

  describe('invite links', () => {
    it('creates a user by invite: the token is shown once, stored hashed, and sets the password once', async () => {
      const root = await admin();
      const created = await h.caller(root.principal).users.create({ username: `maria_${Date.now()}`, displayName: 'Maria', email: 'maria@example.test', systemRole: 'User' });
      expect(created.user).toMatchObject({ status: 'invited', signIn: 'none', pendingLink: 'invite', systemRole: 'User', mustChangePassword: false });
      const link = created.link!;
      expect(link.token).toMatch(/^wsi_[A-Za-z0-9_-]{43}$/);
      expect(link.path).toBe(`/invite/${link.token}`);
      expect(link.expiresAt.getTime() - Date.now()).toBeGreaterThan(71.9 * 3_600_000);
      expect(link.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(72 * 3_600_000);

      const stored = await h.testDb.database.db.select().from(accountTokens).where(eq(accountTokens.userId, created.user.id));
      expect(stored).toHaveLength(1);
      expect(stored[0]!.tokenHash).toBe(createHash('sha256').update(link.token).digest('hex'));
      expect(JSON.stringify(stored)).not.toContain(link.token);
      expect(JSON.stringify(await h.auditRows())).not.toContain(link.token);
      // Shown once: listing the person later never carries it.
      expect(JSON.stringify(await h.caller(root.principal).users.get({ userId: created.user.id }))).not.toContain(link.token);

      const visitor = h.caller(null, { ip: freshIp() });
      expect(await visitor.account.describeLink({ token: link.token })).toMatchObject({ kind: 'invite', username: created.user.username, displayName: 'Maria' });
      expect(await problemOf(visitor.account.acceptLink({ token: link.token, password: 'short' }))).toMatchObject({
        code: 'BAD_REQUEST',
        details: { field: 'password', rule: 'min_length' },
      });
      expect(await visitor.account.acceptLink({ token: link.token, password: NEW_PASSWORD })).toEqual({ username: created.user.username, kind: 'invite' });
      const maria = await signIn(created.user.username, NEW_PASSWORD);
      expect(maria.mustChangePassword).toBe(false);

      // Single use: the second visit is refused, without saying more than "invalid, expired or used".
      const again = await problemOf(visitor.account.acceptLink({ token: link.token, password: 'another passphrase!' }));
      expect(again).toMatchObject({ code: 'NOT_FOUND', details: { field: 'token', reason: 'used' } });
      await signIn(created.user.username, NEW_PASSWORD);
      expect((await h.caller(root.principal).users.get({ userId: created.user.id })).status).toBe('active');

      const actions = (await h.auditRows()).filter((r) => r.targetId === created.user.id).map((r) => r.action);
      expect(actions).toEqual(expect.arrayContaining(['user.invite', 'user.acceptInvite']));
    });

    it('refuses an expired, a revoked and an unknown link', async () => {
      const root = await admin();
      const db = h.testDb.database.db;
      const admins = h.caller(root.principal);
      const visitor = h.caller(null, { ip: freshIp() });

      const late = await admins.users.create({ username: `late_${Date.now()}`, systemRole: 'User' });
      await db.update(accountTokens).set({ expiresAt: new Date(Date.now() - 1_000) }).where(eq(accountTokens.userId, late.user.id));
      expect(await problemOf(visitor.account.acceptLink({ token: late.link!.token, password: NEW_PASSWORD }))).toMatchObject({ code: 'NOT_FOUND', details: { reason: 'expired' } });

      const revoked = await admins.users.create({ username: `revoked_${Date.now()}`, systemRole: 'User' });
      expect(await admins.users.revokeLink({ userId: revoked.user.id })).toEqual({ revoked: 1 });
      expect(await problemOf(visitor.account.describeLink({ token: revoked.link!.token }))).toMatchObject({ code: 'NOT_FOUND', details: { reason: 'revoked' } });

      // A new link replaces the pending one.
      const reissued = await admins.users.passwordReset({ userId: revoked.user.id });
      expect(reissued.kind).toBe('invite');
      expect(await visitor.account.describeLink({ token: reissued.token })).toMatchObject({ kind: 'invite' });

      expect(await problemOf(visitor.account.describeLink({ token: 'wsi_not-a-real-token' }))).toMatchObject({ code: 'NOT_FOUND', details: { reason: 'invalid' } });
    });

    it('limits links to 20 an hour per Admin and link use per address', async () => {
      const root = await admin();
      const admins = h.caller(root.principal);
      for (let i = 0; i < 20; i += 1) await admins.users.create({ username: `bulk_${i}_${Date.now()}`, systemRole: 'User' });
      expect(await problemOf(admins.users.create({ username: `bulk_x_${Date.now()}`, systemRole: 'User' }))).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        details: { bucket: 'accountLink' },
      });
      const prober = h.caller(null, { ip: freshIp() });
      for (let i = 0; i < 20; i += 1) await problemOf(prober.account.describeLink({ token: `wsi_guess_${i}` }));
      expect(await problemOf(prober.account.describeLink({ token: 'wsi_guess_x' }))).toMatchObject({ code: 'TOO_MANY_REQUESTS', details: { bucket: 'accountLinkUse' } });
    });
  });

  describe('typed passwords and the forced change', () => {
    it('an Admin-typed password works once, then nothing but changing it is allowed', async () => {
      const root = await admin();
      const username = `typed_${Date.now()}`;
      const created = await h.caller(root.principal).users.create({ username, systemRole: 'User', password: 'temporary passphrase 1' });
      expect(created.link).toBeNull();
      expect(created.user).toMatchObject({ status: 'active', signIn: 'password', mustChangePassword: true });
      const createdRows = (await h.auditRows()).filter((r) => r.targetId === created.user.id);
      expect(createdRows.map((r) => [r.action, r.outcome, r.actorUserId, r.details])).toEqual([['user.create', 'success', root.id, { username, systemRole: 'User' }]]);
      expect(JSON.stringify(createdRows)).not.toContain('temporary passphrase 1');

      const first = await signIn(username, 'temporary passphrase 1');
      expect(first.mustChangePassword).toBe(true);
      const api = h.caller(first.principal);
      expect(await problemOf(api.workspaces.listMine({ limit: 5 }))).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'password_change_required' } });
      expect(await api.auth.me()).toMatchObject({ kind: 'user', user: { username } });
      expect(await api.account.get()).toMatchObject({ username, mustChangePassword: true, hasPassword: true });

      await api.account.changePassword({ currentPassword: 'temporary passphrase 1', newPassword: NEW_PASSWORD });
      const next = await signIn(username, NEW_PASSWORD);
      expect(next.mustChangePassword).toBe(false);
      await expect(h.caller(next.principal).workspaces.listMine({ limit: 5 })).resolves.toMatchObject({ items: [] });
    });

    it('applies the password policy with errors naming the field and the rule', async () => {
      const root = await admin();
      const admins = h.caller(root.principal);
      const username = `policy_${Date.now()}`;
      const cases: [string, string][] = [
        ['eleven char', 'min_length'],
        [username.toUpperCase(), 'not_username'],
        ['qwerty123456', 'not_common'],
      ];
      for (const [password, rule] of cases) {
        const problem = await problemOf(admins.users.create({ username, systemRole: 'User', password }));
        expect(problem, rule).toMatchObject({ code: 'BAD_REQUEST', error: 'invalid_input', details: { field: 'password', rule } });
        expect(problem.message).toMatch(/^The password /);
        expect(JSON.stringify(problem)).not.toContain(password);
      }
      // Nothing half-saved: the username is still free.
      expect((await admins.users.list({ query: username, limit: 5 })).items).toEqual([]);
    });
  });

  describe('own password and sessions', () => {
    it('needs the current password, ends my other sessions and keeps this one', async () => {
      const me = await h.user('self');
      const laptop = await signIn(me.username);
      const phone = await signIn(me.username);
      const api = h.caller(laptop.principal);

      expect(await problemOf(api.account.changePassword({ currentPassword: 'not my password', newPassword: NEW_PASSWORD }))).toMatchObject({
        code: 'BAD_REQUEST',
        details: { field: 'currentPassword' },
      });
      expect(await problemOf(api.account.changePassword({ currentPassword: TEST_PASSWORD, newPassword: TEST_PASSWORD }))).toMatchObject({
        details: { field: 'newPassword', rule: 'not_current' },
      });
      expect(await api.account.changePassword({ currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD })).toEqual({ changed: true, endedSessions: 1 });
      expect(await h.services.sessions.validate(phone.sessionId)).toBeNull();
      expect(await h.services.sessions.validate(laptop.sessionId)).not.toBeNull();
      await expect(h.caller(null).auth.signIn({ username: me.username, password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });

      const listed = await api.account.sessions();
      expect(listed.items).toEqual([expect.objectContaining({ current: true, ip: '203.0.113.7', userAgent: 'vitest' })]);
      const rows = (await h.auditRows()).filter((r) => r.action === 'account.changePassword' && r.actorUserId === me.id);
      expect(rows.map((r) => [r.outcome, r.details])).toEqual(
        expect.arrayContaining([
          ['failure', { reason: 'currentPassword_invalid' }],
          ['failure', { reason: 'not_current' }],
          ['success', { endedSessions: 1 }],
        ]),
      );
      expect(JSON.stringify(rows)).not.toContain(NEW_PASSWORD);
    });

    it('limits password changes to 10 an hour per person', async () => {
      const me = await h.user('limited');
      const api = h.caller(me.principal);
      for (let i = 0; i < 10; i += 1) await problemOf(api.account.changePassword({ currentPassword: 'wrong wrong wrong', newPassword: NEW_PASSWORD }));
      expect(await problemOf(api.account.changePassword({ currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }))).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        details: { bucket: 'passwordChange' },
      });
    });

    it('stores only the sha256 of a session id, lists sessions with device and revokes one', async () => {
      const me = await h.user('hashed');
      const { caller, ctx } = h.callerWithContext(null);
      await caller.auth.signIn({ username: me.username, password: TEST_PASSWORD });
      const sessionId = ctx.sessionCookies.issued as string;
      const rows = await h.testDb.database.db.select().from(sessions).where(eq(sessions.userId, me.id));
      expect(rows.map((r) => r.id)).toEqual([createHash('sha256').update(sessionId).digest('hex')]);
      expect(JSON.stringify(rows)).not.toContain(sessionId);

      const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
      const browser = h.caller(null, { userAgent: chrome, ip: '192.0.2.44' });
      await browser.auth.signIn({ username: me.username, password: TEST_PASSWORD });
      const validated = await h.services.sessions.validate(sessionId);
      const api = h.caller({ kind: 'user', userId: me.id, username: me.username, displayName: null, sessionId: validated!.session.id });
      const listed = (await api.account.sessions()).items;
      expect(listed).toHaveLength(2);
      const fromChrome = listed.find((s) => !s.current)!;
      expect(fromChrome).toMatchObject({ device: 'Chrome 130 on Linux', ip: '192.0.2.44' });
      expect(await api.account.revokeSession({ sessionId: fromChrome.id })).toEqual({ revoked: true, current: false });
      expect((await api.account.sessions()).items).toEqual([expect.objectContaining({ current: true })]);
      expect(await problemOf(api.account.revokeSession({ sessionId: fromChrome.id }))).toMatchObject({ code: 'NOT_FOUND', details: { field: 'id' } });
      const revokedRows = (await h.auditRows()).filter((r) => r.action === 'auth.revokeSession' && r.actorUserId === me.id);
      expect(revokedRows.map((r) => [r.outcome, r.targetType, r.targetId])).toEqual([['success', 'session', fromChrome.id]]);
    });
  });

  it('changes my own display name, audited; a token cannot', async () => {
    const me = await h.user('renamed');
    const workspace = await h.workspace(me);
    const token = await h.token(workspace.id, 'Owner');
    expect(await h.caller(me.principal).account.update({ displayName: 'Renée Named' })).toMatchObject({ username: me.username, displayName: 'Renée Named' });
    expect((await h.caller(me.principal).account.get()).displayName).toBe('Renée Named');
    const rows = (await h.auditRows()).filter((r) => r.action === 'account.update' && r.actorUserId === me.id);
    expect(rows.map((r) => [r.outcome, r.details])).toEqual([['success', { changed: ['displayName'] }]]);
    expect(await problemOf(h.caller(token.principal).account.update({ displayName: 'By Token' }))).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'session_required' } });
    expect((await h.caller(me.principal).account.get()).displayName).toBe('Renée Named');
  });

  describe('deactivation and resets', () => {
    it("ends the person's sessions at once, refuses their sign-in and their API tokens, keeps their audit history", async () => {
      const root = await admin();
      const worker = await h.user('worker');
      const workspace = await h.workspace(worker);
      const session = await signIn(worker.username);
      const minted = await h.caller(session.principal).tokens.create({ workspaceSlug: workspace.slug, name: 'ci', role: 'Member' });
      expect(await h.services.tokens.authenticate(minted.token)).not.toBeNull();

      const deactivated = await h.caller(root.principal).users.deactivate({ userId: worker.id });
      expect(deactivated).toMatchObject({ status: 'deactivated', deactivatedAt: expect.any(Date) });
      expect(await h.services.sessions.validate(session.sessionId)).toBeNull();
      expect(await h.services.tokens.authenticate(minted.token)).toBeNull();
      expect(await problemOf(h.caller(null, { ip: freshIp() }).auth.signIn({ username: worker.username, password: TEST_PASSWORD }))).toMatchObject({
        code: 'UNAUTHORIZED',
        error: 'authentication_failed',
      });
      expect((await signInRows(worker.username)).map((r) => [r.outcome, (r.details as { reason?: string }).reason ?? null])).toEqual(
        expect.arrayContaining([
          ['success', null],
          ['failure', 'deactivated'],
        ]),
      );
      // History stays: the rows written while active are all still there.
      expect((await h.auditRows()).some((r) => r.actorUserId === worker.id && r.action === 'token.create')).toBe(true);

      await h.caller(root.principal).users.reactivate({ userId: worker.id });
      const changes = (await h.auditRows()).filter((r) => r.targetId === worker.id && r.action.startsWith('user.'));
      expect(changes.map((r) => [r.action, r.outcome, r.actorUserId, r.details])).toEqual(
        expect.arrayContaining([
          ['user.deactivate', 'success', root.id, { endedSessions: 1 }],
          ['user.reactivate', 'success', root.id, expect.anything()],
        ]),
      );
      await signIn(worker.username);
      // The token minted before stays usable again once its creator is back.
      expect(await h.services.tokens.authenticate(minted.token)).not.toBeNull();
    });

    it('a reset link ends every session and the old password, and the person chooses a new one', async () => {
      const root = await admin();
      const person = await h.user('forgetful');
      const session = await signIn(person.username);
      const link = await h.caller(root.principal).users.passwordReset({ userId: person.id });
      expect(link.kind).toBe('reset');
      expect(await h.services.sessions.validate(session.sessionId)).toBeNull();
      await expect(h.caller(null, { ip: freshIp() }).auth.signIn({ username: person.username, password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      await h.caller(null, { ip: freshIp() }).account.acceptLink({ token: link.token, password: NEW_PASSWORD });
      await signIn(person.username, NEW_PASSWORD);
      expect((await h.auditRows()).filter((r) => r.targetId === person.id).map((r) => r.action)).toEqual(expect.arrayContaining(['user.passwordReset', 'user.acceptReset']));
    });

    it('never deactivates or demotes the last active Admin', async () => {
      const db = h.testDb.database.db;
      const root = await admin('last');
      const [adminRole] = await db.select({ id: roles.id }).from(roles).where(eq(roles.name, 'Admin'));
      // Every other Admin of this database steps aside, so `root` is the last one.
      await db
        .update(users)
        .set({ deactivatedAt: new Date() })
        .where(and(eq(users.roleId, adminRole!.id), ne(users.id, root.id), isNull(users.deactivatedAt)));

      expect(await problemOf(h.caller(root.principal).users.update({ userId: root.id, systemRole: 'User' }))).toMatchObject({
        code: 'CONFLICT',
        details: { field: 'systemRole', reason: 'last_admin' },
      });
      await expect(h.services.people.deactivate(root.id)).rejects.toMatchObject({ code: 'conflict', details: { reason: 'last_admin' } });
      expect(await problemOf(h.caller(root.principal).users.deactivate({ userId: root.id }))).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'userId' } });
      expect((await h.caller(root.principal).users.get({ userId: root.id })).systemRole).toBe('Admin');

      // With a second Admin, either may be demoted.
      const second = await h.user('second');
      await h.caller(root.principal).users.update({ userId: second.id, systemRole: 'Admin' });
      expect((await h.caller(second.principal).users.update({ userId: root.id, systemRole: 'User' })).systemRole).toBe('User');
      const changes = (await h.auditRows()).filter((r) => r.action === 'user.setSystemRole' && r.targetId === root.id);
      expect(changes.map((r) => r.details)).toEqual([{ from: 'Admin', to: 'User' }]);
    });
  });

  it('audits every sign-in attempt with its reason and never the password', async () => {
    const person = await h.user('audited');
    const ip = freshIp();
    await signIn(person.username);
    for (let i = 0; i < 10; i += 1) await problemOf(h.caller(null, { ip }).auth.signIn({ username: person.username, password: `guess number ${i}` }));
    await problemOf(h.caller(null, { ip }).auth.signIn({ username: person.username, password: TEST_PASSWORD }));
    const rows = await signInRows(person.username);
    const reasons = rows.map((r) => (r.details as { reason?: string }).reason ?? 'ok');
    expect(reasons.filter((r) => r === 'ok')).toHaveLength(1);
    expect(reasons.filter((r) => r === 'invalid_credentials')).toHaveLength(10);
    expect(reasons.filter((r) => r === 'rate_limited')).toHaveLength(1);
    expect(rows.filter((r) => r.outcome === 'failure').every((r) => r.ip === ip)).toBe(true);
    const serialised = JSON.stringify(rows);
    expect(serialised).not.toContain('guess number');
    expect(serialised).not.toContain(TEST_PASSWORD);

    // System Admins read them in the system audit log; nobody else does.
    const root = await admin();
    const page = await h.caller(root.principal).audit.listSystem({ action: 'auth.signIn', outcome: 'failure', limit: 200 });
    expect(page.items.filter((r) => r.actorUsername === person.username)).toHaveLength(11);
    expect(page.items.every((r) => r.workspaceId === null)).toBe(true);
    expect(await problemOf(h.caller(person.principal).audit.listSystem({ limit: 5 }))).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not_system_admin' } });
  });

  it('finds people to add to a workspace as you type, never deactivated ones', async () => {
    const root = await admin();
    const owner = await h.user('owner');
    const workspace = await h.workspace(owner);
    const stamp = Date.now().toString(36);
    const kept = await h.user(`zed${stamp}a`);
    const gone = await h.user(`zed${stamp}b`);
    await h.caller(root.principal).users.deactivate({ userId: gone.id });
    const found = await h.caller(owner.principal).workspaces.searchUsers({ workspaceSlug: workspace.slug, query: `ZED${stamp}` });
    expect(found.map((u) => u.username)).toEqual([kept.username]);
    const viewer = await h.user('viewer');
    await h.member(workspace.id, viewer, 'Viewer');
    expect(await problemOf(h.caller(viewer.principal).workspaces.searchUsers({ workspaceSlug: workspace.slug, query: 'zed' }))).toMatchObject({ code: 'FORBIDDEN' });
  });
});
