// Each API instance caches who a caller is (session, token, role per workspace), yet a revoked token
// or session, a removed member, a demoted Admin, a deactivated person or a changed password must be
// refused by every instance within 1 s. Two sets of services on one system database, each behind its
// own HTTP server, stand in for two instances: the change is made through instance A and the refusal
// asked of instance B, whose cache was warmed first. On PostgreSQL the change travels by
// LISTEN/NOTIFY (with rate-limit counters in Redis when REDIS_URL is set, as a deployment of
// several instances would have them); on the embedded PGlite both share the process.
import { setTimeout as sleep } from 'node:timers/promises';
import { roles, users } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppServices } from '../src/services/index';
import { INVALIDATION_CHANNEL } from '../src/services/invalidation';
import { publicSessionId } from '../src/services/sessions';
import type { ApiInstance } from './support/api-instance';
import { useTwoInstances } from './support/two-instances';
import { TEST_PASSWORD, type Harness, type UserFixture } from './support/harness';

const CHANGE_REACHES_EVERY_INSTANCE_MS = 1_000;

/**
 * Asks until the answer is `status`. Answers before the bound may still be the old one; a call made
 * once the bound has passed must not be: that is the failure.
 */
async function refusedWithinBound(call: () => Promise<Response>, status: number): Promise<void> {
  const bound = Date.now() + CHANGE_REACHES_EVERY_INSTANCE_MS;
  for (;;) {
    const madeAt = Date.now();
    const response = await call();
    await response.text();
    if (response.status === status) return;
    if (madeAt >= bound) expect(response.status, `a call made ${madeAt - bound + CHANGE_REACHES_EVERY_INSTANCE_MS} ms after the change`).toBe(status);
    await sleep(20);
  }
}

