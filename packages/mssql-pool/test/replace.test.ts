// Changed settings are verified by their own login before any caller moves (issue 18, item 4):
// the old pool serves meanwhile, keeps serving when the login fails, and drains once the new
// pool has taken over. A password rotation under load fails no call.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolCreateError, ProbeError, WorkspacePoolManager, type ConnectionTargetOf, type PoolReplaceFailedEvent } from '../src/index';
import { recordEvents, startLoad, uniqueId, waitFor } from './helpers';

const SA_PASSWORD = 'Rotation-Sa-Passw0rd';
const FIRST = 'Rotation-First-Passw0rd';
const SECOND = 'Rotation-Second-Passw0rd';

describe('settings change under load', () => {
  let emulator: RunningEmulator;
  let admin: sql.ConnectionPool;

  beforeAll(async () => {
    emulator = await startEmulator({ users: [{ user: 'sa', password: SA_PASSWORD }, { user: 'app', password: FIRST }], databases: ['app'], preload: true });
    admin = await new sql.ConnectionPool({ ...emulator.configFor({ user: 'sa', password: SA_PASSWORD }), options: { encrypt: false } }).connect();
  });
  afterAll(async () => {
    await admin.close();
    await emulator.close();
  });

  const appSessions = () => emulator.control.sessions().filter((s) => s.login === 'app').length;

  it('a wrong new password fails no call and leaves the old pool serving; the right one takes over and the old pool drains', { timeout: 60_000 }, async () => {
    const m = new WorkspacePoolManager({ circuitResetMs: 500, circuitProbeDelayMs: 100 });
    const events = recordEvents(m);
    const base: ConnectionTargetOf<'mssql'> = {
      workspaceId: uniqueId('ws'),
      connectionId: 'rotating',
      type: 'mssql',
      host: emulator.host,
      port: emulator.port,
      database: 'app',
      user: 'app',
      password: FIRST,
      options: { encrypt: false, poolSize: 4 },
    };
    // What the registry says right now: every call builds its target from it, as the API does.
    let registry = base;
    const load = startLoad(() => m.query<{ one: number }>(registry, 'SELECT 1 AS one'), 200);
    await waitFor(() => load.calls.length >= 100, 20_000, 'load to run');
    const firstKey = m.keyOf(base);

    // Callers present a wrong password: its login fails, they are served by the old pool meanwhile.
    registry = { ...base, password: 'not-the-password' };
    await waitFor(() => events.some((e) => e.name === 'replaceFailed'), 20_000, 'the new settings to be refused');
    const refused = events.find((e) => e.name === 'replaceFailed')!.payload as PoolReplaceFailedEvent;
    expect(refused).toMatchObject({ reason: 'settings', current: firstKey });
    expect(refused.error).toBeInstanceOf(PoolCreateError);
    expect((refused.error as PoolCreateError).number).toBe(18456);
    const callsAtRefusal = load.calls.length;
    await waitFor(() => load.calls.length >= callsAtRefusal + 100, 20_000, 'more load on the old pool');
    expect(m.stats().pools.filter((p) => p.state === 'ready').map((p) => p.key)).toEqual([firstKey]);
    expect(m.counters.verificationFailures).toBeGreaterThanOrEqual(1);

    // The rotation as an operator does it: the server first, then the registry.
    await admin.request().batch(`ALTER LOGIN app WITH PASSWORD = '${SECOND}'`);
    registry = { ...base, password: SECOND };
    await waitFor(() => events.some((e) => e.name === 'replace'), 20_000, 'the new pool to take over');
    const secondKey = m.keyOf(registry);
    expect(events.find((e) => e.name === 'replace')?.payload).toMatchObject({ key: secondKey, replaced: firstKey, reason: 'settings' });
    await waitFor(() => events.some((e) => e.name === 'evict' && e.payload.key === firstKey), 20_000, 'the old pool to drain and close');
    const callsAtSwap = load.calls.length;
    await waitFor(() => load.calls.length >= callsAtSwap + 100, 20_000, 'load on the new pool');

    const calls = await load.stop();
    expect(calls.filter((c) => c.error !== undefined)).toEqual([]);
    expect(m.stats().pools.map((p) => [p.key, p.state])).toEqual([[secondKey, 'ready']]);
    expect(events.find((e) => e.name === 'evict' && e.payload.key === firstKey)?.payload).toMatchObject({ reason: 'replaced' });
    // The old pool's sessions are gone from the server; only the new pool's remain.
    expect(appSessions()).toBeLessThanOrEqual(4);
    await m.close();
    await waitFor(() => appSessions() === 0, 5_000, 'sessions to close');
    await admin.request().batch(`ALTER LOGIN app WITH PASSWORD = '${FIRST}'`);
  });

  it('a caller that read the settings just before the change is served by the new pool, without logging the old ones in again', async () => {
    const m = new WorkspacePoolManager();
    const events = recordEvents(m);
    const v1: ConnectionTargetOf<'mssql'> = { workspaceId: uniqueId('ws'), connectionId: 'c', type: 'mssql', host: emulator.host, port: emulator.port, database: 'app', user: 'app', password: FIRST, options: { encrypt: false } };
    const v2 = { ...v1, options: { encrypt: false, requestTimeoutMs: 20_000 } };
    await m.query(v1, 'SELECT 1');
    await m.query(v2, 'SELECT 1');
    await waitFor(() => events.some((e) => e.name === 'replace'), 10_000, 'the new pool to take over');
    const logins = emulator.control.loginCount;
    const stale = await m.acquire(v1);
    expect(stale.key).toBe(m.keyOf(v2));
    stale.release();
    expect(emulator.control.loginCount).toBe(logins);
    expect(m.stats().pools.filter((p) => p.state !== 'draining').map((p) => [p.key, p.replacing])).toEqual([[m.keyOf(v2), false]]);
    await m.close();
  });

  it('verify() is one login with the new settings: the server\'s number on failure, nothing cached, counted', async () => {
    const m = new WorkspacePoolManager();
    const target = { type: 'mssql' as const, host: emulator.host, port: emulator.port, database: 'app', user: 'app', password: FIRST, options: { encrypt: false } };
    const ok = await m.verify(target, { timeoutMs: 20_000 });
    expect(ok.serverVersion).toMatch(/SQL Server/);
    const failure = await m.verify({ ...target, password: 'not-the-password' }, { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProbeError);
    expect(failure).toMatchObject({ step: 'login', reason: 'authentication_failed', errorCode: '18456' });
    expect(m.counters).toMatchObject({ verifications: 2, verificationFailures: 1 });
    expect(m.poolCount).toBe(0);
    await m.close();
  });
});
