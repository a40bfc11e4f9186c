// Once an instance knows who is calling (session or token, and their role in the workspace) and has
// presented the page (decision 023), listing connections costs the system database nothing; after a
// change it costs one statement, the list itself, once. Rate-limit counters are a statement only
// where they live in the system database (PostgreSQL without REDIS_URL).
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveInstance, type ApiInstance } from './support/api-instance';
import { createHarness, type Harness } from './support/harness';
import { countStatements, type StatementCounter } from './support/statement-counter';

const redisUrl = process.env.REDIS_URL;

describe.each(testTargets)('connections list round trips on $name', (target) => {
  let h: Harness;
  let api: ApiInstance;
  let statements: StatementCounter;

  beforeAll(async () => {
    h = await createHarness(target, target.name === 'postgres' && redisUrl ? { redisUrl } : {});
    api = await serveInstance(h.services);
    statements = countStatements(h.testDb.database);
  });

  afterAll(async () => {
    await api?.close();
    await h?.dispose();
  });

  it('no statement per list after the first call, for a session and for a token; one after a change', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    await h.caller(owner.principal).connections.create({ workspaceId: ws.id, name: 'warehouse', type: 'postgres', host: '10.1.2.3', port: 5432, database: 'dw', user: 'reader', password: 'pw' });
    const session = (await h.services.sessions.create(owner.id)).id;
    const token = (await h.services.tokens.create({ workspaceId: ws.id, name: 'ci', role: 'Member', createdBy: owner.id })).token;
    const counters = h.services.rateLimits.storeName === 'postgres' ? 1 : 0;
    const path = `/api/v1/workspaces/${ws.slug}/connections`;

    for (const auth of [{ session }, { token }]) {
      expect((await api.rest('GET', path, auth)).status).toBe(200);
      statements.reset();
      const response = await api.rest('GET', path, auth);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { items: { name: string }[] }).items.map((c) => c.name)).toEqual(['warehouse']);
      expect(statements.count).toBe(counters);
    }

    await h.caller(owner.principal).connections.create({ workspaceId: ws.id, name: 'archive', type: 'postgres', host: '10.1.2.4', port: 5432, database: 'ar', user: 'reader', password: 'pw' });
    statements.reset();
    const changed = await api.rest('GET', path, { session });
    expect(((await changed.json()) as { items: { name: string }[] }).items.map((c) => c.name)).toEqual(['archive', 'warehouse']);
    expect(statements.count).toBe(1 + counters);
  });

  it('callers that miss together share one read: 25 lists right after a change cost one statement, and 25 first uses of a token one lookup each', async () => {
    const owner = await h.user('owner-burst');
    const ws = await h.workspace(owner);
    await h.caller(owner.principal).connections.create({ workspaceId: ws.id, name: 'warehouse', type: 'postgres', host: '10.1.2.3', port: 5432, database: 'dw', user: 'reader', password: 'pw' });
    const token = (await h.services.tokens.create({ workspaceId: ws.id, name: 'burst', role: 'Member', createdBy: owner.id })).token;
    const counters = h.services.rateLimits.storeName === 'postgres' ? 25 : 0;
    const path = `/api/v1/workspaces/${ws.slug}/connections`;
    // 25 + 25 calls: within the token's list budget (60 a minute).

    // A token nobody has used yet, a workspace slug not looked up yet and a page nobody has read:
    // one statement each (the token's last-used time is written once a minute: one more).
    statements.reset();
    const first = await Promise.all(Array.from({ length: 25 }, () => api.rest('GET', path, { token })));
    expect(first.map((response) => response.status)).toEqual(Array.from({ length: 25 }, () => 200));
    const pages = await Promise.all(first.map(async (response) => ((await response.json()) as { items: { name: string }[] }).items.map((c) => c.name)));
    expect(pages).toEqual(Array.from({ length: 25 }, () => ['warehouse']));
    expect(statements.count).toBe(4 + counters);

    // A caller that comes after a change never gets a page read before it.
    await h.caller(owner.principal).connections.create({ workspaceId: ws.id, name: 'archive', type: 'postgres', host: '10.1.2.4', port: 5432, database: 'ar', user: 'reader', password: 'pw' });
    statements.reset();
    const after = await Promise.all(Array.from({ length: 25 }, () => api.rest('GET', path, { token })));
    const names = await Promise.all(after.map(async (response) => ((await response.json()) as { items: { name: string }[] }).items.map((c) => c.name)));
    expect(names).toEqual(Array.from({ length: 25 }, () => ['archive', 'warehouse']));
    expect(statements.count).toBe(1 + counters);
  });
});