describe.each(testTargets)('revocation reaches every instance on $name', (target) => {
  const two = useTwoInstances(target);
  let h: Harness;
  let other: AppServices;
  let a: ApiInstance;
  let b: ApiInstance;
  beforeAll(() => {
    ({ h, other, a, b } = two);
  });

  const connections = (slug: string) => `/api/v1/workspaces/${slug}/connections`;
  const tokens = (slug: string) => `/api/v1/workspaces/${slug}/tokens`;
  const members = (slug: string) => `/api/v1/workspaces/${slug}/members`;
  const signIn = async (user: UserFixture) => (await h.services.sessions.create(user.id)).id;

  it('changes travel over the channel the deployment has', () => {
    expect(other.invalidation.name).toBe(target.name === 'postgres' ? 'postgres-notify' : 'in-process');
  });

  it('a revoked API token', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const session = await signIn(owner);
    const token = await h.services.tokens.create({ workspaceId: ws.id, name: 'ci', role: 'Admin', createdBy: owner.id });
    for (const instance of [a, b]) expect((await instance.rest('GET', connections(ws.slug), { token: token.token })).status).toBe(200);

    expect((await a.rest('DELETE', `${tokens(ws.slug)}/${token.id}`, { session })).status).toBe(200);
    expect((await a.rest('GET', connections(ws.slug), { token: token.token })).status).toBe(401);
    await refusedWithinBound(() => b.rest('GET', connections(ws.slug), { token: token.token }), 401);
  });

  it('a session revoked from another device, and one signed out', async () => {
    const person = await h.user('person');
    const ws = await h.workspace(person);
    const [laptop, phone, tablet] = [await signIn(person), await signIn(person), await signIn(person)];
    for (const session of [laptop, phone, tablet]) expect((await b.rest('GET', connections(ws.slug), { session })).status).toBe(200);

    expect((await a.rest('DELETE', `/api/v1/me/sessions/${publicSessionId(phone)}`, { session: laptop })).status).toBe(200);
    await refusedWithinBound(() => b.rest('GET', connections(ws.slug), { session: phone }), 401);

    const signOut = await fetch(`${a.url}/trpc/auth.signOut`, {
      method: 'POST',
      headers: { cookie: `${h.services.sessions.lucia.sessionCookieName}=${tablet}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(signOut.status).toBe(200);
    await refusedWithinBound(() => b.rest('GET', connections(ws.slug), { session: tablet }), 401);

    expect((await b.rest('GET', connections(ws.slug), { session: laptop })).status).toBe(200);
  });

  // Console access lives with the connection target each instance caches (workspace-databases.ts).
  it("a connection's console access turned off", async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const session = await signIn(owner);
    // Nothing listens on port 1: a run that is let through fails there (not 403), after B has cached the target.
    const connection = await h.services.connections.create(ws.id, { name: 'nowhere', type: 'postgres', host: '127.0.0.1', port: 1, database: 'd', user: 'u', password: 'pw' }, owner.id);
    const query = `${connections(ws.slug)}/${connection.id}/query`;
    const run = () => b.rest('POST', query, { session }, { sql: 'SELECT 1' });
    const before = await run();
    await before.text();
    expect(before.status).not.toBe(403);

    expect((await a.rest('PUT', `${connections(ws.slug)}/${connection.id}/console-access`, { session }, { access: 'off' })).status).toBe(200);
    await refusedWithinBound(run, 403);
  });

  it('a removed member', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const member = await h.user('member');
    await h.member(ws.id, member, 'Member');
    const [ownerSession, memberSession] = [await signIn(owner), await signIn(member)];
    expect((await b.rest('GET', connections(ws.slug), { session: memberSession })).status).toBe(200);

    expect((await a.rest('DELETE', `${members(ws.slug)}/${member.id}`, { session: ownerSession })).status).toBe(200);
    await refusedWithinBound(() => b.rest('GET', connections(ws.slug), { session: memberSession }), 403);
  });

  it("a demoted Admin loses the Admin-only actions, and so do the tokens they made", async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const admin = await h.user('admin');
    await h.member(ws.id, admin, 'Admin');
    const [ownerSession, adminSession] = [await signIn(owner), await signIn(admin)];
    const token = await h.services.tokens.create({ workspaceId: ws.id, name: 'admin-made', role: 'Admin', createdBy: admin.id });
    // Listing tokens is for Owners and Admins.
    expect((await b.rest('GET', tokens(ws.slug), { session: adminSession })).status).toBe(200);
    expect((await b.rest('GET', tokens(ws.slug), { token: token.token })).status).toBe(200);

    expect((await a.rest('PATCH', `${members(ws.slug)}/${admin.id}`, { session: ownerSession }, { role: 'Member' })).status).toBe(200);
    await refusedWithinBound(() => b.rest('GET', tokens(ws.slug), { session: adminSession }), 403);
    await refusedWithinBound(() => b.rest('GET', tokens(ws.slug), { token: token.token }), 403);
    // Still a member, with the new role.
    expect((await b.rest('GET', connections(ws.slug), { session: adminSession })).status).toBe(200);
  });

  it('a deactivated person: their sessions and the tokens they made', async () => {
    const db = h.testDb.database.db;
    const root = await h.user('root');
    await db.insert(roles).values({ name: 'Admin' }).onConflictDoNothing();
    const [adminRole] = await db.select({ id: roles.id }).from(roles).where(eq(roles.name, 'Admin'));
    await db.update(users).set({ roleId: adminRole!.id }).where(eq(users.id, root.id));
    const ws = await h.workspace(root);
    const person = await h.user('person');
    await h.member(ws.id, person, 'Admin');
    const [rootSession, personSession] = [await signIn(root), await signIn(person)];
    const token = await h.services.tokens.create({ workspaceId: ws.id, name: 'theirs', role: 'Member', createdBy: person.id });
    expect((await b.rest('GET', connections(ws.slug), { session: personSession })).status).toBe(200);
    expect((await b.rest('GET', connections(ws.slug), { token: token.token })).status).toBe(200);

    expect((await a.rest('POST', `/api/v1/users/${person.id}/deactivate`, { session: rootSession }, {})).status).toBe(200);
    await refusedWithinBound(() => b.rest('GET', connections(ws.slug), { session: personSession }), 401);
    await refusedWithinBound(() => b.rest('GET', connections(ws.slug), { token: token.token }), 401);
  });

  it('a changed password ends the other sessions', async () => {
    const person = await h.user('person');
    const ws = await h.workspace(person);
    const [here, elsewhere] = [await signIn(person), await signIn(person)];
    expect((await b.rest('GET', connections(ws.slug), { session: elsewhere })).status).toBe(200);

    const changed = await a.rest('POST', '/api/v1/me/password', { session: here }, { currentPassword: TEST_PASSWORD, newPassword: 'a fresh Passphrase for the cache test 7' });
    expect(changed.status).toBe(200);
    await refusedWithinBound(() => b.rest('GET', connections(ws.slug), { session: elsewhere }), 401);
    expect((await b.rest('GET', connections(ws.slug), { session: here })).status).toBe(200);
  });

  it.skipIf(target.name !== 'postgres')("a change made while an instance's listener is away still counts there", { timeout: 30_000 }, async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const session = await signIn(owner);
    const token = await h.services.tokens.create({ workspaceId: ws.id, name: 'ci', role: 'Admin', createdBy: owner.id });
    expect((await b.rest('GET', connections(ws.slug), { token: token.token })).status).toBe(200);

    // Every listener is cut, as a database restart or a network fault does: B cannot hear A.
    await h.testDb.database.db.execute(
      sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query = ${`LISTEN ${INVALIDATION_CHANNEL}`}`,
    );
    await vi.waitFor(() => expect(other.invalidation.listening).toBe(false));
    expect((await a.rest('DELETE', `${tokens(ws.slug)}/${token.id}`, { session })).status).toBe(200);
    await refusedWithinBound(() => b.rest('GET', connections(ws.slug), { token: token.token }), 401);

    // Listening again (its cache emptied, as changes may have been missed), B still refuses.
    await vi.waitFor(() => expect(other.invalidation.listening).toBe(true), { timeout: 15_000 });
    expect((await b.rest('GET', connections(ws.slug), { token: token.token })).status).toBe(401);
    expect((await b.rest('GET', connections(ws.slug), { session })).status).toBe(200);
  });
});
