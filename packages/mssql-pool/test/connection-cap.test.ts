import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkspacePoolManager } from '../src/index';
import { uniqueId } from './helpers';
import { startTdsServer, type TdsServer } from './tds';

describe('total connection cap', () => {
  let server: TdsServer;
  beforeAll(async () => {
    server = await startTdsServer();
  });
  afterAll(async () => {
    server.setLatency(0);
    await server.close();
  });

  it('never exceeds maxTotalConnections, measured by the server’s own session count', async () => {
    const cap = 12;
    const m = new WorkspacePoolManager({ maxTotalConnections: cap, maxPools: 50, defaultPoolSize: 4, acquireTimeoutMs: 60_000 });
    const prefix = uniqueId('ws');
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, server.sessions());
    }, 2);
    server.setLatency(5);
    try {
      // 8 workspaces × 10 callers × 10 queries: far more demand than 12 connections.
      const work = Array.from({ length: 8 }, (_, w) => {
        const target = server.target({ workspaceId: `${prefix}-${w}` });
        return Array.from({ length: 10 }, async () => {
          for (let i = 0; i < 10; i++) await m.query(target, 'SELECT 1');
        });
      }).flat();
      await Promise.all(work);
      peak = Math.max(peak, server.sessions());
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(cap);
      expect(m.stats().totals.reservedConnections).toBeLessThanOrEqual(cap);
      expect(m.counters.poolsEvicted.lru).toBeGreaterThan(0);
    } finally {
      clearInterval(sampler);
      await m.close();
    }
  });
});
