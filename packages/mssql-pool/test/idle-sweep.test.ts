import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkspacePoolManager, type PoolEvictedEvent } from '../src/index';
import { uniqueId, waitFor } from './helpers';
import { startTdsServer, type TdsServer } from './tds';

describe('idle sweep', () => {
  let server: TdsServer;
  beforeAll(async () => {
    server = await startTdsServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('closes pools unused for idleTimeoutMs, keeps used and leased ones', async () => {
    const m = new WorkspacePoolManager({ idleTimeoutMs: 300, sweepIntervalMs: 25 });
    const evicted: PoolEvictedEvent[] = [];
    m.on('evict', (e) => evicted.push(e));
    const idle = server.target({ workspaceId: uniqueId('idle') });
    const leased = server.target({ workspaceId: uniqueId('leased') });
    await m.query(idle, 'SELECT 1');
    const lease = await m.acquire(leased);
    const sessionsBefore = server.sessions();
    expect(sessionsBefore).toBeGreaterThan(0);

    await waitFor(() => evicted.length > 0, 5000, 'idle eviction');
    expect(evicted).toEqual([expect.objectContaining({ workspaceId: idle.workspaceId, reason: 'idle' })]);
    // The leased pool is never swept, however long it is held.
    await new Promise((r) => setTimeout(r, 400));
    expect(m.stats().pools.map((p) => p.workspaceId)).toEqual([leased.workspaceId]);
    lease.release();
    await waitFor(() => m.poolCount === 0, 5000, 'leased pool to be swept after release');
    await waitFor(() => server.sessions() === 0, 5000, 'server sessions to close');
    await m.close();
  });

  it("a target's own idleTimeoutMs closes its pool, however long the manager's sweep period", async () => {
    // The manager would keep pools for an hour and sweep once a minute; the target says 400 ms.
    const m = new WorkspacePoolManager({ idleTimeoutMs: 3_600_000, sweepIntervalMs: 60_000 });
    const evicted: PoolEvictedEvent[] = [];
    m.on('evict', (e) => evicted.push(e));
    try {
      const short = server.target({ workspaceId: uniqueId('short'), options: { encrypt: false, idleTimeoutMs: 400 } });
      const long = server.target({ workspaceId: uniqueId('long') });
      await m.query(short, 'SELECT 1');
      await m.query(long, 'SELECT 1');
      await waitFor(() => evicted.length > 0, 5000, 'the short-idle pool to close');
      expect(evicted).toEqual([expect.objectContaining({ workspaceId: short.workspaceId, reason: 'idle' })]);
      expect(m.stats().pools.map((p) => p.workspaceId)).toEqual([long.workspaceId]);
    } finally {
      await m.close();
    }
  });

  it('its timers never keep the process alive', () => {
    const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const script = `import { WorkspacePoolManager } from ${JSON.stringify(entry)}; new WorkspacePoolManager({ sweepIntervalMs: 10 });`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000, encoding: 'utf8' });
    expect(child.error).toBeUndefined();
    expect(child.status).toBe(0);
  });
});
