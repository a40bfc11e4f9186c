import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkspacePoolManager, type PoolUnhealthyEvent } from '../src/index';
import { trackUnhandled, uniqueId, waitFor } from './helpers';
import { startTdsServer, type TdsServer } from './tds';

/** Callers hammering the manager, errors counted rather than thrown, until stopped. */
function traffic(run: () => Promise<unknown>, callers: number) {
  let running = true;
  let ok = 0;
  let failed = 0;
  const loops = Array.from({ length: callers }, async () => {
    while (running) {
      try {
        await run();
        ok++;
      } catch {
        failed++;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  });
  return {
    get ok() {
      return ok;
    },
    get failed() {
      return failed;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe('server outage', () => {
  let server: TdsServer;
  beforeAll(async () => {
    server = await startTdsServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('killed mid-traffic → unhealthy → bounded exponential backoff → back → recover, no crash', async () => {
    const unhandled = trackUnhandled();
    const m = new WorkspacePoolManager({ retryBaseDelayMs: 40, retryMaxDelayMs: 320, failureThreshold: 50, acquireTimeoutMs: 2000 });
    const unhealthy: Array<PoolUnhealthyEvent & { at: number }> = [];
    const recovered: unknown[] = [];
    m.on('unhealthy', (e) => unhealthy.push({ ...e, at: performance.now() }));
    m.on('recover', (e) => recovered.push(e));
    m.on('error', () => undefined);
    try {
      const target = server.target({ workspaceId: uniqueId('ws') });
      const load = traffic(() => m.query(target, 'SELECT 1'), 20);
      await waitFor(() => load.ok > 200, 10_000, 'warm traffic');

      await server.stop();
      await waitFor(() => unhealthy.length >= 7, 15_000, 'seven failed attempts');
      const attempts = unhealthy.slice(0, 7);
      // Full jitter: each delay is drawn under a ceiling that doubles and then stays at the cap.
      const ceilings = attempts.map((e) => e.ceilingMs!);
      expect(ceilings).toEqual([40, 80, 160, 320, 320, 320, 320]);
      for (const e of attempts) expect(e.retryInMs!).toBeLessThan(e.ceilingMs!);
      // The attempts really were spaced by at least the announced delay, and never by much more
      // than the cap (generous bound for a busy machine).
      for (let i = 1; i < attempts.length; i++) {
        const gap = attempts[i]!.at - attempts[i - 1]!.at;
        expect(gap).toBeGreaterThanOrEqual(attempts[i - 1]!.retryInMs! - 2);
        expect(gap).toBeLessThan(320 + 2000);
      }
      expect(attempts.every((e) => !e.circuitOpen)).toBe(true);

      await server.start();
      await waitFor(() => recovered.length > 0, 10_000, 'recover event');
      const okBefore = load.ok;
      await waitFor(() => load.ok > okBefore + 100, 10_000, 'traffic to flow again');
      await load.stop();
      expect(m.stats().pools[0]?.state).toBe('ready');
      expect(unhandled.seen).toEqual([]);
    } finally {
      unhandled.stop();
      await m.close();
    }
  });

  it('spacing grows with a fixed jitter draw, and is capped', async () => {
    const m = new WorkspacePoolManager({ retryBaseDelayMs: 30, retryMaxDelayMs: 240, failureThreshold: 50, random: () => 0.999 });
    const at: number[] = [];
    m.on('unhealthy', () => at.push(performance.now()));
    try {
      const target = server.target({ workspaceId: uniqueId('ws') });
      await m.query(target, 'SELECT 1');
      await server.stop();
      await m.query(target, 'SELECT 1').catch(() => undefined);
      await waitFor(() => at.length >= 7, 15_000, 'seven failed attempts');
      const gaps = at.slice(1, 7).map((t, i) => t - at[i]!);
      // Expected ≈ 30, 60, 120, 240, 240, 240 ms.
      expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
      expect(gaps[2]!).toBeGreaterThan(gaps[1]!);
      expect(gaps[3]!).toBeGreaterThan(gaps[2]!);
      for (const gap of gaps.slice(3)) expect(gap).toBeGreaterThanOrEqual(238);
      for (const gap of gaps) expect(gap).toBeLessThan(240 + 2000);
    } finally {
      await server.start();
      await m.close();
    }
  });
});
