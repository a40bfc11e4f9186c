// maxLifetimeMs (issue 18, item 4): a pool past its (jittered) lifetime is renewed behind its
// traffic, so a moved DNS name or a rotated password is picked up without a reset and without a
// failed call; an idle one just closes; a renewal that cannot log in leaves the old pool serving.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkspacePoolManager, type ConnectionTargetOf, type PoolEvictedEvent, type PoolReplacedEvent } from '../src/index';
import { recordEvents, startLoad, uniqueId, waitFor } from './helpers';

const SA_PASSWORD = 'Lifetime-Sa-Passw0rd';
const PASSWORD = 'Lifetime-Passw0rd';

describe('pool lifetime', () => {
  let here: RunningEmulator;
  let moved: RunningEmulator;

  beforeAll(async () => {
    const options = { users: [{ user: 'sa', password: SA_PASSWORD }, { user: 'app', password: PASSWORD }], databases: ['app'], preload: true };
    here = await startEmulator({ ...options, serverName: 'here' });
    // The same port on another loopback address: where the name points after the move.
    moved = await startEmulator({ ...options, serverName: 'moved', host: '127.0.0.2', port: here.port });
  });
  afterAll(async () => {
    await Promise.all([here?.close(), moved?.close()]);
  });

  const target = (overrides: Partial<ConnectionTargetOf<'mssql'>> = {}): ConnectionTargetOf<'mssql'> => ({
    workspaceId: uniqueId('ws'),
    connectionId: 'aging',
    type: 'mssql',
    host: here.host,
    port: here.port,
    database: 'app',
    user: 'app',
    password: PASSWORD,
    options: { encrypt: false, poolSize: 4 },
    ...overrides,
  });
  const serverOf = async (m: WorkspacePoolManager, t: ConnectionTargetOf<'mssql'>) => (await m.query<{ server: string }>(t, 'SELECT @@SERVERNAME AS server')).rows[0]?.server;

  it('a pool in use is renewed behind its traffic: a moved name is followed, no call fails, the old pools drain', { timeout: 60_000 }, async () => {
    // The name's address, as a resolver would answer it now.
    let address = '127.0.0.1';
    const m = new WorkspacePoolManager({ maxLifetimeMs: 600, beforeConnect: () => address });
    const events = recordEvents(m);
    const t = target({ host: 'db.test' });
    const load = startLoad(() => serverOf(m, t), 100);
    await waitFor(() => events.filter((e) => e.name === 'replace').length >= 2, 30_000, 'two renewals');
    expect(load.calls.filter((c) => c.value !== undefined).every((c) => c.value === 'here')).toBe(true);

    address = '127.0.0.2';
    const movedAt = performance.now();
    await waitFor(() => events.some((e) => e.name === 'replace' && e.at > movedAt), 30_000, 'a renewal after the move');
    const renewedAt = events.find((e) => e.name === 'replace' && e.at > movedAt)!.at;
    const callsAtRenewal = load.calls.length;
    await waitFor(() => load.calls.length >= callsAtRenewal + 50, 30_000, 'load on the renewed pool');
    const calls = await load.stop();

    expect(calls.filter((c) => c.error !== undefined)).toEqual([]);
    expect(new Set(calls.filter((c) => c.startedAt > renewedAt).map((c) => c.value))).toEqual(new Set(['moved']));
    const replaced = events.filter((e) => e.name === 'replace').map((e) => e.payload as PoolReplacedEvent);
    expect(replaced.every((e) => e.reason === 'lifetime' && e.key === e.replaced)).toBe(true);
    await waitFor(() => m.stats().totals.drainingPools === 0, 10_000, 'old pools to close');
    const evicted = events.filter((e) => e.name === 'evict').map((e) => (e.payload as PoolEvictedEvent).reason);
    expect(evicted.length).toBeGreaterThanOrEqual(2);
    expect(new Set(evicted)).toEqual(new Set(['expired']));
    expect(m.counters.poolsEvicted.expired).toBe(evicted.length);
    await m.close();
  });

  it('an idle pool past its lifetime closes; the next caller logs in afresh', { timeout: 30_000 }, async () => {
    const m = new WorkspacePoolManager({ maxLifetimeMs: 300, healthCheckBypassMs: 50 });
    const events = recordEvents(m);
    const t = target();
    await serverOf(m, t);
    await waitFor(() => events.some((e) => e.name === 'evict'), 10_000, 'the idle pool to close');
    expect(events.find((e) => e.name === 'evict')?.payload).toMatchObject({ reason: 'expired' });
    expect(m.poolCount).toBe(0);
    expect(events.some((e) => e.name === 'replace')).toBe(false);
    expect(await serverOf(m, t)).toBe('here');
    await m.close();
  });

  it('a renewal that cannot log in (password rotated on the server only) leaves the old pool serving', { timeout: 60_000 }, async () => {
    const admin = await new sql.ConnectionPool({ ...here.configFor({ user: 'sa', password: SA_PASSWORD }), options: { encrypt: false } }).connect();
    const m = new WorkspacePoolManager({ maxLifetimeMs: 500, circuitResetMs: 500 });
    const events = recordEvents(m);
    // One connection, one caller at a time: the pool never needs a new login of its own, which
    // the rotated password would refuse; what is checked is that the renewal does not take it away.
    const t = target({ options: { encrypt: false, poolSize: 1 } });
    expect(await serverOf(m, t)).toBe('here');
    const key = m.keyOf(t);
    await admin.request().batch("ALTER LOGIN app WITH PASSWORD = 'Rotated-Elsewhere-0'");
    let calls = 0;
    while (!events.some((e) => e.name === 'replaceFailed') || calls < 50) {
      expect(await serverOf(m, t)).toBe('here');
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(events.find((e) => e.name === 'replaceFailed')?.payload).toMatchObject({ reason: 'lifetime', current: key, error: { number: 18456 } });
    expect(m.counters.verificationFailures).toBeGreaterThanOrEqual(1);
    expect(m.stats().pools.map((p) => [p.key, p.state])).toEqual([[key, 'ready']]);
    await admin.request().batch(`ALTER LOGIN app WITH PASSWORD = '${PASSWORD}'`);
    await admin.close();
    await m.close();
  });
});
