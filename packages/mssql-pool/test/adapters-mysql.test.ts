import { inspect } from 'node:util';
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CircuitOpenError, PoolCreateError, WorkspacePoolManager, type ConnectionTarget, type ConnectionTargetOf } from '../src/index';
import { databaseUrl, skipReason } from './env';
import { recordEvents, targetFromUrl, trackUnhandled, uniqueId, waitFor } from './helpers';

const MYSQL_URL = databaseUrl('MYSQL_URL');

// Skipped (not failed) locally when MYSQL_URL is unset; CI sets it, and env.ts throws there if missing.
describe.skipIf(MYSQL_URL === undefined)(`mysql adapter${MYSQL_URL === undefined ? ` (skipped: ${skipReason('MYSQL_URL')})` : ''}`, () => {
  const user = uniqueId('pt').slice(0, 16);
  const password = `pw-${uniqueId('secret')}`;
  let admin: mysql.Connection;
  const managers: WorkspacePoolManager[] = [];

  const target = (overrides: Partial<Omit<ConnectionTarget, 'type'>> = {}): ConnectionTargetOf<'mysql'> =>
    targetFromUrl(MYSQL_URL!, 'mysql', { workspaceId: uniqueId('ws'), connectionId: 'c1', user, password, ...overrides });
  const manager = (options: ConstructorParameters<typeof WorkspacePoolManager>[0] = {}) => {
    const m = new WorkspacePoolManager(options);
    managers.push(m);
    return m;
  };
  const sessionIds = async () => {
    const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT id FROM information_schema.processlist WHERE user = ?', [user]);
    return rows.map((r) => Number(r.id));
  };
  const sessions = async () => (await sessionIds()).length;
  // mysql2's pool lists no connections publicly: read the core pool's `_allConnections` (free and
  // lent alike) and each connection's threadId (the server's connection id, as KILL takes it).
  const pooledThreadIds = (pool: mysql.Pool) => {
    const all = (pool.pool as unknown as { _allConnections: { length: number; get(i: number): { threadId: number | null } } })._allConnections;
    return Array.from({ length: all.length }, (_, i) => all.get(i).threadId);
  };

  beforeAll(async () => {
    admin = await mysql.createConnection(MYSQL_URL!);
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
    await admin.query(`CREATE USER '${user}'@'localhost' IDENTIFIED BY '${password}'`);
    const database = new URL(MYSQL_URL!).pathname.slice(1);
    await admin.query(`GRANT ALL ON \`${database}\`.* TO '${user}'@'%'`);
    await admin.query(`GRANT ALL ON \`${database}\`.* TO '${user}'@'localhost'`);
  });

  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close({ deadlineMs: 1000 })));
    await waitFor(async () => (await sessions()) === 0, 10_000, 'sessions to close');
  });

  afterAll(async () => {
    await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
    await admin.query(`DROP USER IF EXISTS '${user}'@'localhost'`);
    await admin.end();
  });

  it('runs driver-neutral queries with positional parameters and exposes the mysql2 pool', async () => {
    const m = manager();
    const t = target();
    const result = await m.query<{ n: number; s: string }>(t, 'SELECT ? + 1 AS n, ? AS s', [41, 'x']);
    expect(result.rows).toEqual([{ n: 42, s: 'x' }]);
    await m.withConnection(t, async (lease) => {
      const [rows] = await lease.pool.query<mysql.RowDataPacket[]>('SELECT 1 AS one');
      expect(rows[0]?.one).toBe(1);
    });
  });

  it('single-flight: 500 concurrent cold acquires log in once', async () => {
    const m = manager();
    const events = recordEvents(m);
    const t = target({ options: { poolSize: 5 } });
    const leases = await Promise.all(Array.from({ length: 500 }, () => m.acquire({ ...t })));
    for (const lease of leases) lease.release();
    expect(events.filter((e) => e.name === 'create')).toHaveLength(1);
    expect(await sessions()).toBe(1);
    await Promise.all(Array.from({ length: 200 }, () => m.query(t, 'SELECT 1')));
    expect(await sessions()).toBeLessThanOrEqual(5);
  });

  it('wrong password fails fast with MySQL error 1045 and no retry storm', async () => {
    const m = manager({ circuitResetMs: 60_000 });
    const t = target({ password: 'definitely-wrong' });
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => m.acquire(t)));
    const reasons = results.map((r) => (r.status === 'rejected' ? (r.reason as unknown) : undefined));
    expect(reasons.every((r) => r instanceof PoolCreateError && r.number === 1045 && !r.transient)).toBe(true);
    expect(m.counters.createFailures).toBe(1);
    const again = await m.acquire(t).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(CircuitOpenError);
    expect((again as CircuitOpenError).number).toBe(1045);
    expect(m.counters.createFailures).toBe(1);
  });

  it('killed sessions mark the pool unhealthy, then it recovers without a crash', async () => {
    const unhandled = trackUnhandled();
    try {
      const m = manager({ retryBaseDelayMs: 20, retryMaxDelayMs: 200 });
      let native: mysql.Pool | undefined;
      m.onPoolCreated((_event, pool) => {
        native = pool as mysql.Pool;
      });
      const t = target();
      await Promise.all(Array.from({ length: 20 }, () => m.query(t, 'SELECT SLEEP(0.01)')));
      const pool = native;
      if (pool === undefined) throw new Error('onPoolCreated did not run');
      const inFlight = m.query(t, 'SELECT SLEEP(5)').catch((e: unknown) => e);
      await waitFor(async () => (await sessions()) > 0, 5000, 'query to start');
      const killed = await sessionIds();
      expect(killed.length).toBeGreaterThan(0);
      for (const id of killed) await admin.query(`KILL ${id}`);
      const error = await inFlight;
      expect(error).toBeInstanceOf(Error);
      // The recovery ping can run between two KILLs, succeed on a connection killed after it and
      // leave the pool ready with that connection free, its close not read yet: wait until the
      // killed sessions are gone and the pool holds none of them before relying on 'ready'.
      await waitFor(async () => (await sessionIds()).every((id) => !killed.includes(id)), 5000, 'killed sessions to end');
      await waitFor(() => !pooledThreadIds(pool).some((id) => id !== null && killed.includes(id)), 5000, 'the pool to drop every killed connection');
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
    const quick = Array.from({ length: 3 }, () => m.query(t, 'SELECT SLEEP(0.3)'));
    await new Promise((r) => setTimeout(r, 50));
    await m.close({ deadlineMs: 5000 });
    await expect(Promise.all(quick)).resolves.toHaveLength(3);

    const m2 = manager();
    const slow = m2.query(t, 'SELECT SLEEP(30)').catch((e: unknown) => e);
    await waitFor(async () => (await sessions()) > 0, 5000, 'slow query to start');
    const started = Date.now();
    await m2.close({ deadlineMs: 200 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await slow).toBeInstanceOf(Error);
  });

  it('never reveals the password', async () => {
    const m = manager();
    const events = recordEvents(m);
    const lease = await m.acquire(target());
    const surfaces = [inspect(m, { depth: 8 }), inspect(lease, { depth: 8 }), JSON.stringify(lease), JSON.stringify(m.stats())];
    surfaces.push(inspect(lease.pool, { depth: 4 }), inspect(lease.pool.pool.config, { depth: 4 }));
    lease.release();
    surfaces.push(inspect(events, { depth: 8 }), JSON.stringify(events));
    for (const text of surfaces) expect(text).not.toContain(password);
  });
});
