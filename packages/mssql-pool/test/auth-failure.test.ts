import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CircuitOpenError, PoolCreateError, WorkspacePoolManager } from '../src/index';
import { trackUnhandled, uniqueId } from './helpers';
import { startTdsServer, type TdsServer } from './tds';

describe('wrong password', () => {
  let server: TdsServer;
  beforeAll(async () => {
    server = await startTdsServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('fails fast with SQL Server error 18456 and causes no retry storm', async () => {
    const unhandled = trackUnhandled();
    const m = new WorkspacePoolManager({ circuitResetMs: 60_000 });
    try {
      const target = server.target({ workspaceId: uniqueId('ws'), password: 'not-the-password' });
      const attemptsBefore = server.loginAttempts();
      const results = await Promise.allSettled(Array.from({ length: 1000 }, () => m.acquire(target)));
      const errors = results.map((r) => (r.status === 'rejected' ? (r.reason as unknown) : undefined));
      expect(errors.every((e) => e instanceof PoolCreateError)).toBe(true);
      const first = errors[0] as PoolCreateError;
      expect(first).toMatchObject({ code: 'POOL_CREATE', number: 18456, driverCode: 'ELOGIN', transient: false });
      expect(first.message).toContain('18456');
      expect(server.loginAttempts() - attemptsBefore).toBe(1);

      // Later callers fail fast without touching the server, and still see the number.
      const later = await Promise.allSettled(Array.from({ length: 100 }, () => m.acquire(target)));
      for (const r of later) {
        expect(r.status).toBe('rejected');
        const reason = (r as PromiseRejectedResult).reason as CircuitOpenError;
        expect(reason).toBeInstanceOf(CircuitOpenError);
        expect(reason.number).toBe(18456);
      }
      expect(server.loginAttempts() - attemptsBefore).toBe(1);

      // Fixing the password is a new fingerprint: no waiting for the circuit.
      const fixed = await m.acquire({ ...target, password: server.password });
      fixed.release();
      // reset() forgets the failure: the next wrong-password call tries (once) again.
      await m.reset({ workspaceId: target.workspaceId });
      await expect(m.acquire(target)).rejects.toBeInstanceOf(PoolCreateError);
      expect(server.loginAttempts() - attemptsBefore).toBe(3);
      expect(unhandled.seen).toEqual([]);
    } finally {
      unhandled.stop();
      await m.close();
    }
  });
});
