import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolCreateError, WorkspacePoolManager } from '../src/index';
import { recordEvents, uniqueId } from './helpers';
import { startTdsServer, type TdsServer } from './tds';

describe('single-flight pool creation', () => {
  let server: TdsServer;
  beforeAll(async () => {
    server = await startTdsServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('1,000 concurrent cold acquires share one creation and cause exactly one login', async () => {
    const m = new WorkspacePoolManager();
    const events = recordEvents(m);
    const target = server.target({ workspaceId: uniqueId('ws') });
    const before = server.logins();
    // Each caller builds its own target object, as API requests would.
    const leases = await Promise.all(Array.from({ length: 1000 }, () => m.acquire({ ...target, options: { ...target.options } })));
    expect(server.logins() - before).toBe(1);
    expect(events.filter((e) => e.name === 'create')).toHaveLength(1);
    expect(new Set(leases.map((l) => l.key)).size).toBe(1);
    expect(new Set(leases.map((l) => l.pool)).size).toBe(1);
    for (const lease of leases) lease.release();
    expect(m.stats().pools[0]).toMatchObject({ state: 'ready', leases: 0 });
    await m.close();
  });

  it('1,000 concurrent cold queries: one probe login plus at most poolSize connections', async () => {
    const m = new WorkspacePoolManager();
    const target = server.target({ workspaceId: uniqueId('ws'), options: { poolSize: 10 } });
    const before = server.logins();
    const results = await Promise.all(Array.from({ length: 1000 }, () => m.query<{ one: number }>(target, 'SELECT 1 AS one')));
    expect(results.every((r) => r.rows[0]?.one === 1)).toBe(true);
    expect(server.logins() - before).toBeLessThanOrEqual(1 + 10);
    expect(m.counters.poolsCreated).toBe(1);
    await m.close();
  });

  it('a failed creation is shared by its concurrent callers but not cached', async () => {
    const m = new WorkspacePoolManager({ failureThreshold: 1, circuitResetMs: 50 });
    const target = server.target({ workspaceId: uniqueId('ws') });
    await server.stop();
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => m.acquire(target)));
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof PoolCreateError && r.reason.transient)).toBe(true);
    expect(m.counters.createFailures).toBe(1);
    expect(m.stats().pools).toHaveLength(0);
    await server.start();
    await new Promise((r) => setTimeout(r, 60));
    const lease = await m.acquire(target);
    expect(lease.key).toBe(m.keyOf(target));
    lease.release();
    await m.close();
  });
});
