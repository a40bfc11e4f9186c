// The circuit breaker: failed calls (not their retries) open it; an open circuit fails callers
// fast, lets one probe through after 1-2 × circuitProbeDelayMs, doubles the wait after each failed
// probe, and closes on the first success or when something else reached the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CircuitOpenError, PoolCreateError, WorkspacePoolManager } from '../src/index';
import { trackUnhandled, uniqueId, waitFor } from './helpers';
import { startTdsServer, type TdsServer } from './tds';

describe('circuit breaker', () => {
  let server: TdsServer;
  beforeAll(async () => {
    server = await startTdsServer();
  }, 120_000);
  afterAll(async () => {
    await server.close();
  });

  const options = { retryBaseDelayMs: 10, retryMaxDelayMs: 20, failureThreshold: 3, circuitProbeDelayMs: 200, circuitResetMs: 5_000, connectTimeoutMs: 30_000 };

  it('counts a call once however often it retried, opens after N failed calls, probes after 1-2 × the probe delay, closes on success', async () => {
    const unhandled = trackUnhandled();
    const m = new WorkspacePoolManager(options);
    const recovered: unknown[] = [];
    m.on('recover', (e) => recovered.push(e));
    try {
      const target = server.target({ workspaceId: uniqueId('ws') });
      await server.stop();
      // Each call retries up to the threshold (3 attempts) and is one failure of the circuit.
      for (let call = 1; call <= 2; call++) {
        await expect(m.acquire(target)).rejects.toBeInstanceOf(PoolCreateError);
        expect(m.stats().circuits).toEqual([]);
      }
      await expect(m.acquire(target)).rejects.toBeInstanceOf(PoolCreateError);
      const opened = Date.now();
      const [circuit] = m.stats().circuits;
      expect(circuit).toMatchObject({ failures: 3 });
      const firstWait = circuit!.retryAt.getTime() - opened;
      expect(firstWait).toBeGreaterThanOrEqual(190);
      expect(firstWait).toBeLessThanOrEqual(400);

      // Open: fail fast, no login attempt.
      const started = performance.now();
      await expect(m.acquire(target)).rejects.toBeInstanceOf(CircuitOpenError);
      expect(performance.now() - started).toBeLessThan(50);

      // The half-open probe fails (server still down): the next wait doubles.
      await waitFor(() => m.stats().circuits.length === 0, 2_000, 'half-open');
      await expect(m.acquire(target)).rejects.toBeInstanceOf(PoolCreateError);
      const reopened = m.stats().circuits[0]!;
      const secondWait = reopened.retryAt.getTime() - Date.now();
      expect(secondWait).toBeGreaterThan(300);
      expect(secondWait).toBeLessThanOrEqual(800);

      // Back: the first call after the wait probes and closes the circuit.
      await server.start();
      await waitFor(() => m.stats().circuits.length === 0, 2_000, 'second half-open');
      const lease = await m.acquire(target);
      lease.release();
      expect(recovered).toHaveLength(1);
      expect(m.stats().circuits).toEqual([]);
      expect(unhandled.seen).toEqual([]);
    } finally {
      unhandled.stop();
      await server.start();
      await m.close();
    }
  });

  it('reportReachable (a passing connection test) closes an open circuit at once', async () => {
    const m = new WorkspacePoolManager({ ...options, circuitProbeDelayMs: 5_000 });
    try {
      const target = server.target({ workspaceId: uniqueId('ws') });
      await server.stop();
      for (let call = 1; call <= 3; call++) await expect(m.acquire(target)).rejects.toBeInstanceOf(PoolCreateError);
      await expect(m.acquire(target)).rejects.toBeInstanceOf(CircuitOpenError);
      await server.start();
      m.reportReachable({ workspaceId: target.workspaceId, connectionId: target.connectionId });
      const lease = await m.acquire(target);
      lease.release();
    } finally {
      await server.start();
      await m.close();
    }
  });
});
