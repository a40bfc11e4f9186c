import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolLimitError, WorkspacePoolManager, type PoolEvictedEvent } from '../src/index';
import { uniqueId } from './helpers';
import { startTdsServer, type TdsServer } from './tds';

describe('LRU eviction', () => {
  let server: TdsServer;
  beforeAll(async () => {
    server = await startTdsServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('evicts the least recently used idle pool first', async () => {
    const m = new WorkspacePoolManager({ maxPools: 3 });
    const evicted: PoolEvictedEvent[] = [];
    m.on('evict', (e) => evicted.push(e));
    const prefix = uniqueId('ws');
    const t = (n: number) => server.target({ workspaceId: `${prefix}-${n}` });
    const touch = async (n: number) => (await m.acquire(t(n))).release();
    await touch(1);
    await touch(2);
    await touch(3);
    await touch(1); // 2 is now the least recently used
    await touch(4);
    await touch(5);
    await m.stats(); // evictions close asynchronously
    await new Promise((r) => setTimeout(r, 50));
    expect(evicted.map((e) => [e.workspaceId, e.reason])).toEqual([
      [`${prefix}-2`, 'lru'],
      [`${prefix}-3`, 'lru'],
    ]);
    expect(m.poolCount).toBe(3);
    expect(m.stats().pools.map((p) => p.workspaceId).sort()).toEqual([`${prefix}-1`, `${prefix}-4`, `${prefix}-5`]);
    await m.close();
  });

  it('never evicts a pool with borrowed connections; callers wait, then get PoolLimitError', async () => {
    const m = new WorkspacePoolManager({ maxPools: 2 });
    const prefix = uniqueId('ws');
    const t = (n: number) => server.target({ workspaceId: `${prefix}-${n}` });
    const busy = await m.acquire(t(1));
    server.setLatency(400);
    const inFlight = busy.query<{ one: number }>('SELECT 1 AS one');
    (await m.acquire(t(2))).release();
    // Room for 3 comes from the idle pool 2, not from busy pool 1.
    const third = await m.acquire(t(3));
    expect(m.stats().pools.map((p) => p.workspaceId).sort()).toEqual([`${prefix}-1`, `${prefix}-3`]);

    const refused = await m.acquire(t(4), { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PoolLimitError);
    expect((refused as PoolLimitError).limit).toBe('maxPools');
    expect((await inFlight).rows).toEqual([{ one: 1 }]);
    server.setLatency(0);

    // A waiting caller gets its pool as soon as one frees up.
    const waiting = m.acquire(t(4), { timeoutMs: 5000 });
    busy.release();
    const fourth = await waiting;
    expect(m.stats().pools.map((p) => p.workspaceId).sort()).toEqual([`${prefix}-3`, `${prefix}-4`]);
    third.release();
    fourth.release();
    await m.close();
  });
});
