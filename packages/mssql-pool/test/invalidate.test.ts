import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkspacePoolManager, type PoolEvictedEvent } from '../src/index';
import { recordEvents, uniqueId, waitFor } from './helpers';
import { startTdsServer, type TdsServer } from './tds';

describe('settings change', () => {
  let server: TdsServer;
  beforeAll(async () => {
    server = await startTdsServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('new settings log in behind the old pool, which serves until they work, then drains its in-flight work and closes', async () => {
    const m = new WorkspacePoolManager();
    const events = recordEvents(m);
    const v1 = server.target({ workspaceId: uniqueId('ws') });
    const v2 = { ...v1, options: { requestTimeoutMs: 20_000 } };
    const oldLease = await m.acquire(v1);
    server.setLatency(300);
    const inFlight = oldLease.query<{ one: number }>('SELECT 1 AS one');
    await new Promise((r) => setTimeout(r, 20));

    // The first caller with the new settings starts their login and is served by the old pool.
    const during = await m.acquire(v2);
    expect(during.key).toBe(oldLease.key);
    during.release();
    await waitFor(() => events.some((e) => e.name === 'replace'), 5000, 'the new pool to take over');
    const newLease = await m.acquire(v2);
    expect(newLease.key).not.toBe(oldLease.key);
    const states = Object.fromEntries(m.stats().pools.map((p) => [p.key, p.state]));
    expect(states).toEqual({ [oldLease.key]: 'draining', [newLease.key]: 'ready' });
    expect(events.some((e) => e.name === 'evict')).toBe(false);
    expect(events.find((e) => e.name === 'replace')?.payload).toMatchObject({ key: newLease.key, replaced: oldLease.key, reason: 'settings' });

    expect((await inFlight).rows).toEqual([{ one: 1 }]);
    server.setLatency(0);
    oldLease.release();
    await waitFor(() => events.some((e) => e.name === 'evict'), 5000, 'old pool to close');
    const evict = events.find((e) => e.name === 'evict')!.payload as PoolEvictedEvent;
    expect(evict).toMatchObject({ key: oldLease.key, reason: 'replaced' });
    expect(m.stats().pools.map((p) => p.key)).toEqual([newLease.key]);
    newLease.release();
    await m.close();
  });

  it('invalidate(): the next caller opens a fresh pool, the old one is drained and closed', async () => {
    const m = new WorkspacePoolManager();
    const target = server.target({ workspaceId: uniqueId('ws') });
    await m.query(target, 'SELECT 1');
    const before = server.logins();
    const lease = await m.acquire(target);
    const invalidated = m.invalidate({ workspaceId: target.workspaceId, connectionId: target.connectionId });
    const fresh = await m.acquire(target);
    expect(server.logins()).toBe(before + 1);
    expect(m.stats().pools.map((p) => p.state).sort()).toEqual(['draining', 'ready']);
    lease.release();
    await invalidated;
    expect(m.stats().pools.map((p) => p.state)).toEqual(['ready']);
    fresh.release();
    await m.close();
    await waitFor(() => server.sessions() === 0, 5000, 'sessions to close');
  });
});
