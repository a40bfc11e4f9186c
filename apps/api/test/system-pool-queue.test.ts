// More REST calls at once than the system database has connections: they wait for a connection in
// order and are all answered (decision 021), where a wait past the connect deadline used to be
// answered 503 as if the database were down.
import { createDatabase, type Database } from '@studio/db';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRateLimits } from '../src/services/rate-limits';
import { closeServices, type AppServices } from '../src/services/index';
import { serveInstance, type ApiInstance } from './support/api-instance';
import { createHarness, type Harness, createOtherInstance } from './support/harness';

const postgres = testTargets.filter((target) => target.name === 'postgres');

describe.each(postgres)('a system-database pool of two connections on $name', (target) => {
  let h: Harness;
  let small: Database;
  let services: AppServices;
  let api: ApiInstance;

  beforeAll(async () => {
    h = await createHarness(target);
    // Two connections, one of them held by the invalidation listener, and a connect deadline far
    // shorter than 150 calls take to go through the other.
    small = await createDatabase({ url: h.testDb.url, poolSize: 2, connectTimeoutMs: 100, queryTimeoutMs: 5_000 });
    services = await createOtherInstance(h, { database: small, rateLimits: parseRateLimits('list=100000/60') });
    api = await serveInstance(services);
  });

  afterAll(async () => {
    await api?.close();
    if (services) await closeServices(services, { poolDrainDeadlineMs: 1_000 });
    await small?.close();
    await h?.dispose();
  });

  it('answers 150 concurrent list calls, each with the rows', async () => {
    const owner = await h.user('owner');
    const ws = await h.workspace(owner);
    await h.caller(owner.principal).connections.create({ workspaceId: ws.id, name: 'warehouse', type: 'postgres', host: '10.1.2.3', port: 5432, database: 'dw', user: 'reader', password: 'pw' });
    const token = (await h.services.tokens.create({ workspaceId: ws.id, name: 'load', role: 'Member', createdBy: owner.id })).token;
    const answers = await Promise.all(
      Array.from({ length: 150 }, async () => {
        const response = await api.rest('GET', `/api/v1/workspaces/${ws.slug}/connections`, { token });
        const body = (await response.json()) as { items?: { name: string }[] };
        return { status: response.status, names: body.items?.map((c) => c.name) };
      }),
    );
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    expect(new Set(answers.map((answer) => answer.names?.join()))).toEqual(new Set(['warehouse']));
  });
});
