import { inspect } from 'node:util';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CircuitOpenError, PoolCreateError, WorkspacePoolManager, type ConnectionTarget, type ConnectionTargetOf } from '../src/index';
import { databaseUrl, skipReason } from './env';
import { recordEvents, targetFromUrl, trackUnhandled, uniqueId, waitFor } from './helpers';

const PG_URL = databaseUrl('PG_URL');

// Skipped (not failed) locally when PG_URL is unset; CI sets it, and env.ts throws there if missing.
describe.skipIf(PG_URL === undefined)(`postgres adapter${PG_URL === undefined ? ` (skipped: ${skipReason('PG_URL')})` : ''}`, () => {
  const role = uniqueId('pooltest');
  const password = `pw-${uniqueId('secret')}`;
  let admin: pg.Client;
  const managers: WorkspacePoolManager[] = [];

  const target = (overrides: Partial<Omit<ConnectionTarget, 'type'>> = {}): ConnectionTargetOf<'postgres'> =>
    targetFromUrl(PG_URL!, 'postgres', { workspaceId: uniqueId('ws'), connectionId: 'c1', user: role, password, ...overrides });
  const manager = (options: ConstructorParameters<typeof WorkspacePoolManager>[0] = {}) => {
    const m = new WorkspacePoolManager(options);
    managers.push(m);
    return m;
  };
  const sessions = async () => {
    const { rows } = await admin.query<{ n: string }>('SELECT count(*)::text AS n FROM pg_stat_activity WHERE usename = $1', [role]);
    return Number(rows[0]?.n ?? 0);
  };

  // pg.Pool lists no clients publicly and @types/pg has no Client#processID (the BackendKeyData
  // pid): read pg-pool's `_clients`, which holds idle and lent clients alike.
  const pooledBackendPids = (pool: pg.Pool) =>
    (pool as unknown as { _clients: Array<{ processID: number | null }> })._clients.map((client) => client.processID);

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  });

  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close({ deadlineMs: 1000 })));
    await waitFor(async () => (await sessions()) === 0, 10_000, 'sessions to close');
  });

  afterAll(async () => {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });

  it('runs driver-neutral queries with positional parameters and exposes pg.Pool', async () => {
    const m = manager();
    const t = target();
    const result = await m.query<{ n: number; s: string }>(t, 'SELECT $1::int + 1 AS n, $2::text AS s', [41, 'x']);
    expect(result.rows).toEqual([{ n: 42, s: 'x' }]);
    await m.withConnection(t, async (lease) => {
      expect(lease.pool).toBeInstanceOf(pg.Pool);
      const client = await lease.pool.connect();
      try {
        expect((await client.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
      } finally {
        client.release();
      }
    });
  });

  it('single-flight: 500 concurrent cold acquires log in once', async () => {
    const m = manager();
    const events = recordEvents(m);
    const t = target({ options: { poolSize: 5 } });
    const leases = await Promise.all(Array.from({ length: 500 }, () => m.acquire({ ...t })));
    for (const lease of leases) lease.release();
    expect(events.filter((e) => e.name === 'create')).toHaveLength(1);
    // pg keeps the probe connection as the first idle one: exactly one session so far.
    expect(await sessions()).toBe(1);
    await Promise.all(Array.from({ length: 200 }, () => m.query(t, 'SELECT 1')));
    expect(await sessions()).toBeLessThanOrEqual(5);
    await m.close();
    await waitFor(async () => (await sessions()) === 0, 5000, 'sessions to close');
  });

  it('wrong role fails fast with SQLSTATE 28000 and no retry storm', async () => {
    const m = manager({ circuitResetMs: 60_000 });
    const t = target({ user: `${role}_missing` });
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => m.acquire(t)));
    const reasons = results.map((r) => (r.status === 'rejected' ? (r.reason as unknown) : undefined));
    expect(reasons.every((r) => r instanceof PoolCreateError && r.sqlState === '28000' && !r.transient)).toBe(true);
    expect(m.counters.createFailures).toBe(1);
    const again = await m.acquire(t).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(CircuitOpenError);
    expect(((again as CircuitOpenError).cause as PoolCreateError).sqlState).toBe('28000');
    expect(m.counters.createFailures).toBe(1);
  });

  it('a killed backend marks the pool unhealthy, then it recovers without a crash', async () => {
    const unhandled = trackUnhandled();
    try {
      const m = manager({ retryBaseDelayMs: 20, retryMaxDelayMs: 200 });
      let native: pg.Pool | undefined;
      m.onPoolCreated((_event, pool) => {
        native = pool as pg.Pool;
      });
      const events = recordEvents(m);
      const t = target();
      await Promise.all(Array.from({ length: 20 }, () => m.query(t, 'SELECT pg_sleep(0.01)')));
      const pool = native;
      if (pool === undefined) throw new Error('onPoolCreated did not run');
      const { rows: killed } = await admin.query<{ pid: number; terminated: boolean }>(
        'SELECT pid, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE usename = $1',
        [role],
      );
      expect(killed.length).toBeGreaterThan(0);
      expect(killed.every((k) => k.terminated)).toBe(true);
      const killedPids = killed.map((k) => k.pid);
      // Idle clients die with an 'error' event on pg.Pool: handled, reported, and the pool is re-checked.
      await waitFor(() => events.some((e) => e.name === 'unhealthy' || e.name === 'error'), 5000, 'error or unhealthy');
      // The first FATAL can arrive while the terminate statement is still signalling the others, and
      // the recovery ping may then succeed on a connection signalled just after it: 'ready' alone
      // does not mean the pool is rid of killed connections. Not every killed one is reported as an
      // 'error' either (a ping that meets one fails instead), so wait for the pids themselves: their
      // backends gone, then no pooled client (idle or lent) still on one of them.
      await waitFor(
        async () => (await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1::int[])', [killedPids])).rowCount === 0,
        5000,
        'killed backends to exit',
      );
      await waitFor(() => !pooledBackendPids(pool).some((pid) => pid !== null && killedPids.includes(pid)), 5000, 'the pool to drop every killed connection');
      await waitFor(() => m.stats().pools[0]?.state === 'ready', 5000, 'recovery');
      expect((await m.query<{ one: number }>(t, 'SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect(unhandled.seen).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it('close() lets in-flight queries finish before the deadline and cuts them after it', async () => {
    const m = manager();
    const t = target();
    const quick = Array.from({ length: 3 }, () => m.query(t, 'SELECT pg_sleep(0.3)'));
    await new Promise((r) => setTimeout(r, 50));
    await m.close({ deadlineMs: 5000 });
    await expect(Promise.all(quick)).resolves.toHaveLength(3);

    const m2 = manager();
    const slow = m2.query(t, 'SELECT pg_sleep(30)');
    const slowResult = slow.catch((e: unknown) => e);
    await waitFor(async () => (await sessions()) > 0, 5000, 'slow query to start');
    const started = Date.now();
    await m2.close({ deadlineMs: 200 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await slowResult).toBeInstanceOf(Error);
    await waitFor(async () => (await sessions()) === 0, 10_000, 'sessions to close');
  });

  it('never reveals the password', async () => {
    const m = manager();
    const events = recordEvents(m);
    const t = target();
    const lease = await m.acquire(t);
    const surfaces = [inspect(m, { depth: 8 }), inspect(lease, { depth: 8 }), JSON.stringify(lease), JSON.stringify(m.stats()), inspect(m.stats(), { depth: 8 })];
    lease.release();
    surfaces.push(inspect(events, { depth: 8 }), JSON.stringify(events), inspect(lease.pool, { depth: 3 }));
    for (const text of surfaces) expect(text).not.toContain(password);
  });
});
