// SQL Server failover partner (issue 18, item 3): two emulators stand for the mirroring partners.
// When the primary dies or refuses logins, new leases go to the partner; work in flight on the
// dead server fails (never retried there or elsewhere); the pool stays on the partner until it is
// reset or the partner fails in turn.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WorkspacePoolManager, type ConnectionTargetOf, type PoolFailoverEvent } from '../src/index';
import { recordEvents, startLoad, uniqueId, waitFor } from './helpers';

const PASSWORD = 'Mirrored-Passw0rd';

describe('failover partner', () => {
  let primary: RunningEmulator;
  let partner: RunningEmulator;

  beforeAll(async () => {
    const options = { users: [{ user: 'app', password: PASSWORD }], databases: ['app'], preload: true };
    [primary, partner] = await Promise.all([startEmulator({ ...options, serverName: 'primary' }), startEmulator({ ...options, serverName: 'partner' })]);
  });
  afterAll(async () => {
    await Promise.all([primary.close(), partner.close()]);
  });
  beforeEach(async () => {
    for (const server of [primary, partner]) {
      if (!server.control.isRunning) await server.control.restart();
      server.control.clearFaults();
    }
  });

  const mirrored = (): ConnectionTargetOf<'mssql'> => ({
    workspaceId: uniqueId('ws'),
    connectionId: 'mirrored',
    type: 'mssql',
    host: primary.host,
    port: primary.port,
    database: 'app',
    user: 'app',
    password: PASSWORD,
    options: { encrypt: false, failoverPartner: { host: partner.host, port: partner.port } },
  });
  const serverOf = async (m: WorkspacePoolManager, target: ConnectionTargetOf<'mssql'>) =>
    (await m.query<{ server: string }>(target, 'SELECT @@SERVERNAME AS server')).rows[0]?.server;

  it('at 200 queries/s with the primary killed, every call after the failover succeeds on the partner; the failed ones were in flight on the primary', { timeout: 90_000 }, async () => {
    const m = new WorkspacePoolManager();
    const events = recordEvents(m);
    const target = mirrored();
    const load = startLoad(() => serverOf(m, target), 200);
    await waitFor(() => load.calls.filter((c) => c.value === 'primary').length >= 200, 30_000, 'load on the primary');

    const killedAt = performance.now();
    await primary.control.stop();
    await waitFor(() => events.some((e) => e.name === 'failover'), 30_000, 'the failover');
    const failover = events.find((e) => e.name === 'failover')!;
    const detectedAt = events.find((e) => e.name === 'unhealthy' && e.at >= killedAt)!.at;
    const callsAtFailover = load.calls.length;
    await waitFor(() => load.calls.length >= callsAtFailover + 200, 30_000, 'load on the partner');
    const calls = await load.stop();

    expect(failover.payload as PoolFailoverEvent).toMatchObject({ from: { port: primary.port }, to: { port: partner.port } });
    const after = calls.filter((c) => c.startedAt >= failover.at);
    expect(after.length).toBeGreaterThanOrEqual(200);
    expect(after.filter((c) => c.error !== undefined)).toEqual([]);
    expect(new Set(after.map((c) => c.value))).toEqual(new Set(['partner']));
    // The failed calls are bounded by the calls exposed to the dead server: started before the
    // manager knew (each held a lease on the primary's pool) and not finished before the kill.
    const failed = calls.filter((c) => c.error !== undefined);
    const exposed = calls.filter((c) => c.startedAt <= detectedAt && c.endedAt >= killedAt);
    expect(failed.every((c) => c.startedAt <= detectedAt)).toBe(true);
    expect(failed.length).toBeLessThanOrEqual(exposed.length);
    // Each one failed for its lost connection, with the driver's own error.
    // Each one says its server went away and that it was not retried, with the driver's error as the cause.
    for (const c of failed) expect(c.error).toMatchObject({ code: 'SERVER_LOST', server: { port: primary.port } });
    expect(m.counters.failovers).toBe(1);
    expect(m.stats().pools.map((p) => [p.state, p.server.port])).toEqual([['ready', partner.port]]);
    console.info(
      `failover: ${calls.length} calls at ~200/s, ${failed.length} failed of ${exposed.length} exposed to the primary ` +
        `(${(failover.payload as PoolFailoverEvent).inFlight} leases held on it at the switch); ` +
        `${Math.round(failover.at - killedAt)} ms from kill to failover`,
    );
    await m.close();
  });

  it('a primary refusing logins sends a new pool to the partner; it stays there until reset, then goes back', { timeout: 60_000 }, async () => {
    const m = new WorkspacePoolManager();
    const events = recordEvents(m);
    const target = mirrored();
    primary.control.refuseLogins('error');
    expect(await serverOf(m, target)).toBe('partner');
    expect(events.filter((e) => e.name === 'failover').map((e) => e.payload)).toMatchObject([{ from: { port: primary.port }, to: { port: partner.port }, inFlight: 0 }]);

    // The primary is back, but nothing moves until the operator says so.
    primary.control.acceptLogins();
    expect(await serverOf(m, target)).toBe('partner');
    await m.reset({ workspaceId: target.workspaceId });
    expect(await serverOf(m, target)).toBe('primary');
    expect(m.counters.failovers).toBe(1);
    await m.close();
  });

  it('on the partner, the next failure goes back to the primary', { timeout: 60_000 }, async () => {
    const m = new WorkspacePoolManager();
    const events = recordEvents(m);
    const target = mirrored();
    await primary.control.stop();
    expect(await serverOf(m, target)).toBe('partner');
    await primary.control.restart();
    await partner.control.stop();
    // The first call after the partner died may have been in flight there; later ones are on the primary.
    await waitFor(async () => (await serverOf(m, target).catch(() => undefined)) === 'primary', 20_000, 'the pool to move back');
    expect(events.filter((e) => e.name === 'failover').map((e) => (e.payload as PoolFailoverEvent).to.port)).toEqual([partner.port, primary.port]);
    await m.close();
  });

  it('with neither server answering, callers get the failure and the circuit opens, as without a partner', { timeout: 60_000 }, async () => {
    const m = new WorkspacePoolManager({ failureThreshold: 1 });
    const target = mirrored();
    await Promise.all([primary.control.stop(), partner.control.stop()]);
    const failure = await m.query(target, 'SELECT 1').catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'POOL_CREATE', transient: true });
    await expect(m.query(target, 'SELECT 1')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    await m.close();
  });
});
