// Each API instance keeps the pages of a workspace's connection list it presented (decision 023), yet
// a change made through one instance must show in every instance's list within 1 s, and at once in
// the list of the instance that made it. Two sets of services on one system database, each behind
// its own HTTP server, stand in for two instances, as in revocation-across-instances.test.ts: the
// list is read on both first (so both have it cached), the change is made through instance A.
import { setTimeout as sleep } from 'node:timers/promises';
import { testTargets } from '@studio/db/testing';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppServices } from '../src/services/index';
import { INVALIDATION_CHANNEL } from '../src/services/invalidation';
import type { ApiInstance } from './support/api-instance';
import { useTwoInstances } from './support/two-instances';
import { type Harness, type UserFixture } from './support/harness';

const CHANGE_REACHES_EVERY_INSTANCE_MS = 1_000;

interface ListedConnection {
  id: string;
  name: string;
  user: string | null;
  status: string;
  lastTestedAt: string | null;
  lastError: string | null;
}

describe.each(testTargets)('the connection list on two instances, $name', (target) => {
  const two = useTwoInstances(target);
  let h: Harness;
  let other: AppServices;
  let a: ApiInstance;
  let b: ApiInstance;
  beforeAll(() => {
    ({ h, other, a, b } = two);
  });

  const signIn = async (user: UserFixture) => (await h.services.sessions.create(user.id)).id;

  async function list(instance: ApiInstance, slug: string, session: string): Promise<ListedConnection[]> {
    const response = await instance.rest('GET', `/api/v1/workspaces/${slug}/connections`, { session });
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: ListedConnection[] }).items;
  }

  /**
   * Reads B's list until `shows` holds. Lists read before the bound may still be the old one; a list
   * read once the bound has passed must not be: that is the failure.
   */
  async function showsWithinBound(read: () => Promise<ListedConnection[]>, shows: (items: ListedConnection[]) => boolean, what: string): Promise<void> {
    const bound = Date.now() + CHANGE_REACHES_EVERY_INSTANCE_MS;
    for (;;) {
      const readAt = Date.now();
      const items = await read();
      if (shows(items)) return;
      if (readAt >= bound) expect.fail(`a list read ${readAt - bound + CHANGE_REACHES_EVERY_INSTANCE_MS} ms after the change does not show ${what}: ${JSON.stringify(items)}`);
      await sleep(20);
    }
  }

  async function workspaceWithOwner() {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    const session = await signIn(owner);
    // Nothing listens on port 1: a test of it fails at once, and writes its result.
    const first = await h.services.connections.create(ws.id, { name: 'alpha', type: 'postgres', host: '127.0.0.1', port: 1, database: 'd', user: 'alpha_login', password: 'pw' }, owner.id);
    const warm = async () => {
      for (const instance of [a, b]) expect((await list(instance, ws.slug, session)).map((c) => c.name)).toEqual(['alpha']);
    };
    return { owner, ws, session, first, warm };
  }

  it('a connection created, renamed and deleted through one instance', async () => {
    const { ws, session, first, warm } = await workspaceWithOwner();
    await warm();
    const base = `/api/v1/workspaces/${ws.slug}/connections`;

    const created = await a.rest('POST', base, { session }, { name: 'beta', type: 'postgres', host: '127.0.0.1', port: 1, database: 'd', user: 'beta_login', password: 'pw' });
    expect(created.status).toBe(200);
    const beta = (await created.json()) as { id: string };
    expect((await list(a, ws.slug, session)).map((c) => c.name)).toEqual(['alpha', 'beta']);
    await showsWithinBound(() => list(b, ws.slug, session), (items) => items.some((c) => c.id === beta.id), 'the new connection');

    expect((await a.rest('PATCH', `${base}/${first.id}`, { session }, { name: 'gamma' })).status).toBe(200);
    expect((await list(a, ws.slug, session)).map((c) => c.name)).toEqual(['beta', 'gamma']);
    await showsWithinBound(() => list(b, ws.slug, session), (items) => items.map((c) => c.name).join() === 'beta,gamma', 'the new name');

    expect((await a.rest('DELETE', `${base}/${beta.id}`, { session })).status).toBe(200);
    expect((await list(a, ws.slug, session)).map((c) => c.name)).toEqual(['gamma']);
    await showsWithinBound(() => list(b, ws.slug, session), (items) => items.map((c) => c.name).join() === 'gamma', 'the deletion');
  });

  it("a connection test's result", async () => {
    const { ws, session, first, warm } = await workspaceWithOwner();
    await warm();
    const tested = await a.rest('POST', `/api/v1/workspaces/${ws.slug}/connections/${first.id}/test`, { session }, {});
    expect(tested.status).toBe(200);
    expect(((await tested.json()) as { success: boolean }).success).toBe(false);

    const [onA] = await list(a, ws.slug, session);
    expect(onA).toMatchObject({ status: 'unhealthy', lastTestedAt: expect.any(String) });
    await showsWithinBound(() => list(b, ws.slug, session), ([onB]) => onB?.status === 'unhealthy' && onB.lastTestedAt === onA!.lastTestedAt, 'the test result');
  });

  it('an environment saved with a connection of its own', async () => {
    const { ws, session, warm } = await workspaceWithOwner();
    await warm();
    const saved = await a.rest(
      'POST',
      `/api/v1/workspaces/${ws.slug}/environments`,
      { session },
      { name: 'staging', saveUntested: true, autoMigrate: false, connection: { host: '127.0.0.1', port: 1, database: 'd', user: 'staging_login', password: 'pw' } },
    );
    expect(saved.status).toBe(200);
    expect((await list(a, ws.slug, session)).map((c) => c.name)).toEqual(['alpha', 'staging (environment)']);
    await showsWithinBound(() => list(b, ws.slug, session), (items) => items.length === 2, "the environment's connection");
  });

  it.skipIf(target.name !== 'postgres')("a change made while an instance's listener is away shows there", { timeout: 30_000 }, async () => {
    const { ws, session, warm } = await workspaceWithOwner();
    await warm();

    // Every listener is cut, as a database restart or a network fault does: B cannot hear A.
    await h.testDb.database.db.execute(
      sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query = ${`LISTEN ${INVALIDATION_CHANNEL}`}`,
    );
    await vi.waitFor(() => expect(other.invalidation.listening).toBe(false));
    const created = await a.rest('POST', `/api/v1/workspaces/${ws.slug}/connections`, { session }, { name: 'beta', type: 'postgres', host: '127.0.0.1', port: 1, database: 'd', user: 'beta_login' });
    expect(created.status).toBe(200);
    await showsWithinBound(() => list(b, ws.slug, session), (items) => items.length === 2, 'the connection created while it was not listening');

    // Listening again (its pages dropped, as changes may have been missed), B still shows it.
    await vi.waitFor(() => expect(other.invalidation.listening).toBe(true), { timeout: 15_000 });
    expect((await list(b, ws.slug, session)).map((c) => c.name)).toEqual(['alpha', 'beta']);
  });

  it('a Member never sees user names, whoever filled the cache first', async () => {
    const { ws, session: ownerSession, warm } = await workspaceWithOwner();
    const member = await h.user('member');
    await h.member(ws.id, member, 'Member');
    const memberSession = await signIn(member);
    // The Owner's page (with user names) is cached on both instances before the Member asks.
    await warm();
    for (const instance of [a, b]) {
      expect((await list(instance, ws.slug, ownerSession)).map((c) => c.user)).toEqual(['alpha_login']);
      expect((await list(instance, ws.slug, memberSession)).map((c) => c.user)).toEqual([null]);
    }

    // And the other way round, after a change dropped both pages: the Member reads first.
    expect((await a.rest('POST', `/api/v1/workspaces/${ws.slug}/connections`, { session: ownerSession }, { name: 'beta', type: 'postgres', host: '127.0.0.1', port: 1, database: 'd', user: 'beta_login' })).status).toBe(200);
    await showsWithinBound(() => list(b, ws.slug, memberSession), (items) => items.length === 2, 'the new connection');
    for (const instance of [a, b]) {
      expect((await list(instance, ws.slug, memberSession)).map((c) => c.user)).toEqual([null, null]);
      expect((await list(instance, ws.slug, ownerSession)).map((c) => c.user)).toEqual(['alpha_login', 'beta_login']);
    }
  });
});
