// MISSION F9: the 11th connection created in an hour is refused with a retry-after.
import { testTargets } from '@studio/db/testing';
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { postgresStore, RateLimitService, defaultRateLimits } from '../src/services/rate-limits';
import { useHarness, problemOf } from './support/harness';

describe.each(testTargets)('rate limits on $name', (target) => {
  const h = useHarness(target);

  it(`uses the ${target.name === 'postgres' ? 'postgres' : 'memory'} store`, () => {
    expect(h.services.rateLimits.storeName).toBe(target.name === 'postgres' ? 'postgres' : 'memory');
  });

  it('allows 10 connection creations per hour per user, then TOO_MANY_REQUESTS with retryAfterSeconds', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const make = (i: number) => api.connections.create({ workspaceId: ws.id, name: `c${i}`, type: 'postgres', host: '10.0.0.1', port: 5432, database: 'd', user: 'u' });
    for (let i = 1; i <= 10; i += 1) await make(i);
    const problem = await problemOf(make(11));
    expect(problem).toMatchObject({ code: 'TOO_MANY_REQUESTS', error: 'rate_limited', details: { bucket: 'connectionCreate', limit: 10 } });
    expect(problem.details.retryAfterSeconds).toBeGreaterThan(3_000);
    expect(problem.details.retryAfterSeconds).toBeLessThanOrEqual(3_600);

    // Counted per principal: another admin of the same workspace is not affected.
    const admin = await h.user();
    await h.member(ws.id, admin, 'Admin');
    await expect(
      h.caller(admin.principal).connections.create({ workspaceId: ws.id, name: 'by-admin', type: 'postgres', host: '10.0.0.1', port: 5432, database: 'd', user: 'u' }),
    ).resolves.toMatchObject({ name: 'by-admin' });
  });

  it('counts an API token separately from people', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const { principal } = await h.token(ws.id, 'Admin');
    const api = h.caller(principal);
    for (let i = 1; i <= 10; i += 1) {
      await api.connections.create({ workspaceId: ws.id, name: `t${i}`, type: 'mysql', host: '10.0.0.2', port: 3306, database: 'd', user: 'u' });
    }
    await expect(
      api.connections.create({ workspaceId: ws.id, name: 't11', type: 'mysql', host: '10.0.0.2', port: 3306, database: 'd', user: 'u' }),
    ).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
  });

  it('allows 60 list calls a minute', async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    for (let i = 0; i < 60; i += 1) await api.connections.list({ workspaceId: ws.id });
    const problem = await problemOf(api.audit.list({ workspaceId: ws.id }));
    expect(problem).toMatchObject({ code: 'TOO_MANY_REQUESTS', details: { bucket: 'list', limit: 60 } });
    expect(problem.details.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it('lets the web UI browse on its own budget, leaving the API read budgets and operations alone', async () => {
    const limits = h.services.rateLimits;
    const web = limits.forRequest('web');
    const subject = { kind: 'user' as const, id: randomUUID() };
    // Twice the API's list budget in page loads: all counted on webRead.
    for (let i = 0; i < defaultRateLimits.list.points * 2; i += 1) await web.consume(i % 2 ? 'list' : 'status', subject);
    await limits.consume('list', subject);
    // Operations keep their budget through the UI too.
    for (let i = 0; i < defaultRateLimits.poolReset.points; i += 1) await web.consume('poolReset', subject);
    await expect(web.consume('poolReset', subject)).rejects.toMatchObject({ code: 'rate_limited', bucket: 'poolReset' });
    // And the UI budget is a ceiling.
    for (let i = defaultRateLimits.list.points * 2; i < defaultRateLimits.webRead.points; i += 1) await web.consume('list', subject);
    await expect(web.consume('list', subject)).rejects.toMatchObject({ code: 'rate_limited', bucket: 'webRead', retryAfterSeconds: expect.any(Number) as number });
  });

  it.runIf(target.name === 'postgres')('shares counters between instances through the system database', async () => {
    const other = await h.testDb.openAnother();
    if (other.kind !== 'pg' || h.testDb.database.kind !== 'pg') throw new Error('expected pg handles');
    const a = new RateLimitService(await postgresStore(h.testDb.database.client), defaultRateLimits);
    const b = new RateLimitService(await postgresStore(other.client), defaultRateLimits);
    const subject = { kind: 'user' as const, id: randomUUID() };
    for (let i = 0; i < 5; i += 1) {
      await a.consume('poolReset', subject).catch((error: unknown) => {
        throw new Error(`call ${i + 1} refused: ${String(error)}`);
      });
    }
    await expect(b.consume('poolReset', subject)).rejects.toMatchObject({ code: 'rate_limited', bucket: 'poolReset' });
  });
});
